/* tlsf_layout.c - TLSF layouts: built-in profiles and the DWARF reader. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"

static const char *const era_names[HW_TLSF_ERA_COUNT] = {
    [HW_TLSF_ERA_43] = "4.3",
    [HW_TLSF_ERA_44] = "4.4+",
};

const char *hw_tlsf_era_name(enum hw_tlsf_era era)
{
	return (unsigned)era < HW_TLSF_ERA_COUNT ? era_names[era] : "?";
}

/* TLSF's compile-time constants for a word size (§4.1). */
static void constants(struct hw_tlsf_layout *l)
{
	uint32_t align_log2 = l->word == 8 ? 3 : 2;

	l->align = 1u << align_log2;
	l->sl_log2 = 5;
	l->sl_count = 1u << l->sl_log2;
	l->fl_max = l->word == 8 ? 39 : 30;
	l->fl_shift = l->sl_log2 + align_log2;
	l->fl_count = l->fl_max - l->fl_shift + 1;
}

/* control_t follows block_null: six size_t counters, the bitmaps, the list heads. */
static void control_layout(struct hw_tlsf_layout *l)
{
	const uint32_t w = l->word;

	l->c_total_size = l->hdr_size;
	l->c_allocated = l->hdr_size + w;
	l->c_real_used = l->hdr_size + 2 * w;
	l->c_max_used = l->hdr_size + 3 * w;
	l->c_fragments = l->hdr_size + 4 * w;
	l->c_max_fragments = l->hdr_size + 5 * w;
	l->c_fl_bitmap = l->hdr_size + 6 * w;
	l->c_sl_bitmap = l->c_fl_bitmap + 4;
	l->c_blocks = hw_roundup(l->c_sl_bitmap + 4 * l->fl_count, w);
	l->control_size = l->c_blocks + l->fl_count * l->sl_count * w;
}

struct hw_error *hw_tlsf_profile(enum hw_tlsf_era era, bool debug, uint32_t word,
				 struct hw_tlsf_layout *ret)
{
	struct hw_tlsf_layout l;
	const uint32_t w = word;
	uint32_t off;

	if ((unsigned)era >= HW_TLSF_ERA_COUNT || (word != 4 && word != 8))
		return hw_error_create(HW_ERR_INVALID_ARG, "no TLSF profile for era %d, word %u",
				       (int)era, word);
	memset(&l, 0, sizeof(l));
	l.era = era;
	l.word = w;
	l.debug = debug;
	constants(&l);
	l.h_prev_phys = 0;
	l.h_file = l.h_func = l.h_mname = l.h_line = HW_NO_OFF;
	off = w;
	if (debug) {
		l.h_file = off;
		l.h_func = off + w;
		off += 2 * w;
		if (era == HW_TLSF_ERA_44) {
			l.h_mname = off;
			off += w;
			l.h_line = off;
			l.h_line_size = 4; /* unsigned int, padded to a word */
		} else {
			l.h_line = off;
			l.h_line_size = w; /* unsigned long */
		}
		off += w;
	}
	l.h_size = off;
	l.h_next_free = off + w;
	l.h_prev_free = off + 2 * w;
	l.hdr_size = off + 3 * w;
	l.start_offset = l.h_size + w;
	l.overhead = l.start_offset - w; /* size_t plus alloc_info */
	l.size_min = l.hdr_size - w;
	control_layout(&l);
	hw_profile_name(&l.head, "tlsf-%s-%s-%s", era_names[era], debug ? "dbg" : "nodbg",
			w == 8 ? "lp64" : "ilp32");
	*ret = l;
	return NULL;
}

#define TLSF_PROFILES_MAX 16

/* Variant 0 debug, 1 non-debug; no ROUNDTO to choose. */
static struct hw_error *tlsf_make(void *l, unsigned era, unsigned variant, uint32_t word,
				  uint32_t roundto)
{
	(void)roundto;
	return hw_tlsf_profile((enum hw_tlsf_era)era, variant == 0, word, l);
}

HW_PROFILE_TABLE(tlsf, TLSF_PROFILES_MAX, HW_TLSF_ERA_COUNT, 2, HW_TLSF_ERA_COUNT)

void hw_tlsf_mapping(const struct hw_tlsf_layout *l, uint64_t size, uint32_t *fl, uint32_t *sl)
{
	uint32_t f = 0, s;

	if (size < (1ull << l->fl_shift)) {
		*fl = 0;
		*sl = (uint32_t)(size / ((1ull << l->fl_shift) / l->sl_count));
		return;
	}
	for (uint64_t v = size; v >>= 1;)
		f++;
	s = (uint32_t)((size >> (f - l->sl_log2)) ^ (1ull << l->sl_log2));
	*fl = f - (l->fl_shift - 1);
	*sl = s;
}

/* ---- DWARF ---- */

