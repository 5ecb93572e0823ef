/* cmd_addr.c - 'heapwalk addr ADDR': the fragment holding an address, its state, site and
 * neighbours. */
#include "cli.h"
#include "heapwalk/error.h"
#include "heapwalk/locate.h"
#include "heapwalk/sbuf.h"

int hw_cmd_addr(struct hw_cli *cli)
{
	struct hw_session s;
	struct hw_location loc;
	struct hw_pool_report *in;
	struct hw_error *err;
	char elsewhere[512];
	uint64_t a;
	int rc;

	if (!hw_parse_addr(cli->operand[0], &a))
		return hw_cli_usage_error(cli, "'%s' is not an address (hex, 0x optional)",
					  cli->operand[0]);
	rc = hw_cli_open(cli, &s, "addr");
	if (rc)
		return rc;
	hw_session_prepare_pools(&s);
	if ((err = hw_session_locate(&s, a, &loc, true, &in))) {
		hw_session_close(&s);
		return hw_cli_fail(err);
	}
	hw_session_explain(&s, in, &loc);
	hw_session_elsewhere(&s, a, elsewhere, sizeof(elsewhere));
	hw_report_print(&s.report, &(struct hw_addr_result){in, &loc, in ? NULL : elsewhere});
	/* an answer either way; only a pool that could not be read is fatal */
	rc = in ? HW_EXIT_OK : hw_cli_exit_code(&s) == HW_EXIT_FATAL ? HW_EXIT_FATAL : HW_EXIT_OK;
	hw_session_close(&s);
	return rc;
}
