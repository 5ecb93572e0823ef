/* fmt_host.c - text and JSON output of the host view (host.h): meminfo, instances, slab caches. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "heapwalk/host.h"
#include "heapwalk/json.h"
#include "heapwalk/report.h"
#include "heapwalk/sbuf.h"

#define WIDTH 80

struct out {
	FILE *f;
	bool color;
};

enum tone { PLAIN, GOOD, WARN, BAD, BOLD };

static const char *on(const struct out *o, enum tone t)
{
	static const char *const esc[] = {"", "\033[32m", "\033[33m", "\033[31m", "\033[1m"};

	return o->color ? esc[t] : "";
}

static const char *off(const struct out *o, enum tone t)
{
	return o->color && t != PLAIN ? "\033[0m" : "";
}

static unsigned pct(uint64_t part, uint64_t whole)
{
	return whole ? (unsigned)(hw_report_pct(part, whole) + 0.5) : 0;
}

/*
 * Print @text wrapped to WIDTH columns: the first line after @label (in
 * @tone), the following ones indented by @indent spaces.
 */
static void wrap(const struct out *o, const char *label, enum tone tone, size_t indent,
		 const char *text)
{
	size_t col = strlen(label);
	const char *p = text;

	fprintf(o->f, "%s%s%s", on(o, tone), label, off(o, tone));
	for (;;) {
		size_t wl;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		wl = strcspn(p, " ");
		if (col > indent && col + 1 + wl > WIDTH) {
			fprintf(o->f, "\n%*s", (int)indent, "");
			col = indent;
		} else {
			fputc(' ', o->f);
			col++;
		}
		fwrite(p, 1, wl, o->f);
		col += wl;
		p += wl;
	}
	fputc('\n', o->f);
}

/* ---- meminfo ------------------------------------------------------------ */

static const struct {
	enum hw_meminfo_field f;
	const char *label;
	const char *what;
} mi_lines[] = {
    {HW_MI_MEMTOTAL, "MemTotal", "all the RAM the kernel manages"},
    {HW_MI_MEMFREE, "MemFree", "unused; low is normal (idle RAM becomes cache)"},
    {HW_MI_MEMAVAILABLE, "MemAvailable", "what programs can get without swapping"},
    {HW_MI_BUFFERS, "Buffers", "block device cache; reclaimable"},
    {HW_MI_CACHED, "Cached", "page cache (with Shmem); reclaimable but Shmem"},
    {HW_MI_SWAPCACHED, "SwapCached", "swapped out pages still in RAM; reclaimable"},
    {HW_MI_SHMEM, "Shmem", "shared memory and tmpfs, Kamailio's shm too; kept"},
    {HW_MI_SLAB, "Slab", "kernel object caches ('heapwalk host --slab')"},
    {HW_MI_SRECLAIMABLE, "  SReclaimable", "of which reclaimable (dentries, inodes...)"},
    {HW_MI_SUNRECLAIM, "  SUnreclaim", "of which held by the kernel"},
    {HW_MI_ANONPAGES, "AnonPages", "programs' private memory (heaps, pkg pools)"},
    {HW_MI_MAPPED, "Mapped", "files mapped by programs (code, libraries)"},
    {HW_MI_KERNELSTACK, "KernelStack", "kernel stacks of all threads"},
    {HW_MI_PAGETABLES, "PageTables", "page tables of all processes"},
    {HW_MI_SWAPTOTAL, "SwapTotal", "swap space"},
    {HW_MI_SWAPFREE, "SwapFree", "unused swap space"},
};

