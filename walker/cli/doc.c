/*
 * doc.c - every piece of documentation generated from the command and
 * option tables (hw_commands, hw_options): --help, a command's --help, the
 * man page heapwalk(1) and the bash completion. A command or option added
 * to the tables appears in all of them.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define HELP_COL 22 /* where option help starts in --help */

const struct hw_exit_code hw_exit_codes[] = {
    {HW_EXIT_OK, "ok", "success; the heap (or host) was read completely and no damage was found"},
    {HW_EXIT_FINDINGS, "heap damage found",
     "the walk completed but found damage (errors in the findings)"},
    {HW_EXIT_FATAL, "could not walk",
     "something could not be read at all: no core, no executable, a pool that cannot be "
     "walked, a corrupt compressed core, nothing readable under --proc"},
    {HW_EXIT_USAGE, "usage error", "the command line is wrong; one line on stderr says why"},
    {-1, NULL, NULL},
};

static const char description[] =
    "heapwalk reads the memory pools of Kamailio processes (pkg and shm, managed by "
    "q_malloc, f_malloc or tlsf) from core files, as gcore or systemd-coredump write them, "
    "and reports what is in them: totals, the memory used per allocation site, the "
    "fragment list, damage. It understands the pool layouts of every Kamailio release, "
    "from DWARF when there is debug info and from built-in profiles otherwise. Compressed "
    "cores (zstd, xz, lz4) are read directly. 'heapwalk host' looks at the running host "
    "instead: kernel caches against programs' memory and each Kamailio instance's pools.";

static const struct {
	const char *name, *what;
} environment[] = {
    {"NO_COLOR", "when set and not empty, no colours with --color auto (the default)"},
    {"DEBUGINFOD_URLS",
     "servers to ask for debug info by build-id when none is found locally (libdebuginfod); "
     "DEBUGINFOD_CACHE_PATH and DEBUGINFOD_TIMEOUT work as for other debuginfod clients"},
    {"TMPDIR", "where a compressed core is decompressed to (an unlinked file; default /tmp)"},
    {NULL, NULL},
};

/* ---- --help -------------------------------------------------------------------- */

static bool applies(const struct hw_command *c, const struct hw_option *o)
{
	return o->group == 0 || (c->opts & o->group);
}

/* "-o, --output FILE" into @buf. */
static const char *option_words(const struct hw_option *o, char *buf, size_t cap)
{
	char s[8] = "";

	if (o->short_name)
		snprintf(s, sizeof(s), "-%c, ", o->short_name);
	snprintf(buf, cap, "%s--%s%s%s", s, o->o.name, o->arg ? " " : "", o->arg ? o->arg : "");
	return buf;
}

static void print_option(FILE *out, const struct hw_option *o)
{
	char words[64];
	const char *h = o->help ? o->help : "";
	size_t wl;

	option_words(o, words, sizeof(words));
	wl = strlen(words);
	if (wl + 2 >= HELP_COL - 1)
		fprintf(out, "  %s\n%*s", words, HELP_COL, "");
	else
		fprintf(out, "  %-*s", HELP_COL - 2, words);
	/* help lines after the first are indented to the help column */
	for (const char *p = h; *p;) {
		size_t n = strcspn(p, "\n");

		fwrite(p, 1, n, out);
		fputc('\n', out);
		p += n;
		if (*p == '\n' && *++p)
			fprintf(out, "%*s", HELP_COL, "");
	}
	if (!*h)
		fputc('\n', out);
}

void hw_cli_print_help(FILE *out)
{
	fputs("usage: heapwalk COMMAND [options]\n\n"
	      "Walks the memory pools of a Kamailio process (q_malloc, f_malloc or TLSF) from a "
	      "core\n"
	      "file.\n\n"
	      "Commands:\n",
	      out);
	for (const struct hw_command *c = hw_commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fputs("\nRun 'heapwalk COMMAND --help' for a command's options.\nExit codes:", out);
	for (const struct hw_exit_code *e = hw_exit_codes; e->what; e++)
		fprintf(out, "%s %d %s", e == hw_exit_codes ? "" : ",", e->code, e->what);
	fputs(".\n", out);
}

/* The heading an option is listed under: its group's, "Options" or "Global options". */
static const char *heading(const struct hw_option *o)
{
	if (o->group == 0)
		return "Global options";
	for (const struct hw_option_group *g = hw_option_groups; g->title; g++)
		if (o->group & g->group)
			return g->title;
	return "Options";
}

/* Each heading once, in the order: the groups', "Options", "Global options". */
static const char *nth_heading(size_t n)
{
	size_t k = 0;

	for (const struct hw_option_group *g = hw_option_groups; g->title; g++, k++)
		if (k == n)
			return g->title;
	if (n == k)
		return "Options";
	return n == k + 1 ? "Global options" : NULL;
}

void hw_cli_print_command_help(FILE *out, const struct hw_command *c)
{
	const char *h;

	fprintf(out, "usage: heapwalk %s %s\n\n%s.\n", c->name, c->usage, c->summary);
	for (size_t n = 0; (h = nth_heading(n)) != NULL; n++) {
		bool first = true;

		for (size_t i = 0; i < hw_noptions; i++) {
			const struct hw_option *o = &hw_options[i];

			if (!applies(c, o) || strcmp(heading(o), h) != 0)
				continue;
			if (first)
				fprintf(out, "\n%s:\n", h);
			first = false;
			print_option(out, o);
		}
	}
}

/* ---- man page ------------------------------------------------------------------- */

/* @s as roff text: backslashes escaped, '-' as \-, lines never starting with '.' or '\''. */
static void roff(FILE *out, const char *s)
{
	bool bol = true;

	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", out);
		bol = false;
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else if (*s == '\n') {
			fputc('\n', out);
			bol = true;
		} else
			fputc(*s, out);
	}
}

