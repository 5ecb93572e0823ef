/* setup.c - a session opened as the command line says, and the exit code it earns. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/target.h"

/* The session's test-knob lines: "heapwalk: " and the message, no command. */
static void trace(const char *fmt, ...)
{
	va_list ap;

	fputs("heapwalk: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int hw_cli_open(struct hw_cli *cli, struct hw_session *s, const char *command)
{
	struct hw_session_opts o = {
	    .core = cli->core,
	    .exe = cli->exe,
	    .sysroot = cli->sysroot,
	    .debug_file = cli->debug_file,
	    .layout = cli->layout,
	    .no_debuginfo = cli->no_debuginfo,
	    .manager = cli->manager,
	    .block_given = cli->block_given,
	    .block = cli->block,
	    .max_core_size = cli->max_core_size,
	    .target = cli->given_target,
	    .dw = cli->given_dw,
	    .command = command,
	    .format = cli->format,
	    .color = cli->color,
	    .warn = hw_cli_warn,
	    .trace = trace,
	};
	struct hw_error *err = NULL;

	memcpy(o.pool_sel, cli->pool_sel, sizeof(o.pool_sel));
	cli->given_target = NULL; /* the session owns it from here */
	if (!o.target && cli->pid) {
		struct hw_target_opts topts = {
		    .core_path = cli->core,
		    .exe_path = cli->exe,
		    .sysroot = cli->sysroot,
		    .max_core_size = cli->max_core_size,
		};
		err = hw_live_open_target(cli, &topts, &o.target);
		memcpy(o.pool_sel, cli->pool_sel, sizeof(o.pool_sel));
	}
	if (!err)
		err = hw_session_open(&o, s);
	if (err)
		return hw_cli_fail(err);
	memcpy(cli->pool_sel, s->pool_sel, sizeof(cli->pool_sel));
	return HW_EXIT_OK;
}

int hw_cli_exit_code(const struct hw_session *s)
{
	bool errors;

	if (!hw_session_walked(s, &errors))
		return HW_EXIT_FATAL;
	return errors ? HW_EXIT_FINDINGS : HW_EXIT_OK;
}

bool hw_cli_pool_selected(const struct hw_diff_pool *p, void *cli)
{
	const bool *sel = ((const struct hw_cli *)cli)->pool_sel;

	return (!strcmp(p->name, "pkg") && sel[HW_POOL_PKG]) ||
	       (!strcmp(p->name, "shm") && sel[HW_POOL_SHM]);
}

int hw_cli_walk_map(struct hw_session *s, uint32_t pkg_cells, uint32_t shm_cells, bool sites,
		    uint64_t top)
{
	struct hw_error *err = hw_session_walk_map(s, pkg_cells, shm_cells, sites, top);

	if (!err)
		return HW_EXIT_OK;
	return hw_cli_fail(err);
}

FILE *hw_cli_output_open(const struct hw_cli *cli)
{
	FILE *f;

	if (!cli->output || !strcmp(cli->output, "-"))
		return stdout;
	f = fopen(cli->output, "w");
	if (!f)
		hw_cli_warn("cannot write %s: %s", cli->output, strerror(errno));
	return f;
}

int hw_cli_output_close(const struct hw_cli *cli, FILE *out)
{
	if (out != stdout && fclose(out) != 0) {
		hw_cli_warn("cannot write %s: %s", cli->output, strerror(errno));
		return HW_EXIT_FATAL;
	}
	return HW_EXIT_OK;
}

int hw_cli_page(struct hw_cli *cli, bool html)
{
	struct hw_session s;
	FILE *out;
	int rc = hw_cli_open(cli, &s, html ? "report" : "map");

	if (rc)
		return rc;
	hw_session_prepare_pools(&s);
	rc = hw_cli_walk_map(&s, cli->cells ? cli->cells : 8192, cli->cells ? cli->cells : 8192,
			     html, cli->top ? cli->top : 50);
	if (rc) {
		hw_session_close(&s);
		return rc;
	}
	out = hw_cli_output_open(cli);
	if (!out) {
		hw_session_close(&s);
		return HW_EXIT_FATAL;
	}
	s.report.out = out;
	if (html)
		hw_fmt_html(&s.report);
	else
		hw_fmt_map(&s.report);
	rc = hw_cli_output_close(cli, out);
	if (!rc)
		rc = hw_cli_exit_code(&s);
	hw_session_close(&s);
	return rc;
}

int hw_cli_fail(struct hw_error *err)
{
	hw_cli_warn("%s", err->message);
	hw_error_destroy(err);
	return HW_EXIT_FATAL;
}
