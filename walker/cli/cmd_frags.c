/* cmd_frags.c - 'heapwalk frags': the fragment list, streamed, with filters. */
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "heapwalk/error.h"

struct frags_ctx {
	struct hw_walk_ctx base;
	struct hw_frag_filter flt;
};

static int emit(void *arg, const struct hw_frag *f)
{
	struct frags_ctx *c = arg;
	struct hw_session *s = c->base.s;
	int m = hw_frag_filter_match(&c->flt, c->base.pr->pool, &s->report.strings, f);

	if (m <= 0)
		return m < 0;
	if (s->report.hexdump || s->report.show_strings || s->report.backtrace)
		hw_session_frag_content(s, c->base.pr, f);
	hw_fmt_frag(&s->report, c->base.pr, f);
	return 0;
}

void hw_frags_list(const struct hw_cli *cli, struct hw_session *s, bool buckets)
{
	struct frags_ctx ctx = {
	    .base = {.s = s},
	    .flt = {.from = cli->from,
		    .to = cli->to,
		    .min_size = cli->min_size,
		    .used_only = cli->used_only,
		    .free_only = cli->free_only,
		    .site = cli->site},
	};

	s->report.used_only = cli->used_only;
	s->report.hexdump = cli->hexdump;
	s->report.show_strings = cli->strings;
	s->report.backtrace = cli->backtrace;
	hw_fmt_frags_begin(&s->report);
	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		struct hw_error *err;

		hw_fmt_frags_pool_begin(&s->report, pr);
		if (pr->walked) {
			ctx.base.pr = pr;
			err = hw_session_walk_pool(s, pr, emit, &ctx);
			if (!err && buckets)
				err = hw_session_walk_free_pool(s, pr);
			if (err) {
				hw_cli_warn("%s pool: %s", pr->pool->name, err->message);
				pr->walked = false;
				pr->error = hw_error_steal_message(err);
			}
		}
		hw_fmt_frags_pool_end(&s->report, pr);
	}
	hw_fmt_frags_end(&s->report);
}

int hw_cmd_frags(struct hw_cli *cli)
{
	struct hw_session s;
	int rc = hw_cli_open(cli, &s, "frags");

	if (rc)
		return rc;
	hw_session_prepare_pools(&s);
	/* fragments stream to stdout: no progress line in between on the terminal */
	s.no_progress = isatty(STDOUT_FILENO);
	hw_frags_list(cli, &s, true);
	rc = hw_cli_exit_code(&s);
	hw_session_close(&s);
	return rc;
}

bool hw_cmd_frags_all(struct hw_cli *cli, struct hw_inst_proc *p, size_t i)
{
	printf("%s== pid %d%s%s ==\n", i ? "\n" : "", p->pid, p->desc[0] ? ": " : "", p->desc);
	p->s.no_progress = true;
	hw_frags_list(cli, &p->s, false);
	return true;
}
