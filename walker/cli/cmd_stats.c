/* cmd_stats.c - 'heapwalk stats': heap totals per pool. */
#include "cli.h"
#include "heapwalk/error.h"

int hw_cmd_stats(struct hw_cli *cli)
{
	struct hw_session s;
	int rc = hw_session_open(cli, &s, "stats");

	if (rc)
		return rc;
	hw_session_prepare_pools(cli, &s);
	hw_session_walk(&s, NULL, NULL);
	hw_fmt_stats(&s.report);
	rc = hw_session_exit_code(&s);
	hw_session_close(&s);
	return rc;
}
