/* live_helper.c - a process for the snapshot tests: known memory, optionally a forked child. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SHARED_SIZE (1u << 20)
#define SHARED_TOUCHED (64u << 10)
#define PRIV_SIZE (4u << 20)
#define PRIV_TOUCHED (512u << 10)

/* In .data: a global the test finds by address. */
volatile uint64_t helper_marker = 0x1122334455667788ull;

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 12));
}

int main(int argc, char **argv)
{
	int fork_child = argc > 1 && !strcmp(argv[1], "fork");
	uint8_t *shared, *priv;
	pid_t child = 0;
	char buf[16];

	shared = mmap(NULL, SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	priv = mmap(NULL, PRIV_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED || priv == MAP_FAILED)
		return 1;
	/* the test compares dirty-page counts: keep khugepaged from regrouping them */
	madvise(shared, SHARED_SIZE, MADV_NOHUGEPAGE);
	madvise(priv, PRIV_SIZE, MADV_NOHUGEPAGE);
	fill(shared, SHARED_TOUCHED, 0x53);
	fill(priv, PRIV_TOUCHED, 0x50);
	if (fork_child) {
		int done[2];
		if (pipe(done) != 0)
			return 1;
		child = fork();
		if (child < 0)
			return 1;
		if (child == 0) {
			/* The second half of the touched area becomes the child's own. */
			fill(priv + PRIV_TOUCHED / 2, PRIV_TOUCHED / 2, 0x43);
			helper_marker = 0x99;
			if (write(done[1], "x", 1) != 1)
				_exit(1);
			alarm(120);
			pause();
			_exit(0);
		}
		/* the child has written its half: nothing changes from here on */
		if (read(done[0], buf, 1) != 1)
			return 1;
		close(done[0]);
		close(done[1]);
	}
	printf("pid=%d\nchild=%d\nshared=%p\npriv=%p\nmarker=%p\nready\n", (int)getpid(),
	       (int)child, (void *)shared, (void *)priv, (void *)&helper_marker);
	fflush(stdout);
	/* Until the test closes our stdin (bounded by a timeout). */
	alarm(120);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	if (child > 0)
		kill(child, SIGKILL);
	return 0;
}
