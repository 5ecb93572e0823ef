/* tlsf_ops.c - TLSF as a struct hw_allocator: recognising it, describing it, its log text. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/mem.h"
#include "heapwalk/tally.h"
#include "ops.h"

HW_ALLOC_OPS(tlsf)

/* clang-format off */
#define TL(n) {#n, offsetof(struct hw_tlsf_layout, n)}
static const struct hw_layout_field tlsf_fields[] = {
	TL(word),	 TL(align),	     TL(hdr_size),	TL(h_prev_phys),
	TL(h_file),	 TL(h_func),	     TL(h_mname),	TL(h_line),
	TL(h_line_size), TL(h_size),	     TL(h_next_free),	TL(h_prev_free),
	TL(start_offset), TL(overhead),	     TL(size_min),	TL(control_size),
	TL(c_total_size), TL(c_allocated),   TL(c_real_used),	TL(c_max_used),
	TL(c_fragments), TL(c_max_fragments), TL(c_fl_bitmap), TL(c_sl_bitmap),
	TL(c_blocks),	 TL(fl_count),	     TL(sl_count),	TL(sl_log2),
	TL(fl_shift),	 TL(fl_max),
};
/* clang-format on */

static void tlsf_describe(const struct hw_layout_head *h, struct hw_layout_facts *f)
{
	const struct hw_tlsf_layout *l = tlsf_of(h);

	f->era = hw_tlsf_era_name(l->era);
	f->debug = l->debug;
	f->word = l->word;
	f->roundto = l->align;
	snprintf(f->sizes, sizeof(f->sizes),
		 "block header %u (user data at +%u, overhead %u, minimum block %u), "
		 "control %u, %ux%u free lists",
		 l->hdr_size, l->start_offset, l->overhead, l->size_min, l->control_size,
		 l->fl_count, l->sl_count);
	snprintf(f->header, sizeof(f->header), "%u", l->hdr_size);
	/* the first block header lies in the control structure's last word */
	f->first = l->control_size - l->word;
}

static struct hw_error *tlsf_op_dwarf(struct hw_dwarf *dw, uint32_t word, void *ret)
{
	return hw_tlsf_layout_from_dwarf(dw, word, ret);
}

/* ---- recognising a control block ---- */

static int tlsf_era_of_version(int major, int minor)
{
	if (major < 0)
		return -1;
	if (major < 4 || (major == 4 && minor <= 3))
		return HW_TLSF_ERA_43;
	return HW_TLSF_ERA_44;
}

/* Counters in range, the first block sane, every list head consistent with the bitmaps. */
static int tlsf_fit(const struct hw_target *t, const struct hw_layout_head *hd, uint64_t control,
		    uint64_t *got)
{
	const struct hw_tlsf_layout *l = tlsf_of(hd);
	const uint32_t w = l->word;
	uint64_t total, alloc, real, maxu, first_size, lo, hi;
	uint32_t fl_bitmap, sl;
	uint8_t *heads;
	size_t nheads = (size_t)l->fl_count * l->sl_count;
	struct hw_error *err;
	int score = 4;

	if (!hw_probe_word(t, control + l->c_total_size, &total) ||
	    !hw_probe_word(t, control + l->c_allocated, &alloc) ||
	    !hw_probe_word(t, control + l->c_real_used, &real) ||
	    !hw_probe_word(t, control + l->c_max_used, &maxu))
		return -1;
	*got = total;
	/*
	 * Kamailio's real_used and max_used count each block's overhead in full,
	 * so an exhausted pool's counters run a little past total_size.
	 */
	if (total < (uint64_t)l->control_size + 2 * l->overhead || total > (1ull << 48) ||
	    (total - l->control_size) % l->align || real < l->control_size ||
	    real > total + total / 16 || alloc > total || maxu < real || maxu > total + total / 16)
		return -1;
	if (!hw_probe_word(t, control + l->control_size - w + l->h_size, &first_size) ||
	    (first_size & 2) || (first_size & ~3ull) % l->align || (first_size & ~3ull) > total)
		return -1;
	err = hw_target_read_u32(t, control + l->c_fl_bitmap, &fl_bitmap);
	if (err) {
		hw_error_destroy(err);
		return -1;
	}
	heads = malloc(nheads * w);
	if (!heads)
		return -1;
	err = hw_mem_read(t->mem, heads, control + l->c_blocks, nheads * w);
	if (err) {
		hw_error_destroy(err);
		free(heads);
		return -1;
	}
	lo = control + l->control_size - w;
	hi = control + total + l->start_offset;
	for (uint32_t fl = 0; fl < l->fl_count && score >= 0; fl++) {
		err = hw_target_read_u32(t, control + l->c_sl_bitmap + 4ull * fl, &sl);
		if (err) {
			hw_error_destroy(err);
			score = -1;
			break;
		}
		if (((fl_bitmap >> fl) & 1) != (sl != 0)) {
			score = -1;
			break;
		}
		for (uint32_t s = 0; s < l->sl_count; s++) {
			uint64_t head = 0;
			size_t off = ((size_t)fl * l->sl_count + s) * w;
			if (w == 8) {
				memcpy(&head, heads + off, 8);
			} else {
				uint32_t h32;
				memcpy(&h32, heads + off, 4);
				head = h32;
			}
			if (((sl >> s) & 1) != (head != control) ||
			    (head != control && (head < lo || head >= hi))) {
				score = -1;
				break;
			}
		}
	}
	free(heads);
	return score;
}

