/* test_snapshot.c - snapshots of real processes: contents, COW left intact, release, snapshot
 * files. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/snapshot.h"
#include "heapwalk/target.h"

#define SHARED_TOUCHED (64u << 10)
#define PRIV_TOUCHED (512u << 10)

static const char *helper_path;

struct helper {
	pid_t pid, child;
	uint64_t shared, priv, marker;
	int to_helper; /* its stdin */
};

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 12));
}

static void start(struct helper *h, bool fork_child)
{
	int in[2], out[2];
	char line[128];
	FILE *f;

	memset(h, 0, sizeof(*h));
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	h->pid = fork();
	assert_true(h->pid >= 0);
	if (h->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(helper_path, helper_path, fork_child ? "fork" : "plain", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	h->to_helper = in[1];
	f = fdopen(out[0], "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;
		if (!strcmp(line, "ready\n"))
			break;
		if (sscanf(line, "child=%llu", &v) == 1)
			h->child = (pid_t)v;
		else if (sscanf(line, "shared=%llx", &v) == 1)
			h->shared = v;
		else if (sscanf(line, "priv=%llx", &v) == 1)
			h->priv = v;
		else if (sscanf(line, "marker=%llx", &v) == 1)
			h->marker = v;
	}
	fclose(f);
	assert_true(h->priv && h->shared && h->marker);
	assert_true(!fork_child || h->child > 0);
}

static void stop_helper(struct helper *h)
{
	int st;

	close(h->to_helper);
	waitpid(h->pid, &st, 0);
}

/* A field of /proc/PID/status, or -1. */
static long status_field(pid_t pid, const char *name)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)) && line[strlen(name)] == ':')
			v = strtol(line + strlen(name) + 1, NULL, 10);
	fclose(f);
	return v;
}

static char state_of(pid_t pid)
{
	char path[64], line[256], st = '?';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "State:", 6))
			sscanf(line + 6, " %c", &st);
	fclose(f);
	return st;
}

/* Shared_Dirty + Private_Dirty of the mapping at @addr, in kB, as /proc/PID/smaps says. */
static void dirty_of(pid_t pid, uint64_t addr, long *shared, long *priv)
{
	char path[64], line[512];
	bool in = false;
	FILE *f;

	*shared = *priv = -1;
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b;
		if (sscanf(line, "%llx-%llx ", &a, &b) == 2) {
			in = a == addr;
			continue;
		}
		if (in && !strncmp(line, "Shared_Dirty:", 13))
			*shared = strtol(line + 13, NULL, 10);
		if (in && !strncmp(line, "Private_Dirty:", 14))
			*priv = strtol(line + 14, NULL, 10);
	}
	fclose(f);
}

/*
 * Both processes' dirty counts of the private area once they hold still
 * (two readings 20 ms apart agree, at most 2 s): the child rewrites its
 * half after "ready", and the kernel may still be settling its pages.
 */
static void settled_dirty(const struct helper *h, long *sd0, long *pd0, long *sd1, long *pd1)
{
	long a[4], b[4] = {-1, -1, -1, -1};

	for (int i = 0; i < 100; i++) {
		dirty_of(h->pid, h->priv, &a[0], &a[1]);
		dirty_of(h->child, h->priv, &a[2], &a[3]);
		if (!memcmp(a, b, sizeof(a)))
			break;
		memcpy(b, a, sizeof(a));
		usleep(20000);
	}
	*sd0 = a[0];
	*pd0 = a[1];
	*sd1 = a[2];
	*pd1 = a[3];
}

/* Skip when this machine forbids tracing (seccomp, yama 3, containers). */
static bool can_trace(pid_t pid)
{
	int st;

	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) != 0)
		return false;
	ptrace(PTRACE_INTERRUPT, pid, NULL, NULL);
	waitpid(pid, &st, __WALL);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return true;
}

