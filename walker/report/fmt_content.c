/* fmt_content.c - fragment contents for frags (--hexdump, --strings) and summary --classify. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "heapwalk/classify.h"
#include "heapwalk/report.h"

/* Characters of one string shown; longer ones are cut with "...". */
#define STRING_SHOW 200
#define STRING_MIN 4

static bool printable(uint8_t c)
{
	return c >= 0x20 && c < 0x7f;
}

void hw_fmt_content_text(struct hw_report *r, const struct hw_frag *f, const char *indent)
{
	if (r->hexdump) {
		size_t n = r->content.nhex;
		const uint8_t *p = r->content.hex;

		if (!p) {
			fprintf(r->out, "%s(payload not in the core)\n", indent);
		} else {
			for (size_t off = 0; off < n; off += 16) {
				fprintf(r->out, "%s%08zx ", indent, off);
				for (size_t i = 0; i < 16; i++) {
					if (i == 8)
						fputc(' ', r->out);
					if (off + i < n)
						fprintf(r->out, " %02x", p[off + i]);
					else
						fputs("   ", r->out);
				}
				fputs("  |", r->out);
				for (size_t i = 0; i < 16 && off + i < n; i++)
					fputc(printable(p[off + i]) ? p[off + i] : '.', r->out);
				fputs("|\n", r->out);
			}
			if (f->size > n)
				fprintf(r->out, "%s... %" PRIu64 " more bytes\n", indent,
					f->size - n);
		}
	}
	if (r->show_strings) {
		size_t n = r->content.nstr;
		const uint8_t *p = r->content.str;
		size_t i = 0;

		if (!p) {
			if (!r->hexdump)
				fprintf(r->out, "%s(payload not in the core)\n", indent);
			return;
		}
		while (i < n) {
			size_t s = i;
			while (i < n && printable(p[i]))
				i++;
			if (i - s >= STRING_MIN) {
				size_t k = i - s > STRING_SHOW ? STRING_SHOW : i - s;
				fprintf(r->out, "%s\"", indent);
				for (size_t j = 0; j < k; j++) {
					if (p[s + j] == '"' || p[s + j] == '\\')
						fputc('\\', r->out);
					fputc(p[s + j], r->out);
				}
				fprintf(r->out, "\"%s (at +%zu)\n", i - s > k ? "..." : "", s);
			}
			i++;
		}
	}
}

void hw_fmt_content_json(struct hw_report *r, const struct hw_frag *f)
{
	struct hw_json *js = &r->json;

	(void)f; /* the bytes were read into r->content */
	if (r->hexdump) {
		size_t n = r->content.nhex;
		const uint8_t *p = r->content.hex;
		static char hex[2 * (1u << 20) + 1];

		hw_json_key(js, "hexdump");
		if (!p) {
			hw_json_null(js);
		} else {
			static const char digits[] = "0123456789abcdef";
			for (size_t i = 0; i < n; i++) {
				hex[2 * i] = digits[p[i] >> 4];
				hex[2 * i + 1] = digits[p[i] & 15];
			}
			hex[2 * n] = '\0';
			hw_json_string(js, hex);
		}
	}
	if (r->show_strings) {
		size_t n = r->content.nstr;
		const uint8_t *p = r->content.str;
		size_t i = 0;
		char s[STRING_SHOW + 1];

		hw_json_key(js, "strings");
		if (!p) {
			hw_json_null(js);
			return;
		}
		hw_json_begin_array(js);
		while (i < n) {
			size_t st = i;
			while (i < n && printable(p[i]))
				i++;
			if (i - st >= STRING_MIN) {
				size_t k = i - st > STRING_SHOW ? STRING_SHOW : i - st;
				memcpy(s, p + st, k);
				s[k] = '\0';
				hw_json_string(js, s);
			}
			i++;
		}
		hw_json_end_array(js);
	}
}

