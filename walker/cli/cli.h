/*
 * cli.h - the command-line front end: options, the command table, and the
 * setup every walking command shares. The only layer that prints to stderr
 * and decides exit codes.
 */
#ifndef HEAPWALK_CLI_H
#define HEAPWALK_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "heapwalk/cmdtab.h"
#include "heapwalk/exit.h"
#include "heapwalk/instance.h"
#include "heapwalk/pool.h"
#include "heapwalk/report.h"
#include "heapwalk/session.h"

/* Which options a command accepts. */
enum {
	OPT_TARGET = 1 << 0,	/* --core --exe --sysroot --debug-file --no-debuginfo --layout */
	OPT_POOL = 1 << 1,	/* --pool */
	OPT_FORMAT = 1 << 2,	/* --format */
	OPT_SUMMARY = 1 << 3,	/* --top --sort */
	OPT_FRAGS = 1 << 4,	/* --used --free --from --to --min-size --site */
	OPT_OUTPUT = 1 << 5,	/* -o/--output --cells */
	OPT_HOST = 1 << 12,	/* --slab --proc */
	OPT_LIVE = 1 << 20,	/* --pid --all --no-stop */
	OPT_WATCH = 1 << 21,	/* --interval --count --duration */
	OPT_DIAG = 1 << 22,	/* --request --baseline */
	OPT_GROWTH = 1 << 26,	/* --watch (report) */
	OPT_CONTENT = 1 << 28,	/* --hexdump --strings (frags) */
	OPT_CLASSIFY = 1 << 29, /* --classify --by (summary) */
};

struct hw_cli {
	const struct hw_command *cmd;
	/* target */
	const char *core, *exe, *sysroot, *debug_file, *layout, *coredump, *coredump_dir;
	bool no_debuginfo;
	const struct hw_allocator *manager; /* --manager (NULL: detect) */
	bool block_given;		    /* --block ADDR */
	uint64_t block;
	/* selection and output */
	bool pool_sel[HW_POOL_KIND_COUNT];
	enum hw_format format;
	bool format_given;
	/* summary */
	uint64_t top; /* 0: all */
	bool top_given;
	enum hw_site_order sort;
	bool sort_given;
	enum hw_group_by by; /* summary --by (default: site) */
	/* frags */
	bool used_only, free_only;
	uint64_t from, to; /* index range, inclusive */
	uint64_t min_size;
	const char *site;
	/* map, report */
	const char *output; /* NULL: stdout */
	uint32_t cells;	    /* heap map cells (0: default) */
	/* host */
	const char *proc_dir; /* --proc DIR (NULL: /proc) */
	bool slab;	      /* --slab */
	char slab_sort;	      /* --sort KEY with --slab: one of aclnopsu */
	/* every command */
	uint64_t max_core_size; /* --max-core-size: limit for compressed cores (0: default) */
	bool color;		/* --color, NO_COLOR and the terminal, resolved */
	int color_mode;		/* --color: auto (0), always (1), never (2) */
	uint64_t width;		/* --width: fold text to this many columns (0: never) */
	bool width_given;
	/* live processes and instances (live.c, instance.c) */
	int pid;		/* --pid: a running process (with --core: one of the file's) */
	bool all;		/* --all: every process of the instance */
	bool no_stop;		/* --no-stop: read without stopping */
	unsigned max_stop_ms;	/* --max-stop: the longest hold (0: the default) */
	double interval;	/* --interval seconds (watch, diagnose) */
	uint64_t count;		/* --count samples (watch) */
	double duration;	/* --duration seconds (watch) */
	uint64_t request;	/* --request BYTES: would it fit (stats, diagnose) */
	const char *baseline;	/* --baseline FILE (diagnose) */
	const char *operand[2]; /* diff A B, report A B */
	/* content (frags, summary): --hexdump N bytes (0: none), --strings, --classify */
	uint64_t hexdump;
	bool strings, classify, backtrace;
	bool watch; /* report --watch: interval and count set */
};

