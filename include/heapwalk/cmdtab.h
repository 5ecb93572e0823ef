/*
 * cmdtab.h - heapwalk's command and option tables as its documentation
 * reads them. The CLI owns the tables (walker/cli/options.c, commands.c);
 * the formatters here print --help, a command's --help, the man page
 * heapwalk(1) and the bash completion from them, so a command or option
 * added to the tables appears in all of them.
 */
#ifndef HEAPWALK_CMDTAB_H
#define HEAPWALK_CMDTAB_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One option: the single source of its parsing and of every piece of documentation. */
struct hw_option {
	struct option o;
	unsigned group;	     /* the option group a command must accept; 0: every command */
	const char *arg;     /* the value's name ("FILE", "DIR", "N"...), NULL for a flag */
	const char *help;    /* what it does; '\n' where --help breaks the line */
	char short_name;     /* also -X, or 0 */
	const char *choices; /* NULL, or the values to complete, space-separated */
};

/* Headings for options of a group in a command's --help; others go under "Options". */
struct hw_option_group {
	unsigned group;
	const char *title;
};

struct hw_exit_code {
	int code;
	const char *what;   /* a few words for --help */
	const char *detail; /* a sentence for the man page */
};

/* What documentation needs of a command. */
struct hw_command_doc {
	const char *name;
	const char *summary; /* one line for 'heapwalk help' */
	const char *usage;   /* the synopsis after "heapwalk NAME " */
	unsigned opts;	     /* the option groups it accepts */
};

struct hw_cmdtab {
	const char *version; /* heapwalk's */
	const struct hw_command_doc *commands;
	size_t ncommands;
	const struct hw_option *options;
	size_t noptions;
	const struct hw_option_group *groups;  /* ends with title NULL */
	const struct hw_exit_code *exit_codes; /* ends with what NULL */
};

/* fmt_help.c: 'heapwalk --help', and one command's --help. */
void hw_fmt_help(FILE *out, const struct hw_cmdtab *t);
void hw_fmt_command_help(FILE *out, const struct hw_cmdtab *t, const struct hw_command_doc *c);
/* Whether option @o applies to command @c. */
bool hw_cmdtab_applies(const struct hw_command_doc *c, const struct hw_option *o);
/* The heading @o is listed under; the @n-th heading in order (NULL after the last). */
const char *hw_cmdtab_heading(const struct hw_cmdtab *t, const struct hw_option *o);
const char *hw_cmdtab_nth_heading(const struct hw_cmdtab *t, size_t n);

/* fmt_man.c: the man page heapwalk(1); the completion for @shell (-1: not "bash"). */
void hw_fmt_man(FILE *out, const struct hw_cmdtab *t);
int hw_fmt_completion(FILE *out, const struct hw_cmdtab *t, const char *shell);

#endif
