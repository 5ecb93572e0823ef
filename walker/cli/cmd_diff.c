/* cmd_diff.c - 'heapwalk diff A B': which allocation sites grew between two moments. */
#include <string.h>

#include "cli.h"
#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/multi.h"

int hw_cmd_diff(struct hw_cli *cli)
{
	struct hw_diff_side a, b;
	struct hw_diff d;
	struct hw_diff_view v;
	struct hw_error *err;
	int rc;

	hw_diff_side_init(&a);
	hw_diff_side_init(&b);
	if ((rc = hw_diff_load(cli, cli->operand[0], &a)) ||
	    (rc = hw_diff_load(cli, cli->operand[1], &b))) {
		hw_diff_side_deinit(&a);
		hw_diff_side_deinit(&b);
		return rc;
	}
	hw_diff_side_filter(&a, hw_cli_pool_selected, cli);
	hw_diff_side_filter(&b, hw_cli_pool_selected, cli);
	err = hw_diff_compute(&a, &b, &d);
	if (err) {
		hw_cli_warn("%s", err->message);
		hw_error_destroy(err);
		hw_diff_side_deinit(&a);
		hw_diff_side_deinit(&b);
		return HW_EXIT_FATAL;
	}
	memset(&v, 0, sizeof(v));
	v.d = &d;
	v.a_name = cli->operand[0];
	v.b_name = cli->operand[1];
	v.a_time_ns = a.time_ns;
	v.b_time_ns = b.time_ns;
	v.top = cli->top_given ? cli->top : cli->format == HW_FMT_TEXT ? 20 : 0;
	v.format = cli->format;
	v.out = stdout;
	hw_fmt_diff(&v);
	hw_diff_deinit(&d);
	hw_diff_side_deinit(&a);
	hw_diff_side_deinit(&b);
	return HW_EXIT_OK;
}
