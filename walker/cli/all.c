/* all.c - --all: a command over every process of the instance, as its table entry says. */
#include "cli.h"
#include "heapwalk/multi.h"

int hw_run_all(struct hw_cli *cli)
{
	const struct hw_command *c = cli->cmd;
	struct hw_inst in;
	int rc;

	if (!c->walk_all)
		return c->run(cli); /* the live commands handle --all themselves */
	if ((rc = hw_cli_inst_open(cli, &in, c->name, INST_ALL | INST_IN_PLACE * c->all_model)))
		return rc;
	for (size_t i = 0; i < in.n; i++) {
		struct hw_inst_proc *p = &in.p[i];
		if (!hw_inst_proc_ready(&in, i))
			continue;
		hw_session_prepare_pools(&p->s);
		if (!c->walk_all(cli, p, i)) {
			hw_inst_close(&in);
			return HW_EXIT_FATAL;
		}
	}
	if (!hw_inst_release(&in))
		rc = HW_EXIT_FATAL;
	else if (c->all_model) {
		hw_inst_model(&in, c->name, cli->format, cli->request);
		hw_fmt_multi(&in.m);
	}
	rc = rc ? rc : hw_inst_exit_code(&in);
	hw_inst_close(&in);
	return rc;
}
