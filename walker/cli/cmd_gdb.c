/* cmd_gdb.c - 'heapwalk gdb': the gdb `source` line for heapwalk.gdb (gdbscripts/). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/*
 * Where heapwalk.gdb is, relative to this executable: next to it in a
 * build tree (gdbscripts/), else in the installed data dir
 * (BINDIR/../share/heapwalk/gdb). Writes the resolved path to @ret.
 */
static bool find_script(char *ret, size_t cap, char *tried, size_t tried_cap)
{
	static const char *const rel[] = {"gdbscripts/heapwalk.gdb",
					  "../share/heapwalk/gdb/heapwalk.gdb"};
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	tried[0] = '\0';
	if (n <= 0)
		return false;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	slash[1] = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char cand[PATH_MAX + 64];
		char real[PATH_MAX];
		size_t used = strlen(tried);
		snprintf(cand, sizeof(cand), "%s%s", exe, rel[i]);
		snprintf(tried + used, tried_cap - used, "%s%s", used ? ", " : "", cand);
		if (realpath(cand, real) && access(real, R_OK) == 0 && strlen(real) < cap) {
			snprintf(ret, cap, "%s", real);
			return true;
		}
	}
	return false;
}

int hw_cmd_gdb(struct hw_cli *cli)
{
	char path[PATH_MAX];
	char tried[2 * PATH_MAX + 256];

	(void)cli;
	if (!find_script(path, sizeof(path), tried, sizeof(tried))) {
		hw_cli_warn("cannot find heapwalk.gdb (looked for %s)",
			    tried[0] ? tried : "nothing");
		return HW_EXIT_FATAL;
	}
	printf("source %s\n", path);
	return HW_EXIT_OK;
}