/* 4.3's non-debug header is 4.4's; without a version take the common one. */
static int tlsf_prefer(const struct hw_layout_head *l, const struct hw_instance *inst, int want)
{
	(void)inst;
	return want < 0 && l->era == HW_TLSF_ERA_44;
}

/* A non-debug 4.3 header is a 4.4 one; only the version tells them apart. */
static void tlsf_dwarf_era(struct hw_layout_head *l, const struct hw_instance *inst)
{
	if (!l->debug && tlsf_era_of_version(inst->major, inst->minor) == HW_TLSF_ERA_43)
		l->era = HW_TLSF_ERA_43;
}

static void tlsf_fit_text(const struct hw_layout_head *l, char *buf, size_t cap)
{
	(void)l;
	snprintf(buf, cap, "control block counters, first block and free-list heads fit");
}

static void tlsf_misfit_text(uint64_t block, uint64_t got, char *buf, size_t cap)
{
	(void)got;
	snprintf(buf, cap,
		 "no built-in TLSF layout matches the control block at 0x%" PRIx64
		 "; try --layout or a debug file",
		 block);
}

static const char *tlsf_caveat(const struct hw_layout_head *l, const struct hw_instance *inst)
{
	if (l->debug || inst->major >= 0)
		return NULL;
	return "no version known: a non-debug 4.3 TLSF looks the same, use --layout "
	       "tlsf-4.3-nodbg-... if it is one";
}

/* ---- walking ---- */

static struct hw_error *tlsf_split(const struct hw_target *t, const struct hw_layout_head *l,
				   const struct hw_heap_header *h, unsigned n, uint64_t *pts,
				   unsigned *np)
{
	return hw_tlsf_split_points(t, tlsf_of(l), h, n, pts, np);
}

static void tlsf_check_counters(const struct hw_layout_head *l, const struct hw_heap_header *h,
				const struct hw_walk_stats *st, struct hw_check *ck)
{
	hw_tlsf_check_counters(tlsf_of(l), h, st, ck);
}

/* the sentinel's header */
static uint64_t tlsf_heap_end(const struct hw_layout_head *l, const struct hw_heap_header *h)
{
	uint64_t e;

	return __builtin_add_overflow(h->last_frag_end, tlsf_of(l)->start_offset, &e) ? UINT64_MAX
										      : e;
}

/* ---- tlsf_status, tlsf_sums ---- */

static bool tlsf_44(const struct hw_layout_head *l)
{
	return l->era != HW_TLSF_ERA_43;
}

static void tlsf_header(struct hw_sbuf *sb, const struct hw_heap_header *h)
{
	hw_sbuf_puts(sb, "status of pool (");
	hw_kam_ptr(sb, h->block);
	hw_sbuf_puts(sb, "):\n");
	hw_sbuf_printf(sb, "heap size= %" PRIu64 "\n", h->size);
	hw_sbuf_printf(sb,
		       "used= %" PRIu64 ", used+overhead=%" PRIu64 ", free=%" PRIu64
		       ", fragments=%" PRIu64 "\n",
		       h->used, h->real_used, h->size - h->real_used, h->ffrags);
	hw_sbuf_printf(sb, "max used (+overhead)=%" PRIu64 ", max fragments=%" PRIu64 "\n",
		       h->max_real_used, h->max_frags);
}

/* 4.4+: the free-block matrix, one row per second-level index, 'A' + log2(list length). */
static void tlsf_matrix(struct hw_sbuf *sb, const struct hw_tlsf_layout *l,
			const struct hw_free_bucket *bk, size_t nb)
{
	char row[64];

	hw_sbuf_puts(sb, "Free blocks matrix ('.': none, 'X': between 2^X and (2^(X+1)-1) free "
			 "blocks, X=A..Z, A=0, B=1, ...)\n");
	hw_sbuf_printf(
	    sb, "> first-level: %u block list arrays between 2^fl and 2^(fl+1) bytes (fl=%u..%u)\n",
	    l->fl_count, l->fl_shift, l->fl_max);
	hw_sbuf_printf(sb,
		       "v second-level: %u block lists between 2^fl+sl*2^(fl-%u) and "
		       "2^fl+(sl+1)*2^(fl-%u)-1 bytes (sl=0..%u)\n",
		       l->sl_count, l->sl_log2, l->sl_log2, l->sl_count - 1);
	for (uint32_t sl = 0; sl < l->sl_count; sl++) {
		uint32_t n = l->fl_count < sizeof(row) ? l->fl_count : (uint32_t)sizeof(row);
		memset(row, '.', n);
		for (size_t i = 0; i < nb; i++) {
			const struct hw_free_bucket *b = &bk[i];
			uint64_t fl = b->index / l->sl_count, c = b->count;
			int log = 0;
			if (b->index % l->sl_count != sl || fl >= n || !c)
				continue;
			while (c >>= 1)
				log++;
			row[fl] = (char)('A' + log);
		}
		hw_sbuf_printf(sb, "%2u|%.*s|\n", sl, (int)n, row);
	}
}

