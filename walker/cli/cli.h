/*
 * cli.h - the command-line front end: options, the command table, and the
 * setup every walking command shares. The only layer that prints to stderr
 * and decides exit codes.
 */
#ifndef HEAPWALK_CLI_H
#define HEAPWALK_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "heapwalk/pool.h"
#include "heapwalk/report.h"

/* Exit codes (README "Exit codes"). */
enum {
	HW_EXIT_OK = 0,
	HW_EXIT_FINDINGS = 1,
	HW_EXIT_FATAL = 2,
	HW_EXIT_USAGE = 64,
};

/* Which options a command accepts. */
enum {
	OPT_TARGET = 1 << 0,  /* --core --exe --sysroot --debug-file --no-debuginfo --layout */
	OPT_POOL = 1 << 1,    /* --pool */
	OPT_FORMAT = 1 << 2,  /* --format */
	OPT_SUMMARY = 1 << 3, /* --top --sort */
	OPT_FRAGS = 1 << 4,   /* --used --free --from --to --min-size --site */
	OPT_OUTPUT = 1 << 5,  /* -o/--output --cells */
};

struct hw_cli {
	const struct hw_command *cmd;
	/* target */
	const char *core, *exe, *sysroot, *debug_file, *layout;
	bool no_debuginfo;
	/* selection and output */
	bool pool_sel[HW_POOL_KIND_COUNT];
	enum hw_format format;
	bool format_given;
	/* summary */
	uint64_t top; /* 0: all */
	bool top_given;
	enum hw_site_order sort;
	bool sort_given;
	/* frags */
	bool used_only, free_only;
	uint64_t from, to; /* index range, inclusive */
	uint64_t min_size;
	const char *site;
	/* map, report */
	const char *output; /* NULL: stdout */
	uint32_t cells;     /* heap map cells (0: default) */
};

struct hw_command {
	const char *name;
	const char *summary; /* one line for 'heapwalk help' */
	const char *usage;   /* the synopsis after "heapwalk NAME " */
	unsigned opts;       /* OPT_* accepted */
	unsigned formats;    /* bit per enum hw_format accepted */
	int (*run)(struct hw_cli *cli);
};

extern const struct hw_command hw_commands[];

/* Print "heapwalk: CMD: <message>" on stderr; return HW_EXIT_USAGE. */
int hw_cli_usage_error(const struct hw_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print "heapwalk: <message>" on stderr. */
void hw_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Everything a walking command needs, opened in order; torn down by hw_session_close. */
struct hw_session {
	struct hw_target *t;
	struct hw_dwarf *dw;
	struct hw_instance inst;
	struct hw_pool pools[HW_POOL_KIND_COUNT];
	char *debuginfo_problem;
	struct hw_report report;
};

/* Open target, debug info, pools; set up the report. Returns an exit code (0 = go on). */
int hw_session_open(struct hw_cli *cli, struct hw_session *s, const char *command);
/*
 * Prepare the report entry for each selected pool and read its header; a pool
 * that cannot be walked gets its error (also said on stderr). Returns the
 * number of pools ready to walk.
 */
size_t hw_session_prepare_pools(struct hw_cli *cli, struct hw_session *s);
/* What a walk callback gets: the pool being walked; commands extend it by embedding. */
struct hw_walk_ctx {
	struct hw_session *s;
	struct hw_cli *cli;
	struct hw_pool_report *pr; /* set before each pool's walk */
};
/*
 * Walk every prepared pool with @fn (NULL: count only), calling @fn with
 * @ctx. @pool_begin/@pool_end (may be NULL) run around each pool's walk.
 * A walk that fails outright marks the pool unwalked and says why on stderr.
 */
void hw_session_walk(struct hw_session *s, hw_frag_fn fn, struct hw_walk_ctx *ctx);

/* The exit code the walked report deserves: 2 if a pool was not walked, 1 on findings, else 0. */
int hw_session_exit_code(const struct hw_session *s);
void hw_session_close(struct hw_session *s);

int hw_cmd_info(struct hw_cli *cli);
int hw_cmd_stats(struct hw_cli *cli);
int hw_cmd_summary(struct hw_cli *cli);
int hw_cmd_frags(struct hw_cli *cli);
int hw_cmd_profiles(struct hw_cli *cli);
int hw_cmd_map(struct hw_cli *cli);
int hw_cmd_report(struct hw_cli *cli);

#endif
