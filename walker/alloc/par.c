/*
 * par.c - OpenSIPS 3.6+'s parallel shm pools (f_parallel_malloc): the
 * pools of shm_blocks walked as one pool, or one of them alone (its block
 * given with --block). Each pool is an f_malloc heap of OpenSIPS 3.3's
 * kind: fm.c walks it over the layout's fm part, pool after pool in
 * address order (OpenSIPS maps them from the top down); the fragment
 * indices run on over the pools. The free lists go in shm_blocks' order, a
 * list's bucket index is pool * hash_size + bucket when there are several.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/check.h"
#include "ops.h"

static inline const struct hw_par_layout *par_of(const struct hw_layout_head *l)
{
	return (const struct hw_par_layout *)(const void *)l;
}

static inline const struct hw_fm_layout *fm_of(const struct hw_layout_head *l)
{
	return &par_of(l)->fm;
}

/* Whether @block is a pool of @l: its first fragment right behind it, its sentinel at its end. */
static bool is_block(const struct hw_target *t, const struct hw_par_layout *p, uint64_t block,
		     uint64_t *got)
{
	const struct hw_fm_layout *l = &p->fm;
	uint64_t ff, lf, size, idx;

	if (!hw_probe_word(t, block + l->b_first_frag, &ff))
		return false;
	if (got)
		*got = ff - block;
	return ff - block == l->first_off && hw_probe_word(t, block + l->b_size, &size) &&
	       hw_probe_word(t, block + l->b_last_frag, &lf) && size > l->first_off &&
	       lf == block + size - l->frag_size && hw_probe_sized(t, block + p->b_idx, 4, &idx) &&
	       idx < p->pools;
}

/* The pools' blocks: @block itself, or the array of p->pools of them (shm_blocks) at @block. */
static struct hw_error *pool_blocks(const struct hw_target *t, const struct hw_par_layout *p,
				    uint64_t block, uint64_t *out, uint32_t *n)
{
	if (p->pools == 0 || p->pools > HW_PAR_POOLS_MAX)
		return hw_error_create(HW_ERR_INVALID_ARG, "%u parallel pools", p->pools);
	if (is_block(t, p, block, NULL)) {
		out[0] = block;
		*n = 1;
		return NULL;
	}
	for (uint32_t i = 0; i < p->pools; i++) {
		struct hw_error *err = hw_target_read_word(t, block + i * p->fm.word, &out[i]);
		if (err)
			return hw_error_context(err, "reading shm_blocks[%u] at 0x%" PRIx64, i,
						block + i * p->fm.word);
		if (!is_block(t, p, out[i], NULL))
			return hw_error_create(
			    HW_ERR_BAD_DATA,
			    "0x%" PRIx64 " is neither a parallel pool's block nor an array of "
			    "them: shm_blocks[%u] = 0x%" PRIx64 " is no block",
			    block, i, out[i]);
	}
	*n = p->pools;
	return NULL;
}

static struct hw_error *par_read_header(const struct hw_target *t, const struct hw_layout_head *hd,
					uint64_t block, struct hw_heap_header *ret)
{
	const struct hw_par_layout *p = par_of(hd);
	uint64_t blocks[HW_PAR_POOLS_MAX];
	struct hw_heap_header h, ph;
	uint32_t n = 0;
	struct hw_error *err = pool_blocks(t, p, block, blocks, &n);

	if (err)
		return err;
	memset(&h, 0, sizeof(h));
	for (uint32_t i = 0; i < n; i++) {
		err = hw_fm_read_header(t, &p->fm, blocks[i], &ph);
		if (err)
			return n > 1 ? hw_error_context(err, "parallel pool %u", i) : err;
		if (n == 1) {
			h = ph;
		} else {
			if (!i || ph.block < h.block) {
				h.block = ph.block;
				h.first_frag = ph.first_frag;
			}
			if (!i || ph.last_frag_end > h.last_frag_end)
				h.last_frag_end = ph.last_frag_end;
			h.size += ph.size;
			h.used += ph.used;
			h.real_used += ph.real_used;
			h.max_real_used += ph.max_real_used;
			h.no_counters = ph.no_counters;
		}
		h.parts[i] = (struct hw_heap_part){
		    ph.block, ph.size, ph.used, ph.real_used, ph.max_real_used, ph.last_frag_end};
	}
	h.nparts = n;
	*ret = h;
	return NULL;
}

