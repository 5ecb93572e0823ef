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

#include "heapwalk/pool.h"
#include "heapwalk/report.h"
#include "heapwalk/session.h"

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
	OPT_HOST = 1 << 12,   /* --slab --proc */
	OPT_LIVE = 1 << 20,   /* --pid --all --no-stop */
	OPT_WATCH = 1 << 21,  /* --interval --count --duration */
	OPT_DIAG = 1 << 22,   /* --request --baseline */
	OPT_GROWTH = 1 << 26, /* --watch (report) */
	OPT_CONTENT = 1 << 28,  /* --hexdump --strings (frags) */
	OPT_CLASSIFY = 1 << 29, /* --classify (summary) */
};

struct hw_cli {
	const struct hw_command *cmd;
	/* target */
	const char *core, *exe, *sysroot, *debug_file, *layout;
	bool no_debuginfo;
	enum hw_manager manager; /* --manager (HW_MGR_UNKNOWN: detect) */
	bool block_given;        /* --block ADDR */
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
	/* frags */
	bool used_only, free_only;
	uint64_t from, to; /* index range, inclusive */
	uint64_t min_size;
	const char *site;
	/* map, report */
	const char *output; /* NULL: stdout */
	uint32_t cells;     /* heap map cells (0: default) */
	/* host */
	const char *proc_dir; /* --proc DIR (NULL: /proc) */
	bool slab;            /* --slab */
	char slab_sort;       /* --sort KEY with --slab: one of aclnopsu */
	/* every command */
	uint64_t max_core_size; /* --max-core-size: limit for compressed cores (0: default) */
	bool color;             /* --color, NO_COLOR and the terminal, resolved */
	/* live processes and instances (live.c, instance.c) */
	int pid;              /* --pid: a running process (with --core: one of the file's) */
	bool all;             /* --all: every process of the instance */
	bool no_stop;         /* --no-stop: read without stopping */
	double interval;      /* --interval seconds (watch, diagnose) */
	uint64_t count;       /* --count samples (watch) */
	double duration;      /* --duration seconds (watch) */
	uint64_t request;     /* --request BYTES: would it fit (stats, diagnose) */
	const char *baseline; /* --baseline FILE (diagnose) */
	const char *operand[2]; /* diff A B, report A B */
	/* content (frags, summary): --hexdump N bytes (0: none), --strings, --classify */
	uint64_t hexdump;
	bool strings, classify;
	bool watch;             /* report --watch: interval and count set */
	/* set by instance.c: the session uses these instead of opening its own */
	struct hw_target *given_target;
	struct hw_dwarf *given_dw;
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

/*
 * One option: the single source of its parsing, of every command's --help,
 * of the man page and of the bash completion (doc.c).
 */
struct hw_option {
	struct option o;
	unsigned group;      /* OPT_* a command must accept; 0: every command */
	const char *arg;     /* the value's name ("FILE", "DIR", "N"...), NULL for a flag */
	const char *help;    /* what it does; '\n' where --help breaks the line */
	char short_name;     /* also -X, or 0 */
	const char *choices; /* NULL, or the values to complete, space-separated */
};
extern const struct hw_option hw_options[];
extern const size_t hw_noptions;

/* Headings for options of a group in a command's --help; others go under "Options". */
struct hw_option_group {
	unsigned group;
	const char *title;
};
extern const struct hw_option_group hw_option_groups[]; /* ends with {0, NULL} */

struct hw_exit_code {
	int code;
	const char *what;   /* a few words for --help */
	const char *detail; /* a sentence for the man page */
};
extern const struct hw_exit_code hw_exit_codes[]; /* ends with what = NULL */

/* doc.c: everything generated from the tables. */
void hw_cli_print_help(FILE *out);
void hw_cli_print_command_help(FILE *out, const struct hw_command *c);
void hw_cli_print_man(FILE *out);
/* -1 for a shell other than "bash" */
int hw_cli_print_completion(FILE *out, const char *shell);

/* Print "heapwalk: CMD: <message>" on stderr; return HW_EXIT_USAGE. */
int hw_cli_usage_error(const struct hw_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print "heapwalk: <message>" on stderr. */
void hw_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * setup.c: open a session (walker/session) on what the command line names:
 * --core, --pid (live.c), or the target and DWARF an instance hands over in
 * given_target / given_dw. Says why on stderr and returns an exit code
 * (0 = go on).
 */
int hw_cli_open(struct hw_cli *cli, struct hw_session *s, const char *command);
/* The exit code the walked session deserves: 2 if a pool was not walked, 1 on findings, else 0. */
int hw_cli_exit_code(const struct hw_session *s);

int hw_cmd_info(struct hw_cli *cli);
int hw_cmd_stats(struct hw_cli *cli);
int hw_cmd_summary(struct hw_cli *cli);
int hw_cmd_frags(struct hw_cli *cli);
int hw_cmd_profiles(struct hw_cli *cli);
int hw_cmd_host(struct hw_cli *cli);

/*
 * Fold everything written to stdout from now on to @width columns
 * (wrap.c): stdout is replaced until hw_wrap_end, which writes what is
 * left and returns 0, or EOF when writing failed.
 */
int hw_wrap_stdout(unsigned width);
int hw_wrap_end(void);
int hw_cmd_snapshot(struct hw_cli *cli);
int hw_cmd_diff(struct hw_cli *cli);
int hw_cmd_watch(struct hw_cli *cli);
int hw_cmd_diagnose(struct hw_cli *cli);

/*
 * live.c: open the target for --pid (a live snapshot, or with --core one
 * process of a snapshot file); says on stderr how long it was stopped.
 */
struct hw_target_opts;
struct hw_error *hw_live_open_target(struct hw_cli *cli, const struct hw_target_opts *topts,
				     struct hw_target **ret);
/* instance.c: info, stats, summary and frags over every process (--all). */
int hw_run_all(struct hw_cli *cli);
int hw_cmd_map(struct hw_cli *cli);
int hw_cmd_report(struct hw_cli *cli);
int hw_cmd_layout(struct hw_cli *cli);
int hw_cmd_gdb(struct hw_cli *cli);
/* integrity and forensics */
int hw_cmd_check(struct hw_cli *cli);
int hw_cmd_addr(struct hw_cli *cli);
int hw_cmd_refs(struct hw_cli *cli);
int hw_cmd_leaks(struct hw_cli *cli);
/* An address operand: hex, 0x optional (cmd_addr.c). */
bool hw_cli_parse_addr(const char *s, uint64_t *ret);

#endif
