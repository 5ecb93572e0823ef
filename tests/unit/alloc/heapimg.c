/* heapimg.c - the part every synthetic heap builder shares (see heapimg.h). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "heapimg.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/target.h"

void himg_put(struct heapimg *m, uint64_t addr, uint64_t v, uint32_t size)
{
	assert(addr >= m->base && addr + size <= m->base + m->len);
	for (uint32_t i = 0; i < size; i++)
		m->buf[addr - m->base + i] = (uint8_t)(v >> (8 * i));
}

uint64_t himg_get(const struct heapimg *m, uint64_t addr, uint32_t size)
{
	uint64_t v = 0;

	assert(addr >= m->base && addr + size <= m->base + m->len);
	for (uint32_t i = size; i-- > 0;)
		v = (v << 8) | m->buf[addr - m->base + i];
	return v;
}

uint64_t himg_str(struct heapimg *m, const char *s)
{
	size_t n = strlen(s) + 1;
	uint64_t a = m->rodata + m->roused;

	assert(m->roused + n <= m->rolen);
	memcpy(m->ro + m->roused, s, n);
	m->roused += n;
	return a;
}

void himg_init(struct heapimg *m, const struct heapimg_addrs *at, uint32_t word, uint64_t len)
{
	memset(m, 0, sizeof(*m));
	m->word = word;
	m->base = word == 8 ? at->base64 : at->base32;
	m->len = len;
	m->buf = calloc(1, len);
	m->rodata = word == 8 ? at->rodata64 : at->rodata32;
	m->rolen = 1 << 16;
	m->ro = calloc(1, m->rolen);
	assert(m->buf && m->ro);
}

void himg_target(struct heapimg *m)
{
	struct hw_target *t = calloc(1, sizeof(*t));
	struct hw_error *err;

	assert(t);
	err = hw_mem_create(&t->mem);
	assert(!err);
	err = hw_mem_add_direct(t->mem, HW_MEM_LAYER_CORE, m->base, m->len, m->buf);
	assert(!err);
	err = hw_mem_add_direct(t->mem, HW_MEM_LAYER_FILE, m->rodata, m->rolen, m->ro);
	assert(!err);
	t->word_size = m->word;
	m->t = t;
	(void)err;
}

void himg_cut(struct heapimg *m, uint64_t from)
{
	struct hw_error *err;

	assert(m->t && from > m->base && from < m->base + m->len);
	hw_mem_destroy(m->t->mem);
	err = hw_mem_create(&m->t->mem);
	assert(!err);
	err = hw_mem_add_direct(m->t->mem, HW_MEM_LAYER_CORE, m->base, from - m->base, m->buf);
	assert(!err);
	err = hw_mem_add_missing(m->t->mem, from, m->base + m->len - from,
				 "memory not saved in core file");
	assert(!err);
	(void)err;
}

void himg_free(struct heapimg *m)
{
	if (m->t) {
		hw_mem_destroy(m->t->mem);
		free(m->t);
	}
	free(m->buf);
	free(m->ro);
	memset(m, 0, sizeof(*m));
}
