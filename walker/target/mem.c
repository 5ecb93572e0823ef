/* mem.c - the target address space: a layered segment map (see include/heapwalk/mem.h). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heapwalk/error.h"
#include "heapwalk/mem.h"

/*
 * One segment, [start, end). Within one array (one direct layer, or the
 * missing segments) segments are sorted by start and never overlap.
 */
struct seg {
	uint64_t start;
	uint64_t end;
	const uint8_t *data; /* direct segments */
	const char *why;     /* missing segments */
	/*
	 * A direct segment some lower layer overlaps: a read inside it may
	 * be served by the lower layer, so it is never used as the fast-path
	 * cache entry.
	 */
	bool shadowed;
};

struct seg_array {
	struct seg *v;
	size_t n;
	size_t cap;
};

struct hw_mem {
	struct seg_array layer[HW_MEM_LAYER_COUNT];
	struct seg_array missing;
	/*
	 * Last segment that served a whole read, never a shadowed one, so a
	 * hit on it is always the answer the full lookup would give. Reset on
	 * every add (the arrays may move). Relaxed atomics: readers on several
	 * threads may race on it harmlessly.
	 */
	_Atomic(const struct seg *) cache;
};

struct hw_error *hw_mem_create(struct hw_mem **ret)
{
	struct hw_mem *mem = calloc(1, sizeof(*mem));

	if (!mem)
		return hw_error_nomem();
	atomic_init(&mem->cache, NULL);
	*ret = mem;
	return NULL;
}

void hw_mem_destroy(struct hw_mem *mem)
{
	if (!mem)
		return;
	for (int l = 0; l < HW_MEM_LAYER_COUNT; l++)
		free(mem->layer[l].v);
	free(mem->missing.v);
	free(mem);
}

/* Index of the last segment with start <= addr, or SIZE_MAX if none. */
static size_t find_le(const struct seg_array *a, uint64_t addr)
{
	size_t lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a->v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? SIZE_MAX : lo - 1;
}

/* The segment of @a containing @addr, or NULL. */
static const struct seg *find_seg(const struct seg_array *a, uint64_t addr)
{
	size_t i = find_le(a, addr);

	if (i == SIZE_MAX || addr >= a->v[i].end)
		return NULL;
	return &a->v[i];
}

/* Whether any segment of @a overlaps [start, end). */
static bool overlaps_any(const struct seg_array *a, uint64_t start, uint64_t end)
{
	size_t i = find_le(a, start);

	if (i != SIZE_MAX && a->v[i].end > start)
		return true;
	i = i == SIZE_MAX ? 0 : i + 1;
	return i < a->n && a->v[i].start < end;
}

/*
 * Insert @s keeping @a sorted; the caller checked that it overlaps nothing.
 * O(1) when segments are added in increasing address order.
 */
static struct hw_error *insert_seg(struct seg_array *a, const struct seg *s)
{
	size_t pos;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct seg *v;
		if (cap > SIZE_MAX / sizeof(*v))
			return hw_error_nomem();
		v = realloc(a->v, cap * sizeof(*v));
		if (!v)
			return hw_error_nomem();
		a->v = v;
		a->cap = cap;
	}
	if (a->n == 0 || a->v[a->n - 1].start < s->start)
		pos = a->n;
	else
		pos = find_le(a, s->start) + 1; /* SIZE_MAX + 1 == 0 */
	memmove(&a->v[pos + 1], &a->v[pos], (a->n - pos) * sizeof(*s));
	a->v[pos] = *s;
	a->n++;
	return NULL;
}

static struct hw_error *check_range(uint64_t start, uint64_t len)
{
	if (len > UINT64_MAX - start)
		return hw_error_create(HW_ERR_INVALID_ARG,
				       "segment at 0x%" PRIx64 " of %" PRIu64
				       " bytes wraps around the address space",
				       start, len);
	return NULL;
}

struct hw_error *hw_mem_add_direct(struct hw_mem *mem, enum hw_mem_layer layer, uint64_t start,
				   uint64_t len, const void *data)
{
	struct hw_error *err;
	struct seg s = {.start = start, .data = data};
	struct seg_array *a;

	if ((unsigned)layer >= HW_MEM_LAYER_COUNT)
		return hw_error_create(HW_ERR_INVALID_ARG, "invalid memory layer %d", (int)layer);
	if ((err = check_range(start, len)))
		return err;
	if (len == 0)
		return NULL;
	s.end = start + len;
	a = &mem->layer[layer];
	if (overlaps_any(a, s.start, s.end))
		return hw_error_create(HW_ERR_BAD_DATA,
				       "segment [0x%" PRIx64 ", 0x%" PRIx64
				       ") overlaps another segment of the same layer",
				       s.start, s.end);
	for (int l = 0; l < (int)layer; l++)
		if (overlaps_any(&mem->layer[l], s.start, s.end))
			s.shadowed = true;
	if ((err = insert_seg(a, &s)))
		return err;
	/* Mark the higher-layer segments this one now shadows. */
	for (int l = (int)layer + 1; l < HW_MEM_LAYER_COUNT; l++) {
		struct seg_array *h = &mem->layer[l];
		size_t i = find_le(h, s.start);
		if (i == SIZE_MAX)
			i = 0;
		for (; i < h->n && h->v[i].start < s.end; i++)
			if (h->v[i].end > s.start)
				h->v[i].shadowed = true;
	}
	atomic_store_explicit(&mem->cache, NULL, memory_order_relaxed);
	return NULL;
}

