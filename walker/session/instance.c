/* instance.c - every process of a Kamailio instance: snapshot, sessions, pt[] labels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/debuginfo.h"
#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/exit.h"
#include "heapwalk/growth.h"
#include "heapwalk/instance.h"
#include "heapwalk/persist.h"
#include "heapwalk/target.h"
#include "internal.h"

/* pt[] and *process_count of the instance, read from the process whose image holds shm. */
static void read_pt(struct hw_inst *in, const struct hw_target *t, int main_pid)
{
	struct hw_pt pt;

	hw_pt_read(t, main_pid, &pt);
	if (pt.have_count) {
		in->have_count = true;
		in->process_count = pt.process_count;
	}
	if (pt.e)
		in->pt_missing = calloc((size_t)in->process_count, sizeof(int));
	for (size_t i = 0; i < pt.n; i++) {
		const struct hw_pt_entry *e = &pt.e[i];
		bool found = false;
		in->npt++;
		for (size_t k = 0; k < in->n; k++) {
			struct hw_inst_proc *p = &in->p[k];
			/* pt[] holds the pids the instance sees: a container's own */
			int seen_as = in->snap->procs[p->snap_idx].ns_pid;
			if ((seen_as ? seen_as : p->pid) != e->pid)
				continue;
			found = true;
			p->in_pt = true;
			p->rank = e->rank;
			snprintf(p->desc, sizeof(p->desc), "%s", e->desc);
		}
		/* Unused slots (pid 0) of a table sized for more processes are not missing,
		 * nor the rest of the instance when one process was asked for. */
		if (!found && e->pid && in->pt_missing && in->o.all)
			in->pt_missing[in->npt_missing++] = e->pid;
	}
	hw_pt_deinit(&pt);
}

/* @pid as the instance itself sees it: its pid in a container's namespace, if it has one. */
static int seen_as(const struct hw_snapshot *s, int pid)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return s->procs[i].ns_pid ? s->procs[i].ns_pid : pid;
	for (size_t i = 0; i < s->nheld; i++)
		if (s->held[i].pid == pid)
			return s->held[i].ns_pid ? s->held[i].ns_pid : pid;
	return pid;
}

double hw_inst_max_stop_ms(const struct hw_inst *in)
{
	uint64_t max = 0;

	for (size_t i = 0; i < in->snap->nprocs; i++)
		if (in->snap->procs[i].stop_ns > max)
			max = in->snap->procs[i].stop_ns;
	return (double)max / 1e6;
}

static void say_snapshot(const struct hw_inst *in, hw_session_say_fn warn)
{
	const struct hw_snapshot *s = in->snap;
	uint64_t copied = 0;

	for (size_t i = 0; i < s->nprocs; i++)
		copied += s->procs[i].copied;
	if (!s->live || !warn)
		return;
	hw_say_quiet(s, warn);
	if (s->stopped && s->ninplace) {
		uint64_t in_place = 0;
		for (size_t i = 0; i < s->nprocs; i++)
			in_place += s->procs[i].in_place;
		warn("%zu processes held together while their pools were walked; the longest "
		     "stop %.2f ms, %.1f MiB copied, %.1f MiB of shm read in place",
		     s->nprocs, hw_inst_max_stop_ms(in), (double)copied / (double)(1 << 20),
		     (double)in_place / (double)(1 << 20));
		return;
	}
	if (!s->stopped)
		warn("%zu processes read without stopping them (--no-stop): torn reads are "
		     "possible, findings may be artefacts",
		     s->nprocs);
	else
		warn("%zu processes stopped together; the longest stop %.2f ms, %.1f MiB copied",
		     s->nprocs, hw_inst_max_stop_ms(in), (double)copied / (double)(1 << 20));
}

/*
 * The DWARF of running process @pid's executable @exe, found and indexed
 * before the processes are held, as a session would look for it: the
 * sessions borrow it, or (not found) say why without searching again.
 */
static void find_dwarf(struct hw_inst *in, const struct hw_elf *exe, int pid)
{
	const struct hw_session_opts *so = &in->o.session;
	const bool given = so->sysroot && *so->sysroot;
	char *root = given ? NULL : hw_snapshot_root(pid);
	struct hw_error *err;

	/* --exe, --debug-file: as the session's own lookup does */
	if (!exe || so->no_debuginfo || so->layout || so->debug_file || so->exe)
		goto out;
	err = hw_session_find_dwarf(exe, given ? so->sysroot : NULL, root, NULL, &in->dw);
	if (err) {
		in->dw_problem = hw_error_steal_message(err);
		goto out;
	}
	in->dw_owned = true;
	hw_error_destroy(hw_dwarf_index(in->dw)); /* the queries meet it again */
out:
	free(root);
}

