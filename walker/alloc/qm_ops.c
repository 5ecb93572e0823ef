/* qm_ops.c - q_malloc as a struct hw_allocator: recognising it, describing it, its log text. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#include "heapwalk/check.h"
#include "ops.h"

HW_ALLOC_OPS(qm)

/* clang-format off */
#define QM(n) {#n, offsetof(struct hw_qm_layout, n)}
static const struct hw_layout_field qm_fields[] = {
	QM(word),	     QM(roundto),	  QM(frag_size),     QM(f_size),
	QM(f_u),	     QM(f_file),	  QM(f_func),	     QM(f_mname),
	QM(f_line),	     QM(f_check),	  QM(end_size),	     QM(e_check1),
	QM(e_check2),	     QM(e_size),	  QM(e_prev_free),   QM(block_size),
	QM(b_type),	     QM(b_size),	  QM(b_used),	     QM(b_real_used),
	QM(b_max_real_used), QM(b_ffrags),	  QM(b_first_frag),  QM(b_last_frag_end),
	QM(b_free_hash),     QM(lnk_size),	  QM(l_no),	     QM(hash_size),
	QM(optimize),	     QM(optimize_factor), QM(first_off),	     QM(f_backtrace),
	QM(bt_depth),
};
/* clang-format on */

static void qm_describe(const struct hw_layout_head *h, struct hw_layout_facts *f)
{
	const struct hw_qm_layout *l = qm_of(h);

	f->era = hw_qm_era_name(l->era);
	f->debug = l->debug;
	f->word = l->word;
	f->roundto = l->roundto;
	snprintf(f->sizes, sizeof(f->sizes),
		 "fragment header %u, trailer %u, block %u, first fragment at +%u, %u hash "
		 "buckets",
		 l->frag_size, l->end_size, l->block_size, l->first_off, l->hash_size);
	snprintf(f->header, sizeof(f->header), "%u+%u", l->frag_size, l->end_size);
	f->first = l->first_off;
}

static unsigned qm_bt_depth(const struct hw_layout_head *h)
{
	const struct hw_qm_layout *l = qm_of(h);

	return l->f_backtrace == HW_NO_OFF ? 0 : l->bt_depth;
}

static size_t qm_bt(const struct hw_target *t, const struct hw_layout_head *h,
		    const struct hw_frag *f, uint64_t *out, size_t cap)
{
	return hw_qm_backtrace(t, qm_of(h), f->addr, out, cap);
}

static struct hw_error *qm_op_dwarf(struct hw_dwarf *dw, uint32_t word, void *ret)
{
	return hw_qm_layout_from_dwarf(dw, word, ret);
}

/* ---- recognising a block ---- */

static int qm_era_of_version(int major, int minor)
{
	if (major < 0)
		return -1;
	if (major < 4 || (major == 4 && minor <= 1))
		return HW_QM_ERA_OLD;
	if (major == 4 && minor <= 3)
		return HW_QM_ERA_42;
	if (major == 4 || (major == 5 && minor <= 7))
		return HW_QM_ERA_44;
	return HW_QM_ERA_58; /* 5.8+; master is told apart structurally */
}

static int qm_fit(const struct hw_target *t, const struct hw_layout_head *hd, uint64_t block,
		  uint64_t *got)
{
	const struct hw_qm_layout *l = qm_of(hd);
	uint64_t ff, chk, size, lfe, type;
	int score = 4;

	if (!hw_probe_word(t, block + l->b_first_frag, &ff))
		return -1;
	*got = ff - block;
	if (ff - block != l->first_off)
		return -1;
	/* the debug layout's start pattern on the first fragment settles debug vs not */
	if (l->debug && (!hw_probe_word(t, ff + l->f_check, &chk) || chk != l->st_check))
		return -1;
	if (l->b_type != HW_NO_OFF && hw_probe_sized(t, block + l->b_type, 4, &type) && type > 1)
		return -1;
	if (hw_probe_word(t, block + l->b_size, &size) &&
	    hw_probe_word(t, block + l->b_last_frag_end, &lfe) && lfe == block + size - l->end_size)
		score += 2;
	return score;
}

/* Non-debug 4.2-4.3 and 4.4-5.7 share one layout; the version tells the era. */
static void qm_dwarf_era(struct hw_layout_head *l, const struct hw_instance *inst)
{
	if (!l->debug && l->era == HW_QM_ERA_44 &&
	    qm_era_of_version(inst->major, inst->minor) == HW_QM_ERA_42)
		l->era = HW_QM_ERA_42;
}

static void qm_fit_text(const struct hw_layout_head *l, char *buf, size_t cap)
{
	snprintf(buf, cap, "block fingerprint first_frag-block=%u matches", qm_of(l)->first_off);
}

