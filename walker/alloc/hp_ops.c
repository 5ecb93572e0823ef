/* hp_ops.c - OpenSIPS's hp_malloc as a struct hw_allocator: recognising it, describing it, its log
 * text. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#include "heapwalk/check.h"
#include "ops.h"

HW_ALLOC_OPS(hp)

/* clang-format off */
#define HP(n) {#n, offsetof(struct hw_hp_layout, n)}
static const struct hw_layout_field hp_fields[] = {
	HP(word),	     HP(roundto),	HP(frag_size),	     HP(f_size),
	HP(f_prev),	     HP(f_nxt_free),	HP(f_file),	     HP(f_func),
	HP(f_line),	     HP(f_stat),	HP(block_size),	     HP(b_size),
	HP(b_used),	     HP(b_real_used),	HP(b_max_real_used), HP(b_frags),
	HP(b_first_frag),    HP(b_last_frag),	HP(b_free_hash),     HP(lnk_size),
	HP(l_optimized),     HP(l_first),	HP(l_no),	     HP(hash_size),
	HP(extra_hash_size), HP(optimize),	HP(optimize_factor), HP(first_off),
};
/* clang-format on */

static void hp_describe(const struct hw_layout_head *h, struct hw_layout_facts *f)
{
	const struct hw_hp_layout *l = hp_of(h);

	f->era = hw_hp_era_name(l->era);
	f->debug = l->debug;
	f->word = l->word;
	f->roundto = l->roundto;
	snprintf(f->sizes, sizeof(f->sizes),
		 "fragment header %u (no trailer), block %u, first fragment at +%u, %u hash "
		 "buckets and %u more for optimized sizes, free when prev is set",
		 l->frag_size, l->block_size, l->first_off, l->hash_size, l->extra_hash_size);
	snprintf(f->header, sizeof(f->header), "%u", l->frag_size);
	f->first = l->first_off;
}

static struct hw_error *hp_op_dwarf(struct hw_dwarf *dw, uint32_t word, void *ret)
{
	return hw_hp_layout_from_dwarf(dw, word, ret);
}

static int hp_era_of_version(int major, int minor)
{
	(void)major;
	(void)minor;
	return -1; /* Kamailio has none */
}

/* first_frag where the layout puts it, the sentinel one header before the heap's end, size 0. */
static int hp_fit(const struct hw_target *t, const struct hw_layout_head *hd, uint64_t block,
		  uint64_t *got)
{
	const struct hw_hp_layout *l = hp_of(hd);
	uint64_t ff, lf, size, ssize;

	if (!hw_probe_word(t, block + l->b_first_frag, &ff))
		return -1;
	*got = ff - block;
	if (ff - block != l->first_off)
		return -1;
	if (!hw_probe_word(t, block + l->b_size, &size) ||
	    !hw_probe_word(t, block + l->b_last_frag, &lf) || lf != block + size - l->frag_size ||
	    !hw_probe_word(t, lf + l->f_size, &ssize) || ssize != 0)
		return -1;
	return 5;
}

static void hp_fit_text(const struct hw_layout_head *l, char *buf, size_t cap)
{
	snprintf(buf, cap, "block fingerprint first_frag-block=%u matches, size-0 sentinel",
		 hp_of(l)->first_off);
}

static void hp_misfit_text(uint64_t block, uint64_t got, char *buf, size_t cap)
{
	snprintf(buf, cap,
		 "no built-in hp_malloc layout matches the block at 0x%" PRIx64
		 " (first fragment at block+%" PRIu64 "); try --layout or a debug file",
		 block, got);
}

/* Structure of a debug build, none of its contents: no sites. */
static void hp_unfilled(struct hw_layout_head *hd)
{
	struct hw_hp_layout *l = (struct hw_hp_layout *)(void *)hd;

	l->debug = false;
	l->f_file = l->f_func = l->f_line = HW_NO_OFF;
}

static uint64_t hp_heap_end(const struct hw_layout_head *l, const struct hw_heap_header *h)
{
	return h->last_frag_end + hp_of(l)->frag_size;
}

/* ---- Kamailio's text: hp_malloc is not Kamailio's, its status header only ---- */

static void hp_kam_stats(struct hw_sbuf *sb, const struct hw_layout_head *l,
			 const struct hw_heap_header *h, const struct hw_free_bucket *b, size_t nb)
{
	(void)l;
	(void)b;
	(void)nb;
	hw_kam_status_header(sb, h);
}

static void hp_kam_begin(struct hw_sbuf *sb, const struct hw_layout_head *l,
			 const struct hw_heap_header *h)
{
	(void)l;
	hw_kam_status_header(sb, h);
}

static void hp_kam_frag(struct hw_sbuf *sb, const struct hw_layout_head *l, const struct hw_frag *f,
			const char *file, const char *func)
{
	hw_sbuf_printf(sb, "   %3" PRIu64 ". %s size=%" PRIu64 "\n", f->index,
		       f->used ? "used" : "free", f->size);
	if (l->debug && f->used)
		hw_sbuf_printf(sb, "          alloc'd from %s: %s(%" PRId64 ")\n", file, func,
			       (int64_t)f->line);
}