static void check_bytes(struct hw_target *t, uint64_t addr, size_t len, uint8_t seed)
{
	uint8_t *want = malloc(len), *got = malloc(len);

	assert_non_null(want);
	assert_non_null(got);
	fill(want, len, seed);
	assert_null(hw_mem_read(t->mem, got, addr, len));
	assert_memory_equal(got, want, len);
	free(want);
	free(got);
}

static void check_zero(struct hw_target *t, uint64_t addr, size_t len)
{
	uint8_t *got = malloc(len);

	assert_non_null(got);
	assert_null(hw_mem_read(t->mem, got, addr, len));
	for (size_t i = 0; i < len; i++)
		assert_int_equal(got[i], 0);
	free(got);
}

/* The helper and its child as two images: contents and where shm went. */
static void check_pair(const struct hw_snapshot *s, const struct helper *h)
{
	struct hw_target *t0, *t1;
	uint64_t v;
	uint8_t b;
	struct hw_error *err;

	assert_int_equal(s->nprocs, 2);
	assert_int_equal(s->procs[0].pid, h->pid);
	assert_int_equal(s->procs[1].pid, h->child);
	assert_null(hw_snapshot_open(s, 0, NULL, &t0));
	assert_null(hw_snapshot_open(s, 1, NULL, &t1));
	assert_int_equal(t0->pid, h->pid);
	assert_int_equal(t1->pid, h->child);
	/* private memory: the parent's, and the child's half that it rewrote */
	check_bytes(t0, h->priv, PRIV_TOUCHED, 0x50);
	check_bytes(t1, h->priv, PRIV_TOUCHED / 2, 0x50);
	check_bytes(t1, h->priv + PRIV_TOUCHED / 2, PRIV_TOUCHED / 2, 0x43);
	check_zero(t0, h->priv + PRIV_TOUCHED, 4096);
	assert_null(hw_target_read_u64(t0, h->marker, &v));
	assert_true(v == 0x1122334455667788ull);
	assert_null(hw_target_read_u64(t1, h->marker, &v));
	assert_true(v == 0x99);
	/* the shared mapping: saved once, in the first image */
	check_bytes(t0, h->shared, SHARED_TOUCHED, 0x53);
	check_zero(t0, h->shared + SHARED_TOUCHED, 4096);
	err = hw_mem_read(t1->mem, &b, h->shared, 1);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_FAULT);
	assert_non_null(strstr(err->message, "not saved"));
	hw_error_destroy(err);
	hw_target_destroy(t0);
	hw_target_destroy(t1);
}

/* The helper and its child, both traceable (else the test is skipped), into @pids. */
static void start_pair(struct helper *h, int pids[2])
{
	start(h, true);
	if (!can_trace(h->pid)) {
		stop_helper(h);
		skip();
	}
	pids[0] = h->pid;
	pids[1] = h->child;
}

/* Write @s to a new file named from the template @file (*@bytes: its size). */
static void write_snapshot(const struct hw_snapshot *s, char *file, uint64_t *bytes)
{
	int fd = mkstemp(file);

	assert_true(fd >= 0);
	close(fd);
	assert_null(hw_snapshot_write(s, file, bytes));
}