/* The snapshot @o names; *only: the one process to open (-1: all), *main_pid: pt[]'s first. */
static struct hw_error *take(const struct hw_inst_opts *o, struct hw_inst *in, long *only,
			     int *main_pid)
{
	struct hw_snapshot_opts so = o->snap;
	const struct hw_elf *exe = NULL;
	struct hw_error *err;
	int *pids = NULL;
	size_t npids = 0, nalso = 0;

	*only = o->all ? -1 : 0;
	so.hold = o->in_place && !o->file && !so.no_stop && o->session.pool_sel[HW_POOL_SHM];
	if (o->file) {
		if ((err = hw_snapshot_load(o->file, &in->snap)))
			return err;
		if (!o->all && o->pid && (*only = hw_snapshot_find(in->snap, o->pid)) < 0)
			return hw_error_create(HW_ERR_INVALID_ARG, "%s holds no process %d",
					       o->file, o->pid);
		return NULL;
	}
	err = hw_kamailio_check(o->pid, o->session.exe);
	if (!err)
		err = hw_instance_find(o->pid, &pids, &npids);
	/* files and DWARF now, while the processes run: no part of the stop */
	if (!err)
		err = hw_snapshot_preopen(pids[0], o->session.sysroot, in->files, &exe);
	if (err) {
		free(pids);
		return err;
	}
	find_dwarf(in, exe, pids[0]);
	*main_pid = pids[0];
	if (o->session.pool_sel[HW_POOL_SHM] && !so.no_stop)
		so.quiet_word = hw_kamailio_shm_lock(pids[0], o->session.exe);
	if (o->all) {
		err = hw_snapshot_take(pids, npids, &so, &in->snap);
	} else {
		/* the others stand still while shm is copied */
		bool shm = o->session.pool_sel[HW_POOL_SHM];
		for (size_t i = 0; i < npids; i++)
			if (pids[i] != o->pid)
				pids[nalso++] = pids[i];
		so.also_stop = shm ? pids : NULL;
		so.nalso_stop = shm ? nalso : 0;
		err = hw_snapshot_take(&o->pid, 1, &so, &in->snap);
	}
	free(pids);
	return err;
}

/* Process @i's session (or, not selected, only pt[] from the first): its failure is kept in it. */
static void open_proc(struct hw_inst *in, size_t i)
{
	const struct hw_inst_opts *o = &in->o;
	hw_session_say_fn warn = o->session.warn;
	/* --exe and --sysroot hold for every process (a live one's root is its own by default) */
	const struct hw_target_opts topts = {
	    .exe_path = o->session.exe,
	    .sysroot = o->session.sysroot,
	    .max_core_size = o->session.max_core_size,
	    .files = in->files,
	};
	struct hw_inst_proc *p = &in->p[i];
	struct hw_session_opts so = o->session;
	struct hw_target *t;
	struct hw_error *err;

	p->deferred = false;
	/* shm is saved once, in the first image; the others show their pkg. */
	if (p->snap_idx != 0)
		so.pool_sel[HW_POOL_SHM] = so.pool_sel[HW_POOL_RPM] = so.pool_sel[HW_POOL_SHM_DBG] =
		    false;
	p->selected = so.pool_sel[HW_POOL_PKG] || so.pool_sel[HW_POOL_SHM];
	if (!p->selected && i != 0)
		return;
	if ((err = hw_snapshot_open(in->snap, p->snap_idx, &topts, &t))) {
		if (warn)
			warn("pid %d: %s", p->pid, err->message);
		p->error = hw_error_steal_message(err);
		return;
	}
	if (!p->selected) {
		/* Only to read pt[] from: keep no session. */
		read_pt(in, t, in->main_pid);
		hw_target_destroy(t);
		return;
	}
	so.target = t; /* the session owns it from here */
	so.dw = in->dw;
	so.dw_problem = in->dw_problem;
	so.core = NULL;
	if ((err = hw_session_open(&so, &p->s))) {
		if (warn)
			warn("%s", err->message);
		hw_error_destroy(err);
		p->error = strdup("could not be opened (see above)");
		return;
	}
	p->open = true;
	/* one build, one note: the first process says it for the instance */
	p->s.system_said = o->system_said;
	for (size_t j = 0; j < in->n; j++)
		if (j != i && in->p[j].open)
			p->s.system_said = true;
	if (!in->dw && !p->s.dw_borrowed)
		in->dw = p->s.dw;
}

