/* cmd_profiles.c - 'heapwalk profiles': the built-in layouts of every manager. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapwalk/alloc.h"

#define MAX_PROFILES 64

static void row(const char *name, const char *mgr, const char *era, bool debug, uint32_t word,
		uint32_t roundto, const char *header, uint32_t first)
{
	printf("%-30s %-5s %-9s %-5s %-4u %7u %-9s %9u\n", name, mgr, era, debug ? "yes" : "no",
	       word * 8, roundto, header, first);
}

int hw_cmd_profiles(struct hw_cli *cli)
{
	(void)cli;
	printf("%-30s %-5s %-9s %-5s %-4s %7s %-9s %9s\n", "name", "mgr", "era", "debug", "bits",
	       "ROUNDTO", "header", "first_off");
	for (size_t m = 0; hw_allocators[m]; m++) {
		const struct hw_allocator *a = hw_allocators[m];
		char *all = calloc(MAX_PROFILES, a->layout_size);
		size_t n = all ? a->profiles(all, MAX_PROFILES) : 0;

		if (!all) {
			hw_cli_warn("out of memory");
			return HW_EXIT_FATAL;
		}
		for (size_t i = 0; i < n && i < MAX_PROFILES; i++) {
			const struct hw_layout_head *l = (const void *)(all + i * a->layout_size);
			struct hw_layout_facts f;
			memset(&f, 0, sizeof(f));
			a->describe(l, &f);
			row(l->name, a->key, f.era, f.debug, f.word, f.roundto, f.header, f.first);
		}
		free(all);
	}
	return HW_EXIT_OK;
}