static void text_meminfo(const struct out *o, const struct hw_host *h)
{
	const struct hw_mem_verdict *v = &h->verdict;
	char a[32], b[32], c[32], text[512];

	fprintf(o->f, "%smemory%s (%s/meminfo)\n", on(o, BOLD), off(o, BOLD), h->proc_dir);
	for (size_t i = 0; i < sizeof(mi_lines) / sizeof(mi_lines[0]); i++) {
		if (!h->mi.have[mi_lines[i].f])
			continue;
		fprintf(o->f, "  %-14s %10s  %s\n", mi_lines[i].label,
			hw_human_size(a, sizeof(a), h->mi.bytes[mi_lines[i].f]), mi_lines[i].what);
	}
	if (!v->valid)
		return;
	if (v->mostly_reclaimable)
		snprintf(
		    text, sizeof(text),
		    "%s (%u%%) of the %s in use (MemTotal - MemFree) is reclaimable: page "
		    "cache, buffers and reclaimable slab, which the kernel frees when programs "
		    "need it. Growth there is not a leak. Programs and the kernel hold %s "
		    "(MemTotal - MemAvailable).",
		    hw_human_size(a, sizeof(a), v->reclaimable), pct(v->reclaimable, v->used),
		    hw_human_size(b, sizeof(b), v->used), hw_human_size(c, sizeof(c), v->held));
	else
		snprintf(text, sizeof(text),
			 "only %s (%u%%) of the %s in use (MemTotal - MemFree) is reclaimable; "
			 "programs and the kernel hold %s (MemTotal - MemAvailable). Look at who "
			 "holds it: the processes (Kamailio below), Shmem, unreclaimable slab.",
			 hw_human_size(a, sizeof(a), v->reclaimable), pct(v->reclaimable, v->used),
			 hw_human_size(b, sizeof(b), v->used),
			 hw_human_size(c, sizeof(c), v->held));
	wrap(o, "verdict:", v->mostly_reclaimable ? GOOD : WARN, 2, text);
}

/* ---- instances ------------------------------------------------------------- */

static const char *usage_cell(char *buf, size_t cap, uint64_t v, bool have)
{
	if (!have)
		return "?";
	return hw_human_size(buf, cap, v);
}

static void text_instance(const struct out *o, const struct hw_host_instance *in)
{
	char a[32], b[32], c[32], text[768], cmd[80], ns[48] = "";
	const struct hw_host_usage *sum = in->part;
	/* in a container: the pid column shows the container's pid too */
	const int pw = in->main_ns_pid ? 12 : 7;

	if (in->main_ns_pid)
		snprintf(ns, sizeof(ns), " (%d in its namespace)", in->main_ns_pid);
	fprintf(o->f, "\n%sinstance of pid %d%s%s: %zu process%s\n", on(o, BOLD), in->main_pid, ns,
		off(o, BOLD), in->nprocs, in->nprocs == 1 ? "" : "es");
	if (in->cmdline[0]) {
		size_t len = strlen(in->cmdline);

		/* one line: cut long command lines */
		if (len > WIDTH - 12)
			snprintf(cmd, sizeof(cmd), "%.*s...", WIDTH - 15, in->cmdline);
		else
			snprintf(cmd, sizeof(cmd), "%s", in->cmdline);
		fprintf(o->f, "  command: %s\n", cmd);
	}
	fprintf(o->f, "  shm pool: %s (%s), shared by all processes\n",
		hw_human_size(a, sizeof(a), in->shm_size), in->shm_from);
	fprintf(o->f, "  pkg pool: %s in each process (%s)\n",
		hw_human_size(a, sizeof(a), in->pkg_size), in->pkg_from);
	fprintf(o->f, "  %*s %10s %10s %10s %10s %10s %10s\n", pw,
		in->main_ns_pid ? "PID (IN NS)" : "PID", "SHM", "PKG", "ANON", "FILE", "RSS",
		"PSS");
	for (size_t i = 0; i < in->nprocs; i++) {
		const struct hw_host_proc *p = &in->procs[i];
		char cell[HW_PART_COUNT][32], r[32], s[32], pid[32];

		for (int k = 0; k < HW_PART_COUNT; k++)
			snprintf(cell[k], sizeof(cell[k]), "%s",
				 usage_cell(a, sizeof(a), p->part[k].rss, p->part[k].have_rss));
		if (p->ns_pid)
			snprintf(pid, sizeof(pid), "%d (%d)", p->pid, p->ns_pid);
		else
			snprintf(pid, sizeof(pid), "%d", p->pid);
		fprintf(o->f, "  %*s %10s %10s %10s %10s %10s %10s\n", pw, pid, cell[0], cell[1],
			cell[2], cell[3], usage_cell(r, sizeof(r), p->total.rss, p->total.have_rss),
			usage_cell(s, sizeof(s), p->total.pss, p->total.have_pss));
	}
	{
		char cell[HW_PART_COUNT][32], s[32];

		for (int k = 0; k < HW_PART_COUNT; k++)
			snprintf(cell[k], sizeof(cell[k]), "%s",
				 usage_cell(a, sizeof(a), sum[k].pss, sum[k].have_pss));
		fprintf(o->f, "  %*s %10s %10s %10s %10s %10s %10s\n", pw, "all PSS", cell[0],
			cell[1], cell[2], cell[3], "",
			usage_cell(s, sizeof(s), in->total.pss, in->total.have_pss));
	}
	fputs("  (per process: resident bytes of each part; all: PSS, shared pages once)\n", o->f);

	if (sum[HW_PART_SHM].have_pss)
		fprintf(o->f, "  shm: %s of %s resident (%u%%)\n",
			hw_human_size(a, sizeof(a), sum[HW_PART_SHM].pss),
			hw_human_size(b, sizeof(b), in->shm_size),
			pct(sum[HW_PART_SHM].pss, in->shm_size));
	if (sum[HW_PART_PKG].have_pss)
		fprintf(o->f, "  pkg: %s resident in %zu pools of %s (%u%%)\n",
			hw_human_size(a, sizeof(a), sum[HW_PART_PKG].pss), in->nprocs,
			hw_human_size(b, sizeof(b), in->pkg_size),
			pct(sum[HW_PART_PKG].pss, in->pkg_size * in->nprocs));
	if (sum[HW_PART_ANON].have_pss && sum[HW_PART_FILE].have_pss) {
		snprintf(
		    text, sizeof(text),
		    "%s anonymous (system malloc, stacks)%s and %s of files (code, libraries), "
		    "as PSS",
		    hw_human_size(a, sizeof(a), sum[HW_PART_ANON].pss),
		    sum[HW_PART_PKG].have_pss ? "" : " including the pkg pools",
		    hw_human_size(c, sizeof(c), sum[HW_PART_FILE].pss));
		wrap(o, "  outside the pools:", PLAIN, 4, text);
	}

	text[0] = '\0';
	if (in->outside_dominates)
		snprintf(text, sizeof(text),
			 "more of its private memory is outside Kamailio's pools than in them: "
			 "growth there (system malloc in modules or libraries) is invisible to "
			 "heapwalk's pool walks.");
	else if (sum[HW_PART_PKG].have_pss && sum[HW_PART_ANON].have_pss)
		snprintf(text, sizeof(text),
			 "its pools hold most of its private memory; 'heapwalk summary' on a core "
			 "shows what fills them.");
	else
		snprintf(text, sizeof(text),
			 "without its smaps the pools cannot be told apart from other memory.");
	if (in->shm_nearly_full) {
		size_t l = strlen(text);
		snprintf(text + l, sizeof(text) - l,
			 " Nearly all of shm is resident: the pool has been almost full at some "
			 "time (resident pages are a high-water mark); see 'heapwalk stats'.");
	}
	wrap(o, "  verdict:", in->outside_dominates || in->shm_nearly_full ? WARN : GOOD, 4, text);
}

