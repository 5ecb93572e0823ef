/*
 * mem.h - the target address space.
 *
 * A struct hw_mem is a set of segments, each covering [start, start+len) of
 * the target's virtual address space, backed by bytes heapwalk can see
 * (a mapped core file, a mapped on-disk ELF file, a buffer in a unit test)
 * or marked as known-missing (memory the core did not save). Reads never
 * touch anything outside a segment: an address no segment covers, or one a
 * "missing" segment covers, gives an HW_ERR_FAULT error carrying the first
 * address that could not be read.
 *
 * Layers: a read is served by the lowest-numbered layer that covers the
 * whole range of the read, byte for byte (a read may span adjacent segments
 * of the same layer). HW_MEM_LAYER_CORE holds what the core saved,
 * HW_MEM_LAYER_FILE what is read from files on disk (NT_FILE), and missing
 * segments explain a fault without serving bytes.
 *
 * The mem does not own the backing bytes: they must outlive it (the core
 * and file mappings are owned by the target).
 */
#ifndef HEAPWALK_MEM_H
#define HEAPWALK_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;
struct hw_mem;

enum hw_mem_layer { HW_MEM_LAYER_CORE = 0, HW_MEM_LAYER_FILE = 1, HW_MEM_LAYER_COUNT };

struct hw_error *hw_mem_create(struct hw_mem **ret);
void hw_mem_destroy(struct hw_mem *mem);

/* Bytes at @data back [start, start+len). start+len must not wrap. */
struct hw_error *hw_mem_add_direct(struct hw_mem *mem, enum hw_mem_layer layer, uint64_t start,
				   uint64_t len, const void *data);
/*
 * [start, start+len) is known to exist in the target but has no bytes here;
 * @why (a static string, e.g. "memory not saved in core file") is the reason
 * given in fault messages.
 */
struct hw_error *hw_mem_add_missing(struct hw_mem *mem, uint64_t start, uint64_t len,
				    const char *why);

/*
 * Take back the direct core-layer segment [start, start+len) (added with
 * hw_mem_add_direct): reads there fail from now on, saying @why (static).
 * False if no such segment. Not while other threads read @mem.
 */
bool hw_mem_withdraw(struct hw_mem *mem, uint64_t start, uint64_t len, const char *why);

/*
 * Copy @len bytes at @addr into @buf. On fault the error says which address
 * and why ("memory not saved in core file", "address not mapped").
 */
struct hw_error *hw_mem_read(const struct hw_mem *mem, void *buf, uint64_t addr, size_t len);

/*
 * Fast path: a pointer to @len bytes at @addr when they lie inside one
 * direct segment, else NULL (then use hw_mem_read for the error). Valid as
 * long as the mem's backing lives.
 */
const void *hw_mem_peek(const struct hw_mem *mem, uint64_t addr, size_t len);

/*
 * Read a NUL-terminated string of at most @cap-1 bytes into @buf (raw bytes,
 * not sanitised). *len_ret gets its length; *truncated_ret (may be NULL) is
 * set when no NUL was found within cap-1 bytes. Stops early without error at
 * the end of readable memory only if at least one byte was read and sets
 * *truncated_ret; a fault at @addr itself is an error.
 */
struct hw_error *hw_mem_read_cstr(const struct hw_mem *mem, uint64_t addr, char *buf, size_t cap,
				  size_t *len_ret, bool *truncated_ret);

/* Iterate over segments in address order (for info/debug output). */
struct hw_mem_segment_info {
	uint64_t start;
	uint64_t len;
	enum hw_mem_layer layer;
	bool missing;
	const char *why; /* missing only */
};
size_t hw_mem_segment_count(const struct hw_mem *mem);
void hw_mem_segment_get(const struct hw_mem *mem, size_t i, struct hw_mem_segment_info *ret);

/*
 * A hint that [addr, addr+len) is about to be read once in address order
 * (a heap walk): the kernel reads the mapped core pages behind it ahead of
 * the walk (madvise MADV_SEQUENTIAL), which is what makes a cold-cache walk
 * fast. Changes nothing readable; errors are ignored.
 */
void hw_mem_advise_sequential(const struct hw_mem *mem, uint64_t addr, uint64_t len);

/*
 * A walk of [addr, addr+len) is about to start: when that range is one
 * piece of mapped memory (a core's PT_LOAD), a thread of its own maps its
 * pages in big chunks ahead of the walk (madvise MADV_POPULATE_READ, or
 * MADV_WILLNEED where the kernel has none), so that the walk does not stop
 * at a page fault every few pages. Reads nothing and changes nothing
 * readable; NULL when there is nothing to do or no thread.
 *
 * Off unless HEAPWALK_PREFAULT=1: where the page cache holds the core in
 * large folios (after any sequential read) a fault maps a whole folio, and
 * on the bench's 5M cores the thread cost more CPU time than the faults it
 * saved (check on a Kamailio core: 1-5k faults instead of 16k, 80 ms more
 * CPU). It may pay for a core cached in 4 KiB pages. hw_mem_prefault_stop
 * ends it (NULL is fine).
 */
struct hw_mem_prefault;
struct hw_mem_prefault *hw_mem_prefault_start(const struct hw_mem *mem, uint64_t addr,
					      uint64_t len);
void hw_mem_prefault_stop(struct hw_mem_prefault *pf);

#endif
