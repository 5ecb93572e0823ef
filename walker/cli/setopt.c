/* setopt.c - one option's value into struct hw_cli, checked; a usage error says what it takes. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapwalk/host.h"
#include "heapwalk/sbuf.h"

/* One of @names (a NULL-terminated list), as its index; -1 if none. */
static int pick(const char *arg, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(arg, names[i]))
			return i;
	return -1;
}

/* The target and what to show of it. */
static int set_target_option(struct hw_cli *cli, int ch, const char *arg)
{
	/* enum hw_pool_kind's order, then all */
	static const char *const pools[] = {"pkg", "shm", "rpm", "shm_dbg", "all", NULL};
	int k;

	switch (ch) {
	case O_CORE:
		cli->core = arg;
		break;
	case O_COREDUMP:
	case O_COREDUMP_DIR:
		*(ch == O_COREDUMP ? &cli->coredump : &cli->coredump_dir) = arg;
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
			return hw_cli_usage_error(
			    cli, "--manager takes qm, fm, tlsf, hp or par, not '%s'", arg);
		break;
	case O_BLOCK:
		if (!hw_parse_u64(arg, &cli->block) || cli->block == 0)
			return hw_cli_usage_error(cli, "--block takes an address, not '%s'", arg);
		cli->block_given = true;
		break;
	case O_POOL:
		if ((k = pick(arg, pools)) < 0)
			return hw_cli_usage_error(
			    cli, "--pool takes pkg, shm, rpm, shm_dbg or all, not '%s'", arg);
		for (int i = 0; i < HW_POOL_KIND_COUNT; i++)
			cli->pool_sel[i] = k == HW_POOL_KIND_COUNT || k == i;
		break;
	case O_MAX_CORE_SIZE:
		if (!hw_parse_size(arg, &cli->max_core_size) || !cli->max_core_size)
			return hw_cli_usage_error(
			    cli, "--max-core-size takes a size such as 4G or 500M, not '%s'", arg);
		break;
	case O_PID: {
		uint64_t v;
		if (!hw_parse_u64(arg, &v) || v == 0 || v > INT32_MAX)
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
	case O_MAX_STOP: {
		uint64_t v;
		if (!hw_parse_u64(arg, &v) || v == 0 || v > 600000)
			return hw_cli_usage_error(
			    cli, "--max-stop takes milliseconds from 1 to 600000, not '%s'", arg);
		cli->max_stop_ms = (unsigned)v;
		break;
	}
	default:
		return -1;
	}
	return 0;
}

/* Output: format, order, frags' filters and contents, files, width and colour. */
static int set_output_option(struct hw_cli *cli, int ch, const char *arg)
{
	static const char *const colors[] = {"auto", "always", "never", NULL};
	static const char *const orders[] = {"bytes", "count", "site", NULL};
	static const enum hw_site_order order[] = {HW_ORDER_BYTES, HW_ORDER_COUNT, HW_ORDER_SITE};
	enum hw_format f;
	int k;

	switch (ch) {
	case O_FORMAT:
		if (!hw_format_parse(arg, &f))
			return hw_cli_usage_error(
			    cli, "--format takes text, json, csv, kamailio or gdb, not '%s'", arg);
		if (!(cli->cmd->formats & HW_FMT_BIT(f)))
			return hw_cli_usage_error(cli, "--format %s is not available for %s", arg,
						  cli->cmd->name);
		cli->format = f;
		cli->format_given = true;
		break;
	case O_TOP:
		if (!hw_parse_u64(arg, &cli->top) || cli->top == 0)
			return hw_cli_usage_error(cli, "--top takes a positive number, not '%s'",
						  arg);
		cli->top_given = true;
		break;
	case O_SORT:
		if (cli->cmd->opts & OPT_HOST) {
			if (strlen(arg) != 1 || !hw_slab_sort_key_ok(arg[0]))
				return hw_cli_usage_error(
				    cli, "--sort takes one of a c l n o p s u, not '%s'", arg);
			cli->slab_sort = arg[0];
		} else if ((k = pick(arg, orders)) >= 0) {
			cli->sort = order[k];
		} else {
			return hw_cli_usage_error(
			    cli, "--sort takes bytes, count or site, not '%s'", arg);
		}
		cli->sort_given = true;
		break;
	case O_USED:
		cli->used_only = true;
		break;
	case O_FREE:
		cli->free_only = true;
		break;
	case O_FROM:
		if (!hw_parse_u64(arg, &cli->from))
			return hw_cli_usage_error(cli, "--from takes an index, not '%s'", arg);
		break;
	case O_TO:
		if (!hw_parse_u64(arg, &cli->to))
			return hw_cli_usage_error(cli, "--to takes an index, not '%s'", arg);
		break;
	case O_MIN_SIZE:
		if (!hw_parse_u64(arg, &cli->min_size))
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
		if (!hw_parse_u64(arg, &v) || v < 16 || v > 65536)
			return hw_cli_usage_error(cli, "--cells takes 16 to 65536, not '%s'", arg);
		cli->cells = (uint32_t)v;
		break;
	}
	case O_WIDTH:
		if (!hw_parse_u64(arg, &cli->width) ||
		    (cli->width && (cli->width < 40 || cli->width > 10000)))
			return hw_cli_usage_error(
			    cli, "--width takes 40 to 10000 columns, or 0, not '%s'", arg);
		cli->width_given = true;
		break;
	case O_COLOR:
		if ((k = pick(arg, colors)) < 0)
			return hw_cli_usage_error(
			    cli, "--color takes auto, always or never, not '%s'", arg);
		cli->color_mode = k;
		break;
	case O_HEXDUMP:
		if (!hw_parse_size(arg, &cli->hexdump) || cli->hexdump == 0 ||
		    cli->hexdump > (1u << 20))
			return hw_cli_usage_error(
			    cli, "--hexdump takes a byte count from 1 to 1M, not '%s'", arg);
		break;
	case O_STRINGS:
	case O_BACKTRACE:
		*(ch == O_STRINGS ? &cli->strings : &cli->backtrace) = true;
		break;
	case O_CLASSIFY:
		cli->classify = true;
		break;
	case O_BY:
		if (!hw_group_by_parse(arg, &cli->by))
			return hw_cli_usage_error(
			    cli, "--by takes site, module, file, function, size, stack, not '%s'",
			    arg);
		break;
	default:
		return -1;
	}
	return 0;
}

