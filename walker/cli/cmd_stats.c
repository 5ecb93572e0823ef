/* cmd_stats.c - 'heapwalk stats': heap totals per pool. */
#include "cli.h"
#include "heapwalk/error.h"

int hw_cmd_stats(struct hw_cli *cli)
{
	struct hw_session s;
	int rc = hw_cli_open(cli, &s, "stats");

	if (rc)
		return rc;
	hw_session_prepare_pools(&s);
	/* the lists are checked too (on a second thread, overlapping the walk),
	 * and feed TLSF's free-block matrix */
	hw_session_walk_free_start(&s);
	/* the totals, and the fragmentation figures on the way */
	hw_session_walk_frag(&s);
	s.report.request = cli->request;
	hw_session_walk_free_finish(&s);
	hw_report_print(&s.report, NULL);
	rc = hw_cli_exit_code(&s);
	hw_session_close(&s);
	return rc;
}

bool hw_cmd_stats_all(struct hw_cli *cli, struct hw_inst_proc *p, size_t i)
{
	(void)cli;
	(void)i;
	hw_session_walk_frag(&p->s);
	hw_session_walk_free(&p->s);
	return true;
}
