/* main.c - heapwalk's entry point: the command, its options, and what it says on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

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

enum { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER }; /* --color, in hw_cli.color_mode */

/* --color auto: a terminal, not "dumb", and no NO_COLOR (https://no-color.org). */
static bool use_color(int mode)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (mode != COLOR_AUTO)
		return mode == COLOR_ALWAYS;
	return isatty(STDOUT_FILENO) && !(nc && *nc) && !(term && !strcmp(term, "dumb"));
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
		hw_fmt_help(stdout, hw_cli_cmdtab());
		return HW_EXIT_OK;
	}
	/* hidden: what meson installs as heapwalk(1) and the bash completion */
	if (!strcmp(argv[1], "--man") && argc == 2) {
		hw_fmt_man(stdout, hw_cli_cmdtab());
		return fflush(stdout) ? HW_EXIT_FATAL : HW_EXIT_OK;
	}
	if (!strcmp(argv[1], "--completion")) {
		if (argc != 3 || hw_fmt_completion(stdout, hw_cli_cmdtab(), argv[2]) != 0) {
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
		fprintf(stderr, "heapwalk: unknown command '%s' (see 'heapwalk --help')\n",
			argv[1]);
		return HW_EXIT_USAGE;
	}
	memset(&cli, 0, sizeof(cli));
	cli.cmd = c;
	current_cmd = c->name;
	memset(cli.pool_sel, true, sizeof(cli.pool_sel));
	cli.to = UINT64_MAX;
	cli.sort = HW_ORDER_BYTES;
	cli.slab_sort = 'c';
	cli.width = 80; /* on a terminal, unless --width says otherwise */
	rc = hw_cli_parse_args(&cli, argc - 1, argv + 1);
	if (rc)
		return rc;
	cli.color = use_color(cli.color_mode);
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	/* text for people fits the width; other formats and documents stay as they are */
	if (cli.width && (cli.width_given || isatty(STDOUT_FILENO)) && cli.format == HW_FMT_TEXT &&
	    (c->formats & HW_FMT_BIT(HW_FMT_TEXT)))
		hw_wrap_stdout((unsigned)cli.width);
	rc = cli.all ? hw_run_all(&cli) : c->run(&cli);
	if (hw_wrap_end() != 0 && rc == HW_EXIT_OK) {
		hw_cli_warn("cannot write the output");
		rc = HW_EXIT_FATAL;
	}
	/* a write that failed earlier (a formatter flushing itself) leaves only the error flag */
	if ((fflush(stdout) != 0 || ferror(stdout)) && rc != HW_EXIT_FATAL && rc != HW_EXIT_USAGE) {
		hw_cli_warn("cannot write the output");
		rc = HW_EXIT_FATAL;
	}
	return rc;
}