static void qm_misfit_text(uint64_t block, uint64_t got, char *buf, size_t cap)
{
	snprintf(buf, cap,
		 "no built-in q_malloc layout matches the block at 0x%" PRIx64
		 " (first fragment at block+%" PRIu64 "); try --layout or a debug file",
		 block, got);
}

/* Structure of a debug build, none of its contents: walked as a non-debug layout. */
static void qm_unfilled(struct hw_layout_head *hd)
{
	struct hw_qm_layout *l = (struct hw_qm_layout *)(void *)hd;

	l->debug = false;
	l->f_file = l->f_func = l->f_line = l->f_check = HW_NO_OFF;
	l->e_check1 = l->e_check2 = HW_NO_OFF;
}

static int qm_pool_kind(const struct hw_target *t, const struct hw_layout_head *l, uint64_t block)
{
	return hw_probe_pool_type(t, block, qm_of(l)->b_type);
}

/* ---- walking ---- */

static uint64_t qm_heap_end(const struct hw_layout_head *l, const struct hw_heap_header *h)
{
	uint64_t e;

	(void)l;
	return __builtin_add_overflow(h->block, h->size, &e) ? UINT64_MAX : e;
}

static struct hw_error *qm_split(const struct hw_target *t, const struct hw_layout_head *l,
				 const struct hw_heap_header *h, unsigned n, uint64_t *pts,
				 unsigned *np)
{
	return hw_qm_split_points(t, qm_of(l), h, n, pts, np);
}

static void qm_check_counters(const struct hw_layout_head *l, const struct hw_heap_header *h,
			      const struct hw_walk_stats *st, struct hw_check *ck)
{
	(void)l;
	hw_qm_check_counters(h, st, ck);
}

/* q_malloc keeps real_used = ROUNDUP(block) + fragments x overhead + used (§2.10). */
static void qm_check_totals(const struct hw_layout_head *hd, const struct hw_heap_header *h,
			    const struct hw_walk_stats *st, struct hw_check *ck)
{
	const struct hw_qm_layout *l = qm_of(hd);
	uint64_t want =
	    l->first_off + st->frags * ((uint64_t)l->frag_size + l->end_size) + st->used_bytes;
	uint64_t used_delta = h->used - st->used_bytes;

	if (h->real_used == want)
		return;
	if (h->used > st->used_bytes && h->real_used - want == used_delta)
		return; /* the realloc drift the walker already named moves both by the same */
	hw_check_add(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
		     "bookkeeping delta: used+overhead is %" PRIu64 ", the fragments account for "
		     "%" PRIu64,
		     h->real_used, want);
}

static void put_known(uint8_t *want, uint8_t *known, uint32_t len, uint32_t off, uint64_t v,
		      uint32_t w)
{
	for (uint32_t i = 0; i < w && off + i < len; i++) {
		want[off + i] = (uint8_t)(v >> (8 * i));
		known[off + i] = 1;
	}
}

/* A debug trailer: the two end patterns and the size; the free link is not known. */
static void qm_trailer_known(const struct hw_layout_head *hd, uint64_t size, uint8_t *want,
			     uint8_t *known, uint32_t len)
{
	const struct hw_qm_layout *l = qm_of(hd);

	if (!l->head.debug)
		return;
	put_known(want, known, len, l->e_check1, l->end_check1, l->head.word);
	put_known(want, known, len, l->e_check2, l->end_check2, l->head.word);
	put_known(want, known, len, l->e_size, size, l->head.word);
}

/* ---- qm_status, qm_sums ---- */

static void qm_kam_stats(struct hw_sbuf *sb, const struct hw_layout_head *l,
			 const struct hw_heap_header *h, const struct hw_free_bucket *b, size_t nb)
{
	(void)l;
	(void)b;
	(void)nb;
	hw_kam_status_header(sb, h);
}

static void qm_kam_begin(struct hw_sbuf *sb, const struct hw_layout_head *l,
			 const struct hw_heap_header *h)
{
	(void)l;
	hw_kam_status_header(sb, h);
	hw_sbuf_puts(sb, "dumping all alloc'ed. fragments:\n");
}