struct hw_error *hw_inst_open(const struct hw_inst_opts *o, struct hw_inst *in)
{
	hw_session_say_fn warn = o->session.warn;
	struct hw_error *err;
	int main_pid = 0;
	long only;

	memset(in, 0, sizeof(*in));
	in->o = *o;
	if (!(in->files = hw_target_files_create()))
		return hw_error_nomem();
	if ((err = take(o, in, &only, &main_pid))) {
		hw_inst_close(in);
		return err;
	}
	in->warn = o->quiet ? NULL : warn;
	if (!in->snap->holding && !o->quiet)
		say_snapshot(in, warn);
	if (!main_pid && in->snap->nprocs)
		main_pid = in->snap->procs[0].pid;
	in->main_pid = seen_as(in->snap, main_pid);
	in->n = only >= 0 ? 1 : in->snap->nprocs;
	if (!(in->p = calloc(in->n, sizeof(*in->p)))) {
		hw_inst_close(in);
		return hw_error_nomem();
	}
	for (size_t i = 0; i < in->n; i++) {
		struct hw_inst_proc *p = &in->p[i];
		p->snap_idx = only >= 0 ? (size_t)only : i;
		p->pid = in->snap->procs[p->snap_idx].pid;
		p->rank = -1;
		/* Held: only the image with shm now, the others once the processes run again. */
		p->deferred = in->snap->holding && p->snap_idx != 0;
		if (!p->deferred)
			open_proc(in, i);
	}
	/* Labels from pt[], in shm: read through the first process, which holds shm. */
	if (in->n && in->p[0].open && in->p[0].snap_idx == 0)
		read_pt(in, in->p[0].s.t, in->main_pid);
	return NULL;
}

bool hw_inst_release(struct hw_inst *in)
{
	struct hw_error *err;

	if (in->failed)
		return false;
	if (!in->snap || !in->snap->holding)
		return true;
	err = hw_snapshot_release(in->snap);
	for (size_t i = 0; i < in->n; i++)
		if (in->p[i].open)
			hw_snapshot_withdraw(in->snap, in->p[i].s.t);
	if (err) {
		in->failed = true;
		if (in->o.session.warn)
			in->o.session.warn("%s", err->message);
		hw_error_destroy(err);
		return false;
	}
	say_snapshot(in, in->warn);
	for (size_t i = 0; i < in->n; i++)
		if (in->p[i].deferred)
			open_proc(in, i);
	return true;
}

bool hw_inst_proc_ready(struct hw_inst *in, size_t i)
{
	/* Walks go in index order: past the image with shm, the processes may run. */
	if (in->snap && in->snap->holding && in->p[i].snap_idx != 0)
		hw_inst_release(in);
	return !in->failed && in->p[i].open;
}

void hw_inst_close(struct hw_inst *in)
{
	if (in->snap && in->snap->holding)
		hw_error_destroy(hw_snapshot_release(in->snap));
	/* Sessions borrowing the first one's DWARF close before it. */
	for (size_t i = in->n; i-- > 0;) {
		if (in->p[i].open)
			hw_session_close(&in->p[i].s);
		free(in->p[i].error);
	}
	free(in->p);
	free(in->pt_missing);
	free(in->mp);
	hw_snapshot_destroy(in->snap);
	if (in->dw_owned)
		hw_dwarf_close(in->dw);
	free(in->dw_problem);
	hw_target_files_destroy(in->files); /* after every target opened with it */
	memset(in, 0, sizeof(*in));
}

