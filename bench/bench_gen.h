/* bench_gen.h - the bench heap generator's allocation-site table (bench_sites.c is generated). */
#ifndef BENCH_GEN_H
#define BENCH_GEN_H

#include <stddef.h>

#include "fx_mem.h"

/* One allocation site: line @k of function @alloc, and the free site that releases it. */
struct bench_site {
	void *(*alloc)(unsigned int k, size_t size);
	unsigned int k;
	unsigned long min, max; /* request sizes, bytes (log-uniform) */
	unsigned int weight;	/* relative frequency */
	void (*release)(void *p);
};

extern const struct bench_site bench_sites[];
extern const unsigned int bench_nsites;

#endif
