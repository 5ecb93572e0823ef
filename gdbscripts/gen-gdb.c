/* gen-gdb.c - writes heapwalk.gdb's generated parts: profiles.gdb, loops.gdb, loops-ptr.gdb. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/gdb_emit.h"
#include "heapwalk/alloc.h"
#include "heapwalk/layout.h"

#define CAP 128

/* The C type gdb must read a field of @size bytes with. */
static const char *int_type(unsigned size)
{
	return size == 8 ? "unsigned long long" : size == 4 ? "unsigned int" : "unsigned long";
}

/*
 * gdb command names take letters, digits, '-', '_' and '.': a '+' in a
 * profile name ("fm-5.8+-dbg-lp64") becomes '_' in the command name;
 * hw-layout maps the name the same way.
 */
static const char *cmd_name(const char *name)
{
	static char buf[80];
	size_t i;

	for (i = 0; name[i] && i + 1 < sizeof(buf); i++)
		buf[i] = name[i] == '+' ? '_' : name[i];
	buf[i] = '\0';
	return buf;
}

static void profile_head(const char *name)
{
	printf("define hw-profile %s\n", cmd_name(name));
}

/*
 * A profile's values as one array literal, handed to hw-internal apply-<p>
 * (below), which sets the variables 'heapwalk layout --format gdb' writes:
 * the same values, far fewer bytes for gdb to read when it loads the file.
 */
static void value_field(void *arg, const char *name, uint32_t v)
{
	(void)name;
	(void)arg;
	if (v == HW_NO_OFF)
		printf(", -1");
	else
		printf(", %u", v);
}

static void profile_values(const struct hw_allocator *a, const struct hw_layout_head *l)
{
	const char *p = hw_gdb_layout_fields(a, l, NULL, NULL);

	printf("  set $hw_v = {%d, %d", l->era, l->debug ? 1 : 0);
	hw_gdb_layout_flags(a, l, value_field, NULL);
	hw_gdb_layout_fields(a, l, value_field, NULL);
	printf("}\n  hw-internal apply-%s\n  set $hw_layout_name = ", p);
	hw_gdb_emit_string(stdout, l->name);
	printf("\n  set $hw_layout_src = ");
	hw_gdb_emit_string(stdout, l->source);
	putchar('\n');
}

struct apply_ctx {
	const char *p;
	int i;
};

static void apply_field(void *arg, const char *name, uint32_t v)
{
	struct apply_ctx *c = arg;

	(void)v;
	printf(", $hw_%s_%s = $hw_v[%d]", c->p, name, c->i++);
}

static void apply_cmd(const struct hw_allocator *a, const struct hw_layout_head *l)
{
	struct apply_ctx c = {hw_gdb_layout_fields(a, l, NULL, NULL), 2};

	printf("define hw-internal apply-%s\n  set $hw_mgr = %d\n", c.p, a->gdb_id);
	printf("  set $hw_%s_era = $hw_v[0], $hw_%s_debug = $hw_v[1]", c.p, c.p);
	hw_gdb_layout_flags(a, l, apply_field, &c);
	hw_gdb_layout_fields(a, l, apply_field, &c);
	printf("\nend\ndocument hw-internal apply-%s\n(internal) Set the %s layout variables from "
	       "the array $hw_v of a profile.\nend\n\n",
	       c.p, c.p);
}

static void profile_doc(const char *name, const char *doc)
{
	const char *cmd = cmd_name(name);

	printf("end\ndocument hw-profile %s\n%s%s%s%s\nend\n\n", cmd, doc,
	       strcmp(cmd, name) ? " Name: " : "", strcmp(cmd, name) ? name : "",
	       strcmp(cmd, name) ? " (hw-layout takes either spelling)." : "");
}

static void qm_doc(const struct hw_layout_head *h, char *doc, size_t cap)
{
	const struct hw_qm_layout *l = (const void *)h;

	snprintf(doc, cap,
		 "q_malloc %s, %s, %u-bit: header %u + trailer %u bytes, ROUNDTO %u, "
		 "first fragment at block + %u.",
		 hw_qm_era_name(l->era), l->debug ? "debug build" : "non-debug build", l->word * 8,
		 l->frag_size, l->end_size, l->roundto, l->first_off);
}

/*
 * An OpenSIPS profile fits when the first fragment is where it puts it and
 * its header size tiles the heap's first fragments (hw-internal fp-tile):
 * a packaged build has the debug fields in its headers whichever flavour
 * runs, so no start pattern can tell debug headers from plain ones.
 */
