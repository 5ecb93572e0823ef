/*
 * doc.c - every piece of documentation generated from the command and
 * option tables (hw_commands, hw_options): --help and a command's --help
 * here, the man page heapwalk(1) and the bash completion in man.c. A
 * command or option added to the tables appears in all of them.
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

/* ---- --help -------------------------------------------------------------------- */

bool hw_cli_option_applies(const struct hw_command *c, const struct hw_option *o)
{
	return o->group == 0 || (c->opts & o->group);
}

/* "-o, --output FILE" into @buf. */
const char *hw_cli_option_words(const struct hw_option *o, char *buf, size_t cap)
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

	hw_cli_option_words(o, words, sizeof(words));
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
const char *hw_cli_option_heading(const struct hw_option *o)
{
	if (o->group == 0)
		return "Global options";
	for (const struct hw_option_group *g = hw_option_groups; g->title; g++)
		if (o->group & g->group)
			return g->title;
	return "Options";
}

/* Each heading once, in the order: the groups', "Options", "Global options". */
const char *hw_cli_nth_heading(size_t n)
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
	for (size_t n = 0; (h = hw_cli_nth_heading(n)) != NULL; n++) {
		bool first = true;

		for (size_t i = 0; i < hw_noptions; i++) {
			const struct hw_option *o = &hw_options[i];

			if (!hw_cli_option_applies(c, o) ||
			    strcmp(hw_cli_option_heading(o), h) != 0)
				continue;
			if (first)
				fprintf(out, "\n%s:\n", h);
			first = false;
			print_option(out, o);
		}
	}
}