static void tlsf_kam_stats(struct hw_sbuf *sb, const struct hw_layout_head *l,
			   const struct hw_heap_header *h, const struct hw_free_bucket *b,
			   size_t nb)
{
	tlsf_header(sb, h);
	if (tlsf_44(l))
		tlsf_matrix(sb, tlsf_of(l), b, nb);
}

static void tlsf_kam_sums(struct hw_sbuf *sb, const struct hw_heap_header *h)
{
	hw_sbuf_puts(sb, "pool (");
	hw_kam_ptr(sb, h->block);
	hw_sbuf_puts(sb, ") ");
}

static void tlsf_kam_begin(struct hw_sbuf *sb, const struct hw_layout_head *l,
			   const struct hw_heap_header *h)
{
	if (tlsf_44(l))
		return;
	tlsf_header(sb, h);
	hw_sbuf_puts(sb, "dumping all fragments:\n");
}

/* 4.3's tlsf_status lists every block by its user pointer. */
static void tlsf_kam_frag(struct hw_sbuf *sb, const struct hw_layout_head *l,
			  const struct hw_frag *f, const char *file, const char *func)
{
	if (tlsf_44(l))
		return;
	hw_sbuf_putc(sb, '(');
	hw_kam_ptr(sb, f->user);
	hw_sbuf_printf(sb, "): used=%s size=%" PRIu64, f->used ? "true" : "false", f->size);
	if (l->debug)
		hw_sbuf_printf(sb, " was %s from %s: %s(%" PRId64 ")",
			       f->used ? "alloc'd" : "free'd", file, func, (int64_t)f->line);
	hw_sbuf_putc(sb, '\n');
}

static void tlsf_kam_end(struct hw_sbuf *sb, const struct hw_layout_head *l,
			 const struct hw_heap_header *h, const struct hw_free_bucket *b, size_t nb)
{
	if (!tlsf_44(l))
		return;
	tlsf_header(sb, h);
	tlsf_matrix(sb, tlsf_of(l), b, nb);
}

/* stats' tally of the lists (tally.h): every list of the matrix. */
static uint64_t tlsf_tally_bucket(const struct hw_layout_head *l, uint64_t size)
{
	const struct hw_tlsf_layout *tl = tlsf_of(l);
	uint32_t fl, sl;

	hw_tlsf_mapping(tl, size, &fl, &sl);
	return fl < tl->fl_count && sl < tl->sl_count ? (uint64_t)fl * tl->sl_count + sl
						      : UINT64_MAX;
}

static bool tlsf_tally_setup(const struct hw_layout_head *l, const struct hw_heap_header *h,
			     struct hw_list_tally *t)
{
	const struct hw_tlsf_layout *tl = tlsf_of(l);

	if (!tl->fl_count || !tl->sl_count || tl->h_next_free + tl->word > tl->hdr_size ||
	    tl->h_prev_free + tl->word > tl->hdr_size)
		return false;
	t->bucket = tlsf_tally_bucket;
	t->end = h->block; /* &control->block_null */
	t->covered = (uint64_t)tl->fl_count * tl->sl_count;
	return true;
}

const struct hw_allocator hw_allocator_tlsf = {
    .name = "tlsf_malloc",
    .key = "tlsf",
    .gdb_id = 3,
    HW_ALLOC_OPS_INIT(tlsf),
    .layout_from_dwarf = tlsf_op_dwarf,
    .describe = tlsf_describe,
    .fields = tlsf_fields,
    .nfields = sizeof(tlsf_fields) / sizeof(tlsf_fields[0]),
    .sym_pkg = "tlsf_malloc",
    .sym_shm = "tlsf_shm_malloc",
    .fit = tlsf_fit,
    .era_of_version = tlsf_era_of_version,
    .prefer = tlsf_prefer,
    .dwarf_era = tlsf_dwarf_era,
    .fit_text = tlsf_fit_text,
    .misfit_text = tlsf_misfit_text,
    .caveat = tlsf_caveat,
    .got_label = "total_size",
    .heap_end = tlsf_heap_end,
    .split_points = tlsf_split,
    .check_counters = tlsf_check_counters,
    .tail_back_link = true,
    .tally_setup = tlsf_tally_setup,
    .stale_free_mname = true,
    .kam = {.stats = tlsf_kam_stats,
	    .sums_head = tlsf_kam_sums,
	    .status_begin = tlsf_kam_begin,
	    .status_frag = tlsf_kam_frag,
	    .status_end = tlsf_kam_end},
};
