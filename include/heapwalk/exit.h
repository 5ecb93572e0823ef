/* exit.h - heapwalk's exit codes: one scheme for every command. */
#ifndef HEAPWALK_EXIT_H
#define HEAPWALK_EXIT_H

/*
 * README "Exit codes" and the table the CLI documents them from (cli/doc.c).
 * Where several apply, the most urgent wins: hw_exit_worse.
 */
enum hw_exit {
	HW_EXIT_OK = 0,
	HW_EXIT_FINDINGS = 1,	/* heap damage */
	HW_EXIT_FATAL = 2,	/* could not walk */
	HW_EXIT_LEAK = 3,	/* leak suspect (diagnose, watch, report) */
	HW_EXIT_EXHAUSTED = 4,	/* pool exhausted or too small (diagnose, report) */
	HW_EXIT_FRAGMENTED = 5, /* fragmentation (diagnose, report) */
	HW_EXIT_USAGE = 64,
};

/* The more urgent of two exit codes: 64, 2, then 1, 3, 4, 5, 0. */
int hw_exit_worse(int a, int b);

#endif
