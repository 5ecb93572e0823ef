/* fmt_check.c - text and JSON for check and addr: findings with where they lie. */
#include <inttypes.h>
#include <string.h>

#include "heapwalk/locate.h"
#include "heapwalk/report.h"
#include "heapwalk/target.h"

static bool has_sites(const struct hw_pool_report *pr)
{
	return pr && hw_pool_debug(pr->pool);
}

void hw_fmt_brief_text(struct hw_report *r, const struct hw_pool_report *pr,
		       const struct hw_frag_brief *b)
{
	fprintf(r->out,
		"fragment %" PRIu64 "%s at 0x%" PRIx64 " (payload 0x%" PRIx64 ", %" PRIu64
		" bytes), %s",
		b->index, b->gaps ? " (relative)" : "", b->addr, b->user, b->size,
		b->used ? "used" : "free");
	if (has_sites(pr))
		fprintf(r->out, ", %s %s: %s(%" PRIu64 ")", b->used ? "allocated at" : "freed at",
			hw_strcache_get(&r->strings, b->file),
			hw_strcache_get(&r->strings, b->func), b->line);
}

void hw_fmt_brief_json(struct hw_report *r, const struct hw_pool_report *pr,
		       const struct hw_frag_brief *b)
{
	struct hw_json *js = &r->json;

	if (!b->valid) {
		hw_json_null(js);
		return;
	}
	hw_json_begin_object(js);
	hw_json_key(js, "index");
	hw_json_u64(js, b->index);
	hw_json_key(js, "index_relative");
	hw_json_bool(js, b->gaps != 0);
	hw_json_key(js, "frag");
	hw_json_hex(js, b->addr);
	hw_json_key(js, "address");
	hw_json_hex(js, b->user);
	hw_json_key(js, "size");
	hw_json_u64(js, b->size);
	hw_json_key(js, "state");
	hw_json_string(js, b->used ? "used" : "free");
	if (has_sites(pr)) {
		hw_json_key(js, "site_kind");
		hw_json_string(js, b->used ? "allocated" : "freed");
		hw_json_site(js, hw_strcache_get(&r->strings, b->file),
			     hw_strcache_get(&r->strings, b->func), b->line,
			     hw_strcache_module(&r->strings, b->mname, b->file));
	}
	hw_json_end_object(js);
}

/* @n bytes as text: printable ASCII as is, the rest as '.'. */
static void bytes_as_text(char *out, const uint8_t *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		out[i] = b[i] >= 0x20 && b[i] < 0x7f ? (char)b[i] : '.';
	out[n] = 0;
}

/* @n bytes in memory order as hex digits. */
static void bytes_as_hex(char *out, const uint8_t *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	out[2 * n] = 0;
}

static void bytes_line(struct hw_report *r, uint64_t at, const uint8_t *b, uint32_t n)
{
	char text[HW_DAMAGE_BYTES + 1], hex[2 * HW_DAMAGE_BYTES + 1];

	if (n > HW_DAMAGE_BYTES)
		n = HW_DAMAGE_BYTES;
	bytes_as_text(text, b, n);
	bytes_as_hex(hex, b, n);
	fprintf(r->out, "%u bytes at 0x%" PRIx64 ": \"%s\" (hex %s)\n", n, at, text, hex);
}

static void site_text(struct hw_report *r, const struct hw_pool_report *pr,
		      const struct hw_frag_brief *b)
{
	if (!has_sites(pr)) {
		fputs("site not recorded (a build without memory debugging)", r->out);
		return;
	}
	fprintf(r->out, "%s %s: %s(%" PRIu64 ")", b->used ? "allocated at" : "freed at",
		hw_strcache_get(&r->strings, b->file), hw_strcache_get(&r->strings, b->func),
		b->line);
	const char *mod = hw_strcache_module(&r->strings, b->mname, b->file);
	if (mod[0])
		fprintf(r->out, ", module %s", mod);
}

