/* core_helper.c - a process with known memory contents, for the core-file tests. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fx_selfcore.h"

#define HEAP_SIZE 16384

/* A pointer (in .data) to a literal in .rodata, which cores do not save. */
const char *hw_helper_str = "heapwalk rodata marker: the quick brown fox jumps over the lazy dog";
/* A pointer to a heap buffer filled with a known pattern. */
unsigned char *hw_helper_heap;
uint32_t hw_helper_magic = 0xfeedc0deu;

/*
 * Prints "pid &hw_helper_heap hw_helper_heap &hw_helper_str hw_helper_str"
 * and waits to be killed. With "abort", dumps core through the kernel instead;
 * with "selfcore PATH", first writes a core of itself to PATH (fx_selfcore.c:
 * for a run under qemu-user, where gcore cannot attach).
 */
int main(int argc, char **argv)
{
	hw_helper_heap = malloc(HEAP_SIZE);
	if (!hw_helper_heap)
		return 1;
	for (size_t i = 0; i < HEAP_SIZE; i++)
		hw_helper_heap[i] = (unsigned char)(i * 7 + 3);
#ifdef PR_SET_PTRACER
	/* Let gcore, a sibling, attach under Yama's ptrace_scope 1. */
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
#endif
	if (argc > 2 && strcmp(argv[1], "selfcore") == 0 &&
	    fx_self_core(argv[2], argc, argv) != 0) {
		perror(argv[2]);
		return 1;
	}
	printf("%ld %p %p %p %p\n", (long)getpid(), (void *)&hw_helper_heap, (void *)hw_helper_heap,
	       (void *)&hw_helper_str, (void *)hw_helper_str);
	fflush(stdout);
	if (argc > 1 && strcmp(argv[1], "abort") == 0) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_CORE, &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_CORE, &rl);
		}
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		signal(SIGABRT, SIG_DFL);
		abort();
	}
	/* Never outlive a test that forgot us. */
	alarm(120);
	for (;;)
		pause();
}