struct hw_command {
	const char *name;
	const char *summary; /* one line for 'heapwalk help' */
	const char *usage;   /* the synopsis after "heapwalk NAME " */
	unsigned opts;	     /* OPT_* accepted */
	unsigned formats;    /* HW_FMT_BIT per enum hw_format accepted */
	int (*run)(struct hw_cli *cli);
	/* operands: exactly @operands of them (into cli->operand[]), or none if optional */
	unsigned operands;
	bool operands_optional;
	const char *operands_error; /* the usage error for another count */
	/*
	 * --all over a snapshot of the instance (instance.c): each process's
	 * prepared session walked by walk_all (false: fatal, said), then the
	 * instance printed (hw_fmt_multi) when all_model. NULL: run does
	 * --all itself, or refuses it with one_process.
	 */
	bool (*walk_all)(struct hw_cli *cli, struct hw_inst_proc *p, size_t i);
	bool all_model;
	unsigned all_formats;	      /* the formats with --all (0: all of @formats) */
	const char *all_format_error; /* the usage error for another ("%s": the format) */
	bool one_process;	      /* reads one process at a time: no --all */
};

extern const struct hw_command hw_commands[];

/* Option codes (options.c); values above 255 so that no short option collides. */
enum {
	O_CORE = 256,
	O_EXE,
	O_SYSROOT,
	O_DEBUG_FILE,
	O_NO_DEBUGINFO,
	O_LAYOUT,
	O_POOL,
	O_FORMAT,
	O_TOP,
	O_SORT,
	O_USED,
	O_FREE,
	O_FROM,
	O_TO,
	O_MIN_SIZE,
	O_SITE,
	O_HELP,
	O_OUTPUT,
	O_CELLS,
	O_MANAGER,
	O_BLOCK,
	O_COREDUMP,
	O_COREDUMP_DIR,
	O_SLAB = 512,
	O_PROC,
	O_MAX_CORE_SIZE,
	O_COLOR,
	O_WIDTH, /* host, compressed cores, colour */
	O_PID = 1024,
	O_ALL,
	O_NO_STOP,
	O_MAX_STOP,
	O_INTERVAL,
	O_COUNT,
	O_DURATION,
	O_REQUEST,
	O_BASELINE,
	O_WATCH = 4096, /* report with growth */
	O_HEXDUMP = 8192,
	O_STRINGS,
	O_CLASSIFY,  /* content of fragments (frags, summary) */
	O_BY,	     /* summary --by */
	O_BACKTRACE, /* frags: the stored stacks */
};

#define HW_CLI_MAX_OPTIONS 64 /* hw_noptions at most */
/* The tables (options.c, doc.c): parsing and all documentation come from them (cmdtab.h). */
extern const struct hw_option hw_options[];
extern const size_t hw_noptions;
extern const struct hw_option_group hw_option_groups[]; /* ends with {0, NULL} */
extern const struct hw_exit_code hw_exit_codes[];	/* ends with what = NULL */

/* args.c: the command line after the command's name; 0, or the exit code of a usage error. */
int hw_cli_parse_args(struct hw_cli *cli, int argc, char **argv);
/* setopt.c: the value of option @code (O_*) into @cli; 0, or the exit code of a usage error. */
int hw_cli_set_option(struct hw_cli *cli, int code, const char *arg);

/* doc.c: the tables as --help, the man page and the completion read them (walker/report). */
const struct hw_cmdtab *hw_cli_cmdtab(void);
const struct hw_command_doc *hw_cli_command_doc(const struct hw_command *c);