/* The damage explained (text): the bytes, the likely culprit and its tail; a double free. */
static void explain_text(struct hw_report *r, const struct hw_pool_report *pr,
			 const struct hw_location *l, const char *indent)
{
	const struct hw_overrun *o = &l->overrun;
	const struct hw_double_free *d = &l->dfree;

	if (o->valid) {
		fprintf(r->out, "%sbytes:   ", indent);
		bytes_line(r, o->at, o->bytes, o->nbytes);
	}
	if (o->valid && o->culprit.valid) {
		const struct hw_frag_brief *c = &o->culprit;
		fprintf(r->out,
			"%sculprit: likely an overrun of %s%" PRIu64 " bytes from fragment %" PRIu64
			" at 0x%" PRIx64 " (",
			indent, o->at_least ? "at least " : "", o->length, c->index, c->addr);
		site_text(r, pr, c);
		fprintf(r->out, ", %" PRIu64 " bytes) into ", c->size);
		if (o->into == c->addr && c->span &&
		    c->user + c->size + o->length > c->addr + c->span)
			fprintf(r->out,
				"its own trailer and the fragment after it at 0x%" PRIx64 "\n",
				c->addr + c->span);
		else if (o->into == c->addr)
			fputs("its own trailer\n", r->out);
		else
			fprintf(r->out, "the fragment at 0x%" PRIx64 "\n", o->into);
		fprintf(r->out, "%sits tail: ", indent);
		bytes_line(r, o->tail_at, o->tail, o->ntail);
	}
	if (d->valid) {
		fprintf(r->out,
			"%slikely a double free: fragment %" PRIu64 " at 0x%" PRIx64 " (%" PRIu64
			" bytes), ",
			indent, d->frag.index, d->frag.addr, d->frag.size);
		if (d->reused)
			fputs("still on a free list but in use again, ", r->out);
		else
			fputs("freed while already free, ", r->out);
		site_text(r, pr, &d->frag);
		if (!has_sites(pr))
			fputc('\n', r->out);
		else if (d->reused)
			fputs(" (its new owner; the frees' sites were overwritten)\n", r->out);
		else
			fputs(" (the later free; the header keeps one site: the earlier free's and "
			      "the allocation's are overwritten)\n",
			      r->out);
		if (d->holder.valid) {
			fprintf(r->out,
				"%sstill held by: fragment %" PRIu64 " at 0x%" PRIx64
				" points into it (",
				indent, d->holder.index, d->holder.addr);
			site_text(r, pr, &d->holder);
			fprintf(r->out,
				", %" PRIu64 " bytes): the owner that may use or free it "
				"again\n",
				d->holder.size);
		}
	}
}

static void bytes_json(struct hw_json *js, uint64_t at, const uint8_t *b, uint32_t n)
{
	char text[HW_DAMAGE_BYTES + 1], hex[2 * HW_DAMAGE_BYTES + 1];

	if (n > HW_DAMAGE_BYTES)
		n = HW_DAMAGE_BYTES;
	bytes_as_text(text, b, n);
	bytes_as_hex(hex, b, n);
	hw_json_begin_object(js);
	hw_json_key(js, "at");
	hw_json_hex(js, at);
	hw_json_key(js, "hex");
	hw_json_string(js, hex);
	hw_json_key(js, "text");
	hw_json_string(js, text);
	hw_json_end_object(js);
}

