/* probe.c - the limit probe: step a heap's fragment headers by their size field, nothing else. */
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * The speed of light for a heap walk on this machine: map the core, find
 * the PT_LOAD holding the heap, and step from fragment to fragment by the
 * size field alone; no range checks, no aggregation, no output but the
 * count. A fragment is HDR_SIZE + size + END_SIZE bytes (size masked with
 * SIZE_MASK: TLSF keeps flags in the low bits).
 *
 * "stream" (the limit the bench compares against) prefetches the lines
 * ahead of the walk, as a memory-bound loop should; "chase" is the naive
 * loop, one dependent load per fragment, for reference. Trusts its input:
 * a bench tool, never pointed at a core from elsewhere.
 */
#define AHEAD 1024

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t start, end, hs, es, off = 0, mask = ~(uint64_t)0, n = 0;
	const char *mode = argc > 6 ? argv[6] : "stream";
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph;
	const uint8_t *map, *p, *stop;
	struct stat st;
	double t0 = now(), t1;
	int fd, i;

	if (argc < 6 || (strcmp(mode, "stream") && strcmp(mode, "chase"))) {
		fprintf(stderr,
			"usage: %s CORE START END HDR_SIZE END_SIZE [stream|chase [SIZE_OFFSET "
			"[SIZE_MASK]]]\n",
			argv[0]);
		return 64;
	}
	start = strtoull(argv[2], NULL, 0);
	end = strtoull(argv[3], NULL, 0);
	hs = strtoull(argv[4], NULL, 0);
	es = strtoull(argv[5], NULL, 0);
	if (argc > 7)
		off = strtoull(argv[7], NULL, 0);
	if (argc > 8)
		mask = strtoull(argv[8], NULL, 0);
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
		return 2;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	eh = (const Elf64_Ehdr *)map;
	ph = (const Elf64_Phdr *)(map + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++, ph++)
		if (ph->p_type == PT_LOAD && ph->p_vaddr <= start &&
		    end <= ph->p_vaddr + ph->p_filesz)
			break;
	if (i == eh->e_phnum) {
		fprintf(stderr, "no PT_LOAD holds [0x%" PRIx64 ", 0x%" PRIx64 ")\n", start, end);
		return 2;
	}
	p = map + ph->p_offset + (start - ph->p_vaddr);
	stop = p + (end - start);
	if (!strcmp(mode, "chase")) {
		while (p < stop) {
			uint64_t size;
			memcpy(&size, p + off, 8);
			p += hs + (size & mask) + es;
			n++;
		}
	} else {
		const uint8_t *pf = p;

		while (p < stop) {
			uint64_t size;
			memcpy(&size, p + off, 8);
			p += hs + (size & mask) + es;
			n++;
			for (; pf < p + AHEAD; pf += 64)
				__builtin_prefetch(pf);
		}
	}
	t1 = now();
	printf("{\"frags\": %" PRIu64 ", \"seconds\": %.6f, \"mode\": \"%s\"}\n", n, t1 - t0, mode);
	return 0;
}
