/* persist.c - sets of fragment identities (see include/heapwalk/persist.h). */
#include <stdlib.h>
#include <string.h>

#include "heapwalk/persist.h"

/* splitmix64's finaliser: every input bit reaches every output bit */
static inline uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t hw_frag_identity(uint64_t user, uint64_t size, const void *bytes, size_t nbytes)
{
	const unsigned char *b = bytes;
	uint64_t h = mix(user ^ 0x9e3779b97f4a7c15ULL) ^ mix(size + 0x632be59bd9b4e019ULL);

	if (nbytes > HW_PERSIST_BYTES)
		nbytes = HW_PERSIST_BYTES;
	for (size_t i = 0; i + 8 <= nbytes; i += 8) {
		uint64_t w;
		memcpy(&w, b + i, 8);
		h = mix(h ^ w);
	}
	for (size_t i = nbytes & ~(size_t)7; i < nbytes; i++)
		h = mix(h ^ b[i]);
	return h ? h : 1; /* 0 marks an empty slot */
}

void hw_idset_init(struct hw_idset *s)
{
	memset(s, 0, sizeof(*s));
}

void hw_idset_deinit(struct hw_idset *s)
{
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

static bool grow(struct hw_idset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	uint64_t *v = calloc(cap, sizeof(*v));

	if (!v)
		return false;
	for (size_t i = 0; i < s->cap; i++) {
		uint64_t id = s->slots[i];
		size_t j;
		if (!id)
			continue;
		for (j = id & (cap - 1); v[j]; j = (j + 1) & (cap - 1))
			;
		v[j] = id;
	}
	free(s->slots);
	s->slots = v;
	s->cap = cap;
	return true;
}

void hw_idset_add(struct hw_idset *s, uint64_t id)
{
	size_t j;

	if (!id)
		id = 1;
	if (s->n >= HW_PERSIST_MAX) {
		s->overflow = true;
		return;
	}
	if ((s->n + 1) * 2 > s->cap && !grow(s)) {
		s->overflow = true;
		return;
	}
	for (j = id & (s->cap - 1); s->slots[j]; j = (j + 1) & (s->cap - 1))
		if (s->slots[j] == id)
			return;
	s->slots[j] = id;
	s->n++;
}

bool hw_idset_has(const struct hw_idset *s, uint64_t id)
{
	if (!id)
		id = 1;
	if (!s->cap)
		return false;
	for (size_t j = id & (s->cap - 1), k = 0; k < s->cap && s->slots[j];
	     j = (j + 1) & (s->cap - 1), k++)
		if (s->slots[j] == id)
			return true;
	return false;
}
