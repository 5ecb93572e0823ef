/* setup.c - a session opened as the command line says, and the exit code it earns. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapwalk/diagnose.h"
#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/instance.h"
#include "heapwalk/target.h"

/* The session options the command line gives (no target: hw_cli_open or an instance sets it). */
static void session_opts(const struct hw_cli *cli, const char *command, struct hw_session_opts *o)
{
	*o = (struct hw_session_opts){
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
	    .command = command,
	    .format = cli->format,
	    .color = cli->color,
	    .warn = hw_cli_warn,
	    .trace = hw_cli_warn,
	};
	memcpy(o->pool_sel, cli->pool_sel, sizeof(o->pool_sel));
}

int hw_cli_coredump(struct hw_cli *cli)
{
	static struct hw_coredump cd;
	struct hw_error *err;

	if (!cli->coredump && !cli->coredump_dir)
		return HW_EXIT_OK;
	if (!cli->coredump || cli->core || cli->pid)
		return hw_cli_usage_error(cli, "--coredump chooses the core: it takes no --core or "
					       "--pid, and --coredump-dir needs it");
	if (!hw_coredump_selector_ok(cli->coredump))
		return hw_cli_usage_error(cli, "--coredump %s: not a pid or latest", cli->coredump);
	if ((err = hw_coredump_find(cli->coredump, cli->coredump_dir, cli->sysroot, &cd)))
		return hw_cli_fail(err);
	hw_cli_warn("%s", cd.chosen);
	cli->core = cd.core_path;
	cli->exe = cli->exe || !cd.exe_path[0] ? cli->exe : cd.exe_path;
	return HW_EXIT_OK;
}

int hw_cli_open(struct hw_cli *cli, struct hw_session *s, const char *command)
{
	struct hw_session_opts o;
	struct hw_error *err = NULL;

	session_opts(cli, command, &o);
	if (cli->pid) {
		struct hw_target_opts topts = {
		    .core_path = cli->core,
		    .exe_path = cli->exe,
		    .sysroot = cli->sysroot,
		    .max_core_size = cli->max_core_size,
		};
		struct hw_live_opts lo = {.pid = cli->pid,
					  .core = cli->core,
					  .exe = cli->exe,
					  .no_stop = cli->no_stop,
					  .max_stop_ms = cli->max_stop_ms,
					  .warn = hw_cli_warn};
		memcpy(lo.pool_sel, cli->pool_sel, sizeof(lo.pool_sel));
		err = hw_live_target(&lo, &topts, &o.target);
		memcpy(o.pool_sel, lo.pool_sel, sizeof(o.pool_sel));
	}
	if (!err)
		err = hw_session_open(&o, s);
	if (err)
		return hw_cli_fail(err);
	memcpy(cli->pool_sel, s->pool_sel, sizeof(cli->pool_sel));
	return HW_EXIT_OK;
}

void hw_cli_inst_opts(const struct hw_cli *cli, const char *command, bool all,
		      struct hw_inst_opts *o)
{
	memset(o, 0, sizeof(*o));
	session_opts(cli, command, &o->session);
	o->session.core = NULL;
	o->file = cli->core;
	o->pid = cli->pid;
	o->all = all;
	o->snap.no_stop = cli->no_stop;
	o->snap.max_stop_ms = cli->max_stop_ms;
}

int hw_cli_inst_open(const struct hw_cli *cli, struct hw_inst *in, const char *command,
		     unsigned flags)
{
	struct hw_inst_opts o;
	struct hw_error *err;

	hw_cli_inst_opts(cli, command, flags & INST_ALL, &o);
	o.quiet = flags & INST_QUIET;
	o.in_place = flags & INST_IN_PLACE;
	if ((err = hw_inst_open(&o, in)))
		return hw_cli_fail(err);
	return HW_EXIT_OK;
}

int hw_inst_exit_code(const struct hw_inst *in)
{
	int rc = HW_EXIT_OK;

	for (size_t i = 0; i < in->n; i++) {
		const struct hw_inst_proc *p = &in->p[i];
		int r;
		if (p->error)
			return HW_EXIT_FATAL;
		if (!p->open)
			continue;
		r = hw_cli_exit_code(&p->s);
		if (r == HW_EXIT_FATAL)
			return r;
		if (r > rc)
			rc = r;
	}
	return rc;
}

int hw_diff_load(const struct hw_cli *cli, const char *path, struct hw_diff_side *side)
{
	struct hw_inst_opts o;
	struct hw_error *err;

	hw_cli_inst_opts(cli, "summary", true, &o);
	if ((err = hw_inst_load_side(&o, path, side)))
		return hw_cli_fail(err);
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

	return hw_pool_kind_of(p->name) >= 0 && sel[hw_pool_kind_of(p->name)];
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
	struct hw_error *err;
	FILE *out;
	int rc = hw_cli_open(cli, &s, html ? "report" : "map");

	if (rc)
		return rc;
	hw_session_prepare_pools(&s);
	err = hw_session_walk_map(&s, cli->cells ? cli->cells : 8192,
				  cli->cells ? cli->cells : 8192, html, cli->top ? cli->top : 50);
	if (err) {
		hw_session_close(&s);
		return hw_cli_fail(err);
	}
	out = hw_cli_output_open(cli);
	if (!out) {
		hw_session_close(&s);
		return HW_EXIT_FATAL;
	}
	s.report.out = out;
	if (html) {
		hw_session_diagnose(&s, cli->request); /* the page opens with the verdicts */
		hw_fmt_html(&s.report);
	} else
		hw_fmt_map(&s.report);
	rc = hw_cli_output_close(cli, out);
	if (!rc)
		rc = hw_cli_exit_code(&s);
	for (size_t i = 0; html && i < s.report.ndiag; i++)
		rc = hw_exit_worse(rc, hw_verdict_exit(s.report.diag[i].res.verdict));
	hw_session_close(&s);
	return rc;
}

int hw_cli_fail(struct hw_error *err)
{
	hw_cli_warn("%s", err->message);
	hw_error_destroy(err);
	return HW_EXIT_FATAL;
}
