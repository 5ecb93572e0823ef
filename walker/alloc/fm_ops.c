/* fm_ops.c - f_malloc as a struct hw_allocator: recognising it, describing it, its log text. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "heapwalk/tally.h"
#include "ops.h"

HW_ALLOC_OPS(fm)

/* clang-format off */
#define FM(n) {#n, offsetof(struct hw_fm_layout, n)}
static const struct hw_layout_field fm_fields[] = {
	FM(word),	     FM(roundto),      FM(frag_size),	  FM(f_size),
	FM(f_u),	     FM(f_prv_free),   FM(f_is_free),	  FM(f_is_free_size),
	FM(f_next_free),     FM(f_prev_free),  FM(f_link),	  FM(f_file),
	FM(f_func),	     FM(f_mname),      FM(f_line),	  FM(f_check),
	FM(f_check_size),    FM(block_size),   FM(b_type),	  FM(b_size),
	FM(b_used),	     FM(b_real_used),  FM(b_max_real_used), FM(b_ffrags),
	FM(b_first_frag),    FM(b_last_frag),  FM(b_free_bitmap), FM(b_free_hash),
	FM(bitmap_words),    FM(lnk_size),     FM(l_first),	  FM(l_no),
	FM(hash_size),	     FM(optimize),     FM(optimize_factor), FM(first_off),
	FM(init_headers),    FM(b_large_space),
};
static const struct hw_layout_field fm_flags[] = {
	{"stats", offsetof(struct hw_fm_layout, stats)},
};
/* clang-format on */

static void fm_describe(const struct hw_layout_head *h, struct hw_layout_facts *f)
{
	const struct hw_fm_layout *l = fm_of(h);

	f->era = hw_fm_era_name(l->era);
	f->debug = l->debug;
	f->word = l->word;
	f->roundto = l->roundto;
	snprintf(f->sizes, sizeof(f->sizes),
		 "fragment header %u (no trailer), block %u, first fragment at +%u, %u hash "
		 "buckets, %s, %s",
		 l->frag_size, l->block_size, l->first_off, l->hash_size,
		 l->bitmap_words ? "free bitmap" : "no free bitmap",
		 hw_fm_flag_era(l->era)	  ? "free flag in the header"
		 : l->era == HW_FM_ERA_42 ? "free when prv_free is set"
		 : hw_fm_prv_era(l->era)  ? "free when prev is set"
					  : "free state from the free lists");
	snprintf(f->header, sizeof(f->header), "%u", l->frag_size);
	f->first = l->first_off;
}

static struct hw_error *fm_op_dwarf(struct hw_dwarf *dw, uint32_t word, void *ret)
{
	return hw_fm_layout_from_dwarf(dw, word, ret);
}

/* ---- recognising a block ---- */

static int fm_era_of_version(int major, int minor)
{
	if (major < 0)
		return -1;
	if (major < 3) /* SER 0.x, OpenSER 1.x, Kamailio 1.4/1.5 */
		return HW_FM_ERA_SER;
	if (major == 3 || (major == 4 && minor <= 1))
		return HW_FM_ERA_OLD;
	if (major == 4 && minor <= 3)
		return HW_FM_ERA_42;
	if (major == 4 || (major == 5 && minor <= 7))
		return HW_FM_ERA_44;
	return HW_FM_ERA_58;
}

static int fm_fit(const struct hw_target *t, const struct hw_layout_head *hd, uint64_t block,
		  uint64_t *got)
{
	const struct hw_fm_layout *l = fm_of(hd);
	uint64_t ff, lf, size, chk, type, ssize;
	int score = 4;

	if (!hw_probe_word(t, block + l->b_first_frag, &ff))
		return -1;
	*got = ff - block;
	if (ff - block != l->first_off)
		return -1;
	if (!hw_probe_word(t, block + l->b_size, &size) ||
	    !hw_probe_word(t, block + l->b_last_frag, &lf) || lf != block + size - l->frag_size)
		return -1;
	if (l->b_type != HW_NO_OFF && (!hw_probe_sized(t, block + l->b_type, 4, &type) || type > 1))
		return -1;
	if (l->f_check != HW_NO_OFF &&
	    (!hw_probe_sized(t, ff + l->f_check, l->f_check_size, &chk) || chk != HW_QM_ST_CHECK))
		return -1;
	if (l->product == HW_PRODUCT_OPENSIPS) {
		/* 3.4+: the first fragment has no pf, the sentinel's is a fragment of the heap;
		 * without pf the same word holds something else (file, statistic_index) */
		uint64_t fpf = 1, spf = 0;
		uint32_t at = 3 * l->word;
		bool pf_like = hw_probe_word(t, ff + at, &fpf) && fpf == 0 &&
			       hw_probe_word(t, lf + at, &spf) && spf >= ff && spf < lf;
		if (l->f_pf != HW_NO_OFF && !pf_like)
			return -1;
		if (l->f_pf == HW_NO_OFF && pf_like)
			score--;
	}
	if (l->era >= HW_FM_ERA_42) {
		if (hw_probe_word(t, lf + l->f_size, &ssize) && ssize == 0)
			score++;
		if (l->f_check != HW_NO_OFF &&
		    hw_probe_sized(t, lf + l->f_check, l->f_check_size, &chk) &&
		    chk == HW_QM_END_CHECK1)
			score++;
	}
	return score;
}