/* The damage explained (JSON members; none when there is nothing to say). */
static void explain_json(struct hw_report *r, const struct hw_pool_report *pr,
			 const struct hw_location *l)
{
	struct hw_json *js = &r->json;
	const struct hw_overrun *o = &l->overrun;
	const struct hw_double_free *d = &l->dfree;

	if (o->valid) {
		hw_json_key(js, "damaged_bytes");
		bytes_json(js, o->at, o->bytes, o->nbytes);
		hw_json_key(js, "culprit");
		if (!o->culprit.valid) {
			hw_json_null(js);
		} else {
			hw_json_begin_object(js);
			hw_json_key(js, "kind");
			hw_json_string(js, "overrun");
			hw_json_key(js, "fragment");
			hw_fmt_brief_json(r, pr, &o->culprit);
			hw_json_key(js, "into");
			hw_json_hex(js, o->into);
			hw_json_key(js, "own_trailer");
			hw_json_bool(js, o->into == o->culprit.addr);
			hw_json_key(js, "length");
			hw_json_u64(js, o->length);
			hw_json_key(js, "at_least");
			hw_json_bool(js, o->at_least);
			hw_json_key(js, "tail");
			bytes_json(js, o->tail_at, o->tail, o->ntail);
			hw_json_end_object(js);
		}
	}
	if (d->valid) {
		hw_json_key(js, "double_free");
		hw_json_begin_object(js);
		hw_json_key(js, "fragment");
		hw_fmt_brief_json(r, pr, &d->frag);
		hw_json_key(js, "reused");
		hw_json_bool(js, d->reused);
		hw_json_key(js, "sites");
		hw_json_string(js,
			       !has_sites(pr) ? "not recorded (a build without memory debugging)"
			       : d->reused ? "the site is the new owner's allocation; the frees' "
					     "sites were overwritten"
					   : "the site is the later free's; the earlier free's "
					     "and the allocation's were overwritten");
		hw_json_key(js, "held_by");
		if (d->holder.valid)
			hw_fmt_brief_json(r, pr, &d->holder);
		else
			hw_json_null(js);
		hw_json_end_object(js);
	}
}

static const char *part_name(enum hw_loc_part p)
{
	return p == HW_PART_HEADER ? "header" : p == HW_PART_PAYLOAD ? "payload" : "trailer";
}

/* The lines under a finding (text): the fragment it is in, and those around it. */
static void where_text(struct hw_report *r, const struct hw_pool_report *pr,
		       const struct hw_location *l, const char *indent)
{
	switch (l->kind) {
	case HW_LOC_FRAG:
		fprintf(r->out, "%sin:     ", indent);
		hw_fmt_brief_text(r, pr, &l->frag);
		fputc('\n', r->out);
		break;
	case HW_LOC_GAP:
		fprintf(r->out,
			"%sin:     the damaged range 0x%" PRIx64 "-0x%" PRIx64
			" the walk skipped\n",
			indent, l->gap_from, l->gap_to);
		break;
	case HW_LOC_BLOCK:
		fprintf(r->out, "%sin:     the %s block header (free lists, counters)\n", indent,
			pr->pool->manager);
		return;
	default:
		return;
	}
	if (l->prev.valid) {
		fprintf(r->out, "%sbefore: ", indent);
		hw_fmt_brief_text(r, pr, &l->prev);
		fputc('\n', r->out);
	}
	if (l->next.valid) {
		fprintf(r->out, "%safter:  ", indent);
		hw_fmt_brief_text(r, pr, &l->next);
		fputc('\n', r->out);
	}
	explain_text(r, pr, l, indent);
}

static void where_json(struct hw_report *r, const struct hw_pool_report *pr,
		       const struct hw_location *l)
{
	struct hw_json *js = &r->json;
	static const char *const kinds[] = {"none", "block_header", "fragment", "damaged_range",
					    "unwalked"};

	hw_json_key(js, "location");
	hw_json_string(js, kinds[l->kind]);
	if (l->kind == HW_LOC_FRAG) {
		hw_json_key(js, "part");
		hw_json_string(js, part_name(l->part));
	}
	if (l->kind == HW_LOC_GAP)
		hw_json_range(js, "damaged_range", l->gap_from, l->gap_to);
	hw_json_key(js, "fragment");
	if (l->kind == HW_LOC_FRAG)
		hw_fmt_brief_json(r, pr, &l->frag);
	else
		hw_json_null(js);
	hw_json_key(js, "previous");
	hw_fmt_brief_json(r, pr, &l->prev);
	hw_json_key(js, "next");
	hw_fmt_brief_json(r, pr, &l->next);
	explain_json(r, pr, l);
}

