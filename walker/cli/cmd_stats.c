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
	s.report.request = cli->request;
	/* the totals, the fragmentation figures, and the lists (checked too,
	 * and TLSF's free-block matrix): from the walk's tally, or followed
	 * on a second thread beside it */
	hw_session_walk_stats(&s, true);
	hw_report_print(&s.report, NULL);
	rc = hw_cli_exit_code(&s);
	hw_session_close(&s);
	return rc;
}

bool hw_cmd_stats_all(struct hw_cli *cli, struct hw_inst_proc *p, size_t i)
{
	(void)cli;
	(void)i;
	hw_session_walk_stats(&p->s, false);
	return true;
}