struct hw_error *hw_mem_add_missing(struct hw_mem *mem, uint64_t start, uint64_t len,
				    const char *why)
{
	struct hw_error *err;
	struct seg s = {.start = start, .why = why ? why : "memory not available"};

	if ((err = check_range(start, len)))
		return err;
	if (len == 0)
		return NULL;
	s.end = start + len;
	if (overlaps_any(&mem->missing, s.start, s.end))
		return hw_error_create(HW_ERR_BAD_DATA,
				       "missing range [0x%" PRIx64 ", 0x%" PRIx64
				       ") overlaps another missing range",
				       s.start, s.end);
	if ((err = insert_seg(&mem->missing, &s)))
		return err;
	atomic_store_explicit(&mem->cache, NULL, memory_order_relaxed);
	return NULL;
}

bool hw_mem_withdraw(struct hw_mem *mem, uint64_t start, uint64_t len, const char *why)
{
	struct seg_array *a = &mem->layer[HW_MEM_LAYER_CORE];
	size_t i = find_le(a, start);

	if (i == SIZE_MAX || a->v[i].start != start || a->v[i].end - start != len)
		return false;
	memmove(&a->v[i], &a->v[i + 1], (a->n - i - 1) * sizeof(a->v[0]));
	a->n--;
	for (i = 0; i < mem->missing.n; i++)
		if (mem->missing.v[i].start < start + len && mem->missing.v[i].end > start)
			mem->missing.v[i].why = why;
	atomic_store_explicit(&mem->cache, NULL, memory_order_relaxed);
	if (!overlaps_any(&mem->missing, start, start + len)) {
		struct seg m = {.start = start, .end = start + len, .why = why};
		hw_error_destroy(insert_seg(&mem->missing, &m));
	}
	return true;
}

/* Whether @s holds all of [addr, addr+len) (len may be 0). */
static inline bool seg_holds(const struct seg *s, uint64_t addr, size_t len)
{
	return addr >= s->start && addr < s->end && len <= s->end - addr;
}

/*
 * How far layer @a serves [addr, addr+len) contiguously from @addr,
 * possibly across adjacent segments: returns the end of that run (addr if
 * nothing). If @buf is given, copies the bytes of that run.
 */
static uint64_t layer_run(const struct seg_array *a, uint64_t addr, size_t len, uint8_t *buf)
{
	size_t i = find_le(a, addr);
	uint64_t pos = addr, want_end;

	if (len > UINT64_MAX - addr)
		want_end = UINT64_MAX;
	else
		want_end = addr + len;
	if (i == SIZE_MAX)
		return addr;
	for (; i < a->n && pos < want_end; i++) {
		const struct seg *s = &a->v[i];
		uint64_t n;
		if (s->start > pos || s->end <= pos)
			break;
		n = (s->end < want_end ? s->end : want_end) - pos;
		if (buf)
			memcpy(buf + (pos - addr), s->data + (pos - s->start), n);
		pos += n;
	}
	return pos;
}

/* The lowest-layer segment holding all of [addr, addr+len), or NULL. */
static const struct seg *lookup_whole(const struct hw_mem *mem, uint64_t addr, size_t len)
{
	for (int l = 0; l < HW_MEM_LAYER_COUNT; l++) {
		const struct seg *s = find_seg(&mem->layer[l], addr);
		if (s && seg_holds(s, addr, len))
			return s;
		/*
		 * If this layer serves part of the range (a run that spans
		 * segments), no higher layer may answer from a single segment:
		 * the slow path decides.
		 */
		if (s)
			return NULL;
	}
	return NULL;
}

const void *hw_mem_peek(const struct hw_mem *mem, uint64_t addr, size_t len)
{
	const struct seg *s = atomic_load_explicit(&mem->cache, memory_order_relaxed);

	if (s && seg_holds(s, addr, len))
		return s->data + (addr - s->start);
	s = lookup_whole(mem, addr, len);
	if (!s)
		return NULL;
	if (!s->shadowed)
		atomic_store_explicit(&((struct hw_mem *)mem)->cache, s, memory_order_relaxed);
	return s->data + (addr - s->start);
}