static void test_take_pair(void **state)
{
	struct helper h;
	struct hw_snapshot *s;
	struct hw_snapshot_opts o = {0};
	int pids[2];
	long sd0, pd0, sd1, pd1, sd0b, pd0b, sd1b, pd1b;
	char file[] = "/tmp/test-snapshot-XXXXXX";
	uint64_t bytes;

	(void)state;
	start_pair(&h, pids);
	settled_dirty(&h, &sd0, &pd0, &sd1, &pd1);
	assert_null(hw_snapshot_take(pids, 2, &o, &s));
	assert_true(s->stopped && s->live);
	for (size_t i = 0; i < 2; i++) {
		assert_true(s->procs[i].stopped);
		assert_false(s->procs[i].was_stopped);
		assert_true(s->procs[i].stop_ns > 0);
		assert_true(s->procs[i].copied >= PRIV_TOUCHED / 2);
		/* untouched memory is known zero and not read */
		assert_true(s->procs[i].skipped_zero >= (3u << 20));
		assert_int_equal(s->procs[i].unreadable, 0);
	}
	assert_true(s->procs[1].shared_elsewhere >= (1u << 20));
	assert_true(s->procs[1].copied_while_stopped >= s->procs[0].copied_while_stopped);
	/*
	 * Strictly read-only: nothing was unshared (a copy on write would add
	 * private dirty memory to one of them), both run again, nobody traces
	 * them. Only growth fails: the kernel itself may lower the counts
	 * meanwhile (proactive reclaim such as DAMON's pageout scheme).
	 */
	settled_dirty(&h, &sd0b, &pd0b, &sd1b, &pd1b);
	assert_true(pd0b <= pd0);
	assert_true(pd1b <= pd1);
	assert_true(sd0b <= sd0 + pd0);
	assert_true(sd1b <= sd1 + pd1);
	assert_true(state_of(h.pid) == 'S' || state_of(h.pid) == 'R');
	assert_true(state_of(h.child) == 'S' || state_of(h.child) == 'R');
	assert_int_equal(status_field(h.pid, "TracerPid"), 0);
	assert_int_equal(status_field(h.child, "TracerPid"), 0);
	check_pair(s, &h);

	/* the snapshot file gives back both processes */
	write_snapshot(s, file, &bytes);
	assert_true(bytes > PRIV_TOUCHED);
	hw_snapshot_destroy(s);
	assert_null(hw_snapshot_load(file, &s));
	assert_false(s->live);
	assert_true(s->stopped);
	assert_true(s->procs[0].stop_ns > 0);
	check_pair(s, &h);
	hw_snapshot_destroy(s);
	/* read as a plain core: the first process */
	{
		struct hw_target_opts to = {.core_path = file};
		struct hw_target *t;
		assert_null(hw_target_open_core(&to, &t));
		assert_int_equal(t->pid, h.pid);
		check_bytes(t, h.priv, PRIV_TOUCHED, 0x50);
		hw_target_destroy(t);
	}
	unlink(file);
	stop_helper(&h);
}

static void test_no_stop_and_stopped(void **state)
{
	struct helper h;
	struct hw_snapshot *s;
	struct hw_snapshot_opts o = {.no_stop = true};
	struct hw_target *t;
	int pid;

	(void)state;
	start(&h, false);
	pid = h.pid;
	assert_null(hw_snapshot_take(&pid, 1, &o, &s));
	assert_false(s->stopped);
	assert_false(s->procs[0].stopped);
	assert_int_equal(s->procs[0].stop_ns, 0);
	assert_null(hw_snapshot_open(s, 0, NULL, &t));
	check_bytes(t, h.priv, PRIV_TOUCHED, 0x50);
	hw_target_destroy(t);
	hw_snapshot_destroy(s);
	if (!can_trace(h.pid)) {
		stop_helper(&h);
		skip();
	}
	/* A process stopped by SIGSTOP is copied and left stopped. */
	kill(h.pid, SIGSTOP);
	for (int i = 0; i < 100 && state_of(h.pid) != 'T'; i++)
		usleep(10000);
	o.no_stop = false;
	assert_null(hw_snapshot_take(&pid, 1, &o, &s));
	assert_true(s->procs[0].was_stopped);
	usleep(20000);
	assert_int_equal(state_of(h.pid), 'T');
	assert_int_equal(status_field(h.pid, "TracerPid"), 0);
	hw_snapshot_destroy(s);
	kill(h.pid, SIGCONT);
	for (int i = 0; i < 100 && state_of(h.pid) == 'T'; i++)
		usleep(10000);
	assert_true(state_of(h.pid) != 'T');
	/* hw_target_open_pid: the same through target.h */
	assert_null(hw_target_open_pid(pid, NULL, false, &t));
	check_bytes(t, h.priv, PRIV_TOUCHED, 0x50);
	hw_target_destroy(t);
	stop_helper(&h);
}

