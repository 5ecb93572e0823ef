/* cmd_host.c - 'heapwalk host': kernel memory, slab caches and the Kamailio instances on this host.
 */
#include <stdio.h>

#include "cli.h"
#include "heapwalk/error.h"
#include "heapwalk/host.h"

int hw_cmd_host(struct hw_cli *cli)
{
	struct hw_host_opts opts = {
	    .proc_dir = cli->proc_dir,
	    .meminfo = !cli->slab,
	    .slab = cli->slab,
	    .instances = !cli->slab,
	};
	struct hw_host h;
	struct hw_error *err;

	err = hw_host_read(&opts, &h);
	if (err)
		return hw_cli_fail(err);
	/* nothing at all could be read: that is a failure, not a view */
	if (cli->slab ? !h.have_slab : !h.have_meminfo && !h.ninst) {
		for (size_t i = 0; i < h.nnotes; i++)
			hw_cli_warn("%s", h.notes[i]);
		hw_host_deinit(&h);
		return HW_EXIT_FATAL;
	}
	if (cli->slab) {
		hw_slab_sort(&h.slab, cli->slab_sort);
		hw_fmt_host_slab(&h, cli->format, stdout, cli->slab_sort, (size_t)cli->top,
				 cli->color);
	} else {
		hw_fmt_host(&h, cli->format, stdout, cli->color);
	}
	hw_host_deinit(&h);
	return HW_EXIT_OK;
}