static void os_fingerprint(const struct hw_layout_head *l, uint32_t b_first, uint32_t b_last,
			   uint32_t first_off, uint32_t hs, uint32_t es, const char *more)
{
	unsigned a = l->roundto, b = hs;

	while (b) {
		unsigned t = a % b;
		a = b;
		b = t;
	}
	printf(
	    "  if $hw_found == 0 && $hw_os == 1 && $hw_ptr == %u && *(unsigned long *)($hw_block "
	    "+ %u) - $hw_block == %u%s\n",
	    l->word, b_first, first_off, more);
	printf("    hw-internal fp-tile %u %u %u %u %u\n    if $hw_tile\n      hw-profile %s\n"
	       "      set $hw_found = 1\n    end\n  end\n",
	       hs, es, b_first, b_last, a, cmd_name(l->name));
}

static void qm_fingerprint(const void *profiles, size_t n)
{
	const struct hw_qm_layout *all = profiles;

	/*
	 * Newest era first, so that eras whose walk layout is the same (4.2-4.3 and
	 * 4.4-5.7 non-debug) resolve to the newer name. A debug profile also needs
	 * the first fragment's start pattern, which tells 5.8 from master.
	 */
	printf("define hw-internal fp-qm\n  set $hw_found = 0\n");
	for (size_t k = n < CAP ? n : CAP; k-- > 0;) {
		const struct hw_qm_layout *l = &all[k];
		if (l->product == HW_PRODUCT_OPENSIPS) {
			os_fingerprint(&l->head, l->b_first_frag, l->b_last_frag_end, l->first_off,
				       l->frag_size, l->end_size, "");
			continue;
		}
		printf("  if $hw_found == 0 && $hw_os == 0 && $hw_ptr == %u && *(unsigned long "
		       "*)($hw_block + %u) - $hw_block == %u",
		       l->word, l->b_first_frag, l->first_off);
		if (l->debug)
			printf(" && *(unsigned long *)($hw_block + %u + %u) == 0xf0f0f0f0",
			       l->first_off, l->f_check);
		printf("\n    hw-profile %s\n    set $hw_found = 1\n  end\n", cmd_name(l->name));
	}
	printf("end\ndocument hw-internal fp-qm\n(internal) Pick the q_malloc profile whose "
	       "first_frag offset (and start pattern) the block at $hw_block shows; "
	       "$hw_found = 1 if one fits.\nend\n\n");
}

static void fm_doc(const struct hw_layout_head *h, char *doc, size_t cap)
{
	const struct hw_fm_layout *l = (const void *)h;

	snprintf(doc, cap,
		 "f_malloc %s, %s%s, %u-bit: header %u bytes, ROUNDTO %u, first fragment "
		 "at block + %u.",
		 hw_fm_era_name(l->era), l->debug ? "debug build" : "non-debug build",
		 l->stats ? "" : " without counters", l->word * 8, l->frag_size, l->roundto,
		 l->first_off);
}

static void fm_fingerprint(const void *profiles, size_t n)
{
	const struct hw_fm_layout *all = profiles;

	/*
	 * Debug and non-debug builds of one era can share the offset: the start
	 * pattern's place tells them apart, so the profiles that test one come
	 * first (pass 0), then those that cannot (pass 1).
	 */
	printf("define hw-internal fp-fm\n  set $hw_found = 0\n");
	for (int pass = 0; pass < 2; pass++)
		for (size_t k = n < CAP ? n : CAP; k-- > 0;) {
			const struct hw_fm_layout *l = &all[k];
			if ((l->f_check != HW_NO_OFF || l->f_pf != HW_NO_OFF) != (pass == 0))
				continue;
			if (l->product == HW_PRODUCT_OPENSIPS) {
				/* 2.4's debug start pattern; 3.4+: the second fragment's pf
				 * points back at the first */
				char more[256] = "";
				if (l->f_check != HW_NO_OFF)
					snprintf(more, sizeof(more),
						 " && *(%s *)($hw_block + %u + %u) == 0xf0f0f0f0",
						 int_type(l->f_check_size), l->first_off,
						 l->f_check);
				else if (l->f_pf != HW_NO_OFF)
					snprintf(more, sizeof(more),
						 " && *(unsigned long *)($hw_block + %u + %u + "
						 "*(unsigned long *)($hw_block + %u) + %u) == "
						 "$hw_block + %u",
						 l->first_off, l->frag_size, l->first_off, l->f_pf,
						 l->first_off);
				os_fingerprint(&l->head, l->b_first_frag, l->b_last_frag,
					       l->first_off, l->frag_size, 0, more);
				continue;
			}
			printf("  if $hw_found == 0 && $hw_os == 0 && $hw_ptr == %u && *(unsigned "
			       "long *)($hw_block + %u) - $hw_block == %u",
			       l->word, l->b_first_frag, l->first_off);
			if (l->f_check != HW_NO_OFF)
				printf(" && *(%s *)($hw_block + %u + %u) == 0xf0f0f0f0",
				       int_type(l->f_check_size), l->first_off, l->f_check);
			printf("\n    hw-profile %s\n    set $hw_found = 1\n  end\n",
			       cmd_name(l->name));
		}
	printf("end\ndocument hw-internal fp-fm\n(internal) Pick the f_malloc profile whose "
	       "first_frag offset (and start pattern) the block at $hw_block shows; "
	       "$hw_found = 1 if one fits.\nend\n\n");
}

