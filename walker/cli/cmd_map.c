/* cmd_map.c - 'heapwalk map': the heap as a picture (SVG). */
#include "cli.h"

int hw_cmd_map(struct hw_cli *cli)
{
	return hw_cli_page(cli, false);
}
