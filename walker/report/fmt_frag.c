/* fmt_frag.c - fragmentation figures of a pool in stats output, text and JSON. */
#include <inttypes.h>
#include <stdio.h>

#include "heapwalk/frag.h"
#include "heapwalk/report.h"
#include "heapwalk/sbuf.h"

static uint64_t class_max(unsigned k)
{
	return k >= 63 ? UINT64_MAX : ((uint64_t)2 << k) - 1;
}

void hw_fmt_frag_text(FILE *out, const struct hw_pool_report *pr, uint64_t request,
		      const char *indent)
{
	const struct hw_frag_stats *fs = pr->frag;
	uint64_t roundto = hw_frag_pool_roundto(pr->pool);
	char b1[32], b2[32];

	hw_human_size(b1, sizeof(b1), fs->largest_free);
	fprintf(out, "%slargest free   %12" PRIu64 "  (%s", indent, fs->largest_free, b1);
	if (fs->free_frags)
		fprintf(out, " at 0x%" PRIx64 "; fragmentation index %.2f", fs->largest_free_addr,
			hw_frag_index(fs));
	fputs(")\n", out);
	if (request)
		fprintf(out,
			"%srequest        %12" PRIu64
			"  would %s (needs a free fragment of %" PRIu64 " bytes)\n",
			indent, request, hw_frag_fits(fs, request, roundto) ? "fit" : "NOT fit",
			hw_frag_round(request, roundto));
	if (fs->join_runs) {
		hw_human_size(b1, sizeof(b1), fs->join_largest);
		fprintf(out,
			"%smem_join       %12" PRIu64 "  runs of adjacent free fragments (%" PRIu64
			" fragments); joining would give back %" PRIu64
			" bytes and make one of %s\n",
			indent, fs->join_runs, fs->join_frags, fs->join_gain, b1);
	} else {
		fprintf(out, "%smem_join       %12s  no adjacent free fragments\n", indent, "0");
	}
	if (pr->nbuckets) {
		const struct hw_free_bucket *most = &pr->buckets[0];
		for (size_t i = 1; i < pr->nbuckets; i++)
			if (pr->buckets[i].count > most->count)
				most = &pr->buckets[i];
		fprintf(out,
			"%sfree lists     %12zu  non-empty (longest: list %" PRIu64 ", %" PRIu64
			" fragments from %" PRIu64 " bytes)\n",
			indent, pr->nbuckets, most->index, most->count, most->first_size);
	}
	if (!fs->free_frags)
		return;
	fprintf(out, "%sfree fragments by size:\n", indent);
	for (unsigned k = 0; k < HW_FRAG_CLASSES; k++) {
		if (!fs->class_count[k])
			continue;
		hw_human_size(b1, sizeof(b1), hw_frag_class_min(k));
		hw_human_size(b2, sizeof(b2), fs->class_bytes[k]);
		fprintf(out,
			"%s  %10" PRIu64 " .. %-12" PRIu64 " %8" PRIu64 "  (%s, %.1f%% of free)\n",
			indent, hw_frag_class_min(k), class_max(k), fs->class_count[k], b2,
			hw_report_pct(fs->class_bytes[k], fs->free_bytes));
	}
}

void hw_fmt_frag_json(struct hw_json *js, const struct hw_pool_report *pr, uint64_t request)
{
	const struct hw_frag_stats *fs = pr->frag;
	uint64_t roundto = hw_frag_pool_roundto(pr->pool);

	hw_json_key(js, "fragmentation");
	hw_json_begin_object(js);
	hw_json_key(js, "largest_free");
	hw_json_u64(js, fs->largest_free);
	hw_json_key(js, "largest_free_address");
	if (fs->free_frags)
		hw_json_hex(js, fs->largest_free_addr);
	else
		hw_json_null(js);
	hw_json_key(js, "index");
	hw_json_double(js, hw_frag_index(fs));
	hw_json_key(js, "join_runs");
	hw_json_u64(js, fs->join_runs);
	hw_json_key(js, "join_frags");
	hw_json_u64(js, fs->join_frags);
	hw_json_key(js, "join_largest");
	hw_json_u64(js, fs->join_largest);
	hw_json_key(js, "join_gain");
	hw_json_u64(js, fs->join_gain);
	if (request) {
		hw_json_key(js, "request");
		hw_json_begin_object(js);
		hw_json_key(js, "bytes");
		hw_json_u64(js, request);
		hw_json_key(js, "rounded");
		hw_json_u64(js, hw_frag_round(request, roundto));
		hw_json_key(js, "fits");
		hw_json_bool(js, hw_frag_fits(fs, request, roundto));
		hw_json_end_object(js);
	}
	hw_json_key(js, "histogram");
	hw_json_begin_array(js);
	for (unsigned k = 0; k < HW_FRAG_CLASSES; k++) {
		if (!fs->class_count[k])
			continue;
		hw_json_begin_object(js);
		hw_json_key(js, "min");
		hw_json_u64(js, hw_frag_class_min(k));
		hw_json_key(js, "max");
		hw_json_u64(js, class_max(k));
		hw_json_key(js, "count");
		hw_json_u64(js, fs->class_count[k]);
		hw_json_key(js, "bytes");
		hw_json_u64(js, fs->class_bytes[k]);
		hw_json_end_object(js);
	}
	hw_json_end_array(js);
	hw_json_key(js, "free_lists");
	hw_json_begin_array(js);
	for (size_t i = 0; i < pr->nbuckets; i++) {
		const struct hw_free_bucket *b = &pr->buckets[i];
		hw_json_begin_object(js);
		hw_json_key(js, "index");
		hw_json_u64(js, b->index);
		hw_json_key(js, "count");
		hw_json_u64(js, b->count);
		hw_json_key(js, "no");
		hw_json_u64(js, b->no);
		hw_json_key(js, "first_size");
		hw_json_u64(js, b->first_size);
		hw_json_end_object(js);
	}
	hw_json_end_array(js);
	hw_json_end_object(js);
}