static void tlsf_doc(const struct hw_layout_head *h, char *doc, size_t cap)
{
	const struct hw_tlsf_layout *l = (const void *)h;

	snprintf(doc, cap,
		 "TLSF %s, %s, %u-bit: block header %u bytes (user data at +%u), "
		 "control_t %u bytes.",
		 hw_tlsf_era_name(l->era), l->debug ? "debug build" : "non-debug build",
		 l->word * 8, l->hdr_size, l->start_offset, l->control_size);
}

static void tlsf_fingerprint(const void *profiles, size_t n)
{
	const struct hw_tlsf_layout *all = profiles;

	/*
	 * TLSF keeps no first-fragment pointer: a layout fits when total_size
	 * and real_used are plausible where it puts them and the first block
	 * header (control + sizeof(control_t) - one word) has a plausible size.
	 */
	printf("define hw-internal fp-tlsf\n  set $hw_found = 0\n");
	for (size_t k = n < CAP ? n : CAP; k-- > 0;) {
		const struct hw_tlsf_layout *l = &all[k];
		printf("  if $hw_found == 0 && $hw_os == 0 && $hw_ptr == %u && *(unsigned long "
		       "*)($hw_block + %u) > %u && *(unsigned long *)($hw_block + %u) < %s && "
		       "*(unsigned long *)($hw_block "
		       "+ %u) <= *(unsigned long *)($hw_block + %u)",
		       l->word, l->c_total_size, l->control_size, l->c_total_size,
		       l->word == 8 ? "0x10000000000" : "0xffffffff", l->c_real_used,
		       l->c_total_size);
		printf(
		    " && (*(unsigned long *)($hw_block + %u + %u) & ~3) >= %u && (*(unsigned long "
		    "*)($hw_block + %u + %u) & ~3) <= *(unsigned long *)($hw_block + %u)",
		    l->control_size - l->word, l->h_size, l->size_min, l->control_size - l->word,
		    l->h_size, l->c_total_size);
		printf("\n    hw-profile %s\n    set $hw_found = 1\n  end\n", cmd_name(l->name));
	}
	printf(
	    "end\ndocument hw-internal fp-tlsf\n(internal) Pick the TLSF profile under which "
	    "the control block at $hw_block reads plausibly; $hw_found = 1 if one fits.\nend\n\n");
}

static void hp_doc(const struct hw_layout_head *h, char *doc, size_t cap)
{
	const struct hw_hp_layout *l = (const void *)h;

	snprintf(doc, cap,
		 "hp_malloc (OpenSIPS), %s, %u-bit: header %u bytes, %u + %u hash buckets, "
		 "first fragment at block + %u.",
		 l->debug ? "debug build" : "non-debug build", l->word * 8, l->frag_size,
		 l->hash_size, l->extra_hash_size, l->first_off);
}

static void hp_fingerprint(const void *profiles, size_t n)
{
	const struct hw_hp_layout *all = profiles;

	printf("define hw-internal fp-hp\n  set $hw_found = 0\n");
	for (size_t k = 0; k < n && k < CAP; k++)
		os_fingerprint(&all[k].head, all[k].b_first_frag, all[k].b_last_frag,
			       all[k].first_off, all[k].frag_size, 0, "");
	printf(
	    "end\ndocument hw-internal fp-hp\n(internal) Pick the hp_malloc profile whose "
	    "first_frag offset the block at $hw_block shows; $hw_found = 1 if one fits.\nend\n\n");
}

