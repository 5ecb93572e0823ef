/*
 * toy.c - the test-only toy allocator (heapwalk/toy_layout.h): its walker
 * and its struct hw_allocator. Compiled only into test binaries, where the
 * allocator table has it (HW_TEST_ALLOCATORS).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/toy_layout.h"
#include "heapwalk/check.h"
#include "heapwalk/mem.h"
#include "ops.h"

static void finding(struct hw_check *ck, enum hw_severity sev, uint64_t addr, uint64_t index,
		    const char *what, uint64_t a, uint64_t b)
{
	if (ck)
		hw_check_add(ck, sev, addr, index, "%s (0x%" PRIx64 ", 0x%" PRIx64 ")", what, a, b);
}

static struct hw_error *hw_toy_read_header(const struct hw_target *t, const struct hw_toy_layout *l,
					   uint64_t block, struct hw_heap_header *ret)
{
	uint64_t w[8];
	struct hw_error *err = hw_mem_read(t->mem, w, block, sizeof(w));
	struct hw_heap_header h;

	if (err)
		return hw_error_context(err, "reading the toy block at 0x%" PRIx64, block);
	if (w[l->b_magic / 8] != HW_TOY_MAGIC)
		return hw_error_create(HW_ERR_BAD_DATA,
				       "no toy block at 0x%" PRIx64 ": magic 0x%" PRIx64, block,
				       w[l->b_magic / 8]);
	memset(&h, 0, sizeof(h));
	h.block = block;
	h.size = w[l->b_size / 8];
	if (h.size < l->block_size || h.size > (UINT64_C(1) << 40) || block + h.size < block)
		return hw_error_create(HW_ERR_BAD_DATA, "toy block at 0x%" PRIx64 ": size %" PRIu64,
				       block, h.size);
	h.used = w[l->b_used / 8];
	h.real_used = w[l->b_real_used / 8];
	h.max_real_used = w[l->b_max_real_used / 8];
	h.ffrags = w[l->b_nfree / 8];
	h.has_ffrags = true;
	h.first_frag = block + l->block_size;
	h.last_frag_end = block + h.size;
	*ret = h;
	return NULL;
}

/* A fragment header at @a: false (and a finding) when it cannot be one. */
static bool frag_at(const struct hw_target *t, const struct hw_toy_layout *l, uint64_t a,
		    uint64_t end, uint64_t index, struct hw_check *ck, uint64_t w[4])
{
	struct hw_error *err;

	if (a > end || end - a < l->frag_size) {
		finding(ck, HW_SEV_ERROR, a, index, "toy fragment outside the heap", a, end);
		return false;
	}
	err = hw_mem_read(t->mem, w, a, 4 * sizeof(uint64_t));
	if (err) {
		finding(ck, HW_SEV_ERROR, a, index, "toy fragment unreadable", a, 0);
		hw_error_destroy(err);
		return false;
	}
	if ((w[l->f_state / 8] != HW_TOY_USED && w[l->f_state / 8] != HW_TOY_FREE) ||
	    w[l->f_size / 8] % l->roundto || w[l->f_size / 8] > end - a - l->frag_size) {
		finding(ck, HW_SEV_ERROR, a, index, "toy fragment damaged (size, state)",
			w[l->f_size / 8], w[l->f_state / 8]);
		return false;
	}
	return true;
}

static struct hw_error *hw_toy_walk_opts(const struct hw_target *t, const struct hw_toy_layout *l,
					 const struct hw_heap_header *h,
					 const struct hw_walk_opts *o, hw_frag_fn fn, void *arg,
					 struct hw_check *ck, struct hw_walk_stats *ret)
{
	const uint64_t end = h->last_frag_end;
	const bool split = o && o->from;
	uint64_t a = split ? o->from : h->first_frag;
	uint64_t bound = (end - h->block) / l->frag_size + 1;
	struct hw_walk_stats st;

	memset(&st, 0, sizeof(st));
	for (uint64_t n = 0; a < end && n < bound; n++) {
		uint64_t w[4];
		struct hw_frag f;

		if (o && o->meet && a == o->meet) {
			st.met = true;
			break;
		}
		if (!frag_at(t, l, a, end, st.frags, ck, w))
			break;
		memset(&f, 0, sizeof(f));
		f.index = st.frags;
		f.addr = a;
		f.user = a + l->frag_size;
		f.size = w[l->f_size / 8];
		f.span = l->frag_size + f.size;
		f.used = w[l->f_state / 8] == HW_TOY_USED;
		f.free_link = f.used ? 0 : w[l->f_next_free / 8];
		st.frags++;
		if (f.used) {
			st.used_frags++;
			st.used_bytes += f.size;
		} else {
			st.free_frags++;
			st.free_bytes += f.size;
		}
		a += f.span;
		if (fn && fn(arg, &f)) {
			st.stopped = true;
			break;
		}
	}
	st.end = a;
	st.complete = a == end;
	if (st.complete && !split && st.used_bytes != h->used)
		finding(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			"the block's used and the used fragments differ", h->used, st.used_bytes);
	*ret = st;
	return NULL;
}

