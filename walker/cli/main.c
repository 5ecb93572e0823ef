/* main.c - heapwalk's entry point: the command table and option parsing. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "heapwalk/host.h"

#define FMT(x) (1u << (x))
#define ALL_FORMATS (FMT(HW_FMT_TEXT) | FMT(HW_FMT_JSON) | FMT(HW_FMT_CSV) | FMT(HW_FMT_KAMAILIO))

const struct hw_command hw_commands[] = {
	{"info", "what the core is, which manager and layout each pool uses, and why",
	 "--core FILE [target options] [--pool P] [--format text|json]",
	 OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_LIVE, FMT(HW_FMT_TEXT) | FMT(HW_FMT_JSON),
	 hw_cmd_info},
	{"stats", "heap totals per pool: size, used, free, max used, fragments",
	 "--core FILE [target options] [--pool P] [--format F]", OPT_TARGET | OPT_POOL | OPT_FORMAT |
	 OPT_LIVE | OPT_DIAG, ALL_FORMATS | FMT(HW_FMT_PROMETHEUS), hw_cmd_stats},
	{"summary", "used memory grouped by allocation site (file, function, line, module)",
	 "--core FILE [target options] [--pool P] [--format F] [--top N] [--sort bytes|count|site]\n"
	 "                     [--classify]",
	 OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_SUMMARY | OPT_LIVE | OPT_CLASSIFY,
	 ALL_FORMATS | FMT(HW_FMT_PROMETHEUS), hw_cmd_summary},
	{"frags", "the fragment list, with filters",
	 "--core FILE [target options] [--pool P] [--format F] [--used|--free] [--from N] [--to N]\n"
	 "                     [--min-size N] [--site TEXT] [--hexdump N] [--strings]",
	 OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_FRAGS | OPT_LIVE | OPT_CONTENT, ALL_FORMATS,
	 hw_cmd_frags},
	{"snapshot", "stop a running Kamailio briefly and save it as a core file (gdb reads it too)",
	 "--pid PID [--all] -o FILE [--no-stop] [--format text|json]",
	 OPT_LIVE | OPT_OUTPUT | OPT_FORMAT, FMT(HW_FMT_TEXT) | FMT(HW_FMT_JSON), hw_cmd_snapshot},
	{"diff", "which allocation sites grew between two snapshots, cores or JSON summaries",
	 "A B [target options] [--pool P] [--top N] [--format text|json]",
	 OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_SUMMARY, FMT(HW_FMT_TEXT) | FMT(HW_FMT_JSON),
	 hw_cmd_diff},
	{"watch", "snapshot a running instance at intervals; report sites that keep growing",
	 "--pid PID [--interval S] [--count N] [--duration S] [--pool P] [--top N]\n"
	 "                     [--no-stop] [--format text|json]",
	 OPT_LIVE | OPT_WATCH | OPT_POOL | OPT_FORMAT | OPT_SUMMARY,
	 FMT(HW_FMT_TEXT) | FMT(HW_FMT_JSON), hw_cmd_watch},
	{"diagnose", "one verdict per pool (too small, leak suspect, fragmentation, ok) and why",
	 "--pid PID | --core FILE [--request N] [--interval S | --baseline FILE] [--pool P]\n"
	 "                     [--format text|json]",
	 OPT_TARGET | OPT_LIVE | OPT_WATCH | OPT_DIAG | OPT_POOL | OPT_FORMAT,
	 FMT(HW_FMT_TEXT) | FMT(HW_FMT_JSON), hw_cmd_diagnose},
	{"profiles", "list the built-in layout profiles", "", 0, 0, hw_cmd_profiles},
	{"map", "the heap as a picture (SVG): fragments in address order, coloured by module",
	 "--core FILE [target options] [--pool P] [-o FILE.svg] [--cells N]",
	 OPT_TARGET | OPT_POOL | OPT_OUTPUT, 0, hw_cmd_map},
	{"report", "everything in one self-contained HTML page: totals, maps, sites, findings, growth",
	 "--core FILE [target options] [--pool P] [-o FILE.html] [--top N] [--cells N]\n"
	 "                     | --pid PID --all [--watch SxN] [-o FILE.html] | A B [-o FILE.html]",
	 OPT_TARGET | OPT_POOL | OPT_OUTPUT | OPT_SUMMARY | OPT_LIVE | OPT_GROWTH, 0, hw_cmd_report},
	{"host", "this host's memory: kernel caches vs. programs, and each Kamailio's pools",
	 "[--proc DIR] [--format text|json] | --slab [--sort KEY] [--top N] [--proc DIR]",
	 OPT_HOST | OPT_SUMMARY | OPT_FORMAT, FMT(HW_FMT_TEXT) | FMT(HW_FMT_JSON), hw_cmd_host},
	{"layout", "the layout (struct offsets, constants) detected per pool; gdb commands for heapwalk.gdb",
	 "--core FILE [target options] [--pool P] [--format text|json|gdb]",
	 OPT_TARGET | OPT_POOL | OPT_FORMAT, FMT(HW_FMT_TEXT) | FMT(HW_FMT_JSON) | FMT(HW_FMT_GDB),
	 hw_cmd_layout},
	{"gdb", "print the gdb 'source' line for heapwalk's gdb commands (hw-stats, hw-used, ...)", "",
	 0, 0, hw_cmd_gdb},
	{"check", "every integrity check of the heap; walks past damage and says where it is",
	 "--core FILE | --pid PID [target options] [--pool P] [--format text|json]",
	 OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_LIVE, FMT(HW_FMT_TEXT) | FMT(HW_FMT_JSON),
	 hw_cmd_check},
	{"addr", "the fragment holding ADDR: used or free, allocated or freed where, neighbours",
	 "--core FILE | --pid PID [target options] [--pool P] [--format text|json] ADDR",
	 OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_LIVE, FMT(HW_FMT_TEXT) | FMT(HW_FMT_JSON),
	 hw_cmd_addr},
	{"refs", "who points into the fragment holding ADDR (globals, stacks, other fragments)",
	 "--core FILE | --pid PID [target options] [--pool P] [--format text|json] ADDR",
	 OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_LIVE, FMT(HW_FMT_TEXT) | FMT(HW_FMT_JSON),
	 hw_cmd_refs},
	{"leaks", "used fragments nothing points to, by site: leak candidates (conservative)",
	 "--core FILE | --pid PID [target options] [--pool P] [--format text|json] [--top N]",
	 OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_SUMMARY | OPT_LIVE,
	 FMT(HW_FMT_TEXT) | FMT(HW_FMT_JSON), hw_cmd_leaks},
	{NULL, NULL, NULL, 0, 0, NULL},
};

static const char *const format_names[] = {"text", "json", "csv", "kamailio", "gdb", "prometheus"};
#define NFORMATS (sizeof(format_names) / sizeof(format_names[0]))

static const char *current_cmd = NULL;

int hw_cli_usage_error(const struct hw_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "heapwalk: %s%s", cli && cli->cmd ? cli->cmd->name : "",
		cli && cli->cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return HW_EXIT_USAGE;
}

void hw_cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("heapwalk: ", stderr);
	if (current_cmd)
		fprintf(stderr, "%s: ", current_cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

enum {
	O_CORE = 256, O_EXE, O_SYSROOT, O_DEBUG_FILE, O_NO_DEBUGINFO, O_LAYOUT, O_POOL, O_FORMAT,
	O_TOP, O_SORT, O_USED, O_FREE, O_FROM, O_TO, O_MIN_SIZE, O_SITE, O_HELP, O_OUTPUT, O_CELLS,
	O_MANAGER, O_BLOCK
};

/* host, compressed cores, colour */
enum { O_SLAB = 512, O_PROC, O_MAX_CORE_SIZE, O_COLOR, O_WIDTH };