/* Print "heapwalk: CMD: <message>" on stderr; return HW_EXIT_USAGE. */
int hw_cli_usage_error(const struct hw_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Say why @err failed on stderr, destroy it; returns HW_EXIT_FATAL (setup.c). */
struct hw_error;
int hw_cli_fail(struct hw_error *err);
/* Print "heapwalk: <message>" on stderr. */
void hw_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * setup.c: open a session (walker/session) on what the command line names:
 * --core or --pid. Says why on stderr and returns an exit code (0 = go on).
 */
int hw_cli_open(struct hw_cli *cli, struct hw_session *s, const char *command);
int hw_cli_coredump(struct hw_cli *cli); /* --coredump's core as --core, --exe; an exit code */
/* An instance's options from the command line (--core: a snapshot file, --pid, --no-stop). */
void hw_cli_inst_opts(const struct hw_cli *cli, const char *command, bool all,
		      struct hw_inst_opts *o);
enum {
	INST_ALL = 1,	/* every process of the instance (else cli->pid's, or the file's first) */
	INST_QUIET = 2, /* no stop-time line on stderr */
	INST_IN_PLACE = 4, /* live: held while walked, shm in place: print nothing meanwhile */
};
/* hw_inst_open as the command line says; an exit code, the failure said. */
int hw_cli_inst_open(const struct hw_cli *cli, struct hw_inst *in, const char *command,
		     unsigned flags);
/* Worst exit code over the processes: 2 if one could not be opened or walked, 1 on findings. */
int hw_inst_exit_code(const struct hw_inst *in);
/* One input of diff, report A B, diagnose --baseline (hw_inst_load_side); an exit code. */
int hw_diff_load(const struct hw_cli *cli, const char *path, struct hw_diff_side *side);
/* -o FILE (or stdout); NULL after saying why it cannot be written. */
FILE *hw_cli_output_open(const struct hw_cli *cli);
/* Close what hw_cli_output_open gave; an exit code (2 when the file could not be written). */
int hw_cli_output_close(const struct hw_cli *cli, FILE *out);
/* The page of one core: map (SVG) or report (@html); an exit code. */
int hw_cli_page(struct hw_cli *cli, bool html);
/* Heap map cells of one process's pkg on an instance page (unless --cells). */
#define HW_PAGE_PROC_CELLS 1024
/* The exit code the walked session deserves: 2 if a pool was not walked, 1 on findings, else 0. */
int hw_cli_exit_code(const struct hw_session *s);
/* hw_diff_side_filter's test: the pools --pool selected (@cli: struct hw_cli). */
struct hw_diff_pool;
struct hw_diff_side;
bool hw_cli_pool_selected(const struct hw_diff_pool *p, void *cli);

int hw_cmd_info(struct hw_cli *cli);
int hw_cmd_stats(struct hw_cli *cli);
int hw_cmd_summary(struct hw_cli *cli);
int hw_cmd_frags(struct hw_cli *cli);
int hw_cmd_profiles(struct hw_cli *cli);
int hw_cmd_host(struct hw_cli *cli);

int hw_cmd_snapshot(struct hw_cli *cli);
int hw_cmd_diff(struct hw_cli *cli);
int hw_cmd_watch(struct hw_cli *cli);
/* hw_watch_collect as the command line says, ended by Ctrl-C (cmd_watch.c); an exit code. */
int hw_cli_watch_collect(struct hw_cli *cli, const struct hw_watch_hook *hook,
			 struct hw_watch_run *run);
int hw_cmd_diagnose(struct hw_cli *cli);

/* all.c: a command over every process (--all), by its walk_all; else its run. */
int hw_run_all(struct hw_cli *cli);
/* --all: each process's walk (cmd_info.c, cmd_stats.c, cmd_summary.c, cmd_frags.c). */
bool hw_cmd_info_all(struct hw_cli *cli, struct hw_inst_proc *p, size_t i);
bool hw_cmd_stats_all(struct hw_cli *cli, struct hw_inst_proc *p, size_t i);
bool hw_cmd_summary_all(struct hw_cli *cli, struct hw_inst_proc *p, size_t i);
bool hw_cmd_frags_all(struct hw_cli *cli, struct hw_inst_proc *p, size_t i);
/* The fragment list of a prepared session (frags; @buckets: the free lists too). */
void hw_frags_list(const struct hw_cli *cli, struct hw_session *s, bool buckets);
int hw_cmd_map(struct hw_cli *cli);
int hw_cmd_report(struct hw_cli *cli);
int hw_cmd_layout(struct hw_cli *cli);
int hw_cmd_gdb(struct hw_cli *cli);
/* integrity and forensics */
int hw_cmd_check(struct hw_cli *cli);
int hw_cmd_addr(struct hw_cli *cli);
int hw_cmd_refs(struct hw_cli *cli);
int hw_cmd_leaks(struct hw_cli *cli);

#endif