static void par_doc(const struct hw_layout_head *h, char *doc, size_t cap)
{
	const struct hw_par_layout *p = (const void *)h;

	snprintf(doc, cap,
		 "f_parallel_malloc (OpenSIPS 3.6+), %s, %u-bit: header %u bytes, %u pools of "
		 "%u hash buckets, first fragment at block + %u.",
		 p->fm.debug ? "debug build" : "non-debug build", p->fm.word * 8, p->fm.frag_size,
		 p->pools, p->fm.hash_size, p->fm.first_off);
}

/*
 * The parallel pools: the block is one pool's, or the array shm_blocks
 * points at, whose first pool is then tested.
 */
static void par_fingerprint(const void *profiles, size_t n)
{
	const struct hw_par_layout *all = profiles;

	printf("define hw-internal fp-par\n  set $hw_found = 0\n  set $hw_fpb = $hw_block\n");
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			puts("  if $hw_found == 0\n    set $hw_block = *(unsigned long *)$hw_fpb");
		if (pass)
			puts("  end");
		for (size_t k = 0; k < n && k < CAP; k++) {
			const struct hw_fm_layout *l = &all[k].fm;
			os_fingerprint(&l->head, l->b_first_frag, l->b_last_frag, l->first_off,
				       l->frag_size, 0, "");
		}
	}
	printf("  set $hw_block = $hw_fpb\nend\ndocument hw-internal fp-par\n(internal) Pick the "
	       "parallel-pool profile whose first_frag offset the pool at $hw_block (or the first "
	       "of the array there) shows; $hw_found = 1 if one fits.\nend\n\n");
}

/* ---- loops.gdb ---- */

/*
 * The walk loops. gdb parses a `while` condition once per execution of the
 * `while` command but every body line on every pass, so these loops do all
 * per-fragment work in the condition and keep a single printf as the body.
 * To skip fragments that are not printed without running the body, the
 * condition repeats the one-fragment step UNROLL times (each step's "not
 * shown" branch is the next step); when all of them skip, the inner loop
 * ends and the outer loop starts it again. The outer loop ends at the heap
 * end ($hw_fin), at a bad size ($hw_bad) or after index $hw_to.
 *
 * The steps read only generic variables, which hw-qm.gdb, hw-fm.gdb and
 * hw-tlsf.gdb set up for their manager before calling a loop:
 *   $hw_nx   the next fragment (header address); $hw_i its index - 1
 *   $hw_lfe  fragments start below this (q_malloc/f_malloc)
 *   $hw_end  no fragment may end after this
 *   $hw_hsz  no size may reach this (the heap size)
 *   $hw_H    user pointer - header
 *   $hw_he   next header - header - size
 *   $hw_osz  offset of the size word (TLSF; low two bits are flags)
 *   $hw_ou   offset of the word that is 0 when the fragment is used
 *   $hw_ofile, $hw_ofunc, $hw_oline   debug fields
 *   $hw_ock  offset of the start pattern (q_malloc, f_malloc debug builds)
 * and leave $hw_f, $hw_i at the last fragment looked at.
 */

#define UNROLL 4

/* Free-list tails hw-fm.gdb can track (f_malloc up to 4.1). */
#define TAILS_CAP 1024

/* The next-step placeholder inside a step template. */
#define NEXT "@NEXT@"

/* q_malloc / f_malloc: size at offset 0, next = f + he + size, heap ends at lfe. */
static const char step_frag[] =
    "(($hw_f = $hw_nx) < $hw_lfe ? (($hw_i = $hw_i + 1) <= $hw_to ? "
    "(($hw_sz = *(unsigned long *)$hw_f) < $hw_hsz ? "
    "(($hw_nx = $hw_f + $hw_he + $hw_sz) <= $hw_end ? "
    "(@SHOW@ ? (@SET@, 1) : " NEXT
    ") : ($hw_bad = 1, 0)) : ($hw_bad = 1, 0)) : 0) : ($hw_fin = 1, 0))";

/* TLSF: size word with two flag bits; a zero size is the sentinel that ends the pool. */
static const char step_tlsf[] =
    "((($hw_sz = *(unsigned long *)(($hw_f = $hw_nx) + $hw_osz) & ~3) != 0) ? "
    "(($hw_i = $hw_i + 1) <= $hw_to ? ($hw_sz < $hw_hsz ? "
    "(($hw_nx = $hw_f + $hw_he + $hw_sz) <= $hw_end ? "
    "(@SHOW@ ? (@SET@, 1) : " NEXT
    ") : ($hw_bad = 1, 0)) : ($hw_bad = 1, 0)) : 0) : ($hw_fin = 1, 0))";

