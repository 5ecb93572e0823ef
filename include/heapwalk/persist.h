/*
 * persist.h - which fragments stay: the identities of a pool's used
 * fragments at one moment, so that a later moment can tell, per site, how
 * many of its fragments are still the same ones. Memory that leaks stays;
 * in-flight state (transactions, registrations that expire) turns over,
 * even when its total grows for a while.
 */
#ifndef HEAPWALK_PERSIST_H
#define HEAPWALK_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;

/* Bytes of a fragment's payload that take part in its identity. */
#define HW_PERSIST_BYTES 32
/* At most this many identities per set (8 bytes each); past it a set is incomplete. */
#define HW_PERSIST_MAX ((size_t)2 << 20)

/* A set of fragment identities (open addressing; 0 marks an empty slot). */
struct hw_idset {
	uint64_t *slots;
	size_t cap, n;
	bool overflow; /* identities were left out: HW_PERSIST_MAX reached, or no memory */
};

/*
 * A fragment's identity: its payload address, size and first payload bytes
 * (@bytes, @nbytes of them; fewer when the fragment is smaller or they could
 * not be read). A fragment freed and another allocated at the same address
 * has, but for a coincidence, another identity.
 */
uint64_t hw_frag_identity(uint64_t user, uint64_t size, const void *bytes, size_t nbytes);

void hw_idset_init(struct hw_idset *s);
void hw_idset_deinit(struct hw_idset *s);
/* Add @id; past HW_PERSIST_MAX (or without memory) it is left out and s->overflow set. */
void hw_idset_add(struct hw_idset *s, uint64_t id);
bool hw_idset_has(const struct hw_idset *s, uint64_t id);

#endif
