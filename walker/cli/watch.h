/*
 * watch.h - internal to the CLI: periodic snapshots of a running instance
 * (cmd_watch.c), shared by 'watch' and 'report --watch', and the series of
 * one site over the samples.
 */
#ifndef HEAPWALK_CLI_WATCH_H
#define HEAPWALK_CLI_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "heapwalk/diff.h"
#include "heapwalk/multi.h"
#include "instance.h"

/* What a caller adds to each sample; every member may be NULL. */
struct hw_watch_hook {
	/*
	 * Walk the open instance of one sample so that every walked pool's
	 * sites are resolved (default: hw_session_walk_sites). False: fatal,
	 * already said.
	 */
	bool (*walk)(struct hw_cli *cli, struct hw_inst *in, void *arg);
	/* After the sample's side is filled: true when the hook took @in (it closes it). */
	bool (*keep)(struct hw_inst *in, void *arg);
	void *arg;
};

/* The samples taken (owned; hw_watch_run_deinit). */
struct hw_watch_run {
	size_t n;
	struct hw_diff_side *samples;
	uint64_t *t_ns;	  /* CLOCK_REALTIME of each */
	double *stop_ms;  /* longest stop of any process in each */
	bool interrupted; /* ended by SIGINT / SIGTERM */
};

/*
 * Snapshot cli->pid's instance every cli->interval seconds (default 60),
 * cli->count times (default 10, or as many as cli->duration allows), until
 * SIGINT or SIGTERM. Returns an exit code; *run holds the samples taken
 * even when a later one failed.
 */
int hw_watch_collect(struct hw_cli *cli, const struct hw_watch_hook *hook,
		     struct hw_watch_run *run);
void hw_watch_run_deinit(struct hw_watch_run *run);

#endif
