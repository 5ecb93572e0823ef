/* cmd_layout.c - 'heapwalk layout': each pool's layout as text, JSON or gdb commands. */
#include <string.h>

#include "cli.h"
#include "heapwalk/target.h"

int hw_cmd_layout(struct hw_cli *cli)
{
	struct hw_session s;
	struct hw_layout_view v = {
	    .format = cli->format, .out = stdout, .version = HEAPWALK_VERSION};
	int rc = hw_cli_open(cli, &s, "layout");

	if (rc)
		return rc;
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		const struct hw_pool *p = &s.pools[k];
		if (!cli->pool_sel[k] || hw_pool_has_layout(p) || p->system_alloc || p->absent)
			continue;
		hw_cli_warn("%s pool: %s", p->name, p->problem ? p->problem : "unknown manager");
		rc = HW_EXIT_FATAL;
	}
	v.pools = s.pools;
	memcpy(v.pool_sel, cli->pool_sel, sizeof(v.pool_sel));
	v.core = s.t->source_path;
	v.exe = s.t->exe_path;
	hw_fmt_layout(&v);
	hw_session_close(&s);
	return rc;
}