/* live processes and instances */
enum { O_PID = 1024, O_ALL, O_NO_STOP, O_INTERVAL, O_COUNT, O_DURATION, O_REQUEST, O_BASELINE };

/* report with growth */
enum { O_WATCH = 4096 };

/* content of fragments (frags, summary) */
enum { O_HEXDUMP = 8192, O_STRINGS, O_CLASSIFY };

/* The options: parsing, every --help, the man page and the completion come from here. */
const struct hw_option hw_options[] = {
	{{"core", required_argument, NULL, O_CORE}, OPT_TARGET, "FILE",
	 "the core file to read (gcore, systemd-coredump); zstd, xz\n"
	 "and lz4 compressed cores are read directly",
	 0, NULL},
	{{"exe", required_argument, NULL, O_EXE}, OPT_TARGET, "FILE",
	 "the Kamailio executable (default: the one the core names)",
	 0, NULL},
	{{"sysroot", required_argument, NULL, O_SYSROOT}, OPT_TARGET, "DIR",
	 "look up every file the core names under DIR",
	 0, NULL},
	{{"debug-file", required_argument, NULL, O_DEBUG_FILE}, OPT_TARGET, "FILE",
	 "read DWARF from FILE",
	 0, NULL},
	{{"no-debuginfo", no_argument, NULL, O_NO_DEBUGINFO}, OPT_TARGET, NULL,
	 "ignore DWARF; use the built-in layout profiles",
	 0, NULL},
	{{"layout", required_argument, NULL, O_LAYOUT}, OPT_TARGET, "NAME",
	 "force a built-in profile (see 'heapwalk profiles')",
	 0, NULL},
	{{"manager", required_argument, NULL, O_MANAGER}, OPT_TARGET, "M",
	 "the memory manager: qm, fm or tlsf (default: detect)",
	 0, "qm fm tlsf"},
	{{"block", required_argument, NULL, O_BLOCK}, OPT_TARGET, "ADDR",
	 "walk the manager block at ADDR (no symbols needed, e.g.\n"
	 "without the executable); the pool is pkg or shm as --pool\n"
	 "or the block says",
	 0, NULL},
	{{"pool", required_argument, NULL, O_POOL}, OPT_POOL, "P",
	 "pkg, shm or all: the pools to show (default all)",
	 0, "pkg shm all"},
	{{"format", required_argument, NULL, O_FORMAT}, OPT_FORMAT, "F",
	 "text (default), json, csv, kamailio (Kamailio's own log\n"
	 "lines), gdb or prometheus (textfile collector gauges),\n"
	 "as the command allows",
	 0, "text json csv kamailio gdb prometheus"},
	{{"top", required_argument, NULL, O_TOP}, OPT_SUMMARY, "N",
	 "only the N largest sites (default: 30 in text, all else);\n"
	 "host --slab: only the first N caches",
	 0, NULL},
	{{"sort", required_argument, NULL, O_SORT}, OPT_SUMMARY, "KEY",
	 "bytes (default), count or site (kamailio format: in\n"
	 "Kamailio's own order); host --slab: a active objects,\n"
	 "c cache size (default), l slabs, n name, o objects,\n"
	 "p objects per slab, s object size, u utilisation",
	 0, "bytes count site a c l n o p s u"},
	{{"used", no_argument, NULL, O_USED}, OPT_FRAGS, NULL,
	 "only used fragments",
	 0, NULL},
	{{"free", no_argument, NULL, O_FREE}, OPT_FRAGS, NULL,
	 "only free fragments",
	 0, NULL},
	{{"from", required_argument, NULL, O_FROM}, OPT_FRAGS, "N",
	 "the first fragment index, as Kamailio counts (from 0)",
	 0, NULL},
	{{"to", required_argument, NULL, O_TO}, OPT_FRAGS, "N",
	 "the last fragment index",
	 0, NULL},
	{{"min-size", required_argument, NULL, O_MIN_SIZE}, OPT_FRAGS, "N",
	 "only fragments of at least N bytes",
	 0, NULL},
	{{"site", required_argument, NULL, O_SITE}, OPT_FRAGS, "TEXT",
	 "only fragments whose file or function contains TEXT",
	 0, NULL},
	{{"output", required_argument, NULL, O_OUTPUT}, OPT_OUTPUT, "FILE",
	 "write to FILE (map: the SVG, report: the HTML page,\n"
	 "snapshot: the core)",
	 'o', NULL},
	{{"cells", required_argument, NULL, O_CELLS}, OPT_OUTPUT, "N",
	 "heap map cells (16 to 65536)",
	 0, NULL},
	{{"slab", no_argument, NULL, O_SLAB}, OPT_HOST, NULL,
	 "the kernel's slab caches (/proc/slabinfo, root only),\n"
	 "like slabtop",
	 0, NULL},
	{{"proc", required_argument, NULL, O_PROC}, OPT_HOST, "DIR",
	 "read a saved copy of /proc's files instead of /proc\n"
	 "(DIR/meminfo, DIR/slabinfo, DIR/PID/smaps...)",
	 0, NULL},
	{{"max-core-size", required_argument, NULL, O_MAX_CORE_SIZE}, OPT_TARGET, "SIZE",
	 "refuse compressed cores that decompress to more than\n"
	 "SIZE bytes (suffix K, M, G or T; default 32G)",
	 0, NULL},
	{{"color", required_argument, NULL, O_COLOR}, 0, "WHEN",
	 "auto (default: on a terminal, unless NO_COLOR is set),\n"
	 "always or never",
	 0, "auto always never"},
	{{"width", required_argument, NULL, O_WIDTH}, 0, "N",
	 "fold text output to N columns (default: 80 on a terminal,\n"
	 "none into a pipe; 0: never)",
	 0, NULL},
	{{"pid", required_argument, NULL, O_PID}, OPT_LIVE, "PID",
	 "a running Kamailio process: stopped for a few milliseconds\n"
	 "while its memory is copied (with --core: that process of\n"
	 "a snapshot file)",
	 0, NULL},
	{{"all", no_argument, NULL, O_ALL}, OPT_LIVE, NULL,
	 "every process of PID's instance: shm once, each\n"
	 "process's pkg",
	 0, NULL},
	{{"no-stop", no_argument, NULL, O_NO_STOP}, OPT_LIVE, NULL,
	 "copy without stopping (torn reads possible; findings may\n"
	 "be noise)",
	 0, NULL},
	{{"interval", required_argument, NULL, O_INTERVAL}, OPT_WATCH, "S",
	 "seconds between snapshots (watch: default 60; diagnose:\n"
	 "take a second snapshot after S seconds to see what grows)",
	 0, NULL},
	{{"count", required_argument, NULL, O_COUNT}, OPT_WATCH, "N",
	 "watch: the number of snapshots (default 10)",
	 0, NULL},
	{{"duration", required_argument, NULL, O_DURATION}, OPT_WATCH, "S",
	 "watch: stop after S seconds",
	 0, NULL},
	{{"baseline", required_argument, NULL, O_BASELINE}, OPT_WATCH, "FILE",
	 "diagnose: an earlier snapshot or summary JSON to compare\n"
	 "with",
	 0, NULL},
	{{"request", required_argument, NULL, O_REQUEST}, OPT_DIAG, "N",
	 "whether a request of N bytes would fit (default 64 KiB)",
	 0, NULL},
	{{"watch", required_argument, NULL, O_WATCH}, OPT_GROWTH, "SxN",
	 "N snapshots S seconds apart (60x10; S may be a fraction):\n"
	 "the page adds leak suspects and growth charts per site",
	 0, NULL},
	{{"hexdump", required_argument, NULL, O_HEXDUMP}, OPT_CONTENT, "N",
	 "frags: the first N bytes of each payload, as hexdump -C\n"
	 "shows them (json: a hex string)",
	 0, NULL},
	{{"strings", no_argument, NULL, O_STRINGS}, OPT_CONTENT, NULL,
	 "frags: the printable texts (4+ characters) in each payload,\n"
	 "as strings(1) finds them (the first 64 KiB)",
	 0, NULL},
	{{"classify", no_argument, NULL, O_CLASSIFY}, OPT_CLASSIFY, NULL,
	 "summary: what each site's fragments mostly hold (SIP\n"
	 "messages by start line, SIP URIs, str structs, zeroed\n"
	 "memory, text, binary)",
	 0, NULL},
	{{"help", no_argument, NULL, O_HELP}, 0, NULL,
	 "this help",
	 0, NULL},
};
const size_t hw_noptions = sizeof(hw_options) / sizeof(hw_options[0]);
#define NOPTIONS (sizeof(hw_options) / sizeof(hw_options[0]))

