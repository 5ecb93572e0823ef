/* cmd_info.c - 'heapwalk info': what the target is and how heapwalk reads it. */
#include "cli.h"

int hw_cmd_info(struct hw_cli *cli)
{
	struct hw_session s;
	int rc = hw_cli_open(cli, &s, "info");

	if (rc)
		return rc;
	hw_session_prepare_pools(&s);
	/* A complete walk is cheap and tells whether the layout really fits. */
	hw_session_walk(&s, NULL, NULL);
	hw_report_print(&s.report, NULL);
	rc = hw_cli_exit_code(&s);
	hw_session_close(&s);
	return rc;
}

bool hw_cmd_info_all(struct hw_cli *cli, struct hw_inst_proc *p, size_t i)
{
	(void)cli;
	(void)i;
	hw_session_walk(&p->s, NULL, NULL);
	return true;
}
