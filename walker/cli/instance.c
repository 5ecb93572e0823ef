/* instance.c - every process of a Kamailio instance: snapshot, sessions, pt[] labels, --all. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/frag.h"
#include "heapwalk/target.h"
#include "instance.h"

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
			if (p->pid != e->pid)
				continue;
			found = true;
			p->in_pt = true;
			p->rank = e->rank;
			snprintf(p->desc, sizeof(p->desc), "%s", e->desc);
		}
		/* Unused slots (pid 0) of a table sized for more processes are not missing. */
		if (!found && e->pid && in->pt_missing)
			in->pt_missing[in->npt_missing++] = e->pid;
	}
	hw_pt_deinit(&pt);
}

static void say_snapshot(const struct hw_snapshot *s, const char *command)
{
	uint64_t max = 0, copied = 0;

	(void)command;
	for (size_t i = 0; i < s->nprocs; i++) {
		if (s->procs[i].stop_ns > max)
			max = s->procs[i].stop_ns;
		copied += s->procs[i].copied;
	}
	if (!s->live)
		return;
	if (!s->stopped)
		hw_cli_warn("%zu processes read without stopping them (--no-stop): torn reads are "
			    "possible, findings may be artefacts",
			    s->nprocs);
	else
		hw_cli_warn("%zu processes stopped together; the longest stop %.2f ms, %.1f MiB "
			    "copied",
			    s->nprocs, (double)max / 1e6, (double)copied / (double)(1 << 20));
}

int hw_inst_open(struct hw_cli *cli, struct hw_inst *in, const char *command, unsigned flags)
{
	struct hw_error *err = NULL;
	struct hw_snapshot_opts so;
	struct hw_dwarf *dw = NULL;
	int *pids = NULL, main_pid = 0;
	size_t npids = 0, nsel = 0;
	long only = -1;

	memset(in, 0, sizeof(*in));
	if (cli->core) {
		err = hw_snapshot_load(cli->core, &in->snap);
		if (!err && !(flags & INST_ALL) && cli->pid) {
			only = hw_snapshot_find(in->snap, cli->pid);
			if (only < 0)
				err = hw_error_create(HW_ERR_INVALID_ARG, "%s holds no process %d",
						      cli->core, cli->pid);
		} else if (!err && !(flags & INST_ALL)) {
			only = 0;
		}
	} else {
		hw_inst_snapshot_opts(cli, &so);
		err = hw_kamailio_check(cli->pid, cli->exe);
		if (!err)
			err = hw_instance_find(cli->pid, &pids, &npids);
		if (!err) {
			main_pid = pids[0];
			if (flags & INST_ALL) {
				err = hw_snapshot_take(pids, npids, &so, &in->snap);
			} else {
				/* the others stand still while shm is copied */
				size_t nalso = 0;
				for (size_t i = 0; i < npids; i++)
					if (pids[i] != cli->pid)
						pids[nalso++] = pids[i];
				so.also_stop = cli->pool_sel[HW_POOL_SHM] ? pids : NULL;
				so.nalso_stop = cli->pool_sel[HW_POOL_SHM] ? nalso : 0;
				err = hw_snapshot_take(&cli->pid, 1, &so, &in->snap);
				only = 0;
			}
		}
		free(pids);
	}
	if (err) {
		hw_cli_warn("%s", err->message);
		hw_error_destroy(err);
		hw_inst_close(in);
		return HW_EXIT_FATAL;
	}
	if (!(flags & INST_QUIET))
		say_snapshot(in->snap, command);
	if (!main_pid && in->snap->nprocs)
		main_pid = in->snap->procs[0].pid;
	in->n = only >= 0 ? 1 : in->snap->nprocs;
	in->p = calloc(in->n, sizeof(*in->p));
	if (!in->p) {
		hw_cli_warn("out of memory");
		hw_inst_close(in);
		return HW_EXIT_FATAL;
	}
	for (size_t i = 0; i < in->n; i++) {
		struct hw_inst_proc *p = &in->p[i];
		size_t si = only >= 0 ? (size_t)only : i;
		p->snap_idx = si;
		p->pid = in->snap->procs[si].pid;
		p->rank = -1;
		p->cli = *cli;
		/* shm is saved once, in the first image; the others show their pkg. */
		if (si != 0)
			p->cli.pool_sel[HW_POOL_SHM] = false;
		p->selected = p->cli.pool_sel[HW_POOL_PKG] || p->cli.pool_sel[HW_POOL_SHM];
	}
	for (size_t i = 0; i < in->n; i++) {
		struct hw_inst_proc *p = &in->p[i];
		struct hw_cli c = p->cli;
		struct hw_target *t;
		int rc;
		if (!p->selected && i != 0)
			continue;
		err = hw_snapshot_open(in->snap, p->snap_idx, NULL, &t);
		if (err) {
			hw_cli_warn("pid %d: %s", p->pid, err->message);
			p->error = hw_error_steal_message(err);
			continue;
		}
		if (!p->selected) {
			/* Only to read pt[] from: keep no session. */
			read_pt(in, t, main_pid);
			hw_target_destroy(t);
			continue;
		}
		c.given_target = t;
		c.given_dw = dw;
		c.pid = 0;
		c.core = NULL;
		rc = hw_cli_open(&c, &p->s, command);
		if (rc) {
			if (c.given_target)
				hw_target_destroy(c.given_target);
			p->error = strdup("could not be opened (see above)");
			continue;
		}
		p->open = true;
		nsel++;
		if (!dw && !p->s.dw_borrowed)
			dw = p->s.dw;
	}
	/* Labels from pt[], in shm: read through the first process, which holds shm. */
	if (in->n && in->p[0].open && in->p[0].snap_idx == 0)
		read_pt(in, in->p[0].s.t, main_pid);
	(void)nsel;
	return HW_EXIT_OK;
}

