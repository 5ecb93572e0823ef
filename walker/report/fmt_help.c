/* fmt_help.c - 'heapwalk --help' and a command's --help, from the command and option tables. */
#include <stdio.h>
#include <string.h>

#include "heapwalk/cmdtab.h"

#define HELP_COL 22 /* where option help starts in --help */

/* ---- --help -------------------------------------------------------------------- */

bool hw_cmdtab_applies(const struct hw_command_doc *c, const struct hw_option *o)
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

void hw_fmt_help(FILE *out, const struct hw_cmdtab *t)
{
	fputs("usage: heapwalk COMMAND [options]\n\n"
	      "Walks the memory pools of a Kamailio process (q_malloc, f_malloc or TLSF) or an\n"
	      "OpenSIPS one (q_malloc, f_malloc, hp_malloc, the parallel pools) from a core file\n"
	      "or a running process.\n\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; i < t->ncommands; i++)
		fprintf(out, "  %-10s %s\n", t->commands[i].name, t->commands[i].summary);
	fputs("\nRun 'heapwalk COMMAND --help' for a command's options.\nExit codes:", out);
	for (const struct hw_exit_code *e = t->exit_codes; e->what; e++)
		fprintf(out, "%s %d %s", e == t->exit_codes ? "" : ",", e->code, e->what);
	fputs(".\n", out);
}

/* The heading an option is listed under: its group's, "Options" or "Global options". */
const char *hw_cmdtab_heading(const struct hw_cmdtab *t, const struct hw_option *o)
{
	if (o->group == 0)
		return "Global options";
	for (const struct hw_option_group *g = t->groups; g->title; g++)
		if (o->group & g->group)
			return g->title;
	return "Options";
}

/* Each heading once, in the order: the groups', "Options", "Global options". */
const char *hw_cmdtab_nth_heading(const struct hw_cmdtab *t, size_t n)
{
	size_t k = 0;

	for (const struct hw_option_group *g = t->groups; g->title; g++, k++)
		if (k == n)
			return g->title;
	if (n == k)
		return "Options";
	return n == k + 1 ? "Global options" : NULL;
}

void hw_fmt_command_help(FILE *out, const struct hw_cmdtab *t, const struct hw_command_doc *c)
{
	const char *h;

	fprintf(out, "usage: heapwalk %s %s\n\n%s.\n", c->name, c->usage, c->summary);
	for (size_t n = 0; (h = hw_cmdtab_nth_heading(t, n)) != NULL; n++) {
		bool first = true;

		for (size_t i = 0; i < t->noptions; i++) {
			const struct hw_option *o = &t->options[i];

			if (!hw_cmdtab_applies(c, o) || strcmp(hw_cmdtab_heading(t, o), h) != 0)
				continue;
			if (first)
				fprintf(out, "\n%s:\n", h);
			first = false;
			print_option(out, o);
		}
	}
}