struct flavour {
	const char *name; /* loop name part */
	const char *step; /* step_frag or step_tlsf */
	const char *used; /* expression: the fragment at $hw_f is used */
	const char *line; /* expression: its line field */
	/*
	 * expression: the header carries its start pattern. Only then are its
	 * site pointers read: a walk that left the fragment grid (a damaged
	 * size) would otherwise hand printf a wild pointer, and gdb stops a
	 * command at the first unreadable string.
	 */
	const char *good;
};

static const struct flavour flavours[] = {
    /* q_malloc (u word), f_malloc 4.2-4.3 (prv_free), <= 4.1 (u.nxt_free), 5.8+ (is_free) */
    {"word", step_frag, "*(unsigned long *)($hw_f + $hw_ou) == 0",
     "*(unsigned long *)($hw_f + $hw_oline)",
     "$hw_ock < 0 || *(unsigned long *)($hw_f + $hw_ock) == $hw_ckv"},
    /*
     * f_malloc <= 4.1: no free flag; u.nxt_free is set in every free fragment
     * but the last of its list. hw-fm.gdb collects those list tails, sorted,
     * in $hw_tl[0..$hw_tn), $hw_ti the next one the walk can meet.
     */
    {"fmold", step_frag,
     "(*(unsigned long *)($hw_f + $hw_ou) != 0 ? 0 : $hw_ti < $hw_tn ? ($hw_tl[$hw_ti] == $hw_f ? "
     "($hw_ti = $hw_ti + 1, 0) : 1) : 1)",
     "*(unsigned long *)($hw_f + $hw_oline)",
     "$hw_ock < 0 || *(unsigned long *)($hw_f + $hw_ock) == $hw_ckv"},
    /* f_malloc 4.4-5.7: unsigned int is_free */
    {"int", step_frag, "*(unsigned int *)($hw_f + $hw_ou) == 0",
     "*(unsigned long *)($hw_f + $hw_oline)",
     "$hw_ock < 0 || *(unsigned int *)($hw_f + $hw_ock) == $hw_ckv"},
    /* TLSF 4.4+: bit 0 of size is "free"; unsigned int line */
    {"tlsf", step_tlsf, "(*(unsigned long *)($hw_f + $hw_osz) & 1) == 0",
     "*(unsigned int *)($hw_f + $hw_oline)", "1"},
    /* TLSF 4.3: unsigned long line */
    {"tlsf43", step_tlsf, "(*(unsigned long *)($hw_f + $hw_osz) & 1) == 0",
     "*(unsigned long *)($hw_f + $hw_oline)", "1"},
};

struct mode {
	const char *name;
	const char *doc;
	int all;   /* show free fragments too */
	int debug; /* read and print the site */
	const char *body;
};

static const struct mode modes[] = {
    {"used", "used fragments, with their sites", 0, 1,
     "printf \"  %8lld  0x%-16lx %10lu  used  %s: %s(%lu)\\n\", $hw_i, $hw_u, $hw_sz, $hw_fi, "
     "$hw_fu, $hw_ln"},
    {"used-nd", "used fragments (non-debug build)", 0, 0,
     "printf \"  %8lld  0x%-16lx %10lu  used \\n\", $hw_i, $hw_u, $hw_sz"},
    {"all", "all fragments, with their sites", 1, 1,
     "printf \"  %8lld  0x%-16lx %10lu  %s  %s: %s(%lu)\\n\", $hw_i, $hw_u, $hw_sz, $hw_st, "
     "$hw_fi, $hw_fu, $hw_ln"},
    {"all-nd", "all fragments (non-debug build)", 1, 0,
     "printf \"  %8lld  0x%-16lx %10lu  %s \\n\", $hw_i, $hw_u, $hw_sz, $hw_st"},
    {"sums", "the site of each used fragment", 0, 1,
     "printf \"%s: %s(%lu)\\n\", $hw_fi, $hw_fu, $hw_ln"},
};

/* @s with every @key replaced by @val (caller frees). */
static char *replace(const char *s, const char *key, const char *val)
{
	size_t kl = strlen(key), vl = strlen(val), n = 0;
	const char *p;
	char *out, *o;

	for (p = s; (p = strstr(p, key)); p += kl)
		n++;
	out = malloc(strlen(s) + n * vl + 1);
	if (!out) {
		perror("gen-gdb");
		exit(1);
	}
	for (o = out; (p = strstr(s, key)); s = p + kl) {
		memcpy(o, s, (size_t)(p - s));
		o += p - s;
		memcpy(o, val, vl);
		o += vl;
	}
	strcpy(o, s);
	return out;
}