/*
 * quiet_word: a word that reads 0 is quiet, the stop is kept; one that
 * never does (the helper's filled shared bytes) is a lock held at every
 * stop: let go and stopped again HW_SNAPSHOT_QUIET_TRIES times, then
 * kept, saying so. Either way the copy is the same and the process runs.
 */
static void test_quiet_word(void **state)
{
	struct helper h;
	struct hw_snapshot *s;
	struct hw_snapshot_opts o = {0};
	struct hw_target *t;
	int pid;

	(void)state;
	start(&h, false);
	pid = h.pid;
	if (!can_trace(h.pid)) {
		stop_helper(&h);
		skip();
	}
	o.quiet_word = h.shared + SHARED_TOUCHED;
	assert_null(hw_snapshot_take(&pid, 1, &o, &s));
	assert_int_equal(s->quiet_retries, 0);
	assert_false(s->quiet_busy);
	hw_snapshot_destroy(s);
	o.quiet_word = h.shared;
	assert_null(hw_snapshot_take(&pid, 1, &o, &s));
	assert_int_equal(s->quiet_retries, HW_SNAPSHOT_QUIET_TRIES);
	assert_true(s->quiet_busy);
	assert_null(hw_snapshot_open(s, 0, NULL, &t));
	check_bytes(t, h.shared, SHARED_TOUCHED, 0x53);
	check_bytes(t, h.priv, PRIV_TOUCHED, 0x50);
	hw_target_destroy(t);
	hw_snapshot_destroy(s);
	usleep(20000);
	assert_true(state_of(h.pid) != 'T');
	assert_int_equal(status_field(h.pid, "TracerPid"), 0);
	stop_helper(&h);
}

/* A copy that would hold the processes past max_stop_ms gives up, releases them and says so. */
static void test_stop_cap(void **state)
{
	struct helper h;
	struct hw_snapshot *s = NULL;
	struct hw_snapshot_opts o = {.max_stop_ms = 100, .hold_ms = 300};
	struct hw_error *err;
	int pids[2];

	(void)state;
	start_pair(&h, pids);
	err = hw_snapshot_take(pids, 2, &o, &s);
	assert_non_null(err);
	assert_null(s);
	assert_non_null(strstr(err->message, "longer than 100 ms"));
	assert_non_null(strstr(err->message, "released"));
	hw_error_destroy(err);
	usleep(20000);
	assert_true(state_of(h.pid) == 'S' || state_of(h.pid) == 'R');
	assert_true(state_of(h.child) == 'S' || state_of(h.child) == 'R');
	assert_int_equal(status_field(h.pid, "TracerPid"), 0);
	assert_int_equal(status_field(h.child, "TracerPid"), 0);
	/* within the cap the same snapshot succeeds */
	o.max_stop_ms = 10000;
	assert_null(hw_snapshot_take(pids, 2, &o, &s));
	check_pair(s, &h);
	hw_snapshot_destroy(s);
	stop_helper(&h);
}

/* Released, both run again and nobody traces them. */
static void check_running(const struct helper *h)
{
	for (int i = 0; i < 100 && (state_of(h->pid) == 't' || state_of(h->child) == 't'); i++)
		usleep(10000);
	assert_true(state_of(h->pid) == 'S' || state_of(h->pid) == 'R');
	assert_true(state_of(h->child) == 'S' || state_of(h->child) == 'R');
	assert_int_equal(status_field(h->pid, "TracerPid"), 0);
	assert_int_equal(status_field(h->child, "TracerPid"), 0);
}

/*
 * With hold, shm is read in place (mapped from map_files) while both stay
 * held, until hw_snapshot_release; reads of it fail after the withdrawal.
 * A hold past max_stop_ms is cut by the watchdog.
 */