/* Why @at cannot be read (after a read from an earlier address reached it). */
static const char *why_at(const struct hw_mem *mem, uint64_t at)
{
	const struct seg *m = find_seg(&mem->missing, at);
	const char *why = m ? m->why : "address not mapped";

	if (!m) {
		/* Readable on its own, but not from the same source as the bytes before it. */
		for (int l = 0; l < HW_MEM_LAYER_COUNT; l++)
			if (find_seg(&mem->layer[l], at))
				why = "range spans core and file data";
	}
	return why;
}

static struct hw_error *fault(const struct hw_mem *mem, uint64_t addr, size_t len, uint64_t at)
{
	const char *unit = len == 1 ? "byte" : "bytes";

	if (at == addr)
		return hw_error_fault(at, "cannot read %zu %s at 0x%" PRIx64 ": %s", len, unit,
				      addr, why_at(mem, at));
	return hw_error_fault(
	    at, "cannot read %zu %s at 0x%" PRIx64 " (first unreadable byte 0x%" PRIx64 "): %s",
	    len, unit, addr, at, why_at(mem, at));
}

struct hw_error *hw_mem_read(const struct hw_mem *mem, void *buf, uint64_t addr, size_t len)
{
	const struct seg *s = atomic_load_explicit(&mem->cache, memory_order_relaxed);
	const void *p;
	uint64_t best = addr;

	if (s && seg_holds(s, addr, len)) {
		memcpy(buf, s->data + (addr - s->start), len);
		return NULL;
	}
	p = hw_mem_peek(mem, addr, len);
	if (p) {
		memcpy(buf, p, len);
		return NULL;
	}
	if (len == 0)
		return NULL;
	if (len > UINT64_MAX - addr)
		return hw_error_fault(addr,
				      "cannot read %zu bytes at 0x%" PRIx64
				      ": range wraps around the address space",
				      len, addr);
	for (int l = 0; l < HW_MEM_LAYER_COUNT; l++) {
		uint64_t end = layer_run(&mem->layer[l], addr, len, NULL);
		if (end - addr == len) {
			layer_run(&mem->layer[l], addr, len, buf);
			return NULL;
		}
		if (end > best)
			best = end;
	}
	return fault(mem, addr, len, best);
}

/*
 * Bytes readable at @addr by a one-byte read: a pointer into the serving
 * segment and how many bytes follow in it. NULL if @addr is unreadable.
 */
static const uint8_t *byte_span(const struct hw_mem *mem, uint64_t addr, uint64_t *avail)
{
	for (int l = 0; l < HW_MEM_LAYER_COUNT; l++) {
		const struct seg *s = find_seg(&mem->layer[l], addr);
		if (s) {
			*avail = s->end - addr;
			return s->data + (addr - s->start);
		}
	}
	return NULL;
}

struct hw_error *hw_mem_read_cstr(const struct hw_mem *mem, uint64_t addr, char *buf, size_t cap,
				  size_t *len_ret, bool *truncated_ret)
{
	size_t n = 0;
	bool truncated = true;

	if (cap == 0)
		return hw_error_create(HW_ERR_INVALID_ARG, "string buffer of 0 bytes");
	while (n < cap - 1) {
		uint64_t pos, avail;
		const uint8_t *p, *nul;
		size_t take;

		if ((uint64_t)n > UINT64_MAX - addr)
			break; /* wrapped: end of the address space */
		pos = addr + n;
		p = byte_span(mem, pos, &avail);
		if (!p) {
			if (n == 0) {
				buf[0] = '\0';
				return hw_error_fault(addr,
						      "cannot read string at 0x%" PRIx64 ": %s",
						      addr, why_at(mem, addr));
			}
			break;
		}
		take = cap - 1 - n;
		if (avail < take)
			take = (size_t)avail;
		nul = memchr(p, '\0', take);
		if (nul) {
			size_t k = (size_t)(nul - p);
			memcpy(buf + n, p, k);
			n += k;
			truncated = false;
			break;
		}
		memcpy(buf + n, p, take);
		n += take;
	}
	buf[n] = '\0';
	*len_ret = n;
	if (truncated_ret)
		*truncated_ret = truncated;
	return NULL;
}

size_t hw_mem_segment_count(const struct hw_mem *mem)
{
	size_t n = mem->missing.n;

	for (int l = 0; l < HW_MEM_LAYER_COUNT; l++)
		n += mem->layer[l].n;
	return n;
}

/*
 * O(i): merges the sorted arrays up to @i. Ties at the same start list
 * lower layers first and missing ranges last.
 */
