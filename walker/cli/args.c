/*
 * args.c - the command line into struct hw_cli: options as the option
 * table and the command table say (which options, formats and operands
 * a command takes), then the combinations that make no sense.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "heapwalk/alloc.h"

#define NOPTIONS hw_noptions

/* getopt's tables from the option table: long options and the short forms ("-o FILE"). */
static void getopt_tables(struct option *longopts, char *shorts, size_t cap)
{
	size_t k = 1;

	for (size_t i = 0; i < NOPTIONS; i++)
		longopts[i] = hw_options[i].o;
	memset(&longopts[NOPTIONS], 0, sizeof(longopts[0]));
	shorts[0] = ':';
	shorts[1] = '\0';
	for (size_t i = 0; i < NOPTIONS && k + 3 < cap; i++) {
		if (!hw_options[i].short_name)
			continue;
		shorts[k++] = hw_options[i].short_name;
		if (hw_options[i].o.has_arg == required_argument)
			shorts[k++] = ':';
		shorts[k] = '\0';
	}
}

/* What getopt returned, as the option's code; an exit code if it is no option of this command. */
static int option_code(struct hw_cli *cli, int ch, char **argv, int *code)
{
	for (size_t i = 0; ch < 256 && ch != '?' && ch != ':' && i < NOPTIONS; i++)
		if (hw_options[i].short_name == ch)
			ch = hw_options[i].o.val;
	if (ch == '?') {
		const char *bad = argv[optind - 1];
		return hw_cli_usage_error(cli, "unknown option '%s' (see 'heapwalk %s --help')",
					  bad ? bad : "?", cli->cmd->name);
	}
	if (ch == ':')
		return hw_cli_usage_error(cli, "option '%s' needs a value", argv[optind - 1]);
	for (size_t i = 0; i < NOPTIONS; i++)
		if (hw_options[i].o.val == ch && hw_options[i].group &&
		    !(cli->cmd->opts & hw_options[i].group))
			return hw_cli_usage_error(cli, "option '--%s' does not apply here",
						  hw_options[i].o.name);
	*code = ch;
	return 0;
}

/* The operands the command table says the command takes. */
static int take_operands(struct hw_cli *cli, int argc, char **argv)
{
	const struct hw_command *c = cli->cmd;
	unsigned n = (unsigned)(argc - optind);

	if (!c->operands || (n != c->operands && c->operands_optional))
		return 0;
	if (n != c->operands)
		return hw_cli_usage_error(cli, "%s", c->operands_error);
	for (unsigned i = 0; i < n; i++)
		cli->operand[i] = argv[optind + (int)i];
	optind = argc;
	return 0;
}

/* Options that do not go together, or need another. */
/* Whether -o @out names the existing file @in (a core or an operand): never write over an input. */
static bool writes_over(const char *out, const char *in)
{
	struct stat a, b;

	return out && in && strcmp(out, "-") && stat(out, &a) == 0 && stat(in, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int check_combinations(struct hw_cli *cli, int argc, char **argv)
{
	const struct hw_command *c = cli->cmd;
	bool tj = HW_FMTS_TEXT_JSON & HW_FMT_BIT(cli->format);

	if ((cli->hexdump || cli->strings) && !tj)
		return hw_cli_usage_error(cli,
					  "--hexdump and --strings need --format text or json");
	if (cli->backtrace &&
	    !(HW_FMTS_TABLE & ~HW_FMT_BIT(HW_FMT_KAMAILIO) & HW_FMT_BIT(cli->format)))
		return hw_cli_usage_error(cli, "--backtrace needs --format text, json or csv");
	if (cli->classify && !tj)
		return hw_cli_usage_error(cli, "--classify needs --format text or json");
	if (cli->by && (!(HW_FMTS_TABLE & ~HW_FMT_BIT(HW_FMT_KAMAILIO) & HW_FMT_BIT(cli->format)) ||
			(cli->classify && cli->by != HW_BY_SIZE)))
		return hw_cli_usage_error(
		    cli, "--by %s needs --format text, json or csv%s", hw_group_by_name(cli->by),
		    cli->classify && cli->by != HW_BY_SIZE ? " and no --classify" : "");
	if (optind < argc)
		return hw_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	const char *inputs[] = {cli->core, cli->operand[0], cli->operand[1]};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		if (writes_over(cli->output, inputs[i]))
			return hw_cli_usage_error(
			    cli, "-o %s is an input: heapwalk never writes over one", cli->output);
	if (cli->layout && !hw_allocator_of_profile(cli->layout))
		return hw_cli_usage_error(
		    cli, "no built-in layout named '%s' (see 'heapwalk profiles')", cli->layout);
	if ((c->opts & OPT_HOST) && !cli->slab && (cli->sort_given || cli->top_given))
		return hw_cli_usage_error(cli, "--sort and --top apply to --slab");
	if (cli->used_only && cli->free_only)
		return hw_cli_usage_error(cli, "--used and --free exclude each other");
	if (cli->from > cli->to)
		return hw_cli_usage_error(cli, "--from %" PRIu64 " is after --to %" PRIu64,
					  cli->from, cli->to);
	if ((c->opts & OPT_LIVE) && !(c->opts & OPT_TARGET) && !cli->pid)
		return hw_cli_usage_error(cli, "--pid PID is required");
	if ((c->opts & OPT_TARGET) && !cli->core && !cli->pid && !cli->operand[0] && !cli->coredump)
		return hw_cli_usage_error(cli, "--core FILE is required%s",
					  c->opts & OPT_LIVE ? " (or --pid PID)" : "");
	if (cli->all && !cli->pid && !cli->core)
		return hw_cli_usage_error(cli, "--all needs --pid PID (or --core FILE)");
	if (cli->no_stop && !cli->pid)
		return hw_cli_usage_error(cli, "--no-stop applies to --pid");
	if (cli->max_stop_ms && (cli->no_stop || !cli->pid || cli->core))
		return hw_cli_usage_error(cli, "--max-stop applies to a running process that is "
					       "stopped (--pid without --no-stop or --core)");
	if (cli->no_stop && cli->core)
		return hw_cli_usage_error(cli,
					  "--no-stop applies to a running process, not --core");
	if (cli->layout && cli->debug_file)
		return hw_cli_usage_error(cli, "--layout and --debug-file exclude each other");
	if (cli->all && c->one_process)
		return hw_cli_usage_error(cli,
					  "%s reads one process at a time: give --pid PID "
					  "without --all (shm is the same in every process)",
					  c->name);
	if (cli->all && c->all_formats && !(c->all_formats & HW_FMT_BIT(cli->format)))
		return hw_cli_usage_error(cli, c->all_format_error, hw_format_name(cli->format));
	return 0;
}

int hw_cli_parse_args(struct hw_cli *cli, int argc, char **argv)
{
	struct option longopts[HW_CLI_MAX_OPTIONS + 1];
	char shorts[64];
	int ch, code = 0, rc;

	getopt_tables(longopts, shorts, sizeof(shorts));
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
		if ((rc = option_code(cli, ch, argv, &code)))
			return rc;
		if (code == O_HELP) {
			hw_fmt_command_help(stdout, hw_cli_cmdtab(), hw_cli_command_doc(cli->cmd));
			exit(HW_EXIT_OK);
		}
		if ((rc = hw_cli_set_option(cli, code, optarg)))
			return rc;
	}
	if ((rc = take_operands(cli, argc, argv)) || (rc = check_combinations(cli, argc, argv)))
		return rc;
	return hw_cli_coredump(cli);
}
