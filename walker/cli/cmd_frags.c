/* cmd_frags.c - 'heapwalk frags': the fragment list, streamed, with filters. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "heapwalk/error.h"

struct frags_ctx {
	struct hw_walk_ctx base;
	const struct hw_cli *cli;
	struct hw_report *r;
};

static int emit(void *arg, const struct hw_frag *f)
{
	struct frags_ctx *c = arg;
	const struct hw_cli *cli = c->cli;

	if (f->index < cli->from)
		return 0;
	if (f->index > cli->to)
		return 1; /* indices only grow: nothing more to show */
	if ((cli->used_only && !f->used) || (cli->free_only && f->used))
		return 0;
	if (f->size < cli->min_size)
		return 0;
	if (cli->site) {
		if (!hw_pool_debug(c->base.pr->pool))
			return 0;
		if (!strstr(hw_strcache_get(&c->r->strings, f->file), cli->site) &&
		    !strstr(hw_strcache_get(&c->r->strings, f->func), cli->site))
			return 0;
	}
	hw_fmt_frag(c->r, c->base.pr, f);
	return 0;
}

static int add_bucket(void *arg, const struct hw_free_bucket *b)
{
	struct hw_pool_report *pr = arg;

	/* Each list is reported once, so the array is bounded by the manager's list count. */
	if (pr->nbuckets == pr->bucket_cap) {
		size_t cap = pr->bucket_cap ? pr->bucket_cap * 2 : 64;
		struct hw_free_bucket *nb = realloc(pr->buckets, cap * sizeof(*nb));
		if (!nb)
			return 1;
		pr->buckets = nb;
		pr->bucket_cap = cap;
	}
	pr->buckets[pr->nbuckets++] = *b;
	return 0;
}

int hw_cmd_frags(struct hw_cli *cli)
{
	struct hw_session s;
	struct frags_ctx ctx = {.cli = cli};
	int rc = hw_cli_open(cli, &s, "frags");

	if (rc)
		return rc;
	ctx.base.s = &s;
	ctx.r = &s.report;
	s.report.used_only = cli->used_only;
	s.report.hexdump = cli->hexdump;
	s.report.show_strings = cli->strings;
	hw_session_prepare_pools(&s);
	/* fragments stream to stdout: no progress line in between on the terminal */
	s.no_progress = isatty(STDOUT_FILENO);
	hw_fmt_frags_begin(&s.report);
	for (size_t i = 0; i < s.report.npools; i++) {
		struct hw_pool_report *pr = &s.report.pools[i];
		struct hw_error *err;

		hw_fmt_frags_pool_begin(&s.report, pr);
		if (pr->walked) {
			ctx.base.pr = pr;
			err = hw_session_walk_pool(&s, pr, emit, &ctx);
			if (!err)
				err = pr->alloc->walk_free(s.t, pr->pool, &pr->hdr, add_bucket, pr,
							   &pr->check);
			if (err) {
				hw_cli_warn("%s pool: %s", pr->pool->name, err->message);
				pr->walked = false;
				pr->error = hw_error_steal_message(err);
			}
		}
		hw_fmt_frags_pool_end(&s.report, pr);
	}
	hw_fmt_frags_end(&s.report);
	rc = hw_cli_exit_code(&s);
	hw_session_close(&s);
	return rc;
}