void hw_mem_segment_get(const struct hw_mem *mem, size_t i, struct hw_mem_segment_info *ret)
{
	size_t cur[HW_MEM_LAYER_COUNT + 1] = {0};
	const struct seg_array *arr[HW_MEM_LAYER_COUNT + 1];

	for (int l = 0; l < HW_MEM_LAYER_COUNT; l++)
		arr[l] = &mem->layer[l];
	arr[HW_MEM_LAYER_COUNT] = &mem->missing;
	memset(ret, 0, sizeof(*ret));
	for (size_t k = 0;; k++) {
		int best = -1;
		for (int a = 0; a <= HW_MEM_LAYER_COUNT; a++) {
			if (cur[a] >= arr[a]->n)
				continue;
			if (best < 0 || arr[a]->v[cur[a]].start < arr[best]->v[cur[best]].start)
				best = a;
		}
		if (best < 0)
			return; /* i out of range: zeroed */
		if (k == i) {
			const struct seg *s = &arr[best]->v[cur[best]];
			ret->start = s->start;
			ret->len = s->end - s->start;
			if (best == HW_MEM_LAYER_COUNT) {
				ret->missing = true;
				ret->why = s->why;
				ret->layer = HW_MEM_LAYER_CORE;
			} else {
				ret->layer = (enum hw_mem_layer)best;
			}
			return;
		}
		cur[best]++;
	}
}

void hw_mem_advise_sequential(const struct hw_mem *mem, uint64_t addr, uint64_t len)
{
	uint64_t end = len > UINT64_MAX - addr ? UINT64_MAX : addr + len;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	if (page == 0 || (page & (page - 1)))
		return;
	for (int l = 0; l < HW_MEM_LAYER_COUNT; l++) {
		const struct seg_array *a = &mem->layer[l];
		size_t i = find_le(a, addr);

		for (i = i == SIZE_MAX ? 0 : i; i < a->n && a->v[i].start < end; i++) {
			const struct seg *sg = &a->v[i];
			uint64_t from = sg->start > addr ? sg->start : addr;
			uint64_t to = sg->end < end ? sg->end : end;
			uintptr_t p, q;

			if (from >= to)
				continue;
			p = (uintptr_t)(sg->data + (from - sg->start)) & ~(page - 1);
			q = (uintptr_t)(sg->data + (to - sg->start));
			madvise((void *)p, q - p, MADV_SEQUENTIAL);
		}
	}
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif

/* Mapped ahead of a walk this much at a time (a stop waits for at most one chunk). */
#define PREFAULT_CHUNK (8ul << 20)
/* Ranges smaller than this are left to the walk's own page faults. */
#define PREFAULT_MIN (16ul << 20)

struct hw_mem_prefault {
	pthread_t thread;
	atomic_bool stop;
	uintptr_t from, to; /* page-aligned */
};

static void *prefault_run(void *arg)
{
	struct hw_mem_prefault *pf = arg;

	for (uintptr_t a = pf->from; a < pf->to;) {
		size_t n = pf->to - a < PREFAULT_CHUNK ? pf->to - a : PREFAULT_CHUNK;
		if (atomic_load_explicit(&pf->stop, memory_order_relaxed))
			break;
		if (madvise((void *)a, n, MADV_POPULATE_READ) != 0) {
			/* no MADV_POPULATE_READ (before 5.14): the kernel reads ahead at least */
			if (errno == EINVAL)
				madvise((void *)a, pf->to - a, MADV_WILLNEED);
			if (errno != EINTR && errno != EAGAIN)
				break;
			continue;
		}
		a += n;
	}
	return NULL;
}

struct hw_mem_prefault *hw_mem_prefault_start(const struct hw_mem *mem, uint64_t addr, uint64_t len)
{
	const char *env = getenv("HEAPWALK_PREFAULT");
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	const uint8_t *p;
	struct hw_mem_prefault *pf;

	/* off unless asked for: see mem.h */
	if (!env || strcmp(env, "1") || len < PREFAULT_MIN || len > SIZE_MAX || page == 0 ||
	    (page & (page - 1)))
		return NULL;
	p = hw_mem_peek(mem, addr, len);
	if (!p)
		return NULL;
	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return NULL;
	atomic_init(&pf->stop, false);
	pf->from = (uintptr_t)p & ~(page - 1);
	pf->to = ((uintptr_t)p + (uintptr_t)len + page - 1) & ~(page - 1);
	if (pthread_create(&pf->thread, NULL, prefault_run, pf)) {
		free(pf);
		return NULL;
	}
	return pf;
}

void hw_mem_prefault_stop(struct hw_mem_prefault *pf)
{
	if (!pf)
		return;
	atomic_store(&pf->stop, true);
	pthread_join(pf->thread, NULL);
	free(pf);
}