void hw_inst_model(struct hw_inst *in, const char *command, enum hw_format format, uint64_t request)
{
	struct hw_multi *m = &in->m;
	const struct hw_snapshot *s = in->snap;

	in->mp = calloc(in->n ? in->n : 1, sizeof(*in->mp));
	memset(m, 0, sizeof(*m));
	m->command = command;
	m->format = format;
	m->out = stdout;
	m->source = s->source;
	m->live = s->live;
	m->stopped = s->stopped;
	m->in_place = s->ninplace > 0;
	m->lock_watched = s->quiet_watched;
	m->lock_held = s->quiet_busy;
	m->stopped_again = s->quiet_retries;
	m->time_ns = s->time_ns;
	m->wall_ns = s->wall_ns;
	m->version = "";
	m->has_process_count = in->have_count;
	m->process_count = in->process_count;
	m->npt = in->npt;
	m->pt_missing = in->pt_missing;
	m->npt_missing = in->npt_missing;
	m->request = request;
	if (!in->mp)
		return;
	for (size_t i = 0; i < in->n; i++) {
		struct hw_inst_proc *p = &in->p[i];
		const struct hw_snapshot_proc *sp = &s->procs[p->snap_idx];
		struct hw_multi_proc *q = &in->mp[i];
		q->pid = p->pid;
		q->ns_pid = sp->ns_pid;
		q->rank = p->rank;
		q->desc = p->desc;
		q->in_pt = p->in_pt;
		q->stopped = sp->stopped;
		q->was_stopped = sp->was_stopped;
		q->stop_ns = sp->stop_ns;
		q->copied = sp->copied;
		q->copied_while_stopped = sp->copied_while_stopped;
		q->unreadable = sp->unreadable;
		q->skipped_zero = sp->skipped_zero;
		q->in_place = sp->in_place;
		q->error = p->error;
		q->report = p->open ? &p->s.report : NULL;
		if (p->open && !m->version[0])
			m->version = p->s.inst.version;
		if (p->open)
			p->s.report.request = request;
	}
	m->procs = in->mp;
	m->nprocs = in->n;
}

bool hw_inst_walk_sites(struct hw_inst *in)
{
	for (size_t i = 0; i < in->n; i++) {
		if (!hw_inst_proc_ready(in, i))
			continue;
		hw_session_prepare_pools(&in->p[i].s);
		if (!hw_session_walk_sites(&in->p[i].s))
			return false;
	}
	return hw_inst_release(in);
}

struct hw_error *hw_inst_walk_map(struct hw_inst *in, uint32_t pkg_cells, uint32_t shm_cells,
				  uint64_t top)
{
	struct hw_error *err = NULL;

	for (size_t i = 0; i < in->n && !err; i++) {
		if (!in->p[i].open)
			continue;
		hw_session_prepare_pools(&in->p[i].s);
		err = hw_session_walk_map(&in->p[i].s, pkg_cells, shm_cells, true, top);
	}
	return err;
}

/* A healthy pkg verdict folds into the first healthy pkg item; true if it did. */
static bool fold_healthy(struct hw_diag_items *r, const struct hw_diag_item *it)
{
	if (!strcmp(it->pool, "shm") || it->res.verdict != HW_VERDICT_OK)
		return false;
	for (size_t j = 0; j < r->n; j++)
		if (!strcmp(r->v[j].pool, "pkg") && r->v[j].res.verdict == HW_VERDICT_OK) {
			r->v[j].also++;
			return true;
		}
	return false;
}

/* What holds the most of a walked pool's used memory (its sites, when they were walked). */
static void dominant(const struct hw_pool_report *pr, struct hw_diag_input *din, char *site,
		     size_t cap)
{
	struct hw_sites_top top;

	if (!pr->sites.n)
		return;
	hw_sites_top(&pr->sites, &top);
	if (top.site && top.site->file_s) {
		/* as hw_diag_growth names the site that grew most */
		snprintf(site, cap, "%s: %s(%llu) [%s]", top.site->file_s,
			 top.site->func_s ? top.site->func_s : "?",
			 (unsigned long long)top.site->line,
			 top.site->mname_s && top.site->mname_s[0] ? top.site->mname_s : "-");
		din->dominant_site = site;
		din->dominant_bytes = top.site->bytes;
		din->dominant_frags = top.site->count;
	}
	din->dominant_module = top.module;
	din->dominant_module_bytes = top.module_bytes;
}

