/*
 * instance.h - internal to the CLI: a Kamailio instance (or one process of
 * it) snapshotted or loaded from a snapshot file, with a session per
 * process, labelled from the instance's process table pt[].
 */
#ifndef HEAPWALK_CLI_INSTANCE_H
#define HEAPWALK_CLI_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "heapwalk/multi.h"
#include "heapwalk/snapshot.h"

struct hw_inst_proc {
	struct hw_session s;
	struct hw_cli cli; /* the command line as it applies to this process (its pools) */
	bool open;	   /* s is usable */
	bool selected;	   /* some pool of this process is shown */
	size_t snap_idx;   /* index in the snapshot */
	int pid, rank;
	char desc[160];
	bool in_pt;
	char *error; /* why it could not be opened (owned) */
};

struct hw_inst {
	struct hw_snapshot *snap;
	struct hw_inst_proc *p;
	size_t n;
	bool have_count;
	int process_count;
	size_t npt;
	int *pt_missing;
	size_t npt_missing;
	/* for the formatters */
	struct hw_multi_proc *mp;
	struct hw_multi m;
};

enum {
	INST_ALL = 1,	/* every process of the instance (else cli->pid's, or the file's first) */
	INST_QUIET = 2, /* no stop-time line on stderr */
};

/* Snapshot options from the command line and the environment (HEAPWALK_TEST_HOLD_MS). */
void hw_inst_snapshot_opts(const struct hw_cli *cli, struct hw_snapshot_opts *o);
/*
 * The processes of cli->pid's instance (live) or of cli->core (a snapshot
 * file), a session each (pkg for all, shm for the first). Returns an exit
 * code (0: go on); on failure everything is closed and the reason said.
 */
int hw_inst_open(struct hw_cli *cli, struct hw_inst *in, const char *command, unsigned flags);
/* Fill in->m / in->mp from the sessions (after the walks). */
void hw_inst_model(struct hw_inst *in, struct hw_cli *cli, const char *command);
/* Prepare and walk every open process's pools into their sites (resolved); false: fatal, said. */
bool hw_inst_walk_sites(struct hw_inst *in);
/* Worst exit code over the processes: 2 if one could not be opened or walked, 1 on findings. */
int hw_inst_exit_code(const struct hw_inst *in);
void hw_inst_close(struct hw_inst *in);

struct hw_diff_side;
/* Every walked pool's sites (after hw_session_walk_sites) into @side, labelled per process. */
struct hw_error *hw_inst_to_side(const struct hw_inst *in, struct hw_diff_side *side);
/* Read one diff input: a summary JSON file, or a core / snapshot file walked now. */
int hw_diff_load(struct hw_cli *cli, const char *path, struct hw_diff_side *side);

#endif
