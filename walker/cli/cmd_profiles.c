/* cmd_profiles.c - 'heapwalk profiles': the built-in layouts. */
#include <stdio.h>

#include "cli.h"
#include "heapwalk/layout.h"

int hw_cmd_profiles(struct hw_cli *cli)
{
	struct hw_qm_layout all[64];
	size_t n = hw_qm_profiles(all, 64);

	(void)cli;
	printf("%-28s %-9s %-5s %-5s %7s %7s %6s %10s\n", "name", "era", "debug", "bits", "ROUNDTO",
	       "header", "hash", "first_off");
	for (size_t i = 0; i < n && i < 64; i++) {
		const struct hw_qm_layout *l = &all[i];
		printf("%-28s %-9s %-5s %-5u %7u %3u+%-3u %6u %10u\n", l->name,
		       hw_qm_era_name(l->era), l->debug ? "yes" : "no", l->word * 8, l->roundto,
		       l->frag_size, l->end_size, l->hash_size, l->first_off);
	}
	return HW_EXIT_OK;
}
