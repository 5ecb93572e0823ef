/*
 * test_attach.c - a process that exits before heapwalk can stop it is
 * reported as exited, not as a permission problem.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heapwalk/error.h"
#include "heapwalk/snapshot.h"

/* Is @pid a zombie yet? */
static bool is_zombie(pid_t pid)
{
	char path[64], buf[512];
	bool z = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return false;
	if (fgets(buf, sizeof(buf), f)) {
		char *p = strrchr(buf, ')');
		z = p && p[1] == ' ' && p[2] == 'Z';
	}
	fclose(f);
	return z;
}

/*
 * The error of a snapshot of @pid, which has exited: ESRCH, never a
 * permission problem; true if it says "process N exited" (the kernel's
 * EPERM for a process it is reaping, told apart).
 */
static bool expect_exited(pid_t pid, struct hw_error *err)
{
	char want[64];

	assert_non_null(err);
	if (err->errnum != ESRCH || strstr(err->message, "not permitted"))
		fail_msg("pid %d exited, but: %s", (int)pid, err->message);
	assert_null(strchr(err->message, '\n'));
	snprintf(want, sizeof(want), "process %d exited", (int)pid);
	return strstr(err->message, want) != NULL;
}

/* A child that has exited and is not reaped yet (the kernel refuses to trace it with EPERM). */
static void test_zombie(void **state)
{
	struct hw_snapshot *s = NULL;
	pid_t pid = fork();
	int st;

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	for (int i = 0; i < 5000 && !is_zombie(pid); i++)
		usleep(1000);
	assert_true(is_zombie(pid));
	struct hw_error *err = hw_snapshot_take(&pid, 1, NULL, &s);
	(void)expect_exited(pid, err);
	hw_error_destroy(err);
	assert_int_equal(waitpid(pid, &st, 0), pid);
}

/*
 * Children that exit while the snapshot attaches, after delays that sweep
 * the attach: whatever step meets the exit, the error says it exited.
 */
static void test_exit_during_attach(void **state)
{
	unsigned exits = 0, while_stopping = 0;

	(void)state;
	for (unsigned i = 0; i < 120; i++) {
		struct hw_snapshot *s = NULL;
		struct hw_error *err;
		char script[64], c;
		int ready[2], st;
		pid_t pid;

		/* a plain shell that counts to a varying number, not a copy of this
		 * (maybe sanitised) test; taken once it runs the shell (the pipe closes) */
		snprintf(script, sizeof(script), "i=0; while [ $i -lt %u ]; do i=$((i+1)); done",
			 (i % 50) * 20);
		assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", script, (char *)NULL);
			_exit(127);
		}
		close(ready[1]);
		while (read(ready[0], &c, 1) < 0 && errno == EINTR)
			;
		close(ready[0]);
		err = hw_snapshot_take(&pid, 1, NULL, &s);
		if (err) {
			while_stopping += expect_exited(pid, err);
			hw_error_destroy(err);
			exits++;
		} else {
			hw_snapshot_destroy(s);
		}
		/* the snapshot's own waits for its tracee may have reaped it */
		assert_true(waitpid(pid, &st, 0) == pid || errno == ECHILD);
	}
	print_message("%u of 120 exited before the snapshot held them, %u while being stopped\n",
		      exits, while_stopping);
}

/* Can this process trace its children at all (kernel.yama.ptrace_scope, containers)? */
static bool ptrace_permitted(void)
{
	pid_t pid = fork();
	bool ok;
	int st;

	if (pid < 0)
		return false;
	if (pid == 0) {
		pause();
		_exit(0);
	}
	ok = ptrace(PTRACE_SEIZE, pid, NULL, NULL) == 0;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return ok;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_zombie),
	    cmocka_unit_test(test_exit_during_attach),
	};

	/* where ptrace is not permitted at all, EPERM is the truth: skip */
	if (!ptrace_permitted())
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
