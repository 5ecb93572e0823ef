/* stream.c - the streaming limit: read a whole file from the page cache in big chunks. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * The other limit of a walk over a core: the time to get its bytes into
 * this process at all. A fresh process read(2)s the whole file into one
 * reused buffer, CHUNK bytes at a time, and touches nothing else: no
 * mapping, so no page faults on the core's pages, only the copy out of
 * the page cache. A walker that maps the core pays a fault per page (or
 * per huge page) instead; one that reads in chunks pays this.
 */
#define CHUNK (8u << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t chunk = CHUNK;
	uint64_t total = 0, sum = 0;
	double t0 = now(), t1;
	unsigned char *buf;
	ssize_t n;
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s FILE [CHUNK_MIB]\n", argv[0]);
		return 64;
	}
	if (argc == 3) {
		long mib = strtol(argv[2], NULL, 10);

		if (mib < 1 || mib > 1024) {
			fprintf(stderr, "%s: chunk %s MiB: 1 to 1024\n", argv[0], argv[2]);
			return 64;
		}
		chunk = (size_t)mib << 20;
	}
	/* page-aligned, as a reader of a core would use: copy_to_user into an
	 * unaligned buffer runs several times slower */
	buf = aligned_alloc(4096, chunk);
	fd = open(argv[1], O_RDONLY);
	if (!buf || fd < 0) {
		perror(argv[1]);
		return 2;
	}
	while ((n = read(fd, buf, chunk)) > 0) {
		total += (uint64_t)n;
		/* one byte per chunk, so that the reads cannot be dropped */
		sum += buf[0];
	}
	if (n < 0) {
		perror("read");
		return 2;
	}
	t1 = now();
	printf("{\"bytes\": %" PRIu64 ", \"seconds\": %.6f, \"chunk\": %zu, \"check\": %" PRIu64
	       "}\n",
	       total, t1 - t0, chunk, sum);
	free(buf);
	close(fd);
	return 0;
}