/* Beside an intact OpenSIPS debug heap its own dump calls broken: why it is not. */
static void false_alarm_note(struct hw_report *r, const struct hw_pool_report *pr)
{
	const struct hw_layout_head *l = pr->pool->layout;

	if (l && l->product == HW_PRODUCT_OPENSIPS && l->debug && pr->walk.complete && pr->alloc &&
	    pr->alloc->os.false_alarm)
		fprintf(r->out, "  note:        %s\n", pr->alloc->os.false_alarm);
}

static void check_text(struct hw_report *r, const struct hw_check_pool *cp, size_t n)
{
	uint64_t errors = 0;

	for (size_t i = 0; i < n; i++) {
		const struct hw_check_pool *c = &cp[i];
		const struct hw_pool_report *pr = c->pr;
		const struct hw_check *ck = &pr->check;

		if (i)
			fputc('\n', r->out);
		if (!pr->walked)
			continue;
		fprintf(r->out, "%s pool: %s, block 0x%" PRIx64 ", layout %s\n", pr->pool->name,
			pr->pool->manager[0] ? pr->pool->manager : "unknown manager",
			pr->pool->block, hw_pool_layout_source(pr->pool));
		fprintf(r->out,
			"  walk:        %" PRIu64 " fragments (%" PRIu64 " used, %" PRIu64 " free)",
			pr->walk.frags, pr->walk.used_frags, pr->walk.free_frags);
		if (pr->walk.gaps)
			fprintf(r->out,
				", %" PRIu64 " damaged range%s skipped (%" PRIu64
				" bytes); fragment indices after a skipped range are relative",
				pr->walk.gaps, pr->walk.gaps == 1 ? "" : "s", pr->walk.gap_bytes);
		else if (pr->walk.complete)
			fputs(", tiling the heap exactly", r->out);
		fputc('\n', r->out);
		for (size_t g = 0; g < c->ngaps; g++)
			fprintf(r->out,
				"  skipped:     0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " bytes)\n",
				c->gaps[g].from, c->gaps[g].to, c->gaps[g].to - c->gaps[g].from);
		fprintf(r->out, "  free lists:  %" PRIu64 " elements followed\n", c->listed);
		if (has_sites(pr))
			fprintf(r->out, "  site texts:  %" PRIu64 " distinct pointers checked\n",
				c->strings_checked);
		if (!ck->total) {
			fputs("  result:      ok, no damage found\n", r->out);
			false_alarm_note(r, pr);
			continue;
		}
		fprintf(r->out,
			"  findings:    %" PRIu64 " (%" PRIu64 " errors, %" PRIu64 " warnings)\n",
			ck->total, ck->errors, ck->warnings);
		for (size_t k = 0; k < ck->n; k++) {
			const struct hw_finding *f = &ck->items[k];
			const char *on = "", *off = "";

			if (r->color && f->sev == HW_SEV_ERROR)
				on = "\033[31m", off = "\033[0m";
			else if (r->color && f->sev == HW_SEV_WARNING)
				on = "\033[33m", off = "\033[0m";
			fprintf(r->out, "    %s%s%s at 0x%" PRIx64, on, hw_severity_name(f->sev),
				off, f->addr);
			if (f->index != HW_NO_INDEX)
				fprintf(r->out, " (fragment %" PRIu64 ")", f->index);
			fprintf(r->out, ": %s\n", f->message);
			if (c->where)
				where_text(r, pr, &c->where[k], "        ");
		}
		if (ck->total > ck->n)
			fprintf(r->out, "    ... %" PRIu64 " more not shown\n", ck->total - ck->n);
		errors += ck->errors;
		fprintf(r->out, "  result:      %s\n",
			ck->errors ? "DAMAGED (see the errors above)"
				   : "no damage; warnings only (bookkeeping, transient states)");
	}
	(void)errors;
}