static void hp_kam_end(struct hw_sbuf *sb, const struct hw_layout_head *l,
		       const struct hw_heap_header *h, const struct hw_free_bucket *b, size_t nb)
{
	(void)sb;
	(void)l;
	(void)h;
	(void)b;
	(void)nb;
}

/* ---- OpenSIPS's hp_status ---- */

static void hp_os_status(struct hw_sbuf *sb, const struct hw_layout_head *hd,
			 const struct hw_heap_header *h)
{
	const struct hw_hp_layout *l = hp_of(hd);

	hw_sbuf_puts(sb, "hp_status (");
	hw_kam_ptr(sb, h->block);
	hw_sbuf_printf(sb, ", ROUNDTO=%u):\n", l->roundto);
	/* OpenSIPS prints HP_HASH_SIZE for all three */
	hw_sbuf_printf(sb, "%20s : %u\n", "HP_HASH_SIZE", l->hash_size);
	hw_sbuf_printf(sb, "%20s : %u\n", "HP_EXTRA_HASH_SIZE", l->hash_size);
	hw_sbuf_printf(sb, "%20s : %u\n", "HP_TOTAL_SIZE", l->hash_size);
	hw_sbuf_printf(sb, "%20s : %" PRIu64 "\n", "total_size", h->size);
	/* size - used in an unsigned long: hp's used can exceed size, and then it wraps */
	hw_sbuf_printf(sb, "%20s : %" PRIu64 "\n%20s : %" PRIu64 "\n%20s : %" PRIu64 "\n", "used",
		       h->used, "used+overhead", h->real_used, "free",
		       (h->size - h->used) & (l->word == 8 ? UINT64_MAX : UINT32_MAX));
	hw_sbuf_printf(sb, "%20s : %" PRIu64 "\n\n", "max_used (+overhead)", h->max_real_used);
}

/*
 * "Dumping free fragments:", a line per non-empty bucket (an optimized one
 * as its extra buckets' counts), the total and the header size. OpenSIPS's
 * total also counts each extra bucket it looked at.
 */
static void hp_os_free_lists(struct hw_sbuf *sb, const struct hw_layout_head *hd,
			     const struct hw_heap_header *h, const struct hw_free_bucket *bk,
			     size_t nb)
{
	const struct hw_hp_layout *l = hp_of(hd);
	const uint64_t linear = l->optimize / l->roundto;
	uint64_t total = 0;

	hw_sbuf_puts(sb, "Dumping free fragments:\n");
	for (size_t i = 0; i < nb; i++) {
		uint64_t b = bk[i].index;
		total += bk[i].count;
		if (b >= l->hash_size || !bk[i].count)
			continue;
		if (b > linear)
			hw_sbuf_printf(sb, "[ %4d ][ %8d B -> %7d B ][ frags: %5d ]\n", (int)b,
				       (int)hw_hp_unhash(l, b),
				       (int)hw_hp_unhash(l, b == l->hash_size - 1 ? b : b + 1) -
					   (int)l->roundto,
				       (int)bk[i].count);
		else
			hw_sbuf_printf(sb, "[ %4d ][ %5d B ][ frags: %5d ]\n", (int)b,
				       (int)(b * l->roundto), (int)bk[i].count);
	}
	hw_sbuf_printf(sb, "TOTAL: %6d/%" PRIu64 " free fragments\n", (int)total, h->total_frags);
	hw_sbuf_printf(sb, "Fragment overhead: %u\n", l->frag_size);
	hw_sbuf_puts(sb, "-----------------------------\n");
}

const struct hw_allocator hw_allocator_hp = {
    .name = "hp_malloc",
    .key = "hp",
    .gdb_id = 4,
    .sym_pkg = "hp_pkg_malloc",
    .sym_shm = "hp_shm_malloc",
    HW_ALLOC_OPS_INIT(hp),
    .layout_from_dwarf = hp_op_dwarf,
    .describe = hp_describe,
    .fields = hp_fields,
    .nfields = sizeof(hp_fields) / sizeof(hp_fields[0]),
    .fit = hp_fit,
    .era_of_version = hp_era_of_version,
    .fit_text = hp_fit_text,
    .misfit_text = hp_misfit_text,
    .got_label = "first_frag-block",
    .unfilled = hp_unfilled,
    .heap_end = hp_heap_end,
    .kam = {.stats = hp_kam_stats,
	    .sums_head = hw_kam_sums_plain,
	    .status_begin = hp_kam_begin,
	    .status_frag = hp_kam_frag,
	    .status_end = hp_kam_end},
    .os = {.site_title = "dumping summary of all alloc'ed. fragments:",
	   .status = hp_os_status,
	   .site_rule = "------------+---------------------------------------",
	   .free_lists = hp_os_free_lists},
};