/* Host view, samples over time, diagnose. */
static int set_other_option(struct hw_cli *cli, int ch, const char *arg)
{
	char *end;

	switch (ch) {
	case O_SLAB:
		cli->slab = true;
		break;
	case O_PROC:
		cli->proc_dir = arg;
		break;
	case O_INTERVAL:
	case O_DURATION:
		if (!hw_parse_seconds(arg, ch == O_INTERVAL ? &cli->interval : &cli->duration,
				      &end) ||
		    *end)
			return hw_cli_usage_error(cli, "--%s takes seconds (> 0), not '%s'",
						  ch == O_INTERVAL ? "interval" : "duration", arg);
		break;
	case O_COUNT:
		if (!hw_parse_u64(arg, &cli->count) || cli->count == 0 || cli->count > 1000000)
			return hw_cli_usage_error(cli, "--count takes a positive number, not '%s'",
						  arg);
		break;
	case O_REQUEST:
		if (!hw_parse_size(arg, &cli->request) || cli->request == 0)
			return hw_cli_usage_error(
			    cli, "--request takes a byte count such as 65536 or 64K, not '%s'",
			    arg);
		break;
	case O_BASELINE:
		cli->baseline = arg;
		break;
	case O_WATCH:
		if (!hw_parse_seconds(arg, &cli->interval, &end) || (*end != 'x' && *end != 'X') ||
		    !hw_parse_u64(end + 1, &cli->count) || cli->count < 2 || cli->count > 100000)
			return hw_cli_usage_error(cli,
						  "--watch takes SECONDSxCOUNT such as 60x10 (2 to "
						  "100000 snapshots), not '%s'",
						  arg);
		cli->watch = true;
		break;
	default:
		return hw_cli_usage_error(cli, "unexpected option");
	}
	return 0;
}

int hw_cli_set_option(struct hw_cli *cli, int code, const char *arg)
{
	int rc = set_target_option(cli, code, arg);

	if (rc < 0)
		rc = set_output_option(cli, code, arg);
	if (rc < 0)
		rc = set_other_option(cli, code, arg);
	return rc;
}
