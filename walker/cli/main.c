/* main.c - heapwalk's entry point: the command table and option parsing. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define FMT(x) (1u << (x))
#define ALL_FORMATS (FMT(HW_FMT_TEXT) | FMT(HW_FMT_JSON) | FMT(HW_FMT_CSV) | FMT(HW_FMT_KAMAILIO))

const struct hw_command hw_commands[] = {
	{"info", "what the core is, which manager and layout each pool uses, and why",
	 "--core FILE [target options] [--pool P] [--format text|json]",
	 OPT_TARGET | OPT_POOL | OPT_FORMAT, FMT(HW_FMT_TEXT) | FMT(HW_FMT_JSON), hw_cmd_info},
	{"stats", "heap totals per pool: size, used, free, max used, fragments",
	 "--core FILE [target options] [--pool P] [--format F]", OPT_TARGET | OPT_POOL | OPT_FORMAT,
	 ALL_FORMATS, hw_cmd_stats},
	{"summary", "used memory grouped by allocation site (file, function, line, module)",
	 "--core FILE [target options] [--pool P] [--format F] [--top N] [--sort bytes|count|site]",
	 OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_SUMMARY, ALL_FORMATS, hw_cmd_summary},
	{"frags", "the fragment list, with filters",
	 "--core FILE [target options] [--pool P] [--format F] [--used|--free] [--from N] [--to N]\n"
	 "                     [--min-size N] [--site TEXT]",
	 OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_FRAGS, ALL_FORMATS, hw_cmd_frags},
	{"profiles", "list the built-in layout profiles", "", 0, 0, hw_cmd_profiles},
	{"map", "the heap as a picture (SVG): fragments in address order, coloured by module",
	 "--core FILE [target options] [--pool P] [-o FILE.svg] [--cells N]",
	 OPT_TARGET | OPT_POOL | OPT_OUTPUT, 0, hw_cmd_map},
	{"report", "everything in one self-contained HTML page: totals, maps, sites, findings",
	 "--core FILE [target options] [--pool P] [-o FILE.html] [--top N] [--cells N]",
	 OPT_TARGET | OPT_POOL | OPT_OUTPUT | OPT_SUMMARY, 0, hw_cmd_report},
	{NULL, NULL, NULL, 0, 0, NULL},
};

static const char *const format_names[] = {"text", "json", "csv", "kamailio"};

static const char target_help[] =
	"Target options:\n"
	"  --core FILE        the core file to read (e.g. from gcore or systemd-coredump)\n"
	"  --exe FILE         the Kamailio executable (default: the one the core names)\n"
	"  --sysroot DIR      look up every file the core names under DIR\n"
	"  --debug-file FILE  read DWARF from FILE\n"
	"  --no-debuginfo     ignore DWARF; use the built-in layout profiles\n"
	"  --layout NAME      force a built-in profile (see 'heapwalk profiles')\n"
	"Selection and output:\n"
	"  --pool pkg|shm|all the pools to show (default all)\n"
	"  --format F         text (default), json, csv, or kamailio (Kamailio's own log lines)\n";

static const char summary_help[] = "  --top N            only the N largest sites (default: 30 in text, all else)\n"
				   "  --sort KEY         bytes (default), count or site; kamailio format\n"
				   "                     defaults to Kamailio's own order\n";

static const char frags_help[] = "  --used, --free     only used / only free fragments\n"
				 "  --from N, --to N   fragment index range, as Kamailio counts (from 0)\n"
				 "  --min-size N       only fragments of at least N bytes\n"
				 "  --site TEXT        only fragments whose file or function contains TEXT\n";

static void print_help(FILE *out)
{
	fputs("usage: heapwalk COMMAND [options]\n\n"
	      "Walks the memory pools of a Kamailio (q_malloc) process from a core file.\n\n"
	      "Commands:\n",
	      out);
	for (const struct hw_command *c = hw_commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fputs("\nRun 'heapwalk COMMAND --help' for a command's options.\n"
	      "Exit codes: 0 ok, 1 heap damage found, 2 could not walk, 64 usage error.\n",
	      out);
}

static void print_command_help(const struct hw_command *c)
{
	printf("usage: heapwalk %s %s\n\n%s.\n\n", c->name, c->usage, c->summary);
	if (c->opts & OPT_TARGET)
		fputs(target_help, stdout);
	if (c->opts & OPT_SUMMARY)
		fputs(summary_help, stdout);
	if (c->opts & OPT_FRAGS)
		fputs(frags_help, stdout);
}

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
	O_TOP, O_SORT, O_USED, O_FREE, O_FROM, O_TO, O_MIN_SIZE, O_SITE, O_HELP, O_OUTPUT, O_CELLS
};

static const struct {
	struct option o;
	unsigned group;
} options[] = {
	{{"core", required_argument, NULL, O_CORE}, OPT_TARGET},
	{{"exe", required_argument, NULL, O_EXE}, OPT_TARGET},
	{{"sysroot", required_argument, NULL, O_SYSROOT}, OPT_TARGET},
	{{"debug-file", required_argument, NULL, O_DEBUG_FILE}, OPT_TARGET},
	{{"no-debuginfo", no_argument, NULL, O_NO_DEBUGINFO}, OPT_TARGET},
	{{"layout", required_argument, NULL, O_LAYOUT}, OPT_TARGET},
	{{"pool", required_argument, NULL, O_POOL}, OPT_POOL},
	{{"format", required_argument, NULL, O_FORMAT}, OPT_FORMAT},
	{{"top", required_argument, NULL, O_TOP}, OPT_SUMMARY},
	{{"sort", required_argument, NULL, O_SORT}, OPT_SUMMARY},
	{{"used", no_argument, NULL, O_USED}, OPT_FRAGS},
	{{"free", no_argument, NULL, O_FREE}, OPT_FRAGS},
	{{"from", required_argument, NULL, O_FROM}, OPT_FRAGS},
	{{"to", required_argument, NULL, O_TO}, OPT_FRAGS},
	{{"min-size", required_argument, NULL, O_MIN_SIZE}, OPT_FRAGS},
	{{"site", required_argument, NULL, O_SITE}, OPT_FRAGS},
	{{"output", required_argument, NULL, O_OUTPUT}, OPT_OUTPUT},
	{{"cells", required_argument, NULL, O_CELLS}, OPT_OUTPUT},
	{{"help", no_argument, NULL, O_HELP}, 0},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

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
	const struct hw_command *c = cli->cmd;
	int ch;

	for (size_t i = 0; i < NOPTIONS; i++)
		longopts[i] = options[i].o;
	memset(&longopts[NOPTIONS], 0, sizeof(longopts[0]));
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
		const char *arg = optarg;
		if (ch == 'o')
			ch = O_OUTPUT; /* -o FILE is --output FILE */
		if (ch == '?') {
			const char *bad = argv[optind - 1];
			return hw_cli_usage_error(cli, "unknown option '%s' (see 'heapwalk %s --help')",
						  bad ? bad : "?", c->name);
		}
		if (ch == ':')
			return hw_cli_usage_error(cli, "option '%s' needs a value", argv[optind - 1]);
		for (size_t i = 0; i < NOPTIONS; i++) {
			if (options[i].o.val == ch && options[i].group && !(c->opts & options[i].group))
				return hw_cli_usage_error(cli, "option '--%s' does not apply here",
							  options[i].o.name);
		}
		switch (ch) {
		case O_HELP:
			print_command_help(c);
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
			for (f = 0; f < 4; f++)
				if (!strcmp(arg, format_names[f]))
					break;
			if (f == 4)
				return hw_cli_usage_error(
					cli, "--format takes text, json, csv or kamailio, not '%s'", arg);
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
		default:
			return hw_cli_usage_error(cli, "unexpected option");
		}
	}
	if (optind < argc)
		return hw_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	if (cli->used_only && cli->free_only)
		return hw_cli_usage_error(cli, "--used and --free exclude each other");
	if (cli->from > cli->to)
		return hw_cli_usage_error(cli, "--from %" PRIu64 " is after --to %" PRIu64, cli->from,
					  cli->to);
	if ((c->opts & OPT_TARGET) && !cli->core)
		return hw_cli_usage_error(cli, "--core FILE is required");
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
		print_help(stdout);
		return HW_EXIT_OK;
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
	rc = parse_args(&cli, argc - 1, argv + 1);
	if (rc)
		return rc;
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	rc = c->run(&cli);
	if (fflush(stdout) != 0 && rc == HW_EXIT_OK) {
		hw_cli_warn("cannot write the output");
		rc = HW_EXIT_FATAL;
	}
	return rc;
}