/* Help text joined into one paragraph (the line breaks of --help are for 80 columns). */
static void roff_para(FILE *out, const char *s)
{
	char buf[2048];
	size_t n = 0;

	for (; *s && n + 1 < sizeof(buf); s++) {
		if (*s == '\n') {
			while (s[1] == ' ')
				s++;
			buf[n++] = ' ';
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = '\0';
	roff(out, buf);
	fputc('\n', out);
}

static void man_option(FILE *out, const struct hw_option *o)
{
	fputs(".TP\n", out);
	if (o->short_name)
		fprintf(out, "\\fB\\-%c\\fR, ", o->short_name);
	fputs("\\fB\\-\\-", out);
	roff(out, o->o.name);
	fputs("\\fR", out);
	if (o->arg) {
		fputs(" \\fI", out);
		roff(out, o->arg);
		fputs("\\fR", out);
	}
	fputc('\n', out);
	roff_para(out, o->help ? o->help : "");
}

void hw_cli_print_man(FILE *out)
{
	const char *h;

	fputs(".\\\" heapwalk(1), generated by 'heapwalk --man' from the command and option "
	      "tables.\n",
	      out);
	fprintf(out, ".TH HEAPWALK 1 \"\" \"heapwalk %s\" \"User Commands\"\n", HEAPWALK_VERSION);
	/* no hyphenation: option names must stay whole for readers and for grep */
	fputs(".nh\n.ad l\n", out);
	fputs(".SH NAME\nheapwalk \\- walk the memory pools of Kamailio processes from core files\n"
	      ".SH SYNOPSIS\n.B heapwalk\n.I command\n.RI [ options ]\n.br\n"
	      ".B heapwalk\n.BR \\-\\-help \" | \" \\-\\-version\n"
	      ".SH DESCRIPTION\n",
	      out);
	roff_para(out, description);

	fputs(".SH COMMANDS\n", out);
	for (const struct hw_command *c = hw_commands; c->name; c++) {
		bool first = true;

		fputs(".TP\n\\fBheapwalk ", out);
		roff(out, c->name);
		fputs("\\fR ", out);
		roff_para(out, c->usage);
		roff(out, c->summary);
		fputs(".\n", out);
		fputs(".IP\nOptions:", out);
		for (size_t i = 0; i < hw_noptions; i++) {
			const struct hw_option *o = &hw_options[i];

			if (!applies(c, o) || o->group == 0)
				continue;
			fputs(first ? " \\fB\\-\\-" : ", \\fB\\-\\-", out);
			roff(out, o->o.name);
			fputs("\\fR", out);
			first = false;
		}
		fputs(first ? " only the global options.\n" : "; and the global options.\n", out);
	}

	fputs(".SH OPTIONS\nEach option applies to the commands that list it above; the global "
	      "options to every command.\n",
	      out);
	for (size_t n = 0; (h = nth_heading(n)) != NULL; n++) {
		bool first = true;

		for (size_t i = 0; i < hw_noptions; i++) {
			if (strcmp(heading(&hw_options[i]), h) != 0)
				continue;
			if (first) {
				fputs(".SS ", out);
				roff(out, h);
				fputc('\n', out);
			}
			first = false;
			man_option(out, &hw_options[i]);
		}
	}

	fputs(".SH EXIT STATUS\n", out);
	for (const struct hw_exit_code *e = hw_exit_codes; e->what; e++) {
		fprintf(out, ".TP\n.B %d\n", e->code);
		roff(out, e->what);
		fputs(": ", out);
		roff_para(out, e->detail);
	}
	fputs(".SH ENVIRONMENT\n", out);
	for (size_t i = 0; environment[i].name; i++) {
		fprintf(out, ".TP\n.B %s\n", environment[i].name);
		roff_para(out, environment[i].what);
	}
	fprintf(out,
		".SH JSON OUTPUT\n"
		"With \\fB\\-\\-format json\\fR every command prints one JSON document whose "
		"\\fBformat_version\\fR is %d and whose \\fBcommand\\fR names the command. The "
		"version changes only with incompatible changes; fields may be added. The schema "
		"is described in doc/json\\-schema.md of the source.\n",
		HW_JSON_FORMAT_VERSION);
	fputs(".SH EXAMPLES\n"
	      ".nf\n"
	      "heapwalk stats \\-\\-core /var/lib/systemd/coredump/core.kamailio.113.zst\n"
	      "heapwalk summary \\-\\-core core.1234 \\-\\-pool shm \\-\\-top 20\n"
	      "heapwalk frags \\-\\-core core.1234 \\-\\-free \\-\\-min\\-size 65536\n"
	      "heapwalk host\n"
	      "heapwalk host \\-\\-slab \\-\\-sort c \\-\\-top 20\n"
	      ".fi\n"
	      ".SH SEE ALSO\n"
	      ".BR kamailio (8),\n.BR gcore (1),\n.BR coredumpctl (1),\n.BR slabtop (1),\n"
	      ".BR proc (5),\n.BR debuginfod\\-find (1)\n",
	      out);
}

/* ---- bash completion ------------------------------------------------------------- */

/* The value words of an option whose values are a fixed list, for every command. */
static void completion_values(FILE *out)
{
	fputs("\tcase $prev in\n", out);
	for (size_t i = 0; i < hw_noptions; i++) {
		const struct hw_option *o = &hw_options[i];

		if (!o->arg)
			continue;
		if (o->choices) {
			if (o->short_name)
				fprintf(out, "\t-%c | ", o->short_name);
			else
				fputs("\t", out);
			fprintf(out,
				"--%s)\n\t\tCOMPREPLY=($(compgen -W '%s' -- \"$cur\"))\n"
				"\t\treturn ;;\n",
				o->o.name, o->choices);
		}
	}
	/* file and directory arguments, by the argument's name */
	for (int pass = 0; pass < 3; pass++) {
		bool first = true;

		for (size_t i = 0; i < hw_noptions; i++) {
			const struct hw_option *o = &hw_options[i];
			bool file = o->arg && strstr(o->arg, "FILE");
			bool dir = o->arg && !strcmp(o->arg, "DIR");
			bool other = o->arg && !o->choices && !file && !dir;

			if (o->choices || !(pass == 0 ? file : pass == 1 ? dir : other))
				continue;
			fprintf(out, "%s", first ? "\t" : " | ");
			if (o->short_name)
				fprintf(out, "-%c | ", o->short_name);
			fprintf(out, "--%s", o->o.name);
			first = false;
		}
		if (first)
			continue;
		if (pass == 0)
			fputs(")\n\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n\t\tcompopt -o "
			      "filenames "
			      "2>/dev/null\n\t\treturn ;;\n",
			      out);
		else if (pass == 1)
			fputs(")\n\t\tCOMPREPLY=($(compgen -d -- \"$cur\"))\n\t\tcompopt -o "
			      "filenames "
			      "2>/dev/null\n\t\treturn ;;\n",
			      out);
		else
			fputs(")\n\t\treturn ;;\n", out);
	}
	fputs("\tesac\n", out);
}

int hw_cli_print_completion(FILE *out, const char *shell)
{
	if (strcmp(shell, "bash") != 0)
		return -1;
	fputs("# bash completion for heapwalk(1); generated by 'heapwalk --completion bash'\n"
	      "# from heapwalk's command and option tables.\n"
	      "_heapwalk()\n{\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} opts\n"
	      "\tCOMPREPLY=()\n"
	      "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W '",
	      out);
	for (const struct hw_command *c = hw_commands; c->name; c++)
		fprintf(out, "%s ", c->name);
	fputs("--help --version' -- \"$cur\"))\n\t\treturn\n\tfi\n", out);
	completion_values(out);
	fputs("\tcase ${COMP_WORDS[1]} in\n", out);
	for (const struct hw_command *c = hw_commands; c->name; c++) {
		bool first = true;

		fprintf(out, "\t%s)\n\t\topts='", c->name);
		for (size_t i = 0; i < hw_noptions; i++) {
			const struct hw_option *o = &hw_options[i];

			if (!applies(c, o))
				continue;
			fprintf(out, "%s--%s", first ? "" : " ", o->o.name);
			if (o->short_name)
				fprintf(out, " -%c", o->short_name);
			first = false;
		}
		fputs("' ;;\n", out);
	}
	fputs("\t*)\n\t\treturn ;;\n\tesac\n"
	      "\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n}\n"
	      "complete -F _heapwalk heapwalk\n",
	      out);
	return 0;
}