void hw_fmt_classify_text(struct hw_report *r, const struct hw_pool_report *pr,
			  const struct hw_site *s, const char *indent)
{
	char buf[256];

	if (!pr->classify)
		return;
	hw_classify_describe(hw_classify_site(pr->classify, s->file, s->func, s->line), buf,
			     sizeof(buf));
	fprintf(r->out, "%sholds: %s\n", indent, buf);
}

static void counts_json(struct hw_json *js, const struct hw_content_counts *c)
{
	hw_json_begin_object(js);
	hw_json_key(js, "main");
	if (c && c->total)
		hw_json_string(js, hw_content_key(hw_classify_main(c)));
	else
		hw_json_null(js);
	for (int k = 0; k < HW_CONTENT_COUNT; k++) {
		hw_json_key(js, hw_content_key((enum hw_content)k));
		hw_json_u64(js, c ? c->count[k] : 0);
	}
	hw_json_key(js, "sip_start_lines");
	hw_json_begin_object(js);
	for (int i = 0; c && i < HW_CLASSIFY_LABELS && c->sip[i].n; i++) {
		hw_json_key(js, c->sip[i].label);
		hw_json_u64(js, c->sip[i].n);
	}
	if (c && c->sip_other) {
		hw_json_key(js, "other");
		hw_json_u64(js, c->sip_other);
	}
	hw_json_end_object(js);
	hw_json_end_object(js);
}

void hw_fmt_classify_json(struct hw_json *js, const struct hw_pool_report *pr,
			  const struct hw_site *s)
{
	if (!pr->classify)
		return;
	hw_json_key(js, "content");
	counts_json(js, hw_classify_site(pr->classify, s->file, s->func, s->line));
}

void hw_fmt_classify_total_text(struct hw_report *r, const struct hw_pool_report *pr,
				const char *indent)
{
	char buf[256];

	if (!pr->classify)
		return;
	hw_classify_describe(hw_classify_total(pr->classify), buf, sizeof(buf));
	fprintf(r->out, "%sused fragments hold: %s\n", indent, buf);
}

void hw_fmt_classify_total_json(struct hw_report *r, const struct hw_pool_report *pr)
{
	if (!pr->classify)
		return;
	hw_json_key(&r->json, "content");
	counts_json(&r->json, hw_classify_total(pr->classify));
}

void hw_fmt_stack_text(struct hw_report *r, const char *indent)
{
	char buf[600];

	if (!r->content.nbt)
		fprintf(r->out, "%s(no stored stack)\n", indent);
	for (size_t i = 0; i < r->content.nbt; i++) {
		hw_bt_frame_text(r->content.bt[i], buf, sizeof(buf));
		fprintf(r->out, "%s#%zu %s 0x%" PRIx64 "\n", indent, i, buf,
			r->content.bt[i]->addr);
	}
}

void hw_fmt_stack_json(struct hw_report *r)
{
	struct hw_json *js = &r->json;

	hw_json_key(js, "backtrace");
	hw_json_begin_array(js);
	for (size_t i = 0; i < r->content.nbt; i++) {
		const struct hw_bt_frame *f = r->content.bt[i];
		hw_json_begin_object(js);
		hw_json_key(js, "addr");
		hw_json_hex(js, f->addr);
		hw_json_key(js, "symbol");
		if (f->symbol)
			hw_json_string(js, f->symbol);
		else
			hw_json_null(js);
		hw_json_key(js, "object");
		if (f->object)
			hw_json_string(js, f->object);
		else
			hw_json_null(js);
		hw_json_key(js, "offset");
		if (f->symbol)
			hw_json_u64(js, f->offset);
		else
			hw_json_null(js);
		hw_json_end_object(js);
	}
	hw_json_end_array(js);
}

void hw_fmt_stack_csv(struct hw_report *r, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->content.nbt && len + 1 < cap; i++) {
		if (i)
			len += (size_t)snprintf(buf + len, cap - len, " < ");
		if (len + 1 >= cap)
			break;
		hw_bt_frame_text(r->content.bt[i], buf + len, cap - len);
		len += strlen(buf + len);
	}
}