/* A check finding's JSON adds where it lies (hw_json_findings_more). */
struct where_ctx {
	struct hw_report *r;
	const struct hw_check_pool *c;
};

static void finding_where(void *ctx, size_t k)
{
	const struct where_ctx *w = ctx;

	if (w->c->where)
		where_json(w->r, w->c->pr, &w->c->where[k]);
}

static void check_json(struct hw_report *r, const struct hw_check_pool *cp, size_t n)
{
	struct hw_json *js = &r->json;

	hw_fmt_json_head(r);
	hw_json_key(js, "pools");
	hw_json_begin_array(js);
	for (size_t i = 0; i < n; i++) {
		const struct hw_check_pool *c = &cp[i];
		const struct hw_pool_report *pr = c->pr;
		const struct hw_check *ck = &pr->check;
		struct where_ctx w = {r, c};

		hw_json_begin_object(js);
		hw_json_pool_members(js, pr, NULL);
		if (pr->walked) {
			hw_json_walk_frags(js, pr, NULL);
			hw_json_key(js, "walk_complete");
			hw_json_bool(js, pr->walk.complete);
			hw_json_key(js, "skipped");
			hw_json_begin_array(js);
			for (size_t g = 0; g < c->ngaps; g++) {
				hw_json_begin_object(js);
				hw_json_key(js, "from");
				hw_json_hex(js, c->gaps[g].from);
				hw_json_key(js, "to");
				hw_json_hex(js, c->gaps[g].to);
				hw_json_key(js, "bytes");
				hw_json_u64(js, c->gaps[g].to - c->gaps[g].from);
				hw_json_end_object(js);
			}
			hw_json_end_array(js);
			hw_json_key(js, "free_list_elements");
			hw_json_u64(js, c->listed);
			hw_json_key(js, "site_pointers_checked");
			hw_json_u64(js, c->strings_checked);
			hw_json_key(js, "errors");
			hw_json_u64(js, ck->errors);
			hw_json_key(js, "warnings");
			hw_json_u64(js, ck->warnings);
			hw_json_findings_more(js, ck, finding_where, &w);
		}
		hw_json_end_object(js);
	}
	hw_json_end_array(js);
	hw_json_doc_close(js);
}

void hw_fmt_check(struct hw_report *r, const struct hw_check_pool *cp, size_t n)
{
	if (r->format == HW_FMT_JSON)
		check_json(r, cp, n);
	else
		check_text(r, cp, n);
}

static const char *kind_text(enum hw_loc_kind k)
{
	switch (k) {
	case HW_LOC_BLOCK:
		return "the block header";
	case HW_LOC_FRAG:
		return "a fragment";
	case HW_LOC_GAP:
		return "a damaged range";
	case HW_LOC_UNWALKED:
		return "the heap, past where the walk ended";
	default:
		return "nothing heapwalk walks";
	}
}

