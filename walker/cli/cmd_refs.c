/* cmd_refs.c - 'heapwalk refs ADDR' and 'heapwalk leaks': conservative pointer scans. */
#include <string.h>

#include "cli.h"
#include "heapwalk/sbuf.h"
#include "heapwalk/error.h"

int hw_cmd_refs(struct hw_cli *cli)
{
	struct hw_session s;
	struct hw_refs_result res;
	struct hw_error *err;
	uint64_t a;
	int rc;

	if (!hw_parse_addr(cli->operand[0], &a))
		return hw_cli_usage_error(cli, "'%s' is not an address (hex, 0x optional)",
					  cli->operand[0]);
	rc = hw_cli_open(cli, &s, "refs");
	if (rc)
		return rc;
	/* every pool is scanned; --pool chooses where ADDR is looked up */
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++)
		s.pool_sel[k] = !s.pools[k].absent;
	hw_session_prepare_pools(&s);
	err = hw_session_refs(&s, a, &res);
	if (err) {
		hw_cli_warn("%s", err->message);
		hw_error_destroy(err);
		hw_session_close(&s);
		return HW_EXIT_FATAL;
	}
	hw_report_print(&s.report, &res);
	hw_refs_result_deinit(&res);
	hw_session_close(&s);
	return HW_EXIT_OK;
}

int hw_cmd_leaks(struct hw_cli *cli)
{
	struct hw_session s;
	struct hw_leaks_result res;
	struct hw_error *err;
	uint64_t top = cli->top_given ? cli->top : hw_report_default_top(cli->format);
	int rc = hw_cli_open(cli, &s, "leaks");

	if (rc)
		return rc;
	hw_session_prepare_pools(&s);
	err = hw_session_leaks(&s, cli->sort_given ? cli->sort : HW_ORDER_BYTES, top, &res);
	if (err)
		rc = hw_cli_fail(err);
	else {
		hw_report_print(&s.report, &res);
		rc = hw_cli_exit_code(&s) == HW_EXIT_FATAL ? HW_EXIT_FATAL : HW_EXIT_OK;
	}
	hw_leaks_result_deinit(&res);
	hw_session_close(&s);
	return rc;
}