static void test_hold_in_place(void **state)
{
	struct helper h;
	struct hw_snapshot *s;
	struct hw_snapshot_opts o = {.hold = true};
	struct hw_target *t0, *t1;
	struct hw_error *err;
	uint8_t b;
	int pids[2];
	long sd0, pd0, sd1, pd1, sd0b, pd0b, sd1b, pd1b;

	(void)state;
	start_pair(&h, pids);
	settled_dirty(&h, &sd0, &pd0, &sd1, &pd1);
	assert_null(hw_snapshot_take(pids, 2, &o, &s));
	if (!s->ninplace) {
		/* map_files cannot be opened here (no CAP_SYS_ADMIN): copied, not held */
		assert_false(s->holding);
		check_running(&h);
		hw_snapshot_destroy(s);
		stop_helper(&h);
		skip();
	}
	assert_true(s->holding);
	assert_int_equal(s->ninplace, 1);
	assert_int_equal(s->inplace[0].proc, 0);
	assert_true(s->inplace[0].start == h.shared && s->inplace[0].len == (1u << 20));
	assert_true(s->procs[0].in_place == (1u << 20));
	assert_int_equal(s->procs[1].in_place, 0);
	/* both held while the caller reads */
	assert_int_equal(state_of(h.pid), 't');
	assert_int_equal(state_of(h.child), 't');
	assert_int_equal(status_field(h.pid, "TracerPid"), getpid());
	assert_null(hw_snapshot_open(s, 0, NULL, &t0));
	assert_null(hw_snapshot_open(s, 1, NULL, &t1));
	/* shm where it is, not a copy; private memory copied as without hold */
	assert_ptr_equal(hw_mem_peek(t0->mem, h.shared, 8), s->inplace[0].data);
	check_bytes(t0, h.shared, SHARED_TOUCHED, 0x53);
	check_zero(t0, h.shared + SHARED_TOUCHED, 4096);
	check_bytes(t0, h.priv, PRIV_TOUCHED, 0x50);
	check_bytes(t1, h.priv + PRIV_TOUCHED / 2, PRIV_TOUCHED / 2, 0x43);
	err = hw_mem_read(t1->mem, &b, h.shared, 1);
	assert_non_null(err);
	hw_error_destroy(err);
	assert_null(hw_snapshot_release(s));
	assert_false(s->holding);
	check_running(&h);
	assert_true(s->procs[0].stop_ns > 0 && s->procs[1].stop_ns > 0);
	hw_snapshot_withdraw(s, t0);
	err = hw_mem_read(t0->mem, &b, h.shared, 1);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_FAULT);
	assert_non_null(strstr(err->message, "no longer held"));
	hw_error_destroy(err);
	check_bytes(t0, h.priv, PRIV_TOUCHED, 0x50);
	hw_target_destroy(t0);
	hw_target_destroy(t1);
	hw_snapshot_destroy(s);
	/* strictly read-only: nothing unshared (see test_take_pair) */
	settled_dirty(&h, &sd0b, &pd0b, &sd1b, &pd1b);
	assert_true(pd0b <= pd0);
	assert_true(pd1b <= pd1);
	assert_true(sd0b <= sd0 + pd0);
	assert_true(sd1b <= sd1 + pd1);

	/* held 400 ms with a 100 ms cap: released by the watchdog, and the release fails */
	o.max_stop_ms = 100;
	o.hold_ms = 400;
	assert_null(hw_snapshot_take(pids, 2, &o, &s));
	check_running(&h);
	assert_true(s->holding);
	err = hw_snapshot_release(s);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "longer than 100 ms"));
	hw_error_destroy(err);
	assert_false(s->holding);
	hw_snapshot_destroy(s);
	check_running(&h);
	stop_helper(&h);
}

