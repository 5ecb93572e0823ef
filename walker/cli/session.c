/* session.c - opening a target for a command: core, executable, DWARF, pools. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"
#include "heapwalk/target.h"

int hw_session_open(struct hw_cli *cli, struct hw_session *s, const char *command)
{
	struct hw_target_opts topts = {
		.core_path = cli->core,
		.exe_path = cli->exe,
		.sysroot = cli->sysroot,
	};
	struct hw_discover_opts dopts = {
		.layout_name = cli->layout,
		.no_debuginfo = cli->no_debuginfo,
	};
	struct hw_error *err;

	memset(s, 0, sizeof(*s));
	err = hw_target_open_core(&topts, &s->t);
	if (err) {
		hw_cli_warn("%s", err->message);
		hw_error_destroy(err);
		return HW_EXIT_FATAL;
	}
	if (!s->t->exe) {
		if (s->t->exe_path_in_core)
			hw_cli_warn("cannot open the executable %s that the core names; give it with "
				    "--exe (and --sysroot for a core from another machine)",
				    s->t->exe_path_in_core);
		else
			hw_cli_warn("the core names no executable (are its notes missing? a truncated "
				    "core loses them); give it with --exe");
		hw_session_close(s);
		return HW_EXIT_FATAL;
	}
	if (!cli->no_debuginfo && !cli->layout) {
		err = hw_dwarf_find(s->t->exe, cli->sysroot, cli->debug_file, &s->dw);
		if (err) {
			if (cli->debug_file) {
				hw_cli_warn("%s", err->message);
				hw_error_destroy(err);
				hw_session_close(s);
				return HW_EXIT_FATAL;
			}
			s->debuginfo_problem = strdup(err->message);
			hw_error_destroy(err);
		}
	}
	err = hw_pools_discover(s->t, s->dw, &dopts, &s->inst, s->pools);
	if (err) {
		hw_cli_warn("%s", err->message);
		hw_error_destroy(err);
		hw_session_close(s);
		return HW_EXIT_FATAL;
	}
	s->report.command = command;
	s->report.format = cli->format;
	s->report.out = stdout;
	s->report.t = s->t;
	s->report.inst = &s->inst;
	s->report.debuginfo_path = s->dw ? hw_dwarf_path(s->dw) : NULL;
	s->report.debuginfo_problem = s->debuginfo_problem;
	if (cli->no_debuginfo)
		s->report.debuginfo_problem = "not used (--no-debuginfo)";
	else if (cli->layout)
		s->report.debuginfo_problem = "not used (--layout)";
	hw_strcache_init(&s->report.strings, s->t);
	return HW_EXIT_OK;
}

size_t hw_session_prepare_pools(struct hw_cli *cli, struct hw_session *s)
{
	size_t ready = 0;

	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		struct hw_pool_report *pr;
		struct hw_error *err;

		if (!cli->pool_sel[k])
			continue;
		pr = &s->report.pools[s->report.npools++];
		pr->pool = &s->pools[k];
		hw_check_init(&pr->check, 100);
		hw_sites_init(&pr->sites);
		if (!pr->pool->usable) {
			pr->error = strdup(pr->pool->problem ? pr->pool->problem : "no usable layout");
			hw_cli_warn("%s pool: %s", pr->pool->name, pr->error ? pr->error : "");
			continue;
		}
		pr->alloc = hw_allocator_get(pr->pool->mgr);
		if (!pr->alloc) {
			pr->error = strdup("heapwalk cannot walk this memory manager yet");
			hw_cli_warn("%s pool: %s", pr->pool->name, pr->error ? pr->error : "");
			continue;
		}
		err = pr->alloc->read_header(s->t, pr->pool, &pr->hdr);
		if (err) {
			pr->error = strdup(err->message);
			hw_cli_warn("%s pool: %s", pr->pool->name, err->message);
			hw_error_destroy(err);
			continue;
		}
		pr->walked = true; /* provisional: the walk itself reports damage as findings */
		ready++;
	}
	return ready;
}

void hw_session_walk(struct hw_session *s, hw_frag_fn fn, struct hw_walk_ctx *ctx)
{
	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		struct hw_error *err;

		if (!pr->walked)
			continue;
		if (ctx)
			ctx->pr = pr;
		err = pr->alloc->walk(s->t, pr->pool, &pr->hdr, fn, ctx, &pr->check, &pr->walk);
		if (err) {
			hw_cli_warn("%s pool: %s", pr->pool->name, err->message);
			pr->walked = false;
			pr->error = hw_error_steal_message(err);
		}
	}
}

int hw_session_exit_code(const struct hw_session *s)
{
	int rc = HW_EXIT_OK;

	for (size_t i = 0; i < s->report.npools; i++) {
		const struct hw_pool_report *pr = &s->report.pools[i];
		if (!pr->walked)
			return HW_EXIT_FATAL;
		if (pr->check.errors)
			rc = HW_EXIT_FINDINGS;
	}
	return rc;
}

void hw_session_close(struct hw_session *s)
{
	for (size_t i = 0; i < s->report.npools; i++)
		hw_pool_report_deinit(&s->report.pools[i]);
	hw_strcache_deinit(&s->report.strings);
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++)
		hw_pool_deinit(&s->pools[k]);
	free(s->debuginfo_problem);
	hw_dwarf_close(s->dw);
	hw_target_destroy(s->t);
	memset(s, 0, sizeof(*s));
}