/* The loop pair of one flavour and mode, printing with @body. */
static void loop_body(const char *indent, const char *cond, const char *body)
{
	printf("%swhile $hw_bad == 0 && $hw_fin == 0 && $hw_i < $hw_to\n", indent);
	printf("%s  while %s\n", indent, cond);
	printf("%s    %s\n", indent, body);
	printf("%s  end\n%send\n", indent, indent);
}

/* The unrolled condition of one flavour and mode; @bad: what a site reads as in a damaged header.
 */
static char *condition(const struct flavour *f, const struct mode *m, const char *bad)
{
	char set[1024];
	char *step, *tmp, *cond;
	int unroll = m->all ? 1 : UNROLL;

	snprintf(set, sizeof(set), "$hw_u = $hw_f + $hw_H%s%s%s", m->all ? ", $hw_st = " : "",
		 m->all ? f->used : "", m->all ? " ? $hw_s_used : $hw_s_free" : "");
	if (m->debug) {
		size_t n = strlen(set);
		snprintf(
		    set + n, sizeof(set) - n,
		    ", (%s) ? ($hw_fi = *(char **)($hw_f + $hw_ofile), $hw_fu = *(char **)($hw_f "
		    "+ $hw_ofunc)) : ($hw_fi = %s, $hw_fu = %s), $hw_ln = %s",
		    f->good, bad, bad, f->line);
	}
	tmp = replace(f->step, "@SHOW@", m->all ? "1" : f->used);
	step = replace(tmp, "@SET@", set);
	free(tmp);
	cond = strdup("0");
	for (int k = 0; k < unroll && cond; k++) {
		tmp = replace(step, NEXT, cond);
		free(cond);
		cond = tmp;
	}
	free(step);
	return cond;
}

/* @ptr: print the site strings' addresses instead of the strings (hw-strings off). */
static void loop(const struct flavour *f, const struct mode *m, int ptr)
{
	char *cond = condition(f, m, ptr ? "(char *)0" : "$hw_s_bad");
	char *body = ptr ? replace(m->body, "%s: %s(%lu)", "0x%lx: 0x%lx(%lu)") : strdup(m->body);

	printf("define hw-internal loop-%s-%s-1\n", f->name, m->name);
	loop_body("  ", cond, body);
	printf("  set $hw_chunk_ok = 1\nend\n");
	printf("document hw-internal loop-%s-%s-1\n(internal) Walk from $hw_nx to index $hw_to "
	       "printing %s%s.\nend\n\n",
	       f->name, m->name, m->doc, ptr ? " (sites as addresses)" : "");
	/* The driver: see hw-internal chunk-begin in hw-core.gdb. */
	printf("define hw-internal loop-%s-%s\n", f->name, m->name);
	printf("  hw-internal chunk-begin\n"
	       "  while $hw_more\n"
	       "    hw-internal chunk-save\n"
	       "    if $hw_cap\n"
	       "      frame apply -1 -q -s hw-internal loop-%s-%s-1\n"
	       "    end\n"
	       "    if !$hw_chunk_ok\n"
	       "      hw-internal chunk-restore\n"
	       "      hw-internal loop-%s-%s-1\n"
	       "    end\n"
	       "    hw-internal chunk-next\n"
	       "  end\n"
	       "end\n",
	       f->name, m->name, f->name, m->name);
	printf("document hw-internal loop-%s-%s\n(internal) Walk from $hw_nx printing %s%s, "
	       "in chunks.\nend\n\n",
	       f->name, m->name, m->doc, ptr ? " (sites as addresses)" : "");
	free(cond);
	free(body);
}

/* Walk to fragment index $hw_from without printing: the condition alone, no body. */
static void skip_loop(const char *name, const char *step_tmpl)
{
	char *tmp = replace(step_tmpl, "@SHOW@", "0");
	char *step = replace(tmp, "@SET@", "0");
	char *cond = replace(step, NEXT, "1");

	printf("define hw-internal loop-%s-skip\n", name);
	printf("  while $hw_i + 1 < $hw_from ? %s : 0\n  end\nend\n", cond);
	printf("document hw-internal loop-%s-skip\n(internal) Walk from $hw_nx to fragment index "
	       "$hw_from.\nend\n\n",
	       name);
	free(tmp);
	free(step);
	free(cond);
}

