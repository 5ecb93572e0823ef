/*
 * seed_ranges.c - a DWARF seed as gcc 12 writes it for optimised code: the
 * managers' structs (seed_layouts.c) plus functions whose code is split
 * (hot/cold, main in .text.startup) and inlined, so that -O2 -gdwarf-5
 * gives the unit range lists (.debug_rnglists) and location lists
 * (.debug_loclists), as Kamailio's own debug files have.
 */
#include "seed_layouts.c"

static inline unsigned long frag_total(const struct qm_frag *f, int n)
{
	unsigned long sum = 0;

	for (int i = 0; i < n; i++)
		sum += f[i].size + f[i].line;
	return sum;
}

__attribute__((cold, noinline)) unsigned long seed_cold(const struct qm_frag *f, int n)
{
	return frag_total(f, n) * 3;
}

unsigned long seed_hot(const struct qm_frag *f, int n)
{
	if (n > 1000)
		return seed_cold(f, n);
	return frag_total(f, n) + (mem_block ? mem_block->size : 0);
}

int main(int argc, char **argv)
{
	(void)argv;
	return (int)seed_hot(mem_block ? mem_block->first_frag : 0, argc);
}