static bool same_container(const struct hw_host_instance *a, const struct hw_host_instance *b)
{
	return a->in_container == b->in_container && !strcmp(a->pid_ns, b->pid_ns) &&
	       !strcmp(a->root, b->root);
}

/* The heading of the instances of one container (they follow @h->inst[i] in order). */
static void text_container(const struct out *o, const struct hw_host *h, size_t i)
{
	const struct hw_host_instance *in = &h->inst[i];
	char text[512];
	size_t n = 0;

	while (i + n < h->ninst && same_container(in, &h->inst[i + n]))
		n++;
	snprintf(text, sizeof(text),
		 "%s%s%s: %zu instance%s (the pid in its own namespace in "
		 "parentheses)",
		 in->pid_ns[0] ? in->pid_ns : "(pid namespace unknown)",
		 !in->root[0]		 ? ""
		 : strcmp(in->root, "/") ? ", root "
					 : ", a root of its own",
		 in->root[0] && strcmp(in->root, "/") ? in->root : "", n, n == 1 ? "" : "s");
	fputc('\n', o->f);
	wrap(o, "container", BOLD, 2, text);
}

static void text_notes(const struct out *o, const struct hw_host *h)
{
	if (!h->nnotes)
		return;
	fprintf(o->f, "\n%snot read%s\n", on(o, BOLD), off(o, BOLD));
	for (size_t i = 0; i < h->nnotes; i++)
		wrap(o, "  -", PLAIN, 4, h->notes[i]);
}

static void text_host(const struct out *o, const struct hw_host *h)
{
	if (h->have_meminfo)
		text_meminfo(o, h);
	if (h->instances_scanned) {
		if (h->have_meminfo)
			fputc('\n', o->f);
		fprintf(o->f, "%sKamailio%s: ", on(o, BOLD), off(o, BOLD));
		if (h->ninst)
			fprintf(o->f, "%zu instance%s running\n", h->ninst,
				h->ninst == 1 ? "" : "s");
		else
			fputs("no running instance (no process named 'kamailio')\n", o->f);
		for (size_t i = 0; i < h->ninst; i++) {
			if (h->inst[i].in_container &&
			    (!i || !same_container(&h->inst[i - 1], &h->inst[i])))
				text_container(o, h, i);
			text_instance(o, &h->inst[i]);
		}
	}
	text_notes(o, h);
}