/* Builds with STATISTICS / MALLOC_STATS keep the counters. */
static int fm_prefer(const struct hw_layout_head *l, const struct hw_instance *inst, int want)
{
	(void)want;
	return (strstr(inst->flags, "STATISTICS") || strstr(inst->flags, "MALLOC_STATS")) &&
	       fm_of(l)->stats;
}

static void fm_fit_text(const struct hw_layout_head *l, char *buf, size_t cap)
{
	snprintf(buf, cap, "block fingerprint first_frag-block=%u matches", fm_of(l)->first_off);
}

static void fm_misfit_text(uint64_t block, uint64_t got, char *buf, size_t cap)
{
	snprintf(buf, cap,
		 "no built-in f_malloc layout matches the block at 0x%" PRIx64
		 " (first fragment at block+%" PRIu64 "); try --layout or a debug file",
		 block, got);
}

static struct hw_error *fm_split(const struct hw_target *t, const struct hw_layout_head *l,
				 const struct hw_heap_header *h, unsigned n, uint64_t *pts,
				 unsigned *np)
{
	return hw_fm_split_points(t, fm_of(l), h, n, pts, np);
}

static void fm_check_counters(const struct hw_layout_head *l, const struct hw_heap_header *h,
			      const struct hw_walk_stats *st, struct hw_check *ck)
{
	hw_fm_check_counters(fm_of(l), h, st, ck);
}

/* Structure of a debug build, none of its contents: no sites. */
static void fm_unfilled(struct hw_layout_head *hd)
{
	struct hw_fm_layout *l = (struct hw_fm_layout *)(void *)hd;

	l->debug = false;
	l->f_file = l->f_func = l->f_line = l->f_check = HW_NO_OFF;
	l->f_check_size = 0;
}

static int fm_pool_kind(const struct hw_target *t, const struct hw_layout_head *l, uint64_t block)
{
	return hw_probe_pool_type(t, block, fm_of(l)->b_type);
}

/* ---- walking ---- */

static uint64_t fm_heap_end(const struct hw_layout_head *hd, const struct hw_heap_header *h)
{
	const struct hw_fm_layout *l = fm_of(hd);
	uint64_t e;

	/* <= 4.1 the last fragment runs over the sentinel header */
	if (l->era < HW_FM_ERA_42)
		return __builtin_add_overflow(h->last_frag_end, l->frag_size, &e) ? UINT64_MAX : e;
	return h->last_frag_end;
}

/* Before 4.2 only the free lists know which fragments are free. */
static bool fm_free_flag(const struct hw_layout_head *l)
{
	return fm_of(l)->era >= HW_FM_ERA_42;
}

/* ---- fm_status, fm_sums: blank-led lines; the counters only where the build keeps them ---- */

static void fm_kam_header(struct hw_sbuf *sb, const struct hw_layout_head *l,
			  const struct hw_heap_header *h)
{
	(void)l;
	hw_sbuf_puts(sb, "fm_status (");
	hw_kam_ptr(sb, h->block);
	hw_sbuf_puts(sb, "):\n");
	hw_sbuf_printf(sb, " heap size= %" PRId64 "\n", (int64_t)h->size);
	if (h->no_counters)
		return;
	hw_sbuf_printf(sb, " used= %" PRIu64 ", used+overhead=%" PRIu64 ", free=%" PRIu64 "\n",
		       h->used, h->real_used, h->size - h->real_used);
	hw_sbuf_printf(sb, " max used (+overhead)= %" PRIu64 "\n", h->max_real_used);
}

static void fm_kam_stats(struct hw_sbuf *sb, const struct hw_layout_head *l,
			 const struct hw_heap_header *h, const struct hw_free_bucket *b, size_t nb)
{
	(void)b;
	(void)nb;
	fm_kam_header(sb, l, h);
}

/* fm_status lists no fragments, only the free lists */
static void fm_kam_frag(struct hw_sbuf *sb, const struct hw_layout_head *l, const struct hw_frag *f,
			const char *file, const char *func)
{
	(void)sb;
	(void)l;
	(void)f;
	(void)file;
	(void)func;
}

static void fm_os_status(struct hw_sbuf *sb, const struct hw_layout_head *l,
			 const struct hw_heap_header *h)
{
	(void)l;
	hw_os_status_header(sb, "fm", h, h->size - h->used);
}