/* loops-ptr.gdb: the debug loops again, printing site addresses; hw-strings off sources it. */
static int gen_loops_ptr(void)
{
	puts("# loops-ptr.gdb - the walk loops of loops.gdb that print allocation sites,");
	puts("# printing the addresses of the site strings instead; 'hw-strings off'");
	puts("# sources it, 'hw-strings on' sources loops.gdb again. Generated by gen-gdb.");
	puts("");
	for (size_t i = 0; i < sizeof(flavours) / sizeof(flavours[0]); i++)
		for (size_t j = 0; j < sizeof(modes) / sizeof(modes[0]); j++)
			if (modes[j].debug)
				loop(&flavours[i], &modes[j], 1);
	return ferror(stdout) ? 1 : 0;
}

static int gen_loops(void)
{
	puts("# loops.gdb - the walk loops of heapwalk.gdb, one per manager flavour and");
	puts("# output; generated at build time by gen-gdb (see there for how they work).");
	puts("# Do not edit.");
	puts("");
	/*
	 * gdb can only modify arrays it created itself (an array read from the
	 * target stays tied to target memory), so hw-fm.gdb's list of free-list
	 * tails starts from this literal.
	 */
	printf("define hw-internal tails-array\n  set $hw_tcap = %d\n  set $hw_tl = {", TAILS_CAP);
	for (int i = 0; i < TAILS_CAP; i++)
		printf("%s0UL", i ? ", " : "");
	printf("}\nend\ndocument hw-internal tails-array\n(internal) A fresh array of %d zeros in "
	       "$hw_tl.\nend\n\n",
	       TAILS_CAP);
	skip_loop("frag", step_frag);
	skip_loop("tlsf", step_tlsf);
	for (size_t i = 0; i < sizeof(flavours) / sizeof(flavours[0]); i++)
		for (size_t j = 0; j < sizeof(modes) / sizeof(modes[0]); j++)
			loop(&flavours[i], &modes[j], 0);
	return ferror(stdout) ? 1 : 0;
}

static void dump_field(void *arg, const char *name, uint32_t value)
{
	(void)value;
	printf("  printf \"set $hw_%s_%s = %%d\\n\", $hw_%s_%s\n", (const char *)arg, name,
	       (const char *)arg, name);
}

/* hw-internal dump-<mgr>: the layout variables as 'heapwalk layout --format gdb' writes them. */
static void dump_cmd(const struct hw_allocator *a, const struct hw_layout_head *l)
{
	const char *p = hw_gdb_layout_fields(a, l, NULL, NULL);

	printf("define hw-internal dump-%s\n", p);
	printf("  printf \"set $hw_%s_era = %%d\\n\", $hw_%s_era\n", p, p);
	printf("  printf \"set $hw_%s_debug = %%d\\n\", $hw_%s_debug\n", p, p);
	hw_gdb_layout_flags(a, l, dump_field, (void *)p);
	hw_gdb_layout_fields(a, l, dump_field, (void *)p);
	printf("end\ndocument hw-internal dump-%s\n(internal) Print the %s layout variables "
	       "as set commands.\nend\n\n",
	       p, p);
}

/*
 * The managers gdbscripts/ walk, in $hw_mgr order: the allocator (its
 * profiles and layout variables) and what only gdb needs, a one-line
 * description of a profile and the fingerprint tests that pick one.
 */
static const struct gdb_mgr {
	const struct hw_allocator *a;
	void (*doc)(const struct hw_layout_head *l, char *doc, size_t cap);
	void (*fingerprint)(const void *profiles, size_t n);
} gdb_mgrs[] = {
    /* clang-format off */
    {&hw_allocator_qm, qm_doc, qm_fingerprint},
    {&hw_allocator_fm, fm_doc, fm_fingerprint},
    {&hw_allocator_tlsf, tlsf_doc, tlsf_fingerprint},
    {&hw_allocator_hp, hp_doc, hp_fingerprint},
    {&hw_allocator_par, par_doc, par_fingerprint},
    /* clang-format on */
};
#define NMGRS (sizeof(gdb_mgrs) / sizeof(gdb_mgrs[0]))

/*
 * What hw-core.gdb asks of the selected manager, by $hw_mgr: eval "hw-internal
 * m%d-OP", $hw_mgr runs the manager's hw-internal <key>-OP (hw-<key>.gdb),
 * with the arguments the caller gives (nargs). m0-OP (no manager) does nothing.
 */
