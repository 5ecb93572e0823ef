/* live.c - --pid: a running process (or one process of a snapshot file) as the session's target. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapwalk/elfsym.h"
#include "heapwalk/error.h"
#include "heapwalk/frag.h"
#include "heapwalk/sbuf.h"
#include "heapwalk/snapshot.h"
#include "heapwalk/target.h"
#include "instance.h"

void hw_inst_snapshot_opts(const struct hw_cli *cli, struct hw_snapshot_opts *o)
{
	const char *hold = getenv("HEAPWALK_TEST_HOLD_MS");

	memset(o, 0, sizeof(*o));
	o->no_stop = cli->no_stop;
	/* Tests hold the processes longer to kill heapwalk in the middle of a snapshot. */
	if (hold && *hold) {
		unsigned long v = strtoul(hold, NULL, 10);
		o->hold_ms = v > 60000 ? 60000 : (unsigned)v;
	}
}

/* One line on stderr: how long the process was stopped and what was copied. */
static void say_stop(const struct hw_snapshot *s)
{
	const struct hw_snapshot_proc *p = &s->procs[0];
	char b[32];
	uint64_t held_max = 0;

	hw_human_size(b, sizeof(b), p->copied);
	if (!s->stopped) {
		hw_cli_warn("pid %d read without stopping it (--no-stop, %s): torn reads are "
			    "possible, findings may be artefacts",
			    p->pid, b);
		return;
	}
	for (size_t i = 0; i < s->nheld; i++)
		if (s->held[i].stop_ns > held_max)
			held_max = s->held[i].stop_ns;
	if (s->nheld)
		hw_cli_warn("pid %d stopped for %.2f ms while %s were copied; %zu other processes "
			    "of its instance held up to %.2f ms while shm was copied",
			    p->pid, (double)p->stop_ns / 1e6, b, s->nheld, (double)held_max / 1e6);
	else
		hw_cli_warn("pid %d stopped for %.2f ms while %s were copied", p->pid,
			    (double)p->stop_ns / 1e6, b);
}

struct hw_error *hw_live_open_target(struct hw_cli *cli, const struct hw_target_opts *topts,
				     struct hw_target **ret)
{
	struct hw_snapshot_opts so;
	struct hw_snapshot *s = NULL;
	struct hw_error *err;
	int *inst = NULL;
	size_t ninst = 0, nalso = 0;
	long idx = 0;

	if (cli->core) {
		/* One process of a snapshot file. */
		if ((err = hw_snapshot_load(cli->core, &s)))
			return err;
		idx = hw_snapshot_find(s, cli->pid);
		if (idx < 0) {
			char list[256] = "";
			size_t len = 0;
			for (size_t i = 0; i < s->nprocs && len < sizeof(list) - 16; i++)
				len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%d",
							i ? ", " : "", s->procs[i].pid);
			err = hw_error_create(HW_ERR_INVALID_ARG,
					      "%s holds no process %d (it holds %s)", cli->core,
					      cli->pid, list);
			hw_snapshot_destroy(s);
			return err;
		}
		/* shm is saved once, with the file's first process. */
		if (idx > 0 && cli->pool_sel[HW_POOL_SHM]) {
			if (cli->pool_sel[HW_POOL_PKG]) {
				cli->pool_sel[HW_POOL_SHM] = false;
				hw_cli_warn(
				    "shm is saved with the first process of %s (pid %d): showing "
				    "pid %d's pkg only",
				    cli->core, s->procs[0].pid, cli->pid);
			} else {
				err = hw_error_create(HW_ERR_INVALID_ARG,
						      "%s saves shm with its first process: use "
						      "--pid %d for shm",
						      cli->core, s->procs[0].pid);
				hw_snapshot_destroy(s);
				return err;
			}
		}
		err = hw_snapshot_open(s, (size_t)idx, topts, ret);
		hw_snapshot_destroy(s);
		return err;
	}
	if ((err = hw_kamailio_check(cli->pid, cli->exe)))
		return err;
	hw_inst_snapshot_opts(cli, &so);
	/* shm is written by every process: hold them all while it is copied. */
	if (cli->pool_sel[HW_POOL_SHM] && !cli->no_stop) {
		if ((err = hw_instance_find(cli->pid, &inst, &ninst)))
			return err;
		for (size_t i = 0; i < ninst; i++)
			if (inst[i] != cli->pid)
				inst[nalso++] = inst[i];
		so.also_stop = inst;
		so.nalso_stop = nalso;
	}
	err = hw_snapshot_take(&cli->pid, 1, &so, &s);
	free(inst);
	if (err)
		return err;
	say_stop(s);
	err = hw_snapshot_open(s, 0, topts, ret);
	hw_snapshot_destroy(s);
	return err;
}