/* Headings of a command's --help and of the man page; other groups go under "Options". */
const struct hw_option_group hw_option_groups[] = {
	{OPT_TARGET, "Target options"},
	{OPT_LIVE | OPT_GROWTH, "Live processes"},
	{OPT_POOL | OPT_FORMAT | OPT_OUTPUT, "Selection and output"},
	{OPT_HOST, "Host view"},
	{0, NULL},
};

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };
static enum color_mode color_mode = COLOR_AUTO;
/* --width: text output folded to this many columns (0: not folded); default 80 on a terminal */
static uint64_t width = 80;
static bool width_given;

/* --color auto: a terminal, not "dumb", and no NO_COLOR (https://no-color.org). */
static bool use_color(enum color_mode mode)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (mode != COLOR_AUTO)
		return mode == COLOR_ALWAYS;
	return isatty(STDOUT_FILENO) && !(nc && *nc) && !(term && !strcmp(term, "dumb"));
}

/* A byte count with an optional K, M, G or T suffix (powers of 1024). */
static bool parse_size(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	if (*end) {
		const char *units = "KMGT", *u = strchr(units, *end);

		if (!u || end[1] != '\0')
			return false;
		shift = 10 * (unsigned)(u - units + 1);
	}
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*ret = (uint64_t)v << shift;
	return true;
}

