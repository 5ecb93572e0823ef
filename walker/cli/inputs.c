/* inputs.c - the two sides of diff and report A B: summary JSON files, or cores and snapshots
 * walked now. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "instance.h"

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

static int load(struct hw_cli *cli, const char *path, struct hw_diff_side *side);

/* On failure @side is left empty, owning nothing (the caller's error paths need not free it). */
int hw_diff_load(struct hw_cli *cli, const char *path, struct hw_diff_side *side)
{
	int rc = load(cli, path, side);

	if (rc != HW_EXIT_OK)
		hw_diff_side_deinit(side);
	return rc;
}

static int load(struct hw_cli *cli, const char *path, struct hw_diff_side *side)
{
	struct hw_error *err;
	struct hw_inst in;
	struct hw_cli c = *cli;
	int rc;

	if (!(side->source = strdup(path))) {
		hw_cli_warn("out of memory");
		return HW_EXIT_FATAL;
	}
	if (hw_diff_file_is_json(path)) {
		err = hw_diff_side_from_json_file(side, path);
		if (err)
			return hw_cli_fail(err);
		return HW_EXIT_OK;
	}
	c.core = path;
	c.pid = 0;
	c.all = true;
	if ((rc = hw_inst_open(&c, &in, "summary", INST_ALL | INST_QUIET)))
		return rc;
	if (!hw_inst_walk_sites(&in)) {
		hw_inst_close(&in);
		return HW_EXIT_FATAL;
	}
	err = hw_inst_to_side(&in, side);
	hw_inst_close(&in);
	if (err)
		return hw_cli_fail(err);
	return HW_EXIT_OK;
}