/* The header of pool @i of @h (re-read: the walk follows what the pool says now). */
static struct hw_error *part_header(const struct hw_target *t, const struct hw_fm_layout *l,
				    const struct hw_heap_header *h, uint32_t i,
				    struct hw_heap_header *ret)
{
	if (h->nparts <= 1) {
		*ret = *h;
		return NULL;
	}
	return hw_fm_read_header(t, l, h->parts[i].block, ret);
}

struct relay {
	hw_frag_fn fn;
	hw_bucket_fn bfn;
	void *arg;
	uint64_t base; /* fragments of the pools before / the bucket offset of this pool */
	void (*elem)(void *arg, uint64_t bucket, uint64_t addr, uint64_t size);
	void *elem_arg;
};

static int relay_frag(void *arg, const struct hw_frag *f)
{
	const struct relay *r = arg;
	struct hw_frag g = *f;

	g.index += r->base;
	return r->fn(r->arg, &g);
}

static int relay_bucket(void *arg, const struct hw_free_bucket *b)
{
	const struct relay *r = arg;
	struct hw_free_bucket c = *b;

	c.index += r->base;
	return r->bfn(r->arg, &c);
}

static void relay_elem(void *arg, uint64_t bucket, uint64_t addr, uint64_t size)
{
	const struct relay *r = arg;

	r->elem(r->elem_arg, bucket + r->base, addr, size);
}

static struct hw_error *par_walk(const struct hw_target *t, const struct hw_layout_head *hd,
				 const struct hw_heap_header *h, const struct hw_walk_opts *o,
				 hw_frag_fn fn, void *arg, struct hw_check *ck,
				 struct hw_walk_stats *ret)
{
	const struct hw_fm_layout *l = fm_of(hd);
	const uint32_t n = h->nparts > 1 ? h->nparts : 1;
	struct relay r = {.fn = fn, .arg = arg};
	struct hw_walk_stats all, st;
	bool broken = false;
	uint32_t order[HW_PAR_POOLS_MAX];

