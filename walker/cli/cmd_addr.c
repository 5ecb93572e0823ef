/* cmd_addr.c - 'heapwalk addr ADDR': the fragment holding an address, its state, site and
 * neighbours. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapwalk/error.h"
#include "heapwalk/locate.h"
#include "heapwalk/mem.h"
#include "heapwalk/target.h"

bool hw_cli_parse_addr(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	/* addresses are hex, with or without 0x */
	v = strtoull(s, &end, 16);
	if (errno || *end || end == s)
		return false;
	*ret = v;
	return true;
}

/* What holds @a when no pool does: a mapped file, or memory the core saved. */
static void describe_elsewhere(const struct hw_target *t, uint64_t a, char *buf, size_t cap)
{
	const struct hw_mapping *m = hw_target_mapping_at(t, a);

	if (m)
		snprintf(buf, cap, "in %s (mapped file, offset 0x%" PRIx64 ")", m->path,
			 a - m->start + m->file_offset);
	else if (hw_mem_peek(t->mem, a, 1))
		snprintf(buf, cap, "in memory the core saved, outside the pools");
	else
		snprintf(buf, cap, "not in the core's memory");
}

int hw_cmd_addr(struct hw_cli *cli)
{
	struct hw_session s;
	struct hw_location loc;
	const struct hw_pool_report *in = NULL;
	char elsewhere[512];
	uint64_t a;
	int rc;

	if (!hw_cli_parse_addr(cli->operand[0], &a))
		return hw_cli_usage_error(cli, "'%s' is not an address (hex, 0x optional)",
					  cli->operand[0]);
	rc = hw_cli_open(cli, &s, "addr");
	if (rc)
		return rc;
	memset(&loc, 0, sizeof(loc));
	loc.addr = a;
	hw_session_prepare_pools(&s);
	for (size_t i = 0; i < s.report.npools && !in; i++) {
		struct hw_pool_report *pr = &s.report.pools[i];
		struct hw_error *err;

		if (!pr->walked || a < pr->hdr.block || a >= hw_pool_heap_end(pr->pool, &pr->hdr))
			continue;
		err = hw_locate(s.t, pr->pool, &pr->hdr, &loc, 1, &pr->check);
		if (err) {
			hw_cli_warn("%s pool: %s", pr->pool->name, err->message);
			hw_error_destroy(err);
			hw_session_close(&s);
			return HW_EXIT_FATAL;
		}
		in = pr;
	}
	describe_elsewhere(s.t, a, elsewhere, sizeof(elsewhere));
	hw_report_print(&s.report, &(struct hw_addr_result){in, &loc, in ? NULL : elsewhere});
	/* an answer either way; only a pool that could not be read is fatal */
	rc = in ? HW_EXIT_OK : hw_cli_exit_code(&s) == HW_EXIT_FATAL ? HW_EXIT_FATAL : HW_EXIT_OK;
	hw_session_close(&s);
	return rc;
}
