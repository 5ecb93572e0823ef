/*
 * doc.c - the command and option tables (hw_commands, hw_options) as
 * heapwalk's documentation reads them: --help, a command's --help, the man
 * page heapwalk(1) and the bash completion are printed from them by
 * walker/report (fmt_help.c, fmt_man.c). A command or option added to the
 * tables appears in all of them.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define MAX_COMMANDS 64

const struct hw_exit_code hw_exit_codes[] = {
    {HW_EXIT_OK, "ok",
     "success; the heap (or host) was read completely, no damage was found and (diagnose, "
     "watch, report) every pool is healthy"},
    {HW_EXIT_FINDINGS, "heap damage found",
     "the walk completed but found damage (errors in the findings)"},
    {HW_EXIT_FATAL, "could not walk",
     "something could not be read at all: no core, no executable, a pool that cannot be "
     "walked, a corrupt compressed core, nothing readable under --proc"},
    {HW_EXIT_LEAK, "leak suspect",
     "diagnose, watch and report: allocation sites keep growing, or one site holds a full pool"},
    {HW_EXIT_EXHAUSTED, "pool exhausted or too small",
     "diagnose and report: a pool is full or nearly so and nothing points to a leak"},
    {HW_EXIT_FRAGMENTED, "fragmentation",
     "diagnose and report: a request fails although enough memory is free, in pieces"},
    {HW_EXIT_USAGE, "usage error", "the command line is wrong; one line on stderr says why"},
    {-1, NULL, NULL},
};

const struct hw_command_doc *hw_cli_command_doc(const struct hw_command *c)
{
	return &hw_cli_cmdtab()->commands[c - hw_commands];
}

const struct hw_cmdtab *hw_cli_cmdtab(void)
{
	static struct hw_command_doc docs[MAX_COMMANDS];
	static struct hw_cmdtab t;

	if (t.commands)
		return &t;
	for (const struct hw_command *c = hw_commands; c->name && t.ncommands < MAX_COMMANDS; c++)
		docs[t.ncommands++] =
		    (struct hw_command_doc){c->name, c->summary, c->usage, c->opts};
	t.version = HEAPWALK_VERSION;
	t.commands = docs;
	t.options = hw_options;
	t.noptions = hw_noptions;
	t.groups = hw_option_groups;
	t.exit_codes = hw_exit_codes;
	return &t;
}