void hw_fmt_addr(struct hw_report *r, const struct hw_pool_report *pr,
		 const struct hw_location *loc, const char *elsewhere)
{
	if (r->format == HW_FMT_JSON) {
		struct hw_json *js = &r->json;

		hw_fmt_json_head(r);
		hw_json_key(js, "address");
		hw_json_hex(js, loc->addr);
		hw_json_opt_string(js, "pool", pr ? pr->pool->name : NULL);
		if (pr) {
			hw_json_key(js, "manager");
			hw_json_string(js, pr->pool->manager);
			if (loc->kind == HW_LOC_FRAG) {
				hw_json_key(js, "offset");
				hw_json_i64(js, (int64_t)loc->offset);
			}
			where_json(r, pr, loc);
			if (loc->kind == HW_LOC_FRAG && r->content.has_bt)
				hw_fmt_stack_json(r);
		} else {
			hw_json_key(js, "location");
			hw_json_string(js, "none");
		}
		hw_json_opt_string(js, "elsewhere", elsewhere);
		hw_json_doc_close(js);
		return;
	}
	fprintf(r->out, "address 0x%" PRIx64 ": ", loc->addr);
	if (!pr) {
		fprintf(r->out, "in no %s pool%s%s\n",
			r->inst && r->inst->product == HW_PRODUCT_OPENSIPS ? "OpenSIPS"
									   : "Kamailio",
			elsewhere ? "; " : "", elsewhere ? elsewhere : "");
		return;
	}
	fprintf(r->out, "in the %s pool (%s), in %s\n", pr->pool->name, pr->pool->manager,
		kind_text(loc->kind));
	if (loc->kind == HW_LOC_FRAG) {
		const struct hw_frag_brief *b = &loc->frag;
		int64_t off = (int64_t)loc->offset;
		fprintf(r->out,
			"  fragment:  %" PRIu64 "%s, header 0x%" PRIx64 ", payload 0x%" PRIx64
			", %" PRIu64 " bytes\n",
			b->index, b->gaps ? " (index relative: counted after a damaged range)" : "",
			b->addr, b->user, b->size);
		if (loc->part == HW_PART_PAYLOAD)
			fprintf(r->out, "  position:  payload + %" PRId64 "\n", off);
		else if (loc->part == HW_PART_HEADER)
			fprintf(r->out,
				"  position:  in the fragment header (payload %" PRId64 ")\n", off);
		else
			fprintf(r->out,
				"  position:  past the payload, in the trailer (payload + %" PRId64
				")\n",
				off);
		fprintf(r->out, "  state:     %s\n",
			b->used ? "used (allocated)"
				: "free (a pointer to it is a use after free)");
		if (has_sites(pr)) {
			const char *mod = hw_strcache_module(&r->strings, b->mname, b->file);
			fprintf(r->out, "  %s %s: %s(%" PRIu64 ")%s%s\n",
				b->used ? "allocated:" : "freed at: ",
				hw_strcache_get(&r->strings, b->file),
				hw_strcache_get(&r->strings, b->func), b->line,
				mod[0] ? ", module " : "", mod);
		} else
			fprintf(r->out, "  site:      not recorded (allocation sites need %s)\n",
				hw_sites_need(r->inst));
		if (r->content.has_bt) {
			fprintf(r->out, "  stack:     %s\n",
				b->used ? "where allocated" : "where freed");
			hw_fmt_stack_text(r, "    ");
		}
	} else if (loc->kind == HW_LOC_GAP) {
		fprintf(r->out,
			"  damaged:   0x%" PRIx64 "-0x%" PRIx64
			" could not be walked; no fragment header found in it\n",
			loc->gap_from, loc->gap_to);
	}
	if (loc->prev.valid) {
		fputs("  previous:  ", r->out);
		hw_fmt_brief_text(r, pr, &loc->prev);
		fputc('\n', r->out);
	}
	if (loc->next.valid) {
		fputs("  next:      ", r->out);
		hw_fmt_brief_text(r, pr, &loc->next);
		fputc('\n', r->out);
	}
	explain_text(r, pr, loc, "  ");
}

static void check_text_out(struct hw_report *r, const void *model)
{
	const struct hw_check_result *c = model;

	check_text(r, c->cp, c->n);
}

static void check_json_out(struct hw_report *r, const void *model)
{
	const struct hw_check_result *c = model;

	check_json(r, c->cp, c->n);
}

/* addr writes text or JSON as r->format says */
static void addr_out(struct hw_report *r, const void *model)
{
	const struct hw_addr_result *a = model;

	hw_fmt_addr(r, a->pr, a->loc, a->elsewhere);
}

const struct hw_output hw_outputs_check[] = {
    {"check", HW_FMT_TEXT, check_text_out},
    {"check", HW_FMT_JSON, check_json_out},
    {"addr", HW_FMT_TEXT, addr_out},
    {"addr", HW_FMT_JSON, addr_out},
    {NULL, 0, NULL},
};