	if (o && (o->from || o->meet))
		return hw_error_create(HW_ERR_UNSUPPORTED, "no split walk of the parallel pools");
	/* the pools by address: a walk's fragments come in address order */
	for (uint32_t i = 0, j; i < n; i++) {
		for (j = i; j > 0 && h->parts[order[j - 1]].block > h->parts[i].block; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	memset(&all, 0, sizeof(all));
	all.complete = true;
	for (uint32_t k = 0; k < n; k++) {
		const uint32_t i = order[k];
		struct hw_heap_header ph;
		struct hw_check pc; /* the pool's findings, their indices then made the view's */
		struct hw_error *err = part_header(t, l, h, i, &ph);
		hw_check_init(&pc, ck ? ck->max : 0);
		if (!err)
			err = hw_fm_walk_opts(t, l, &ph, o, fn ? relay_frag : NULL, &r, &pc, &st);
		if (ck)
			hw_check_append(ck, &pc, r.base);
		else
			hw_check_deinit(&pc);
		if (err)
			return n > 1 ? hw_error_context(err, "parallel pool %u", i) : err;
		all.frags += st.frags;
		all.used_frags += st.used_frags;
		all.free_frags += st.free_frags;
		all.used_bytes += st.used_bytes;
		all.free_bytes += st.free_bytes;
		all.gaps += st.gaps;
		all.gap_bytes += st.gap_bytes;
		r.base += st.frags;
		if (!st.complete && !broken) {
			broken = true;
			all.complete = false;
			all.end = st.end;
		}
		if (!broken)
			all.end = st.end;
		if (st.stopped) {
			all.stopped = true;
			all.complete = false;
			break;
		}
	}
	*ret = all;
	return NULL;
}

static struct hw_error *par_walk_free(const struct hw_target *t, const struct hw_layout_head *hd,
				      const struct hw_heap_header *h, const struct hw_walk_opts *o,
				      hw_bucket_fn fn, void *arg, struct hw_check *ck)
{
	const struct hw_fm_layout *l = fm_of(hd);
	const uint32_t n = h->nparts > 1 ? h->nparts : 1;
	struct relay r = {.bfn = fn, .arg = arg};
	struct hw_walk_opts oo;

	if (o) {
		oo = *o;
		if (o->elem) {
			r.elem = o->elem;
			r.elem_arg = o->elem_arg;
			oo.elem = relay_elem;
			oo.elem_arg = &r;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		struct hw_heap_header ph;
		struct hw_error *err = part_header(t, l, h, i, &ph);
		r.base = n > 1 ? (uint64_t)i * l->hash_size : 0;
		if (!err)
			err = hw_fm_walk_free_opts(t, l, &ph, o ? &oo : NULL,
						   fn ? relay_bucket : NULL, &r, ck);
		if (err)
			return n > 1 ? hw_error_context(err, "parallel pool %u", i) : err;
	}
	return NULL;
}

static uint64_t par_heap_end(const struct hw_layout_head *l, const struct hw_heap_header *h)
{
	(void)l;
	return h->last_frag_end; /* the highest pool's sentinel */
}

/* ---- layouts ---- */

static size_t par_op_profiles(void *out, size_t cap)
{
	return hw_par_profiles(out, cap);
}

static struct hw_error *par_op_profile_by_name(const char *name, void *ret)
{
	return hw_par_profile_by_name(name, ret);
}

static const char *par_op_era_name(int era)
{
	return hw_par_era_name(era);
}

static struct hw_error *par_op_dwarf(struct hw_dwarf *dw, uint32_t word, void *ret)
{
	return hw_par_layout_from_dwarf(dw, word, ret);
}

/* clang-format off */
#define PF(n) {#n, offsetof(struct hw_par_layout, fm.n)}
#define PP(n) {#n, offsetof(struct hw_par_layout, n)}
static const struct hw_layout_field par_fields[] = {
	PF(word),	    PF(roundto),	PF(frag_size),	     PF(f_size),
	PF(f_u),	    PF(f_prv_free),	PF(f_file),	     PF(f_func),
	PF(f_line),	    PP(f_block_ptr),	PF(f_stat),	     PF(block_size),
	PF(b_size),	    PF(b_frags_used),	PF(b_used),	     PF(b_real_used),
	PF(b_max_real_used), PP(b_idx),		PF(b_first_frag),    PF(b_last_frag),
	PF(b_free_hash),    PF(lnk_size),	PF(l_first),	     PF(l_no),
	PF(hash_size),	    PF(optimize),	PF(optimize_factor), PF(first_off),
	PP(pools),
};
/* clang-format on */

static void par_describe(const struct hw_layout_head *h, struct hw_layout_facts *f)
{
	const struct hw_par_layout *p = par_of(h);
	const struct hw_fm_layout *l = &p->fm;

	f->era = hw_par_era_name(l->era);
	f->debug = l->debug;
	f->word = l->word;
	f->roundto = l->roundto;
	snprintf(f->sizes, sizeof(f->sizes),
		 "fragment header %u (no trailer), block %u, first fragment at +%u, %u hash "
		 "buckets, free when prev is set, %u pools (shm_blocks)",
		 l->frag_size, l->block_size, l->first_off, l->hash_size, p->pools);
	snprintf(f->header, sizeof(f->header), "%u", l->frag_size);
	f->first = l->first_off;
}

/* ---- recognising a block ---- */

static int par_era_of_version(int major, int minor)
{
	(void)major;
	(void)minor;
	return -1; /* Kamailio has none */
}

/* A pool (3), or an array of them (4): the whole shm */
static int par_fit(const struct hw_target *t, const struct hw_layout_head *hd, uint64_t block,
		   uint64_t *got)
{
	const struct hw_par_layout *p = par_of(hd);
	uint64_t b;

	if (is_block(t, p, block, got))
		return 3;
	if (p->pools == 0 || p->pools > HW_PAR_POOLS_MAX)
		return -1;
	for (uint32_t i = 0; i < p->pools; i++)
		if (!hw_probe_word(t, block + i * p->fm.word, &b) || !is_block(t, p, b, got))
			return -1;
	return 4;
}

static void par_fit_text(const struct hw_layout_head *l, char *buf, size_t cap)
{
	snprintf(buf, cap, "every pool's first_frag-block=%u and sentinel match",
		 fm_of(l)->first_off);
}

static void par_misfit_text(uint64_t block, uint64_t got, char *buf, size_t cap)
{
	snprintf(buf, cap,
		 "no built-in parallel-pool layout matches 0x%" PRIx64
		 " (as a pool: first fragment at block+%" PRIu64
		 ") or the pools it points at; try --layout or a debug file",
		 block, got);
}

static void par_unfilled(struct hw_layout_head *hd)
{
	struct hw_fm_layout *l = &((struct hw_par_layout *)(void *)hd)->fm;

	l->debug = false;
	l->f_file = l->f_func = l->f_line = HW_NO_OFF;
}

/* The parallel pools serve shm only. */
static int par_pool_kind(const struct hw_target *t, const struct hw_layout_head *l, uint64_t block)
{
	(void)t;
	(void)l;
	(void)block;
	return HW_POOL_SHM;
}

/* ---- Kamailio's text: f_malloc's over the sums; OpenSIPS's: one fm_status per pool ---- */

static void par_kam_stats(struct hw_sbuf *sb, const struct hw_layout_head *l,
			  const struct hw_heap_header *h, const struct hw_free_bucket *b, size_t nb)
{
	hw_allocator_fm.kam.stats(sb, l, h, b, nb);
}

static void par_kam_header(struct hw_sbuf *sb, const struct hw_layout_head *l,
			   const struct hw_heap_header *h)
{
	hw_allocator_fm.kam.status_begin(sb, l, h);
}

static void par_kam_frag(struct hw_sbuf *sb, const struct hw_layout_head *l,
			 const struct hw_frag *f, const char *file, const char *func)
{
	hw_allocator_fm.kam.status_frag(sb, l, f, file, func);
}

static void par_kam_end(struct hw_sbuf *sb, const struct hw_layout_head *l,
			const struct hw_heap_header *h, const struct hw_free_bucket *b, size_t nb)
{
	hw_allocator_fm.kam.status_end(sb, l, h, b, nb);
}

/* parallel_status prints every pool's status and lists under "Memory status": free_lists */
static void par_os_status(struct hw_sbuf *sb, const struct hw_layout_head *l,
			  const struct hw_heap_header *h)
{
	(void)sb;
	(void)l;
	(void)h;
}

static void par_os_free_lists(struct hw_sbuf *sb, const struct hw_layout_head *hd,
			      const struct hw_heap_header *h, const struct hw_free_bucket *bk,
			      size_t nb)
{
	const struct hw_fm_layout *l = fm_of(hd);
	const uint32_t n = h->nparts > 1 ? h->nparts : 1;
	struct hw_free_bucket *mine = nb ? malloc(nb * sizeof(*mine)) : NULL;

	if (nb && !mine) {
		hw_sbuf_puts(sb, "<out of memory>\n");
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct hw_heap_header ph = *h;
		uint64_t lo = n > 1 ? (uint64_t)i * l->hash_size : 0, hi = lo + l->hash_size;
		size_t k = 0;
		if (n > 1) {
			ph.block = h->parts[i].block;
			ph.size = h->parts[i].size;
			ph.used = h->parts[i].used;
			ph.real_used = h->parts[i].real_used;
			ph.max_real_used = h->parts[i].max_real_used;
		}
		for (size_t j = 0; j < nb; j++)
			if (n == 1 || (bk[j].index >= lo && bk[j].index < hi)) {
				mine[k] = bk[j];
				mine[k++].index -= lo;
			}
		hw_os_status_header(sb, "fm", &ph, ph.size - ph.used);
		hw_allocator_fm.os.free_lists(sb, hd, &ph, mine, k);
	}
	free(mine);
}

const struct hw_allocator hw_allocator_par = {
    .name = "f_parallel_malloc",
    .key = "par",
    .gdb_id = 5,
    .layout_size = sizeof(struct hw_par_layout),
    .profiles = par_op_profiles,
    .profile_by_name = par_op_profile_by_name,
    .era_name = par_op_era_name,
    .layout_from_dwarf = par_op_dwarf,
    .describe = par_describe,
    .fields = par_fields,
    .nfields = sizeof(par_fields) / sizeof(par_fields[0]),
    .fit = par_fit,
    .era_of_version = par_era_of_version,
    .fit_text = par_fit_text,
    .misfit_text = par_misfit_text,
    .got_label = "first fragment at block+",
    .unfilled = par_unfilled,
    .os_root = "shm_blocks",
    .os_dbg_unfilled = true,
    .pool_kind = par_pool_kind,
    .read_header = par_read_header,
    .walk = par_walk,
    .walk_free = par_walk_free,
    .heap_end = par_heap_end,
    .kam = {.stats = par_kam_stats,
	    .sums_head = hw_kam_sums_plain,
	    .status_begin = par_kam_header,
	    .status_frag = par_kam_frag,
	    .status_end = par_kam_end},
    .os = {.site_title = " dumping summary of all alloc'ed. fragments:",
	   .status = par_os_status,
	   .site_rule = "------------+---------------------------------------",
	   .free_lists = par_os_free_lists},
};
