/* measure.c - run a command; report wall time, CPU time and peak anonymous memory as JSON. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Peak anonymous memory is what the Bar limits: a mapped core counts in
 * RSS (ru_maxrss, VmHWM) as file pages, so it is sampled from RssAnon in
 * /proc/PID/status every --interval microseconds while the command runs.
 */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* RssAnon of @pid in KiB, or -1 once it is gone or a zombie. */
static long rss_anon_kib(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);
	char *p;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "RssAnon:");
	return p ? strtol(p + 8, NULL, 10) : -1;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *result = NULL;
	FILE *rf = stderr;
	int pidfd;
	long interval_us = 1000, peak = 0;
	int argi = 1, status;
	char path[64];
	struct rusage ru;
	double t0, t1;
	pid_t pid;

	while (argi < argc && strcmp(argv[argi], "--")) {
		if (!strcmp(argv[argi], "--stdout") && argi + 1 < argc)
			out = argv[++argi];
		else if (!strcmp(argv[argi], "--result") && argi + 1 < argc)
			result = argv[++argi];
		else if (!strcmp(argv[argi], "--interval") && argi + 1 < argc)
			interval_us = atol(argv[++argi]);
		else
			break;
		argi++;
	}
	if (argi >= argc || strcmp(argv[argi], "--") || argi + 1 >= argc || interval_us <= 0) {
		fprintf(stderr,
			"usage: %s [--stdout FILE] [--result FILE] [--interval USEC] -- COMMAND "
			"[ARGS...]\n",
			argv[0]);
		return 64;
	}
	argi++;
	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		if (out) {
			int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0 || dup2(fd, 1) < 0) {
				perror(out);
				_exit(127);
			}
			close(fd);
		}
		execvp(argv[argi], argv + argi);
		perror(argv[argi]);
		_exit(127);
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	/* a pidfd wakes the poll below the moment the child exits */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (;;) {
		struct timespec ts = {0, interval_us * 1000};
		struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
		long kib = rss_anon_kib(path);
		pid_t w;

		if (kib > peak)
			peak = kib;
		w = wait4(pid, &status, WNOHANG, &ru);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			perror("wait4");
			return 2;
		}
		if (pidfd >= 0)
			poll(&pfd, 1, (int)((interval_us + 999) / 1000));
		else
			nanosleep(&ts, NULL);
	}
	t1 = now();
	if (result && !(rf = fopen(result, "w"))) {
		perror(result);
		return 2;
	}
	fprintf(rf,
		"{\"wall_s\": %.6f, \"user_s\": %.6f, \"sys_s\": %.6f, \"maxrss_kib\": %ld, "
		"\"peak_anon_kib\": %ld, \"exit\": %d}\n",
		t1 - t0, (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss, peak,
		WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	if (rf != stderr && fclose(rf)) {
		perror(result);
		return 2;
	}
	return 0;
}
