/* cmd_summary.c - 'heapwalk summary': used memory by allocation site, or grouped (--by). */
#include "cli.h"
#include "heapwalk/error.h"

int hw_cmd_summary(struct hw_cli *cli)
{
	struct hw_session s;
	struct hw_error *err;
	enum hw_site_order order =
	    cli->format == HW_FMT_KAMAILIO && !cli->sort_given ? HW_ORDER_KAMAILIO : cli->sort;
	uint64_t top = cli->format == HW_FMT_TEXT && !cli->top_given ? 30 : cli->top;
	int rc = hw_cli_open(cli, &s, "summary");

	if (rc)
		return rc;
	hw_session_prepare_pools(&s);
	s.by = cli->by;
	err = hw_session_walk_summary(&s, cli->classify);
	if (!err)
		hw_session_resolve_sites(&s, cli->format != HW_FMT_TEXT);
	if (!err)
		err = hw_session_rows(&s, order, top);
	if (err) {
		hw_session_close(&s);
		return hw_cli_fail(err);
	}
	hw_report_print(&s.report, NULL);
	rc = hw_cli_exit_code(&s);
	hw_session_close(&s);
	return rc;
}

bool hw_cmd_summary_all(struct hw_cli *cli, struct hw_inst_proc *p, size_t i)
{
	uint64_t top = cli->top_given ? cli->top : hw_report_default_top(cli->format);
	struct hw_error *err;

	(void)i;
	p->s.by = cli->by;
	if (!hw_session_walk_sites(&p->s))
		return false;
	if ((err = hw_session_rows(&p->s, cli->sort, top)))
		return hw_cli_fail(err) == HW_EXIT_OK; /* false: said why */
	return true;
}