static void test_bad_requests(void **state)
{
	struct hw_snapshot *s;
	struct hw_error *err;
	int pids[2] = {getpid(), 0};
	int *inst;
	size_t n;
	pid_t dead = fork();
	int st;

	(void)state;
	if (dead == 0)
		_exit(0);
	waitpid(dead, &st, 0);
	err = hw_snapshot_take(pids, 1, NULL, &s);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_INVALID_ARG);
	hw_error_destroy(err);
	err = hw_snapshot_take(pids, 0, NULL, &s);
	assert_non_null(err);
	hw_error_destroy(err);
	pids[0] = pids[1] = getppid();
	err = hw_snapshot_take(pids, 2, NULL, &s);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "twice"));
	hw_error_destroy(err);
	pids[0] = dead;
	err = hw_snapshot_take(pids, 1, NULL, &s);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_OS);
	assert_int_equal(err->errnum, ESRCH);
	hw_error_destroy(err);
	err = hw_instance_find(dead, &inst, &n);
	assert_non_null(err);
	hw_error_destroy(err);
	/* The instance of this test: itself (its parent runs another program). */
	assert_null(hw_instance_find(getpid(), &inst, &n));
	assert_true(n >= 1);
	free(inst);
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Load the damaged snapshot file @path and, if it loads and @open_all, open each process. */
static void try_load(const char *path, bool open_all)
{
	struct hw_snapshot *s;
	struct hw_error *err = hw_snapshot_load(path, &s);

	if (err) {
		hw_error_destroy(err);
		return;
	}
	for (size_t i = 0; open_all && i < s->nprocs; i++) {
		struct hw_target *t;
		struct hw_error *e = hw_snapshot_open(s, i, NULL, &t);
		if (!e)
			hw_target_destroy(t);
		hw_error_destroy(e);
	}
	hw_snapshot_destroy(s);
}

/* Snapshot files are untrusted: damaged ones give errors or partial data, never a crash. */
static void test_damaged_files(void **state)
{
	struct helper h;
	struct hw_snapshot *s;
	char file[] = "/tmp/test-snapshot-XXXXXX", bad[64];
	int fd, pids[2];
	uint8_t *data;
	struct stat st;

	(void)state;
	start_pair(&h, pids);
	assert_null(hw_snapshot_take(pids, 2, NULL, &s));
	write_snapshot(s, file, NULL);
	hw_snapshot_destroy(s);
	stop_helper(&h);
	fd = open(file, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	data = malloc((size_t)st.st_size);
	assert_non_null(data);
	assert_int_equal(read(fd, data, (size_t)st.st_size), st.st_size);
	close(fd);
	snprintf(bad, sizeof(bad), "%s.bad", file);
	/* Cut at many places; flip bytes all over the headers. */
	for (size_t cut = 0; cut < (size_t)st.st_size; cut += (size_t)st.st_size / 17 + 1) {
		write_file(bad, data, cut);
		try_load(bad, true);
	}
	write_file(bad, data, (size_t)st.st_size);
	fd = open(bad, O_RDWR);
	assert_true(fd >= 0);
	for (size_t k = 0; k < 300; k++) {
		size_t at = (k * 2654435761u) % 6144;
		uint8_t b;
		if (at >= (size_t)st.st_size)
			continue;
		b = (uint8_t)(data[at] ^ (uint8_t)(0x5a + k));
		assert_int_equal(pwrite(fd, &b, 1, (off_t)at), 1);
		try_load(bad, k % 10 == 0);
		assert_int_equal(pwrite(fd, &data[at], 1, (off_t)at), 1);
	}
	close(fd);
	unlink(bad);
	unlink(file);
	free(data);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_take_pair),	  cmocka_unit_test(test_no_stop_and_stopped),
	    cmocka_unit_test(test_stop_cap),	  cmocka_unit_test(test_bad_requests),
	    cmocka_unit_test(test_damaged_files), cmocka_unit_test(test_hold_in_place),
	    cmocka_unit_test(test_quiet_word),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s LIVE_HELPER\n", argv[0]);
		return 2;
	}
	helper_path = argv[1];
	if (argc > 2)
		cmocka_set_test_filter(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
