/* cmd_check.c - 'heapwalk check': every integrity check of every pool, walking past damage. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapwalk/error.h"

int hw_cmd_check(struct hw_cli *cli)
{
	struct hw_session s;
	struct hw_check_pool cp[HW_POOL_KIND_COUNT];
	size_t ncp = 0;
	int rc = hw_cli_open(cli, &s, "check");

	if (rc)
		return rc;
	memset(cp, 0, sizeof(cp));
	hw_session_prepare_pools(&s);
	for (size_t i = 0; i < s.report.npools; i++) {
		struct hw_pool_report *pr = &s.report.pools[i];
		struct hw_error *err;

		cp[ncp].pr = pr;
		ncp++;
		if (!pr->walked)
			continue;
		err = hw_session_check_pool(&s, &cp[ncp - 1]);
		if (err) {
			hw_cli_warn("%s pool: %s", pr->pool->name, err->message);
			pr->walked = false;
			pr->error = hw_error_steal_message(err);
		}
	}
	hw_report_print(&s.report, &(struct hw_check_result){cp, ncp});
	rc = hw_cli_exit_code(&s);
	for (size_t i = 0; i < ncp; i++) {
		free(cp[i].where);
		free(cp[i].gaps);
	}
	hw_session_close(&s);
	return rc;
}