void hw_session_diagnose(struct hw_session *s, uint64_t request)
{
	size_t n = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t k = 0; k < s->report.npools && n < HW_POOL_KIND_COUNT; k++) {
			const struct hw_pool_report *pr = &s->report.pools[k];
			struct hw_diag_item *it = &s->diag[n];
			struct hw_diag_input din;
			char site[400];
			if ((pr->pool->kind == HW_POOL_SHM) != (pass == 0) || !pr->walked ||
			    !pr->frag)
				continue;
			hw_session_diag_input(pr, &s->inst, request, &din);
			dominant(pr, &din, site, sizeof(site));
			memset(it, 0, sizeof(*it));
			it->pool = pr->pool->name;
			it->pid = s->t->pid;
			it->rank = s->inst.has_pt ? s->inst.pt_rank : -1;
			it->desc = s->inst.has_pt ? s->inst.pt_desc : NULL;
			hw_diagnose_pool(&din, &it->res);
			n++;
		}
	s->report.diag = s->diag;
	s->report.ndiag = n;
}

static struct hw_error *diagnose(const struct hw_inst *in, uint64_t request,
				 const struct hw_diff *d, const struct hw_watch_store *st,
				 double seconds, struct hw_diag_items *r)
{
	memset(r, 0, sizeof(*r));
	r->v = calloc(in->n * HW_POOL_KIND_COUNT + 1, sizeof(*r->v));
	r->tops = calloc(in->n * HW_POOL_KIND_COUNT + 1, sizeof(*r->tops));
	r->settled = calloc(in->n * HW_POOL_KIND_COUNT + 1, sizeof(*r->settled));
	if (!r->v || !r->tops || !r->settled) {
		hw_diag_items_deinit(r);
		return hw_error_nomem();
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < in->n; i++) {
			const struct hw_inst_proc *p = &in->p[i];
			for (size_t k = 0; p->open && k < p->s.report.npools; k++) {
				const struct hw_pool_report *pr = &p->s.report.pools[k];
				struct hw_diag_item *it = &r->v[r->n];
				struct hw_diag_input din;
				char site[400];
				bool shm = !strcmp(pr->pool->name, "shm");
				if (shm != (pass == 0) || !pr->walked || !pr->frag)
					continue;
				hw_session_diag_input(pr, &p->s.inst, request, &din);
				dominant(pr, &din, site, sizeof(site));
				if (d)
					hw_diag_growth(d, pr->pool->name, p->pid, &din, seconds,
						       r->tops[r->n], sizeof(r->tops[0]));
				else if (st)
					hw_diag_series(st, pr->pool->name, p->pid, &din, seconds,
						       r->tops[r->n], r->settled[r->n],
						       sizeof(r->tops[0]));
				it->pool = pr->pool->name;
				it->pid = p->pid;
				it->rank = p->rank;
				it->desc = p->desc;
				hw_diagnose_pool(&din, &it->res);
				if (!fold_healthy(r, it))
					r->n++;
			}
		}
	return NULL;
}

struct hw_error *hw_inst_diagnose(const struct hw_inst *in, uint64_t request,
				  const struct hw_diff *d, double seconds, struct hw_diag_items *r)
{
	return diagnose(in, request, d, NULL, seconds, r);
}

struct hw_error *hw_inst_diagnose_series(const struct hw_inst *in, uint64_t request,
					 const struct hw_watch_store *st, double seconds,
					 struct hw_diag_items *r)
{
	return diagnose(in, request, NULL, st, seconds, r);
}

int hw_diag_items_exit(const struct hw_diag_items *items, int rc)
{
	for (size_t i = 0; i < items->n; i++)
		rc = hw_exit_worse(rc, hw_verdict_exit(items->v[i].res.verdict));
	return rc;
}

void hw_diag_items_deinit(struct hw_diag_items *items)
{
	free(items->v);
	free(items->tops);
	free(items->settled);
	memset(items, 0, sizeof(*items));
}

struct hw_error *hw_inst_to_side(const struct hw_inst *in, struct hw_diff_side *side)
{
	struct hw_error *err = NULL;

	side->time_ns = in->snap->time_ns;
	for (size_t i = 0; i < in->n && !err; i++)
		if (in->p[i].open)
			err = hw_session_to_diff(&in->p[i].s, in->p[i].pid, in->p[i].rank,
						 in->p[i].desc, side);
	return err;
}

/* The kept counts of @kept's sites into @dp's sites. */
static void set_kept(struct hw_diff_pool *dp, const struct hw_sites *kept)
{
	for (size_t j = 0; j < kept->cap; j++) {
		const struct hw_site *st = &kept->slots[j];
		struct hw_diff_site *ds;
		if (!st->count || !st->file_s)
			continue;
		ds = (struct hw_diff_site *)hw_diff_pool_find(dp, st->file_s, st->func_s, st->line,
							      st->mname_s ? st->mname_s : "");
		if (ds)
			ds->kept = st->count;
	}
	dp->kept_known = true;
}