/* A whole decimal number (or 0x hex), nothing else. */
static bool parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*ret = v;
	return true;
}

static int parse_args(struct hw_cli *cli, int argc, char **argv)
{
	struct option longopts[NOPTIONS + 1];
	char shorts[64] = ":";
	const struct hw_command *c = cli->cmd;
	int ch;

	for (size_t i = 0; i < NOPTIONS; i++)
		longopts[i] = hw_options[i].o;
	memset(&longopts[NOPTIONS], 0, sizeof(longopts[0]));
	opterr = 0;
	optind = 1;
	/* the short forms of the table's options ("-o FILE" is "--output FILE") */
	shorts[0] = ':';
	for (size_t i = 0, k = 1; i < NOPTIONS && k + 3 < sizeof(shorts); i++) {
		if (!hw_options[i].short_name)
			continue;
		shorts[k++] = hw_options[i].short_name;
		if (hw_options[i].o.has_arg == required_argument)
			shorts[k++] = ':';
		shorts[k] = '\0';
	}
	while ((ch = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
		const char *arg = optarg;
		for (size_t i = 0; ch < 256 && ch != '?' && ch != ':' && i < NOPTIONS; i++)
			if (hw_options[i].short_name == ch)
				ch = hw_options[i].o.val;
		if (ch == '?') {
			const char *bad = argv[optind - 1];
			return hw_cli_usage_error(cli, "unknown option '%s' (see 'heapwalk %s --help')",
						  bad ? bad : "?", c->name);
		}
		if (ch == ':')
			return hw_cli_usage_error(cli, "option '%s' needs a value", argv[optind - 1]);
		for (size_t i = 0; i < NOPTIONS; i++) {
			if (hw_options[i].o.val == ch && hw_options[i].group &&
			    !(c->opts & hw_options[i].group))
				return hw_cli_usage_error(cli, "option '--%s' does not apply here",
							  hw_options[i].o.name);
		}
		switch (ch) {
		case O_HELP:
			hw_cli_print_command_help(stdout, c);
			exit(HW_EXIT_OK);
		case O_CORE:
			cli->core = arg;
			break;
		case O_EXE:
			cli->exe = arg;
			break;
		case O_SYSROOT:
			cli->sysroot = arg;
			break;
		case O_DEBUG_FILE:
			cli->debug_file = arg;
			break;
		case O_NO_DEBUGINFO:
			cli->no_debuginfo = true;
			break;
		case O_LAYOUT:
			cli->layout = arg;
			break;
		case O_MANAGER:
			cli->manager = hw_allocator_find(arg);
			if (!cli->manager)
				return hw_cli_usage_error(cli, "--manager takes qm, fm or tlsf, not '%s'",
							  arg);
			break;
		case O_BLOCK:
			if (!parse_u64(arg, &cli->block) || cli->block == 0)
				return hw_cli_usage_error(cli, "--block takes an address, not '%s'", arg);
			cli->block_given = true;
			break;
		case O_POOL:
			memset(cli->pool_sel, 0, sizeof(cli->pool_sel));
			if (!strcmp(arg, "pkg"))
				cli->pool_sel[HW_POOL_PKG] = true;
			else if (!strcmp(arg, "shm"))
				cli->pool_sel[HW_POOL_SHM] = true;
			else if (!strcmp(arg, "all"))
				cli->pool_sel[HW_POOL_PKG] = cli->pool_sel[HW_POOL_SHM] = true;
			else
				return hw_cli_usage_error(cli, "--pool takes pkg, shm or all, not '%s'",
							  arg);
			break;
		case O_FORMAT: {
			unsigned f;
			for (f = 0; f < NFORMATS; f++)
				if (!strcmp(arg, format_names[f]))
					break;
			if (f == NFORMATS)
				return hw_cli_usage_error(
					cli, "--format takes text, json, csv, kamailio or gdb, not '%s'", arg);
			if (!(c->formats & FMT(f)))
				return hw_cli_usage_error(cli, "--format %s is not available for %s", arg,
							  c->name);
			cli->format = (enum hw_format)f;
			cli->format_given = true;
			break;
		}
		case O_TOP:
			if (!parse_u64(arg, &cli->top) || cli->top == 0)
				return hw_cli_usage_error(cli, "--top takes a positive number, not '%s'",
							  arg);
			cli->top_given = true;
			break;
		case O_SORT:
			if (c->opts & OPT_HOST) {
				if (strlen(arg) != 1 || !hw_slab_sort_key_ok(arg[0]))
					return hw_cli_usage_error(
						cli, "--sort takes one of a c l n o p s u, not '%s'", arg);
				cli->slab_sort = arg[0];
				cli->sort_given = true;
				break;
			}
			if (!strcmp(arg, "bytes"))
				cli->sort = HW_ORDER_BYTES;
			else if (!strcmp(arg, "count"))
				cli->sort = HW_ORDER_COUNT;
			else if (!strcmp(arg, "site"))
				cli->sort = HW_ORDER_SITE;
			else
				return hw_cli_usage_error(cli,
							  "--sort takes bytes, count or site, not '%s'",
							  arg);
			cli->sort_given = true;
			break;
		case O_USED:
			cli->used_only = true;
			break;
		case O_FREE:
			cli->free_only = true;
			break;
		case O_FROM:
			if (!parse_u64(arg, &cli->from))
				return hw_cli_usage_error(cli, "--from takes an index, not '%s'", arg);
			break;
		case O_TO:
			if (!parse_u64(arg, &cli->to))
				return hw_cli_usage_error(cli, "--to takes an index, not '%s'", arg);
			break;
		case O_MIN_SIZE:
			if (!parse_u64(arg, &cli->min_size))
				return hw_cli_usage_error(cli, "--min-size takes a byte count, not '%s'",
							  arg);
			break;
		case O_SITE:
			cli->site = arg;
			break;
		case O_OUTPUT:
			cli->output = arg;
			break;
		case O_CELLS: {
			uint64_t v;
			if (!parse_u64(arg, &v) || v < 16 || v > 65536)
				return hw_cli_usage_error(cli, "--cells takes 16 to 65536, not '%s'", arg);
			cli->cells = (uint32_t)v;
			break;
		}
		case O_SLAB:
			cli->slab = true;
			break;
		case O_PROC:
			cli->proc_dir = arg;
			break;
		case O_MAX_CORE_SIZE:
			if (!parse_size(arg, &cli->max_core_size) || !cli->max_core_size)
				return hw_cli_usage_error(
					cli, "--max-core-size takes a size such as 4G or 500M, not '%s'",
					arg);
			break;
		case O_WIDTH:
			if (!parse_u64(arg, &width) || (width && (width < 40 || width > 10000)))
				return hw_cli_usage_error(
					cli, "--width takes 40 to 10000 columns, or 0, not '%s'", arg);
			width_given = true;
			break;
		case O_COLOR:
			if (!strcmp(arg, "auto"))
				color_mode = COLOR_AUTO;
			else if (!strcmp(arg, "always"))
				color_mode = COLOR_ALWAYS;
			else if (!strcmp(arg, "never"))
				color_mode = COLOR_NEVER;
			else
				return hw_cli_usage_error(
					cli, "--color takes auto, always or never, not '%s'", arg);
			break;
		case O_PID: {
			uint64_t v;
			if (!parse_u64(arg, &v) || v == 0 || v > INT32_MAX)
				return hw_cli_usage_error(cli, "--pid takes a process id, not '%s'", arg);
			cli->pid = (int)v;
			break;
		}
		case O_ALL:
			cli->all = true;
			break;
		case O_NO_STOP:
			cli->no_stop = true;
			break;
		case O_INTERVAL:
		case O_DURATION: {
			char *end;
			double v;
			errno = 0;
			v = strtod(arg, &end);
			if (errno || end == arg || *end || !(v > 0) || v > 1e7)
				return hw_cli_usage_error(cli, "--%s takes seconds (> 0), not '%s'",
							  ch == O_INTERVAL ? "interval" : "duration", arg);
			if (ch == O_INTERVAL)
				cli->interval = v;
			else
				cli->duration = v;
			break;
		}
		case O_COUNT:
			if (!parse_u64(arg, &cli->count) || cli->count == 0 || cli->count > 1000000)
				return hw_cli_usage_error(cli, "--count takes a positive number, not '%s'",
							  arg);
			break;
		case O_REQUEST:
			if (!parse_size(arg, &cli->request) || cli->request == 0)
				return hw_cli_usage_error(
					cli, "--request takes a byte count such as 65536 or 64K, not '%s'",
					arg);
			break;
		case O_BASELINE:
			cli->baseline = arg;
			break;
		case O_HEXDUMP:
			if (!parse_size(arg, &cli->hexdump) || cli->hexdump == 0 ||
			    cli->hexdump > (1u << 20))
				return hw_cli_usage_error(
					cli, "--hexdump takes a byte count from 1 to 1M, not '%s'", arg);
			break;
		case O_STRINGS:
			cli->strings = true;
			break;
		case O_CLASSIFY:
			cli->classify = true;
			break;
		case O_WATCH: {
			char *end;
			double v;
			errno = 0;
			v = strtod(arg, &end);
			if (errno || end == arg || (*end != 'x' && *end != 'X') || !(v > 0) ||
			    v > 1e7 || !parse_u64(end + 1, &cli->count) || cli->count < 2 ||
			    cli->count > 100000)
				return hw_cli_usage_error(
					cli, "--watch takes SECONDSxCOUNT such as 60x10 (2 to 100000 "
					     "snapshots), not '%s'",
					arg);
			cli->interval = v;
			cli->watch = true;
			break;
		}
		default:
			return hw_cli_usage_error(cli, "unexpected option");
		}
	}
	/* diff compares two inputs given as operands */
	if (c->run == hw_cmd_diff) {
		if (argc - optind != 2)
			return hw_cli_usage_error(cli, "needs two inputs: A B (cores, snapshots or "
						       "summary JSON files)");
		cli->operand[0] = argv[optind];
		cli->operand[1] = argv[optind + 1];
		optind = argc;
	}
	/* report A B: the growth from snapshot A to snapshot B */
	if (c->run == hw_cmd_report && argc - optind == 2) {
		cli->operand[0] = argv[optind];
		cli->operand[1] = argv[optind + 1];
		optind = argc;
	}
	/* addr ADDR, refs ADDR */
	if (c->run == hw_cmd_addr || c->run == hw_cmd_refs) {
		if (argc - optind != 1)
			return hw_cli_usage_error(cli, "needs one address: ADDR (hex)");
		cli->operand[0] = argv[optind];
		optind = argc;
	}
	if ((cli->hexdump || cli->strings) && cli->format != HW_FMT_TEXT &&
	    cli->format != HW_FMT_JSON)
		return hw_cli_usage_error(cli, "--hexdump and --strings need --format text or json");
	if (cli->classify && cli->format != HW_FMT_TEXT && cli->format != HW_FMT_JSON)
		return hw_cli_usage_error(cli, "--classify needs --format text or json");
	if (optind < argc)
		return hw_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	if ((c->opts & OPT_HOST) && !cli->slab && (cli->sort_given || cli->top_given))
		return hw_cli_usage_error(cli, "--sort and --top apply to --slab");
	if (cli->used_only && cli->free_only)
		return hw_cli_usage_error(cli, "--used and --free exclude each other");
	if (cli->from > cli->to)
		return hw_cli_usage_error(cli, "--from %" PRIu64 " is after --to %" PRIu64, cli->from,
					  cli->to);
	if ((c->opts & OPT_LIVE) && !(c->opts & OPT_TARGET) && !cli->pid)
		return hw_cli_usage_error(cli, "--pid PID is required");
	if ((c->opts & OPT_TARGET) && !cli->core && !cli->pid && c->run != hw_cmd_diff &&
	    !cli->operand[0])
		return hw_cli_usage_error(cli, "--core FILE is required%s",
					  c->opts & OPT_LIVE ? " (or --pid PID)" : "");
	if (cli->all && !cli->pid && !cli->core)
		return hw_cli_usage_error(cli, "--all needs --pid PID (or --core FILE)");
	if (cli->no_stop && !cli->pid)
		return hw_cli_usage_error(cli, "--no-stop applies to --pid");
	if (cli->no_stop && cli->core)
		return hw_cli_usage_error(cli, "--no-stop applies to a running process, not --core");
	if (cli->layout && cli->debug_file)
		return hw_cli_usage_error(cli, "--layout and --debug-file exclude each other");
	return 0;
}

int main(int argc, char **argv)
{
	static char outbuf[1 << 16];
	struct hw_cli cli;
	const struct hw_command *c;
	int rc;

	if (argc < 2) {
		fputs("heapwalk: no command given (see 'heapwalk --help')\n", stderr);
		return HW_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		hw_cli_print_help(stdout);
		return HW_EXIT_OK;
	}
	/* hidden: what meson installs as heapwalk(1) and the bash completion */
	if (!strcmp(argv[1], "--man") && argc == 2) {
		hw_cli_print_man(stdout);
		return fflush(stdout) ? HW_EXIT_FATAL : HW_EXIT_OK;
	}
	if (!strcmp(argv[1], "--completion")) {
		if (argc != 3 || hw_cli_print_completion(stdout, argv[2]) != 0) {
			fputs("heapwalk: --completion takes bash\n", stderr);
			return HW_EXIT_USAGE;
		}
		return fflush(stdout) ? HW_EXIT_FATAL : HW_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("heapwalk " HEAPWALK_VERSION);
		return HW_EXIT_OK;
	}
	for (c = hw_commands; c->name; c++)
		if (!strcmp(c->name, argv[1]))
			break;
	if (!c->name) {
		fprintf(stderr, "heapwalk: unknown command '%s' (see 'heapwalk --help')\n", argv[1]);
		return HW_EXIT_USAGE;
	}
	memset(&cli, 0, sizeof(cli));
	cli.cmd = c;
	current_cmd = c->name;
	cli.pool_sel[HW_POOL_PKG] = cli.pool_sel[HW_POOL_SHM] = true;
	cli.to = UINT64_MAX;
	cli.sort = HW_ORDER_BYTES;
	cli.slab_sort = 'c';
	rc = parse_args(&cli, argc - 1, argv + 1);
	if (rc)
		return rc;
	cli.color = use_color(color_mode);
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	/* text for people fits the width; other formats and documents stay as they are */
	if (width && (width_given || isatty(STDOUT_FILENO)) && cli.format == HW_FMT_TEXT &&
	    (c->formats & FMT(HW_FMT_TEXT)))
		hw_wrap_stdout((unsigned)width);
	rc = cli.all ? hw_run_all(&cli) : c->run(&cli);
	if (hw_wrap_end() != 0 && rc == HW_EXIT_OK) {
		hw_cli_warn("cannot write the output");
		rc = HW_EXIT_FATAL;
	}
	if (fflush(stdout) != 0 && rc == HW_EXIT_OK) {
		hw_cli_warn("cannot write the output");
		rc = HW_EXIT_FATAL;
	}
	return rc;
}