static const struct gdb_op {
	const char *name;
	int nargs;
} gdb_ops[] = {
    {"verify", 0}, {"old-era", 0}, {"stats", 0}, {"list", 1},	  {"status", 0},
    {"free", 0},   {"check", 0},   {"addr", 0},	 {"unfilled", 0},
};

static void dispatch_cmd(int id, const char *op, const char *body, const char *doc)
{
	printf(
	    "define hw-internal m%d-%s\n%send\ndocument hw-internal m%d-%s\n(internal) %s\nend\n\n",
	    id, op, body, id, op, doc);
}

/* The dispatch table: per manager and operation one command. */
static void gen_dispatch(void)
{
	char body[160], doc[160];

	for (size_t op = 0; op < sizeof(gdb_ops) / sizeof(gdb_ops[0]); op++) {
		snprintf(doc, sizeof(doc), "No manager selected: nothing to %s.", gdb_ops[op].name);
		dispatch_cmd(0, gdb_ops[op].name, "", doc);
	}
	dispatch_cmd(0, "name", "", "No manager selected: no name.");
	for (size_t i = 0; i < NMGRS; i++) {
		const struct hw_allocator *a = gdb_mgrs[i].a;
		for (size_t op = 0; op < sizeof(gdb_ops) / sizeof(gdb_ops[0]); op++) {
			snprintf(body, sizeof(body), "  hw-internal %s-%s%s\n", a->key,
				 gdb_ops[op].name, gdb_ops[op].nargs ? " $arg0" : "");
			snprintf(doc, sizeof(doc), "hw-internal %s-%s for $hw_mgr %d (%s).", a->key,
				 gdb_ops[op].name, a->gdb_id, a->name);
			dispatch_cmd(a->gdb_id, gdb_ops[op].name, body, doc);
		}
		snprintf(body, sizeof(body), "  printf \": %s\"\n", a->name);
		snprintf(doc, sizeof(doc), "Print \": %s\", the name of $hw_mgr %d.", a->name,
			 a->gdb_id);
		dispatch_cmd(a->gdb_id, "name", body, doc);
	}
}

/* Every profile of @m: one hw-profile command each, then the fingerprint tests. */
static int mgr_profiles(const struct gdb_mgr *m)
{
	const size_t size = m->a->layout_size;
	char *all = calloc(CAP, size);
	size_t n = all ? m->a->profiles(all, CAP) : 0;
	char doc[256];

	if (!all)
		return -1;
	for (size_t i = 0; i < n && i < CAP; i++) {
		const struct hw_layout_head *l = (const void *)(all + i * size);
		profile_head(l->name);
		profile_values(m->a, l);
		m->doc(l, doc, sizeof(doc));
		profile_doc(l->name, doc);
	}
	m->fingerprint(all, n < CAP ? n : CAP);
	free(all);
	return 0;
}

/* @fn with a zeroed layout of each manager (for the commands that only need field names). */
static int each_mgr(void (*fn)(const struct hw_allocator *a, const struct hw_layout_head *l))
{
	for (size_t i = 0; i < NMGRS; i++) {
		void *l = calloc(1, gdb_mgrs[i].a->layout_size);
		if (!l)
			return -1;
		fn(gdb_mgrs[i].a, l);
		free(l);
	}
	return 0;
}

static int gen_profiles(void)
{
	puts("# profiles.gdb - heapwalk's built-in layout profiles as gdb commands, and the");
	puts("# fingerprint tests that pick one for a block. Generated at build time by");
	puts("# gen-gdb from the table 'heapwalk profiles' prints; do not edit.");
	puts("");
	puts("define-prefix hw-profile");
	puts("document hw-profile");
	puts("The built-in layout profiles, by the names 'heapwalk profiles' prints.");
	puts("Select one with 'hw-layout NAME'; 'help hw-profile' lists them all.");
	puts("'hw-profile NAME' alone only sets the layout variables.");
	puts("end");
	puts("");
	if (each_mgr(apply_cmd))
		return 1;
	for (size_t i = 0; i < NMGRS; i++)
		if (mgr_profiles(&gdb_mgrs[i]))
			return 1;
	if (each_mgr(dump_cmd))
		return 1;
	gen_dispatch();
	return ferror(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "profiles"))
		return gen_profiles();
	if (argc == 2 && !strcmp(argv[1], "loops"))
		return gen_loops();
	if (argc == 2 && !strcmp(argv[1], "loops-ptr"))
		return gen_loops_ptr();
	fputs("usage: gen-gdb profiles|loops|loops-ptr\n", stderr);
	return 64;
}
