/* gdb_emit.c - layouts as gdb CLI `set $hw_...` lines (the variables gdbscripts/ reads). */
#include <stddef.h>
#include <stdint.h>

#include "gdb_emit.h"

struct field {
	const char *name;
	size_t off; /* of a uint32_t in the layout struct */
};

/* clang-format off */
#define QM(n) {#n, offsetof(struct hw_qm_layout, n)}
static const struct field qm_fields[] = {
	QM(word),	     QM(roundto),	  QM(frag_size),     QM(f_size),
	QM(f_u),	     QM(f_file),	  QM(f_func),	     QM(f_mname),
	QM(f_line),	     QM(f_check),	  QM(end_size),	     QM(e_check1),
	QM(e_check2),	     QM(e_size),	  QM(e_prev_free),   QM(block_size),
	QM(b_type),	     QM(b_size),	  QM(b_used),	     QM(b_real_used),
	QM(b_max_real_used), QM(b_ffrags),	  QM(b_first_frag),  QM(b_last_frag_end),
	QM(b_free_hash),     QM(lnk_size),	  QM(l_no),	     QM(hash_size),
	QM(optimize),	     QM(optimize_factor), QM(first_off),
};

#define FM(n) {#n, offsetof(struct hw_fm_layout, n)}
static const struct field fm_fields[] = {
	FM(word),	     FM(roundto),      FM(frag_size),	  FM(f_size),
	FM(f_u),	     FM(f_prv_free),   FM(f_is_free),	  FM(f_is_free_size),
	FM(f_next_free),     FM(f_prev_free),  FM(f_link),	  FM(f_file),
	FM(f_func),	     FM(f_mname),      FM(f_line),	  FM(f_check),
	FM(f_check_size),    FM(block_size),   FM(b_type),	  FM(b_size),
	FM(b_used),	     FM(b_real_used),  FM(b_max_real_used), FM(b_ffrags),
	FM(b_first_frag),    FM(b_last_frag),  FM(b_free_bitmap), FM(b_free_hash),
	FM(bitmap_words),    FM(lnk_size),     FM(l_first),	  FM(l_no),
	FM(hash_size),	     FM(optimize),     FM(optimize_factor), FM(first_off),
	FM(init_headers),
};

#define TL(n) {#n, offsetof(struct hw_tlsf_layout, n)}
static const struct field tlsf_fields[] = {
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

void hw_gdb_emit_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		fputc(c < 0x20 || c == 0x7f || c == '"' || c == '\\' ? '?' : c, out);
	}
	fputc('"', out);
}

static void emit_fields(FILE *out, const char *indent, const char *prefix, const void *layout,
			const struct field *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t v = *(const uint32_t *)((const char *)layout + fields[i].off);
		if (v == HW_NO_OFF)
			fprintf(out, "%sset $hw_%s_%s = -1\n", indent, prefix, fields[i].name);
		else
			fprintf(out, "%sset $hw_%s_%s = %u\n", indent, prefix, fields[i].name, v);
	}
}

static void emit_head(FILE *out, const char *indent, int mgr, const char *name, const char *src)
{
	fprintf(out, "%sset $hw_mgr = %d\n", indent, mgr);
	fprintf(out, "%sset $hw_layout_name = ", indent);
	hw_gdb_emit_string(out, name);
	fprintf(out, "\n%sset $hw_layout_src = ", indent);
	hw_gdb_emit_string(out, src);
	fputc('\n', out);
}

void hw_gdb_emit_qm(FILE *out, const char *indent, const struct hw_qm_layout *l, const char *src)
{
	emit_head(out, indent, 1, l->name, src);
	fprintf(out, "%sset $hw_qm_era = %d\n", indent, (int)l->era);
	fprintf(out, "%sset $hw_qm_debug = %d\n", indent, l->debug ? 1 : 0);
	emit_fields(out, indent, "qm", l, qm_fields, sizeof(qm_fields) / sizeof(qm_fields[0]));
}

void hw_gdb_emit_fm(FILE *out, const char *indent, const struct hw_fm_layout *l, const char *src)
{
	emit_head(out, indent, 2, l->name, src);
	fprintf(out, "%sset $hw_fm_era = %d\n", indent, (int)l->era);
	fprintf(out, "%sset $hw_fm_debug = %d\n", indent, l->debug ? 1 : 0);
	fprintf(out, "%sset $hw_fm_stats = %d\n", indent, l->stats ? 1 : 0);
	emit_fields(out, indent, "fm", l, fm_fields, sizeof(fm_fields) / sizeof(fm_fields[0]));
}

void hw_gdb_emit_tlsf(FILE *out, const char *indent, const struct hw_tlsf_layout *l,
		      const char *src)
{
	emit_head(out, indent, 3, l->name, src);
	fprintf(out, "%sset $hw_tlsf_era = %d\n", indent, (int)l->era);
	fprintf(out, "%sset $hw_tlsf_debug = %d\n", indent, l->debug ? 1 : 0);
	emit_fields(out, indent, "tlsf", l, tlsf_fields,
		    sizeof(tlsf_fields) / sizeof(tlsf_fields[0]));
}

const char *hw_gdb_layout_fields(enum hw_manager mgr, const void *layout, hw_gdb_field_fn fn,
				 void *arg)
{
	const struct field *fields;
	const char *prefix;
	size_t n;

	switch (mgr) {
	case HW_MGR_QM:
		fields = qm_fields;
		n = sizeof(qm_fields) / sizeof(qm_fields[0]);
		prefix = "qm";
		break;
	case HW_MGR_FM:
		fields = fm_fields;
		n = sizeof(fm_fields) / sizeof(fm_fields[0]);
		prefix = "fm";
		break;
	case HW_MGR_TLSF:
		fields = tlsf_fields;
		n = sizeof(tlsf_fields) / sizeof(tlsf_fields[0]);
		prefix = "tlsf";
		break;
	default:
		return NULL;
	}
	for (size_t i = 0; fn && i < n; i++)
		fn(arg, fields[i].name, *(const uint32_t *)((const char *)layout + fields[i].off));
	return prefix;
}