static void fm_os_free_lists(struct hw_sbuf *sb, const struct hw_layout_head *hd,
			     const struct hw_heap_header *h, const struct hw_free_bucket *bk,
			     size_t nb)
{
	const struct hw_fm_layout *l = fm_of(hd);
	uint64_t frags = 0, bytes = 0;

	hw_sbuf_puts(sb, "dumping free list:\n");
	for (size_t i = 0; i < nb; i++) {
		if (!bk[i].count)
			continue;
		hw_os_bucket(sb, false, &bk[i], hw_fm_unhash(l, bk[i].index),
			     bk[i].index <= l->optimize / l->roundto);
		frags += bk[i].count;
		bytes += bk[i].bytes;
	}
	hw_sbuf_printf(sb, "TOTAL: %6d free fragments = %6" PRIu64 " free bytes\n", (int)frags,
		       bytes);
	if (h->has_large_space)
		hw_sbuf_printf(sb, "TOTAL: %" PRIu64 " large bytes\n", h->large_space);
	hw_sbuf_printf(sb, "TOTAL: %u overhead\n", l->frag_size);
	hw_sbuf_puts(sb, "-----------------------------\n");
}

static void fm_kam_end(struct hw_sbuf *sb, const struct hw_layout_head *hd,
		       const struct hw_heap_header *h, const struct hw_free_bucket *bk, size_t nb)
{
	const struct hw_fm_layout *l = fm_of(hd);
	uint64_t small = l->optimize / l->roundto, total = 0, bytes = 0;

	(void)h;
	hw_sbuf_puts(sb, "dumping free list:\n");
	for (size_t i = 0; i < nb; i++) {
		const struct hw_free_bucket *b = &bk[i];
		uint64_t lo = hw_fm_unhash(l, b->index);
		hw_sbuf_printf(
		    sb,
		    "hash = %3" PRIu64 " fragments no.: %5" PRIu64 ", unused: %5d\n"
		    "\t\t bucket size: %9" PRIu64 " - %9" PRIu64 " (first %9" PRIu64 ")\n",
		    b->index, b->count, 0, lo, b->index <= small ? lo : 2 * lo, b->first_size);
		total += b->count;
		bytes += b->bytes;
	}
	hw_sbuf_printf(sb, "TOTAL: %6" PRIu64 " free fragments = %6" PRIu64 " free bytes\n", total,
		       bytes);
	hw_sbuf_puts(sb, "-----------------------------\n");
}

/* stats' tally of the lists (tally.h): the unsorted buckets, up to F_MALLOC_OPTIMIZE. */
static uint64_t fm_tally_bucket(const struct hw_layout_head *l, uint64_t size)
{
	const struct hw_fm_layout *fl = fm_of(l);

	return size <= fl->optimize ? hw_fm_hash(fl, size) : UINT64_MAX;
}

static bool fm_tally_setup(const struct hw_layout_head *l, const struct hw_heap_header *h,
			   struct hw_list_tally *t)
{
	const struct hw_fm_layout *fl = fm_of(l);

	(void)h;
	if (!hw_fm_flag_era(fl->era) || !fl->hash_size || fl->f_link == HW_NO_OFF ||
	    fl->f_prev_free == HW_NO_OFF)
		return false;
	t->bucket = fm_tally_bucket;
	/* the exact buckets: size / ROUNDTO, a power of two */
	if (fl->roundto && !(fl->roundto & (fl->roundto - 1)) &&
	    hw_fm_hash(fl, fl->optimize) == fl->optimize / fl->roundto) {
		t->linear_max = fl->optimize;
		t->linear_shift = (unsigned)__builtin_ctzll(fl->roundto);
	}
	t->end = 0;
	t->covered = hw_fm_hash(fl, fl->optimize) + 1;
	if (t->covered > fl->hash_size)
		t->covered = fl->hash_size;
	return true;
}

const struct hw_allocator hw_allocator_fm = {
    .name = "f_malloc",
    .key = "fm",
    .gdb_id = 2,
    HW_ALLOC_OPS_INIT(fm),
    .layout_from_dwarf = fm_op_dwarf,
    .describe = fm_describe,
    .fields = fm_fields,
    .nfields = sizeof(fm_fields) / sizeof(fm_fields[0]),
    .flags = fm_flags,
    .nflags = sizeof(fm_flags) / sizeof(fm_flags[0]),
    .sym_pkg = "fm_malloc",
    .sym_shm = "fm_shm_malloc",
    .fit = fm_fit,
    .era_of_version = fm_era_of_version,
    .prefer = fm_prefer,
    .fit_text = fm_fit_text,
    .misfit_text = fm_misfit_text,
    .debug_evidence = "first fragment carries the start check pattern",
    .got_label = "first fragment at block+",
    .unfilled = fm_unfilled,
    .pool_kind = fm_pool_kind,
    .heap_end = fm_heap_end,
    .split_points = fm_split,
    .check_counters = fm_check_counters,
    .free_flag = fm_free_flag,
    .tally_setup = fm_tally_setup,
    .kam = {.stats = fm_kam_stats,
	    .sums_head = hw_kam_sums_plain,
	    .status_begin = fm_kam_header,
	    .status_frag = fm_kam_frag,
	    .status_end = fm_kam_end},
    .os = {.site_title = " dumping summary of all alloc'ed. fragments:",
	   .status = fm_os_status,
	   .site_rule = "------------+---------------------------------------",
	   .free_lists = fm_os_free_lists},
};