static struct hw_error *hw_toy_walk_free_opts(const struct hw_target *t,
					      const struct hw_toy_layout *l,
					      const struct hw_heap_header *h,
					      const struct hw_walk_opts *o, hw_bucket_fn fn,
					      void *arg, struct hw_check *ck)
{
	const uint64_t end = h->last_frag_end;
	uint64_t bound = (end - h->block) / l->frag_size + 1;
	struct hw_free_bucket b;
	uint64_t a;

	memset(&b, 0, sizeof(b));
	b.no = h->ffrags;
	if (!hw_probe_word(t, h->block + l->b_free_head, &a))
		return hw_error_create(HW_ERR_FAULT,
				       "cannot read the toy free list head at 0x%" PRIx64,
				       h->block + l->b_free_head);
	while (a && b.count < bound) {
		uint64_t w[4];

		if (a < h->first_frag || !frag_at(t, l, a, end, HW_NO_INDEX, ck, w))
			break;
		if (w[l->f_state / 8] != HW_TOY_FREE) {
			finding(ck, HW_SEV_ERROR, a, HW_NO_INDEX,
				"the free list holds a used fragment", a, 0);
			break;
		}
		if (o && o->elem)
			o->elem(o->elem_arg, 0, a, w[l->f_size / 8]);
		if (!b.count)
			b.first_size = w[l->f_size / 8];
		b.count++;
		b.bytes += w[l->f_size / 8];
		a = w[l->f_next_free / 8];
	}
	if (a && b.count >= bound)
		finding(ck, HW_SEV_ERROR, h->block, HW_NO_INDEX, "the free list does not end", a,
			0);
	if (b.count != h->ffrags)
		finding(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			"the free list and the block's nfree differ", b.count, h->ffrags);
	if (b.count && fn)
		fn(arg, &b);
	return NULL;
}

HW_ALLOC_OPS(toy)

/* clang-format off */
#define TOY(n) {#n, offsetof(struct hw_toy_layout, n)}
static const struct hw_layout_field toy_fields[] = {
	TOY(word), TOY(roundto), TOY(block_size), TOY(b_magic), TOY(b_size), TOY(b_used),
	TOY(b_real_used), TOY(b_max_real_used), TOY(b_free_head), TOY(b_nfree),
	TOY(frag_size), TOY(f_size), TOY(f_state), TOY(f_next_free),
};
/* clang-format on */

static void toy_describe(const struct hw_layout_head *h, struct hw_layout_facts *f)
{
	const struct hw_toy_layout *l = toy_of(h);

	f->era = hw_toy_era_name(l->era);
	f->debug = l->debug;
	f->word = l->word;
	f->roundto = l->roundto;
	snprintf(f->sizes, sizeof(f->sizes), "fragment header %u, block %u", l->frag_size,
		 l->block_size);
	snprintf(f->header, sizeof(f->header), "%u", l->frag_size);
	f->first = l->block_size;
}

static int toy_era_of_version(int major, int minor)
{
	(void)major;
	(void)minor;
	return -1;
}

static int toy_fit(const struct hw_target *t, const struct hw_layout_head *h, uint64_t block,
		   uint64_t *got)
{
	uint64_t magic;

	if (!hw_probe_word(t, block + toy_of(h)->b_magic, &magic))
		return -1;
	*got = magic;
	return magic == HW_TOY_MAGIC ? 4 : -1;
}

static void toy_fit_text(const struct hw_layout_head *l, char *buf, size_t cap)
{
	(void)l;
	snprintf(buf, cap, "the block starts with the toy magic");
}

static void toy_misfit_text(uint64_t block, uint64_t got, char *buf, size_t cap)
{
	snprintf(buf, cap, "no toy block at 0x%" PRIx64 " (magic 0x%" PRIx64 ")", block, got);
}

static uint64_t toy_heap_end(const struct hw_layout_head *l, const struct hw_heap_header *h)
{
	(void)l;
	return h->last_frag_end;
}

static void toy_kam_stats(struct hw_sbuf *sb, const struct hw_layout_head *l,
			  const struct hw_heap_header *h, const struct hw_free_bucket *b, size_t nb)
{
	(void)l;
	(void)b;
	(void)nb;
	hw_kam_status_header(sb, h);
}

static void toy_kam_begin(struct hw_sbuf *sb, const struct hw_layout_head *l,
			  const struct hw_heap_header *h)
{
	(void)l;
	hw_kam_status_header(sb, h);
}

static void toy_kam_frag(struct hw_sbuf *sb, const struct hw_layout_head *l,
			 const struct hw_frag *f, const char *file, const char *func)
{
	(void)l;
	(void)file;
	(void)func;
	hw_sbuf_printf(sb, "%" PRIu64 ". %s size=%" PRIu64 "\n", f->index,
		       f->used ? "used" : "free", f->size);
}

static void toy_kam_end(struct hw_sbuf *sb, const struct hw_layout_head *l,
			const struct hw_heap_header *h, const struct hw_free_bucket *b, size_t nb)
{
	(void)sb;
	(void)l;
	(void)h;
	(void)b;
	(void)nb;
}

const struct hw_allocator hw_allocator_toy = {
    .name = "toy_malloc",
    .key = "toy",
    HW_ALLOC_OPS_INIT(toy),
    .describe = toy_describe,
    .fields = toy_fields,
    .nfields = sizeof(toy_fields) / sizeof(toy_fields[0]),
    .fit = toy_fit,
    .era_of_version = toy_era_of_version,
    .fit_text = toy_fit_text,
    .misfit_text = toy_misfit_text,
    .got_label = "magic",
    .heap_end = toy_heap_end,
    .kam = {.stats = toy_kam_stats,
	    .sums_head = hw_kam_sums_plain,
	    .status_begin = toy_kam_begin,
	    .status_frag = toy_kam_frag,
	    .status_end = toy_kam_end},
};