/* ---- JSON ------------------------------------------------------------------- */

static void json_begin(struct hw_json *js, FILE *f, const struct hw_host *h, const char *view)
{
	hw_json_init(js, f, true);
	hw_json_begin_object(js);
	hw_json_key(js, "format_version");
	hw_json_u64(js, HW_JSON_FORMAT_VERSION);
	hw_json_key(js, "command");
	hw_json_string(js, "host");
	hw_json_key(js, "view");
	hw_json_string(js, view);
	hw_json_key(js, "proc_dir");
	hw_json_string(js, h->proc_dir);
}

static void json_notes(struct hw_json *js, const struct hw_host *h)
{
	hw_json_key(js, "not_read");
	hw_json_begin_array(js);
	for (size_t i = 0; i < h->nnotes; i++)
		hw_json_string(js, h->notes[i]);
	hw_json_end_array(js);
}

static void json_maybe(struct hw_json *js, const char *key, uint64_t v, bool have)
{
	hw_json_key(js, key);
	if (have)
		hw_json_u64(js, v);
	else
		hw_json_null(js);
}

static void json_usage(struct hw_json *js, const char *key, const struct hw_host_usage *u)
{
	hw_json_key(js, key);
	hw_json_begin_object(js);
	json_maybe(js, "rss", u->rss, u->have_rss);
	json_maybe(js, "pss", u->pss, u->have_pss);
	hw_json_key(js, "swap");
	hw_json_u64(js, u->swap);
	hw_json_end_object(js);
}

static void json_parts(struct hw_json *js, const struct hw_host_usage *part,
		       const struct hw_host_usage *total)
{
	hw_json_key(js, "memory");
	hw_json_begin_object(js);
	for (int k = 0; k < HW_PART_COUNT; k++)
		json_usage(js, hw_host_part_names[k], &part[k]);
	json_usage(js, "total", total);
	hw_json_end_object(js);
}

static void json_range(struct hw_json *js, const char *key, bool found, uint64_t s, uint64_t e)
{
	hw_json_key(js, key);
	if (!found) {
		hw_json_null(js);
		return;
	}
	hw_json_begin_object(js);
	hw_json_key(js, "start");
	hw_json_hex(js, s);
	hw_json_key(js, "end");
	hw_json_hex(js, e);
	hw_json_end_object(js);
}

