/*
 * mksnapshots.c - writes the snapshot harness's seed corpus: snapshot
 * files written by heapwalk's own writer (hw_snapshot_write) from core
 * images (mkcores.py's seeds), one process each and several per file.
 *
 * usage: mksnapshots DIR CORE...
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heapwalk/error.h"
#include "heapwalk/snapshot.h"

#define MAX_PROCS 4

static int nseeds;

/* The snapshot of the images @fds (@n of them) into DIR/snap-N; false if the writer refused. */
static int write_seed(const char *dir, const int *fds, size_t n)
{
	struct hw_snapshot_proc procs[MAX_PROCS];
	struct hw_snapshot s = {.procs = procs,
				.nprocs = n,
				.stopped = true,
				.time_ns = 1700000000000000000ull,
				.wall_ns = 1000000};
	struct hw_error *err;
	char path[4096];

	memset(procs, 0, sizeof(procs));
	for (size_t i = 0; i < n; i++) {
		procs[i].pid = 4242 + (int)i;
		procs[i].ppid = i ? 4242 : 1;
		procs[i].fd = fds[i];
	}
	snprintf(path, sizeof(path), "%s/snap-%d", dir, nseeds);
	err = hw_snapshot_write(&s, path, NULL);
	if (err) {
		hw_error_destroy(err);
		return 0;
	}
	nseeds++;
	return 1;
}

int main(int argc, char **argv)
{
	int fds[64];
	size_t n = 0, ok = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: mksnapshots DIR CORE...\n");
		return 64;
	}
	for (int i = 2; i < argc && n < 64; i++) {
		int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror(argv[i]);
			return 1;
		}
		fds[n] = fd;
		/* the cores the writer takes (truncated ones it refuses) */
		if (write_seed(argv[1], &fds[n], 1))
			fds[ok++] = fds[n];
		else
			close(fd);
		n = ok;
	}
	/* several processes per file: runs of consecutive images, of the same ELF class or not */
	for (size_t k = 2; k <= MAX_PROCS; k++)
		for (size_t i = 0; i + k <= ok; i += k - 1)
			write_seed(argv[1], &fds[i], k);
	for (size_t i = 0; i < ok; i++)
		close(fds[i]);
	if (!nseeds) {
		fprintf(stderr, "mksnapshots: the writer took none of the cores\n");
		return 1;
	}
	printf("%d snapshot seeds\n", nseeds);
	return 0;
}