/* One process's pools: record their identities into @side's pools, or count what @ref had. */
static struct hw_error *persist_proc(struct hw_inst_proc *p, struct hw_diff_side *side,
				     const struct hw_diff_side *ref)
{
	struct hw_session *s = &p->s;
	struct hw_persist_pool *pp = calloc(s->report.npools ? s->report.npools : 1, sizeof(*pp));
	struct hw_diff_pool **dps = calloc(s->report.npools ? s->report.npools : 1, sizeof(*dps));
	struct hw_error *err = NULL;

	if (!pp || !dps) {
		free(pp);
		free(dps);
		return hw_error_nomem();
	}
	for (size_t k = 0; k < s->report.npools && !err; k++) {
		const struct hw_pool_report *pr = &s->report.pools[k];
		struct hw_diff_pool *dp =
		    pr->walked
			? (struct hw_diff_pool *)hw_diff_side_find(side, pr->pool->name, p->pid)
			: NULL;
		const struct hw_diff_pool *rp =
		    dp && ref ? hw_diff_side_find(ref, pr->pool->name, p->pid) : NULL;
		dps[k] = dp;
		if (!dp)
			continue;
		if (!ref) {
			dp->ids = calloc(1, sizeof(*dp->ids));
			if (!dp->ids)
				err = hw_error_nomem();
			else
				hw_idset_init(dp->ids);
			pp[k].record = dp->ids;
		} else if (rp && rp->ids && !rp->ids->overflow) {
			pp[k].ref = rp->ids;
		} else {
			dps[k] = NULL; /* nothing to compare with */
		}
	}
	if (!err)
		err = hw_session_persist(s, pp);
	for (size_t k = 0; k < s->report.npools; k++) {
		if (!err && ref && dps[k])
			set_kept(dps[k], &pp[k].kept);
		hw_sites_deinit(&pp[k].kept);
	}
	free(pp);
	free(dps);
	return err;
}

struct hw_error *hw_inst_persist(struct hw_inst *in, struct hw_diff_side *side,
				 const struct hw_diff_side *ref)
{
	struct hw_error *err = NULL;

	for (size_t i = 0; i < in->n && !err; i++)
		if (in->p[i].open)
			err = persist_proc(&in->p[i], side, ref);
	return err;
}

struct hw_error *hw_inst_walk_sample(struct hw_inst *in, struct hw_diff_side *side, bool persist,
				     const struct hw_diff_side *ref)
{
	struct hw_error *err = NULL;

	side->time_ns = in->snap->time_ns;
	for (size_t i = 0; i < in->n && !err; i++) {
		struct hw_inst_proc *p = &in->p[i];
		if (!hw_inst_proc_ready(in, i))
			continue;
		hw_session_prepare_pools(&p->s);
		if (!hw_session_walk_sites(&p->s))
			return hw_error_nomem();
		err = hw_session_to_diff(&p->s, p->pid, p->rank, p->desc, side);
		if (!err && persist)
			err = persist_proc(p, side, ref);
	}
	if (!err && !hw_inst_release(in))
		err = hw_error_create(HW_ERR_UNSUPPORTED, "the sample was not kept (see above)");
	return err;
}

static struct hw_error *load_side(const struct hw_inst_opts *o, const char *path,
				  struct hw_diff_side *side)
{
	struct hw_inst_opts io = *o;
	struct hw_error *err;
	struct hw_inst in;

	if (!(side->source = strdup(path)))
		return hw_error_nomem();
	if (hw_diff_file_is_json(path))
		return hw_diff_side_from_json_file(side, path);
	io.file = path;
	io.pid = 0;
	io.all = true;
	io.quiet = true;
	if ((err = hw_inst_open(&io, &in)))
		return err;
	if (!hw_inst_walk_sites(&in))
		err = hw_error_nomem();
	if (!err)
		err = hw_inst_to_side(&in, side);
	hw_inst_close(&in);
	return err;
}

struct hw_error *hw_inst_load_side(const struct hw_inst_opts *o, const char *path,
				   struct hw_diff_side *side)
{
	struct hw_error *err = load_side(o, path, side);

	if (err)
		hw_diff_side_deinit(side);
	return err;
}