static void json_host(FILE *f, const struct hw_host *h)
{
	static const char *const detail[] = {"smaps", "smaps_rollup", "status"};
	struct hw_json js;

	json_begin(&js, f, h, "memory");
	hw_json_key(&js, "meminfo");
	if (h->have_meminfo) {
		hw_json_begin_object(&js);
		for (int i = 0; i < HW_MI_COUNT; i++)
			if (h->mi.have[i]) {
				hw_json_key(&js, hw_meminfo_names[i]);
				hw_json_u64(&js, h->mi.bytes[i]);
			}
		hw_json_end_object(&js);
	} else {
		hw_json_null(&js);
	}
	hw_json_key(&js, "verdict");
	if (h->verdict.valid) {
		hw_json_begin_object(&js);
		hw_json_key(&js, "used");
		hw_json_u64(&js, h->verdict.used);
		hw_json_key(&js, "reclaimable");
		hw_json_u64(&js, h->verdict.reclaimable);
		hw_json_key(&js, "held");
		hw_json_u64(&js, h->verdict.held);
		hw_json_key(&js, "mostly_reclaimable");
		hw_json_bool(&js, h->verdict.mostly_reclaimable);
		hw_json_end_object(&js);
	} else {
		hw_json_null(&js);
	}
	hw_json_key(&js, "instances");
	if (!h->instances_scanned) {
		hw_json_null(&js);
	} else {
		hw_json_begin_array(&js);
		for (size_t i = 0; i < h->ninst; i++) {
			const struct hw_host_instance *in = &h->inst[i];

			hw_json_begin_object(&js);
			hw_json_key(&js, "main_pid");
			hw_json_i64(&js, in->main_pid);
			if (in->in_container) {
				hw_json_key(&js, "main_ns_pid");
				if (in->main_ns_pid)
					hw_json_i64(&js, in->main_ns_pid);
				else
					hw_json_null(&js);
				hw_json_key(&js, "container");
				hw_json_begin_object(&js);
				hw_json_key(&js, "pid_ns");
				hw_json_string(&js, in->pid_ns);
				hw_json_key(&js, "root");
				hw_json_string(&js, in->root);
				hw_json_end_object(&js);
			}
			hw_json_key(&js, "cmdline");
			hw_json_string(&js, in->cmdline);
			hw_json_key(&js, "shm_size");
			hw_json_u64(&js, in->shm_size);
			hw_json_key(&js, "shm_size_from");
			hw_json_string(&js, in->shm_from);
			hw_json_key(&js, "pkg_size");
			hw_json_u64(&js, in->pkg_size);
			hw_json_key(&js, "pkg_size_from");
			hw_json_string(&js, in->pkg_from);
			json_parts(&js, in->part, &in->total);
			hw_json_key(&js, "shm_nearly_full");
			hw_json_bool(&js, in->shm_nearly_full);
			hw_json_key(&js, "outside_dominates");
			hw_json_bool(&js, in->outside_dominates);
			hw_json_key(&js, "processes");
			hw_json_begin_array(&js);
			for (size_t j = 0; j < in->nprocs; j++) {
				const struct hw_host_proc *p = &in->procs[j];

				hw_json_begin_object(&js);
				hw_json_key(&js, "pid");
				hw_json_i64(&js, p->pid);
				if (p->ns_pid) {
					hw_json_key(&js, "ns_pid");
					hw_json_i64(&js, p->ns_pid);
				}
				hw_json_key(&js, "ppid");
				hw_json_i64(&js, p->ppid);
				hw_json_key(&js, "detail");
				hw_json_string(&js, detail[p->detail]);
				json_parts(&js, p->part, &p->total);
				json_range(&js, "shm_mapping", p->shm_found, p->shm_start,
					   p->shm_end);
				json_range(&js, "pkg_mapping", p->pkg_found, p->pkg_start,
					   p->pkg_end);
				hw_json_end_object(&js);
			}
			hw_json_end_array(&js);
			hw_json_end_object(&js);
		}
		hw_json_end_array(&js);
	}
	json_notes(&js, h);
	hw_json_end_object(&js);
	hw_json_finish(&js);
}

void hw_fmt_host(const struct hw_host *h, enum hw_format fmt, FILE *f, bool color)
{
	struct out o = {f, color};

	if (fmt == HW_FMT_JSON)
		json_host(f, h);
	else
		text_host(&o, h);
}

/* ---- slab ------------------------------------------------------------------- */

/* slabtop's "0.19K": object sizes in KiB with two decimals. */
static const char *ksize(char *buf, size_t cap, uint64_t v)
{
	snprintf(buf, cap, "%.2fK", (double)v / 1024);
	return buf;
}

static void text_slab(const struct out *o, const struct hw_host *h, char key, size_t top)
{
	const struct hw_slabinfo *si = &h->slab;
	const struct hw_slab_totals *t = &si->totals;
	char a[32], b[32], c[32];
	size_t n = top && top < si->ncaches ? top : si->ncaches;

	fprintf(o->f, "%sslab caches%s (%s/slabinfo, version %s, page size %" PRIu64 ")\n",
		on(o, BOLD), off(o, BOLD), h->proc_dir, si->version, si->page_size);
	fprintf(o->f, " Active / Total Objects (%% used)    : %" PRIu64 " / %" PRIu64 " (%.1f%%)\n",
		t->active_objs, t->num_objs, hw_report_pct(t->active_objs, t->num_objs));
	fprintf(o->f, " Active / Total Slabs (%% used)      : %" PRIu64 " / %" PRIu64 " (%.1f%%)\n",
		t->active_slabs, t->num_slabs, hw_report_pct(t->active_slabs, t->num_slabs));
	fprintf(o->f, " Active / Total Caches (%% used)     : %" PRIu64 " / %" PRIu64 " (%.1f%%)\n",
		t->active_caches, t->ncaches, hw_report_pct(t->active_caches, t->ncaches));
	fprintf(o->f, " Active / Total Size (%% used)       : %s / %s (%.1f%%)\n",
		ksize(a, sizeof(a), t->active_size), ksize(b, sizeof(b), t->total_size),
		hw_report_pct(t->active_size, t->total_size));
	fprintf(o->f, " Minimum / Average / Maximum Object : %s / %s / %s\n",
		ksize(a, sizeof(a), t->min_objsize), ksize(b, sizeof(b), t->avg_objsize),
		ksize(c, sizeof(c), t->max_objsize));
	fprintf(o->f, " Memory in slabs                    : %s in %" PRIu64 " caches\n",
		hw_human_size(a, sizeof(a), t->cache_size), t->ncaches);
	fprintf(o->f, "\n%8s %8s %4s %8s %7s %4s %10s %s\n", "OBJS", "ACTIVE", "USE", "OBJ SIZE",
		"SLABS", "O/S", "CACHE SIZE", "NAME");
	for (size_t i = 0; i < n; i++) {
		const struct hw_slab_cache *sc = &si->caches[i];

		fprintf(o->f,
			"%8" PRIu64 " %8" PRIu64 " %3u%% %8s %7" PRIu64 " %4" PRIu64 " %9" PRIu64
			"K %s\n",
			sc->num_objs, sc->active_objs, pct(sc->active_objs, sc->num_objs),
			ksize(a, sizeof(a), sc->objsize), sc->num_slabs, sc->objperslab,
			sc->cache_size / 1024, sc->name);
	}
	if (n < si->ncaches)
		fprintf(o->f, "... %zu more caches (sorted by '%c'; use --top)\n", si->ncaches - n,
			key);
}

