/* cmd_snapshot.c - 'heapwalk snapshot': stop a running instance briefly and save it as a core file.
 */
#include "cli.h"
#include "heapwalk/error.h"
#include "heapwalk/multi.h"
#include "heapwalk/snapshot.h"

int hw_cmd_snapshot(struct hw_cli *cli)
{
	struct hw_inst in;
	struct hw_error *err;
	uint64_t bytes = 0;
	int rc;

	if (!cli->output)
		return hw_cli_usage_error(cli, "-o FILE is required (where to write the snapshot)");
	/* Labels come from pt[], read through the first process's session. */
	rc = hw_cli_inst_open(cli, &in, "snapshot", (cli->all ? INST_ALL : 0) | INST_QUIET);
	if (rc)
		return rc;
	err = hw_snapshot_write(in.snap, cli->output, &bytes);
	if (err) {
		hw_cli_warn("%s", err->message);
		hw_error_destroy(err);
		hw_inst_close(&in);
		return HW_EXIT_FATAL;
	}
	hw_inst_model(&in, "snapshot", cli->format, cli->request);
	in.m.file = cli->output;
	in.m.file_bytes = bytes;
	/* The snapshot is what was asked for: pools that cannot be walked do not matter here. */
	for (size_t i = 0; i < in.n; i++)
		if (in.mp)
			in.mp[i].report = NULL;
	hw_fmt_snapshot(&in.m);
	hw_inst_close(&in);
	return HW_EXIT_OK;
}