void hw_inst_close(struct hw_inst *in)
{
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
	memset(in, 0, sizeof(*in));
}

void hw_inst_model(struct hw_inst *in, struct hw_cli *cli, const char *command)
{
	struct hw_multi *m = &in->m;
	const struct hw_snapshot *s = in->snap;

	in->mp = calloc(in->n ? in->n : 1, sizeof(*in->mp));
	memset(m, 0, sizeof(*m));
	m->command = command;
	m->format = cli->format;
	m->out = stdout;
	m->source = s->source;
	m->live = s->live;
	m->stopped = s->stopped;
	m->time_ns = s->time_ns;
	m->wall_ns = s->wall_ns;
	m->version = "";
	m->has_process_count = in->have_count;
	m->process_count = in->process_count;
	m->npt = in->npt;
	m->pt_missing = in->pt_missing;
	m->npt_missing = in->npt_missing;
	m->request = cli->request;
	if (!in->mp)
		return;
	for (size_t i = 0; i < in->n; i++) {
		struct hw_inst_proc *p = &in->p[i];
		const struct hw_snapshot_proc *sp = &s->procs[p->snap_idx];
		struct hw_multi_proc *q = &in->mp[i];
		q->pid = p->pid;
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
		q->error = p->error;
		q->report = p->open ? &p->s.report : NULL;
		if (p->open && !m->version[0])
			m->version = p->s.inst.version;
		if (p->open)
			p->s.report.request = cli->request;
	}
	m->procs = in->mp;
	m->nprocs = in->n;
}

int hw_inst_exit_code(const struct hw_inst *in)
{
	int rc = HW_EXIT_OK;

	for (size_t i = 0; i < in->n; i++) {
		const struct hw_inst_proc *p = &in->p[i];
		int r;
		if (p->error)
			return HW_EXIT_FATAL;
		if (!p->open)
			continue;
		r = hw_cli_exit_code(&p->s);
		if (r == HW_EXIT_FATAL)
			return r;
		if (r > rc)
			rc = r;
	}
	return rc;
}

bool hw_inst_walk_sites(struct hw_inst *in)
{
	for (size_t i = 0; i < in->n; i++) {
		if (!in->p[i].open)
			continue;
		hw_session_prepare_pools(&in->p[i].s);
		if (!hw_session_walk_sites(&in->p[i].s))
			return false;
	}
	return true;
}