static void json_slab(FILE *f, const struct hw_host *h, char key, size_t top)
{
	const struct hw_slabinfo *si = &h->slab;
	const struct hw_slab_totals *t = &si->totals;
	size_t n = top && top < si->ncaches ? top : si->ncaches;
	char k[2] = {key, '\0'};
	struct hw_json js;

	json_begin(&js, f, h, "slab");
	hw_json_key(&js, "version");
	hw_json_string(&js, si->version);
	hw_json_key(&js, "page_size");
	hw_json_u64(&js, si->page_size);
	hw_json_key(&js, "sort");
	hw_json_string(&js, k);
	hw_json_key(&js, "totals");
	hw_json_begin_object(&js);
	{
		const struct {
			const char *name;
			uint64_t v;
		} tv[] = {
		    {"active_objs", t->active_objs},	 {"num_objs", t->num_objs},
		    {"active_slabs", t->active_slabs},	 {"num_slabs", t->num_slabs},
		    {"active_caches", t->active_caches}, {"caches", t->ncaches},
		    {"active_size", t->active_size},	 {"total_size", t->total_size},
		    {"cache_size", t->cache_size},	 {"min_objsize", t->min_objsize},
		    {"avg_objsize", t->avg_objsize},	 {"max_objsize", t->max_objsize},
		};
		for (size_t i = 0; i < sizeof(tv) / sizeof(tv[0]); i++) {
			hw_json_key(&js, tv[i].name);
			hw_json_u64(&js, tv[i].v);
		}
	}
	hw_json_end_object(&js);
	hw_json_key(&js, "caches");
	hw_json_begin_array(&js);
	for (size_t i = 0; i < n; i++) {
		const struct hw_slab_cache *sc = &si->caches[i];

		hw_json_begin_object(&js);
		hw_json_key(&js, "name");
		hw_json_string(&js, sc->name);
		hw_json_key(&js, "active_objs");
		hw_json_u64(&js, sc->active_objs);
		hw_json_key(&js, "num_objs");
		hw_json_u64(&js, sc->num_objs);
		hw_json_key(&js, "objsize");
		hw_json_u64(&js, sc->objsize);
		hw_json_key(&js, "objperslab");
		hw_json_u64(&js, sc->objperslab);
		hw_json_key(&js, "pagesperslab");
		hw_json_u64(&js, sc->pagesperslab);
		hw_json_key(&js, "active_slabs");
		hw_json_u64(&js, sc->active_slabs);
		hw_json_key(&js, "num_slabs");
		hw_json_u64(&js, sc->num_slabs);
		hw_json_key(&js, "cache_size");
		hw_json_u64(&js, sc->cache_size);
		hw_json_end_object(&js);
	}
	hw_json_end_array(&js);
	json_notes(&js, h);
	hw_json_end_object(&js);
	hw_json_finish(&js);
}

void hw_fmt_host_slab(const struct hw_host *h, enum hw_format fmt, FILE *f, char sort_key,
		      size_t top, bool color)
{
	struct out o = {f, color};

	if (fmt == HW_FMT_JSON) {
		json_slab(f, h, sort_key, top);
		return;
	}
	if (h->have_slab)
		text_slab(&o, h, sort_key, top);
	text_notes(&o, h);
}