enum { H_PREV_PHYS, H_FILE, H_FUNC, H_MNAME, H_LINE, H_SIZE, H_NEXT_FREE, H_PREV_FREE, H_N };
enum {
	C_BLOCK_NULL,
	C_TOTAL_SIZE,
	C_ALLOCATED,
	C_REAL_USED,
	C_MAX_USED,
	C_FRAGMENTS,
	C_MAX_FRAGMENTS,
	C_FL_BITMAP,
	C_SL_BITMAP,
	C_BLOCKS,
	C_N
};

struct hw_error *hw_tlsf_layout_from_dwarf(struct hw_dwarf *dw, uint32_t word,
					   struct hw_tlsf_layout *ret)
{
	struct hw_dwarf_member hm[H_N] = {
	    {.name = "prev_phys_block"},  {.name = "alloc_info.file"}, {.name = "alloc_info.func"},
	    {.name = "alloc_info.mname"}, {.name = "alloc_info.line"}, {.name = "size"},
	    {.name = "next_free"},	  {.name = "prev_free"},
	};
	struct hw_dwarf_member cm[C_N] = {
	    {.name = "block_null"},    {.name = "total_size"}, {.name = "allocated"},
	    {.name = "real_used"},     {.name = "max_used"},   {.name = "fragments"},
	    {.name = "max_fragments"}, {.name = "fl_bitmap"},  {.name = "sl_bitmap"},
	    {.name = "blocks"},
	};
	struct hw_tlsf_layout l;
	uint32_t *const hf[H_N] = {&l.h_prev_phys, &l.h_file, &l.h_func,      &l.h_mname,
				   &l.h_line,	   &l.h_size, &l.h_next_free, &l.h_prev_free};
	uint32_t *const cf[C_N] = {
	    NULL,	    &l.c_total_size,	&l.c_allocated, &l.c_real_used, &l.c_max_used,
	    &l.c_fragments, &l.c_max_fragments, &l.c_fl_bitmap, &l.c_sl_bitmap, &l.c_blocks};
	uint64_t hsz, csz;
	struct hw_error *err;

	memset(&l, 0, sizeof(l));
	/* The structs are typedefs of tagged structs of the same name in tlsf_malloc.c. */
	if ((err = hw_dwarf_members(dw, "block_header_t", hm, H_N, &hsz, hf)) ||
	    (err = hw_dwarf_members(dw, "control_t", cm, C_N, &csz, cf)))
		return hw_error_context(err, "reading the TLSF layout from %s", hw_dwarf_path(dw));
	if (!hm[H_PREV_PHYS].found || !hm[H_SIZE].found || !hm[H_NEXT_FREE].found ||
	    !hm[H_PREV_FREE].found || !cm[C_BLOCK_NULL].found || !cm[C_TOTAL_SIZE].found ||
	    !cm[C_ALLOCATED].found || !cm[C_REAL_USED].found || !cm[C_FRAGMENTS].found ||
	    !cm[C_FL_BITMAP].found || !cm[C_SL_BITMAP].found || !cm[C_BLOCKS].found)
		return hw_error_create(
		    HW_ERR_LOOKUP,
		    "the TLSF structs in %s lack members heapwalk needs (a build "
		    "without TLSF_STATS?)",
		    hw_dwarf_path(dw));
	if (hsz == 0 || hsz > 256 || csz == 0 || csz > (1u << 20))
		return hw_error_create(HW_ERR_BAD_DATA, "implausible TLSF struct sizes in %s",
				       hw_dwarf_path(dw));

	l.word = word;
	constants(&l);
	l.debug = hm[H_FILE].found;
	l.era = hm[H_MNAME].found || !l.debug ? HW_TLSF_ERA_44 : HW_TLSF_ERA_43;
	l.hdr_size = (uint32_t)hsz;
	l.h_line_size = hm[H_LINE].found ? (uint32_t)hm[H_LINE].size : 0;
	l.start_offset = l.h_size + word;
	l.overhead = l.start_offset - word;
	l.size_min = l.hdr_size - word;
	l.control_size = (uint32_t)csz;
	if (cm[C_BLOCK_NULL].offset != 0 || l.h_prev_phys != 0 ||
	    (l.h_line_size != 0 && l.h_line_size != 4 && l.h_line_size != 8))
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "the TLSF structs in %s are laid out in "
				       "an unknown way",
				       hw_dwarf_path(dw));
	/* The bitmap array bounds FL_INDEX_COUNT; ALIGN and SL follow from the word size. */
	if (cm[C_SL_BITMAP].count && cm[C_SL_BITMAP].count != l.fl_count)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "TLSF in %s has %" PRIu64 " first-level lists, expected %u",
				       hw_dwarf_path(dw), cm[C_SL_BITMAP].count, l.fl_count);
	if (cm[C_BLOCKS].size && cm[C_BLOCKS].size != (uint64_t)l.fl_count * l.sl_count * word)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "TLSF in %s has a free-list matrix of %" PRIu64 " bytes",
				       hw_dwarf_path(dw), cm[C_BLOCKS].size);
	hw_dwarf_name(&l.head, hw_dwarf_path(dw));
	*ret = l;
	return NULL;
}
