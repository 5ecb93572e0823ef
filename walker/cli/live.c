/* live.c - --pid: a running process (or one process of a snapshot file) as the session's target. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapwalk/snapshot.h"
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

struct hw_error *hw_live_open_target(struct hw_cli *cli, const struct hw_target_opts *topts,
				     struct hw_target **ret)
{
	struct hw_snapshot_opts so;
	struct hw_live_opts o = {.pid = cli->pid,
				 .core = cli->core,
				 .exe = cli->exe,
				 .no_stop = cli->no_stop,
				 .warn = hw_cli_warn};
	struct hw_error *err;

	hw_inst_snapshot_opts(cli, &so);
	o.hold_ms = so.hold_ms;
	memcpy(o.pool_sel, cli->pool_sel, sizeof(o.pool_sel));
	err = hw_live_target(&o, topts, ret);
	memcpy(cli->pool_sel, o.pool_sel, sizeof(cli->pool_sel));
	return err;
}
