/* live.c - one running process, or one process of a snapshot file, as a target. */
#include <stdio.h>
#include <stdlib.h>

#include "heapwalk/error.h"
#include "heapwalk/sbuf.h"
#include "heapwalk/session.h"
#include "heapwalk/snapshot.h"
#include "heapwalk/target.h"
#include "internal.h"

/* One line on stderr: how long the process was stopped and what was copied. */
static void say_stop(const struct hw_live_opts *o, const struct hw_snapshot *s)
{
	const struct hw_snapshot_proc *p = &s->procs[0];
	char b[32];
	uint64_t held_max = 0;

	if (!o->warn)
		return;
	hw_human_size(b, sizeof(b), p->copied);
	if (!s->stopped) {
		o->warn("pid %d read without stopping it (--no-stop, %s): torn reads are "
			"possible, findings may be artefacts",
			p->pid, b);
		return;
	}
	for (size_t i = 0; i < s->nheld; i++)
		if (s->held[i].stop_ns > held_max)
			held_max = s->held[i].stop_ns;
	if (s->nheld)
		o->warn("pid %d stopped for %.2f ms while %s were copied; %zu other processes "
			"of its instance held up to %.2f ms while shm was copied",
			p->pid, (double)p->stop_ns / 1e6, b, s->nheld, (double)held_max / 1e6);
	else
		o->warn("pid %d stopped for %.2f ms while %s were copied", p->pid,
			(double)p->stop_ns / 1e6, b);
}

struct hw_error *hw_live_target(struct hw_live_opts *o, const struct hw_target_opts *topts,
				struct hw_target **ret)
{
	struct hw_snapshot_opts so = {
	    .no_stop = o->no_stop, .hold_ms = o->hold_ms, .max_stop_ms = o->max_stop_ms};
	struct hw_snapshot *s = NULL;
	struct hw_error *err;
	int *inst = NULL;
	size_t ninst = 0, nalso = 0;
	long idx = 0;

	if (o->core) {
		/* One process of a snapshot file. */
		if ((err = hw_snapshot_load(o->core, &s)))
			return err;
		idx = hw_snapshot_find(s, o->pid);
		if (idx < 0) {
			char list[256] = "";
			size_t len = 0;
			for (size_t i = 0; i < s->nprocs && len < sizeof(list) - 16; i++)
				len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%d",
							i ? ", " : "", s->procs[i].pid);
			err = hw_error_create(HW_ERR_INVALID_ARG,
					      "%s holds no process %d (it holds %s)", o->core,
					      o->pid, list);
			hw_snapshot_destroy(s);
			return err;
		}
		/* shm is saved once, with the file's first process. */
		if (idx > 0 && o->pool_sel[HW_POOL_SHM]) {
			if (o->pool_sel[HW_POOL_PKG]) {
				o->pool_sel[HW_POOL_SHM] = false;
				if (o->warn)
					o->warn("shm is saved with the first process of %s (pid "
						"%d): showing "
						"pid %d's pkg only",
						o->core, s->procs[0].pid, o->pid);
			} else {
				err = hw_error_create(HW_ERR_INVALID_ARG,
						      "%s saves shm with its first process: use "
						      "--pid %d for shm",
						      o->core, s->procs[0].pid);
				hw_snapshot_destroy(s);
				return err;
			}
		}
		err = hw_snapshot_open(s, (size_t)idx, topts, ret);
		hw_snapshot_destroy(s);
		return err;
	}
	if ((err = hw_kamailio_check(o->pid, o->exe)))
		return err;
	/* shm is written by every process: hold them all while it is copied. */
	if (o->pool_sel[HW_POOL_SHM] && !o->no_stop) {
		if ((err = hw_instance_find(o->pid, &inst, &ninst)))
			return err;
		for (size_t i = 0; i < ninst; i++)
			if (inst[i] != o->pid)
				inst[nalso++] = inst[i];
		so.also_stop = inst;
		so.nalso_stop = nalso;
		so.quiet_word = hw_kamailio_shm_lock(o->pid, o->exe);
	}
	err = hw_snapshot_take(&o->pid, 1, &so, &s);
	free(inst);
	if (err)
		return err;
	say_stop(o, s);
	hw_say_quiet(s, o->warn);
	err = hw_snapshot_open(s, 0, topts, ret);
	hw_snapshot_destroy(s);
	return err;
}