static void qm_kam_frag(struct hw_sbuf *sb, const struct hw_layout_head *hd,
			const struct hw_frag *f, const char *file, const char *func)
{
	const struct hw_qm_layout *l = qm_of(hd);

	hw_sbuf_printf(sb, "   %3" PRIu64 ". %c  address=", f->index, f->used ? 'N' : 'A');
	hw_kam_ptr(sb, f->user);
	hw_sbuf_puts(sb, " frag=");
	hw_kam_ptr(sb, f->addr);
	hw_sbuf_printf(sb, " size=%" PRIu64 " used=1\n", f->size);
	if (!l->debug)
		return;
	hw_sbuf_printf(sb, "          %s from %s: %s(%" PRId64 ")\n", f->used ? "alloc'd" : "freed",
		       file, func, (int64_t)f->line);
	hw_sbuf_printf(sb,
		       "         start check=%" PRIx64 ", end check= %" PRIx64 ", %" PRIx64 "\n",
		       f->check, f->end_check1, f->end_check2);
	if (f->check != l->st_check)
		hw_sbuf_printf(sb, "         * beginning overwritten(%" PRIx64 ")!\n", f->check);
	if (f->end_check1 != l->end_check1 || f->end_check2 != l->end_check2)
		hw_sbuf_printf(sb, "         * end overwritten(%" PRIx64 ", %" PRIx64 ")!\n",
			       f->end_check1, f->end_check2);
}

static void qm_os_status(struct hw_sbuf *sb, const struct hw_layout_head *l,
			 const struct hw_heap_header *h)
{
	(void)l;
	hw_os_status_header(sb, "qm", h, h->size - h->real_used);
}

static void qm_os_free_lists(struct hw_sbuf *sb, const struct hw_layout_head *hd,
			     const struct hw_heap_header *h, const struct hw_free_bucket *bk,
			     size_t nb)
{
	const struct hw_qm_layout *l = qm_of(hd);

	(void)h;
	hw_sbuf_puts(sb, " dumping free list stats :\n");
	for (size_t i = 0; i < nb; i++)
		if (bk[i].count)
			hw_os_bucket(sb, true, &bk[i], hw_qm_unhash(l, bk[i].index),
				     bk[i].index <= l->optimize / l->roundto);
	hw_sbuf_puts(sb, "-----------------------------\n");
}

static void qm_kam_end(struct hw_sbuf *sb, const struct hw_layout_head *hd,
		       const struct hw_heap_header *h, const struct hw_free_bucket *bk, size_t nb)
{
	const struct hw_qm_layout *l = qm_of(hd);
	uint64_t small = l->optimize / l->roundto;

	(void)h;
	hw_sbuf_puts(sb, "dumping free list stats :\n");
	for (size_t i = 0; i < nb; i++) {
		const struct hw_free_bucket *b = &bk[i];
		uint64_t lo = hw_qm_unhash(l, b->index);
		uint64_t hi = b->index <= small ? lo : 2 * lo;
		hw_sbuf_printf(sb,
			       "hash= %3" PRIu64 ". fragments no.: %5" PRIu64 ", unused: %5d\n"
			       "\t\t bucket size: %9" PRIu64 " - %9" PRId64 " (first %9" PRIu64
			       ")\n",
			       b->index, b->count, 0, lo, (int64_t)hi, b->first_size);
	}
	hw_sbuf_puts(sb, "-----------------------------\n");
}

const struct hw_allocator hw_allocator_qm = {
    .name = "q_malloc",
    .key = "qm",
    .gdb_id = 1,
    HW_ALLOC_OPS_INIT(qm),
    .layout_from_dwarf = qm_op_dwarf,
    .describe = qm_describe,
    .fields = qm_fields,
    .nfields = sizeof(qm_fields) / sizeof(qm_fields[0]),
    .sym_pkg = "qm_malloc",
    .sym_shm = "qm_shm_malloc",
    .fit = qm_fit,
    .era_of_version = qm_era_of_version,
    .dwarf_era = qm_dwarf_era,
    .fit_text = qm_fit_text,
    .misfit_text = qm_misfit_text,
    .debug_evidence = "first fragment carries the start check pattern",
    .got_label = "first fragment at block+",
    .unfilled = qm_unfilled,
    .pool_kind = qm_pool_kind,
    .heap_end = qm_heap_end,
    .split_points = qm_split,
    .check_counters = qm_check_counters,
    .backtrace_depth = qm_bt_depth,
    .backtrace = qm_bt,
    .check_totals = qm_check_totals,
    .trailer_known = qm_trailer_known,
    .kam = {.stats = qm_kam_stats,
	    .sums_head = hw_kam_sums_plain,
	    .status_begin = qm_kam_begin,
	    .status_frag = qm_kam_frag,
	    .status_end = qm_kam_end},
    .os = {.site_title = " dumping summary of all alloc'ed. fragments:",
	   .status = qm_os_status,
	   .site_rule = "----------------------------------------------------",
	   .free_lists = qm_os_free_lists,
	   /* its loop runs to the heap's end, then compares with last_frag_end */
	   .false_alarm =
	       "OpenSIPS's own dump of this heap logs \"failed to walk through all\n"
	       "               fragments\": it does so for every q_malloc debug heap (its loop\n"
	       "               stops at the heap's end, then compares with last_frag_end); the\n"
	       "               walk above ends at last_frag_end, as an intact heap does"},
};
