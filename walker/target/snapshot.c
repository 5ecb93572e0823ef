/* snapshot.c - stop processes briefly, copy their writable memory into core images, let them go. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/sbuf.h"
#include "heapwalk/snapshot.h"
#include "heapwalk/target.h"
#include "live.h"
#include "mapfiles.h"

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* /proc/PID/pagemap bits. */
#define PM_PRESENT (1ull << 63)
#define PM_SWAP (1ull << 62)
#define PM_FILE_OR_SHARED (1ull << 61)
#define PM_EXCLUSIVE (1ull << 56)

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif
/* what ends a hold past max_stop_ms: a timer signal to the tracing thread */
#define WATCHDOG_SIG SIGALRM
#define DEFAULT_TIMEOUT_MS 2000u
#define DEFAULT_MAX_BYTES (16ull << 30)
#define PROC_NOTE_SPACE 1024u
#define ATTEMPTS 3
/* Pagemap entries read at once while classifying a private mapping. */
#define PM_CHUNK 32768u
/* Runs per process_vm_readv call (IOV_MAX is 1024). */
#define IOV_BATCH 512u

enum how {
	LP_NONE,    /* not saved */
	LP_BEFORE,  /* read-only bytes copied before the stop (ELF header page, vdso) */
	LP_PRIVATE, /* private writable: copied while stopped, page by page kind */
	LP_SHARED,  /* shared writable: copied once while every process is stopped */
	LP_INPLACE, /* shared writable, held: mapped read-only and read in place, not copied */
};

struct load_plan {
	size_t map; /* index in maps */
	enum how how;
	uint64_t planned;
	uint64_t got;  /* bytes saved, a prefix */
	int share_fd;  /* /proc/PID/map_files/... for SEEK_DATA, -1 */
	uint8_t *live; /* LP_INPLACE: the mapping of share_fd (PROT_READ, MAP_SHARED) */
};

struct tracee {
	pid_t tid;
	bool interrupted, stopped, gone, group_stop;
	int sig; /* re-delivered on release */
};

struct sproc {
	int pid;
	bool image; /* copied (else held for the shared copy only) */
	struct live_stat st;
	struct live_maps maps;
	/* its root directory as /proc names it to us, when not "/" (a chroot) */
	char root[PATH_MAX];
	unsigned cls, machine;
	pid_t *tids; /* threads when planned */
	size_t ntids;
	struct tracee *tr;
	size_t ntr, trcap;
	bool holding, was_stopped, seen_stopped;
	uint64_t t0, t1, counter0, cws;
	/* image */
	struct img_desc desc;
	struct load_plan *lp;
	struct notebuf nb;
	size_t regs_size;
	size_t *status_off; /* offset in nb of each thread's NT_PRSTATUS desc */
	size_t procnote_off;
	int img_fd;
	uint8_t *img_map;
	int mem_fd, pagemap_fd;
	/* results */
	uint64_t copied, shared_elsewhere, unreadable, skipped_zero;
};

struct run {
	uint8_t *dst;
	uint64_t addr, len;
	size_t li; /* the load it belongs to */
};

struct ctx {
	const struct hw_snapshot_opts *o;
	struct sproc *p;
	size_t n;
	uint64_t counter; /* bytes read so far */
	uint64_t t_first, t_last;
	/* the copy gives up past this moment (0: never), and over says it did */
	uint64_t stop_deadline;
	bool over;
	uint64_t planned; /* bytes the snapshot expects to copy */
	/* frames copied so far (COW-shared pages), so that each is read once */
	uint64_t *pfn_keys;
	const uint8_t **pfn_vals;
	size_t pfn_n, pfn_cap;
	/* scratch for copy_private, allocated (and touched) before anything is stopped */
	uint64_t *pm;
	struct run *runs;
	sigset_t oldmask;
	bool blocked;
	/* scheduling before the boost */
	int old_policy, old_nice;
	struct sched_param old_param;
	bool boosted, niced;
	/* hold with a shared mapping read in place (else the copy releases as without hold) */
	bool hold;
	/* hold: the watchdog that lets the processes go at stop_deadline */
	timer_t timer;
	bool timer_armed;
	struct sigaction old_action;
	volatile sig_atomic_t expired;
	/* quiet_word: stops let go because it was not 0 (busy: this one), and whether the
	 * stop kept was caught so too (the tries used up) */
	unsigned quiet_retries;
	bool busy, busy_kept;
};

struct hw_snapshot_hold {
	struct hw_snapshot_opts o;
	struct ctx c;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- ptrace ---- */

/* Field @name ("TracerPid:") of /proc/@pid/status into @out; false if there is no such file. */
static bool status_field(int pid, const char *name, char *out, size_t cap)
{
	char path[64], *buf, *p;
	struct hw_error *err;
	size_t nl = strlen(name), n;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((err = live_read_file(path, 1 << 16, &buf, NULL))) {
		hw_error_destroy(err);
		return false;
	}
	out[0] = '\0';
	for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, nl)) {
			p += nl + strspn(p + nl, " \t");
			n = strcspn(p, "\n");
			if (n >= cap)
				n = cap - 1;
			memcpy(out, p, n);
			out[n] = '\0';
			break;
		}
	free(buf);
	return true;
}

static int tracer_of(int pid)
{
	char v[32];

	return status_field(pid, "TracerPid:", v, sizeof(v)) ? atoi(v) : 0;
}

/* Gone from /proc, or a zombie: the kernel refuses to trace either, with EPERM. */
static bool has_exited(int pid)
{
	char v[32];

	return !status_field(pid, "State:", v, sizeof(v)) || v[0] == 'Z' || v[0] == 'X';
}

static struct hw_error *ptrace_error(int e, int pid, pid_t tid, const char *what)
{
	if (e == EPERM && has_exited(pid))
		return hw_error_os(ESRCH, "cannot stop pid %d: process %d exited", pid, pid);
	if (e == EPERM) {
		int t = tracer_of(pid);
		if (t > 0 && t != getpid())
			return hw_error_os(e,
					   "cannot stop pid %d: it is already traced by pid %d "
					   "(a debugger?)",
					   pid, t);
		return hw_error_os(
		    e,
		    "cannot stop pid %d (%s): not permitted; heapwalk needs ptrace "
		    "access: run it as root (or as the same user with CAP_SYS_PTRACE) "
		    "and check kernel.yama.ptrace_scope",
		    pid, what);
	}
	if (e == ESRCH)
		return hw_error_os(e, "pid %d (thread %d) went away during the snapshot", pid,
				   (int)tid);
	return hw_error_os(e, "cannot stop pid %d (thread %d, %s)", pid, (int)tid, what);
}

static struct tracee *find_tracee(struct sproc *sp, pid_t tid)
{
	for (size_t i = 0; i < sp->ntr; i++)
		if (sp->tr[i].tid == tid)
			return &sp->tr[i];
	return NULL;
}

static struct hw_error *seize(struct ctx *c, struct sproc *sp, pid_t tid)
{
	struct tracee *t;

	if (find_tracee(sp, tid))
		return NULL;
	if (sp->ntr == sp->trcap) {
		size_t cap = sp->trcap ? sp->trcap * 2 : 8;
		struct tracee *v = realloc(sp->tr, cap * sizeof(*v));
		if (!v)
			return hw_error_nomem();
		sp->tr = v;
		sp->trcap = cap;
	}
	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0) {
		int e = errno;
		if (e == ESRCH || (e == EPERM && tid != sp->pid && has_exited(tid)))
			return NULL; /* the thread exited: nothing to hold */
		return ptrace_error(e, sp->pid, tid, "PTRACE_SEIZE");
	}
	t = &sp->tr[sp->ntr++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	sp->holding = true;
	(void)c;
	return NULL;
}

/*
 * Stop every seized thread of @sp that is not stopped yet. Seizing does
 * not stop a thread; the hold of a process starts with its first interrupt.
 */
static struct hw_error *interrupt(struct ctx *c, struct sproc *sp)
{
	for (size_t k = 0; k < sp->ntr; k++) {
		struct tracee *t = &sp->tr[k];
		if (t->interrupted || t->gone)
			continue;
		if (!sp->t0) {
			sp->t0 = now_ns();
			sp->counter0 = c->counter;
			if (!c->t_first)
				c->t_first = sp->t0;
		}
		t->interrupted = true;
		if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) != 0) {
			if (errno == ESRCH)
				continue; /* exited; waitpid tells */
			return ptrace_error(errno, sp->pid, t->tid, "PTRACE_INTERRUPT");
		}
	}
	return NULL;
}

static void on_status(struct tracee *t, int st)
{
	if (WIFSTOPPED(st)) {
		int sig = WSTOPSIG(st), ev = (unsigned)st >> 16;
		t->stopped = true;
		if (ev == PTRACE_EVENT_STOP) {
			if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
				t->group_stop = true;
		} else if (ev == 0) {
			/* A signal arrived: it is delivered when the thread is let go. */
			t->sig = sig;
		}
	} else if (WIFEXITED(st) || WIFSIGNALED(st)) {
		t->gone = true;
	}
}

/* Poll every held thread that has not stopped yet; true if some still run. */
static bool poll_stops(struct sproc *p, size_t n)
{
	bool pending = false;

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < p[i].ntr; k++) {
			struct tracee *t = &p[i].tr[k];
			int st;
			pid_t r;
			if (t->stopped || t->gone)
				continue;
			r = waitpid(t->tid, &st, __WALL | WNOHANG);
			if (r == t->tid) {
				on_status(t, st);
				/* Held from the moment it is seen stopped, not from the request. */
				if (t->stopped && !p[i].seen_stopped) {
					p[i].seen_stopped = true;
					p[i].t0 = now_ns();
				}
			} else if (r < 0 && errno == ECHILD)
				t->gone = true;
			else
				pending = true;
		}
	return pending;
}

/* Wait until every held thread is stopped (or gone), at most until @deadline. */
static bool wait_stops(struct sproc *p, size_t n, uint64_t deadline)
{
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (poll_stops(p, n)) {
		uint64_t now = now_ns(), left;
		struct timespec ts;
		if (now >= deadline)
			return false;
		left = deadline - now;
		if (left > 2000000)
			left = 2000000; /* SIGCHLDs coalesce: poll again at least every 2 ms */
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left;
		sigtimedwait(&chld, NULL, &ts);
	}
	return true;
}

/* Let every thread of @sp go. Threads that have not stopped yet are waited for first. */
static void release(struct ctx *c, struct sproc *sp)
{
	uint64_t deadline;

	if (!sp->holding)
		return;
	/* A seized thread can only be detached once it has stopped: stop it first. */
	hw_error_destroy(interrupt(c, sp));
	deadline = now_ns() + 10ull * 1000000000ull;
	wait_stops(sp, 1, deadline);
	for (size_t k = 0; k < sp->ntr; k++) {
		struct tracee *t = &sp->tr[k];
		if (t->gone || !t->stopped)
			continue;
		ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)t->sig);
	}
	sp->t1 = now_ns();
	sp->cws = c->counter - sp->counter0;
	if (sp->t1 > c->t_last)
		c->t_last = sp->t1;
	sp->holding = false;
}

/*
 * While processes are held, heapwalk should not wait for a CPU: it runs
 * at real-time priority (or at least nice -20) if it may, for those few
 * milliseconds only. Every loop in the window is bounded.
 */
static void boost(struct ctx *c)
{
	struct sched_param sp = {.sched_priority = 1};

	c->old_policy = sched_getscheduler(0);
	if (c->old_policy >= 0 && sched_getparam(0, &c->old_param) == 0 &&
	    sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) == 0) {
		c->boosted = true;
		return;
	}
	errno = 0;
	c->old_nice = getpriority(PRIO_PROCESS, 0);
	if (errno == 0 && setpriority(PRIO_PROCESS, 0, -20) == 0)
		c->niced = true;
}

static void unboost(struct ctx *c)
{
	if (c->boosted)
		sched_setscheduler(0, c->old_policy, &c->old_param);
	if (c->niced)
		setpriority(PRIO_PROCESS, 0, c->old_nice);
	c->boosted = c->niced = false;
}

static void block_signals(struct ctx *c)
{
	sigset_t all;

	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	sigprocmask(SIG_BLOCK, &all, &c->oldmask);
	c->blocked = true;
}

static void unblock_signals(struct ctx *c)
{
	if (c->blocked)
		sigprocmask(SIG_SETMASK, &c->oldmask, NULL);
	c->blocked = false;
}

/* ---- planning an image ---- */

static size_t regs_size(unsigned cls, unsigned machine)
{
	switch (machine) {
	case EM_X86_64:
		return cls == ELFCLASS64 ? 27 * 8 : 0;
	case EM_386:
		return 17 * 4;
	case EM_AARCH64:
		return 34 * 8;
	case EM_ARM:
		return 18 * 4;
	default:
		return 0;
	}
}

static size_t prstatus_size(unsigned cls, size_t regs)
{
	size_t ws = cls == ELFCLASS64 ? 8 : 4, pre = cls == ELFCLASS64 ? 112 : 72;

	return (pre + regs + 4 + ws - 1) / ws * ws;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* the host is the target's machine: same byte order */
}

static void put_word(uint8_t *p, unsigned cls, uint64_t v)
{
	if (cls == ELFCLASS64)
		memcpy(p, &v, 8);
	else
		put_u32(p, (uint32_t)v);
}

static void add_prstatus(struct sproc *sp, size_t slot, pid_t tid)
{
	size_t sz = prstatus_size(sp->cls, sp->regs_size), pidoff = sp->cls == ELFCLASS64 ? 32 : 24;
	uint8_t *d = calloc(1, sz);

	if (!d) {
		sp->nb.oom = true;
		return;
	}
	put_u32(d + pidoff, (uint32_t)tid);
	put_u32(d + pidoff + 4, (uint32_t)sp->st.ppid);
	put_u32(d + pidoff + 8, (uint32_t)sp->st.pgrp);
	put_u32(d + pidoff + 12, (uint32_t)sp->st.sid);
	sp->status_off[slot] = note_add(&sp->nb, "CORE", NT_PRSTATUS, d, sz);
	free(d);
}

static void add_prpsinfo(struct sproc *sp, int pid)
{
	uint8_t d[136];
	char psargs[81];
	size_t fname = sp->cls == ELFCLASS64 ? 40 : 28, size = sp->cls == ELFCLASS64 ? 136 : 124;
	const char *states = "RSDTZW";
	const char *sn = strchr(states, sp->st.state);

	memset(d, 0, sizeof(d));
	d[0] = (uint8_t)(sn && sp->st.state ? sn - states : 0);
	d[1] = (uint8_t)sp->st.state;
	d[2] = sp->st.state == 'Z';
	d[3] = (uint8_t)(int8_t)sp->st.nice;
	live_read_psargs(pid, psargs, sizeof(psargs));
	if (sp->cls == ELFCLASS64) {
		put_word(d + 8, sp->cls, sp->st.flags);
		put_u32(d + 16, sp->st.uid);
		put_u32(d + 20, sp->st.gid);
		put_u32(d + 24, (uint32_t)pid);
		put_u32(d + 28, (uint32_t)sp->st.ppid);
		put_u32(d + 32, (uint32_t)sp->st.pgrp);
		put_u32(d + 36, (uint32_t)sp->st.sid);
	} else {
		uint16_t uid = (uint16_t)sp->st.uid, gid = (uint16_t)sp->st.gid;
		put_word(d + 4, sp->cls, sp->st.flags);
		memcpy(d + 8, &uid, 2);
		memcpy(d + 10, &gid, 2);
		put_u32(d + 12, (uint32_t)pid);
		put_u32(d + 16, (uint32_t)sp->st.ppid);
		put_u32(d + 20, (uint32_t)sp->st.pgrp);
		put_u32(d + 24, (uint32_t)sp->st.sid);
	}
	memcpy(d + fname, sp->st.comm, strnlen(sp->st.comm, 16));
	memcpy(d + fname + 16, psargs, strnlen(psargs, 80));
	note_add(&sp->nb, "CORE", NT_PRPSINFO, d, size);
}

static void add_auxv(struct sproc *sp)
{
	char path[64], *buf;
	size_t len, ws = sp->cls == ELFCLASS64 ? 8 : 4, n = 0;
	struct hw_error *err;

	snprintf(path, sizeof(path), "/proc/%d/auxv", sp->pid);
	if ((err = live_read_file(path, 1 << 16, &buf, &len))) {
		hw_error_destroy(err); /* no auxv note: the process is going away */
		return;
	}
	/* Up to and including AT_NULL. */
	while (n + 2 * ws <= len) {
		uint64_t type = 0;
		memcpy(&type, buf + n, ws);
		n += 2 * ws;
		if (type == AT_NULL)
			break;
	}
	note_add(&sp->nb, "CORE", NT_AUXV, buf, n);
	free(buf);
}

/*
 * Its root directory as /proc/PID/root names it to us, when that is not
 * "/": a process chrooted into a directory of our file system. Its
 * /proc/PID/maps names files by our paths (ROOT/usr/sbin/kamailio), where
 * a container whose root is a mount of its own (pivot_root) shows them
 * by its own (/usr/sbin/kamailio).
 */
static void read_root(struct sproc *sp)
{
	char path[64];
	ssize_t n;

	sp->root[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/root", sp->pid);
	n = readlink(path, sp->root, sizeof(sp->root) - 1);
	if (n <= 1 || sp->root[0] != '/' || memchr(sp->root, '\n', (size_t)n)) {
		sp->root[0] = '\0';
		return;
	}
	sp->root[n] = '\0';
	while (n > 1 && sp->root[n - 1] == '/')
		sp->root[--n] = '\0';
	if (n <= 1)
		sp->root[0] = '\0';
}

/*
 * A mapped file's path as the process itself sees it: beneath its root,
 * as the kernel would write it in a core the process dumps. Paths outside
 * the root stay as they are (they are then not found beneath it).
 */
static const char *seen_from_root(const struct sproc *sp, const char *path)
{
	size_t rl = strlen(sp->root);

	if (rl && !strncmp(path, sp->root, rl) && path[rl] == '/')
		return path + rl;
	return path;
}

static void add_file_note(struct sproc *sp)
{
	struct hw_sbuf sb;
	size_t ws = sp->cls == ELFCLASS64 ? 8 : 4, count = 0;
	uint8_t w[8];

	for (size_t i = 0; i < sp->maps.n; i++)
		if (sp->maps.v[i].kind == LM_FILE)
			count++;
	hw_sbuf_init(&sb);
	put_word(w, sp->cls, count);
	hw_sbuf_append(&sb, (const char *)w, ws);
	put_word(w, sp->cls, IMG_PAGE);
	hw_sbuf_append(&sb, (const char *)w, ws);
	for (size_t i = 0; i < sp->maps.n; i++) {
		const struct live_map *m = &sp->maps.v[i];
		if (m->kind != LM_FILE)
			continue;
		put_word(w, sp->cls, m->start);
		hw_sbuf_append(&sb, (const char *)w, ws);
		put_word(w, sp->cls, m->end);
		hw_sbuf_append(&sb, (const char *)w, ws);
		put_word(w, sp->cls, m->offset / IMG_PAGE);
		hw_sbuf_append(&sb, (const char *)w, ws);
	}
	for (size_t i = 0; i < sp->maps.n; i++)
		if (sp->maps.v[i].kind == LM_FILE) {
			const char *path = seen_from_root(sp, sp->maps.v[i].path);
			hw_sbuf_append(&sb, path, strlen(path) + 1);
		}
	if (sb.oom)
		sp->nb.oom = true;
	else if (count)
		note_add(&sp->nb, "CORE", NT_FILE, sb.buf, sb.len);
	hw_sbuf_deinit(&sb);
}

/* The process of @c that saves the shared mapping @m (the first image process mapping it). */
static bool owns_shared(const struct ctx *c, const struct sproc *sp, const struct live_map *m)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct sproc *o = &c->p[i];
		if (!o->image)
			continue;
		if (o == sp)
			return true;
		for (size_t k = 0; k < o->maps.n; k++) {
			const struct live_map *x = &o->maps.v[k];
			if (x->start == m->start && x->end == m->end && x->inode == m->inode &&
			    x->dev_major == m->dev_major && x->dev_minor == m->dev_minor &&
			    x->offset == m->offset && (x->perms & LM_SHARED))
				return false;
		}
	}
	return true;
}

static uint32_t pflags(unsigned perms)
{
	return (perms & LM_R ? PF_R : 0) | (perms & LM_W ? PF_W : 0) | (perms & LM_X ? PF_X : 0);
}

static void unplan(struct sproc *sp)
{
	if (sp->img_map)
		munmap(sp->img_map, (size_t)sp->desc.size);
	sp->img_map = NULL;
	if (sp->img_fd >= 0)
		close(sp->img_fd);
	sp->img_fd = -1;
	for (size_t i = 0; sp->lp && i < sp->desc.nloads; i++) {
		if (sp->lp[i].share_fd >= 0)
			close(sp->lp[i].share_fd);
		if (sp->lp[i].live)
			munmap(sp->lp[i].live, (size_t)sp->desc.loads[i].memsz);
	}
	free(sp->lp);
	sp->lp = NULL;
	free(sp->desc.loads);
	memset(&sp->desc, 0, sizeof(sp->desc));
	free(sp->nb.buf);
	memset(&sp->nb, 0, sizeof(sp->nb));
	free(sp->status_off);
	sp->status_off = NULL;
	free(sp->tids);
	sp->tids = NULL;
	sp->ntids = 0;
	if (sp->mem_fd >= 0)
		close(sp->mem_fd);
	if (sp->pagemap_fd >= 0)
		close(sp->pagemap_fd);
	sp->mem_fd = sp->pagemap_fd = -1;
	live_maps_free(&sp->maps);
	free(sp->tr);
	sp->tr = NULL;
	sp->ntr = sp->trcap = 0;
	sp->copied = sp->shared_elsewhere = sp->unreadable = sp->skipped_zero = 0;
	sp->t0 = sp->t1 = sp->cws = sp->counter0 = 0;
	sp->holding = sp->was_stopped = sp->seen_stopped = false;
}

static uint64_t read_safe(int mem_fd, uint8_t *dst, uint64_t addr, uint64_t len)
{
	uint64_t done = 0;

	while (done < len) {
		size_t want = len - done > (1u << 30) ? (1u << 30) : (size_t)(len - done);
		ssize_t n = pread(mem_fd, dst + done, want, (off_t)(addr + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (uint64_t)n;
	}
	return done;
}

/* Copy what is readable without stopping: ELF header pages and the vdso. */
static void copy_before(struct sproc *sp)
{
	for (size_t i = 0; i < sp->desc.nloads; i++) {
		struct load_plan *lp = &sp->lp[i];
		const struct img_load *l = &sp->desc.loads[i];
		if (lp->how != LP_BEFORE)
			continue;
		lp->got = read_safe(sp->mem_fd, sp->img_map + l->offset, l->vaddr, lp->planned);
		sp->copied += lp->got;
	}
}

/* Largest read-only file mapping checked for pages the process wrote (RELRO). */
#define MAX_RELRO_CHECK (16u << 20)

/*
 * Whether a read-only private file mapping holds pages that are no longer
 * the file's (relocated data, "RELRO"): the kernel saves those in a core,
 * and gdb needs them (.dynamic, the GOT) to find the shared libraries.
 */
static bool has_anon_pages(const struct sproc *sp, const struct live_map *m)
{
	uint64_t e[512], len = m->end - m->start;

	if (sp->pagemap_fd < 0 || len > MAX_RELRO_CHECK || len % IMG_PAGE)
		return false;
	for (uint64_t first = 0; first < len / IMG_PAGE;) {
		uint64_t cnt = len / IMG_PAGE - first < 512 ? len / IMG_PAGE - first : 512;
		ssize_t got = pread(sp->pagemap_fd, e, (size_t)cnt * sizeof(e[0]),
				    (off_t)((m->start / IMG_PAGE + first) * sizeof(e[0])));
		if (got != (ssize_t)(cnt * sizeof(e[0])))
			return false;
		for (uint64_t k = 0; k < cnt; k++)
			if ((e[k] & PM_PRESENT) && !(e[k] & PM_FILE_OR_SHARED))
				return true;
		first += cnt;
	}
	return false;
}

/* Whether the environment forbids reading shared mappings in place (tests of the copy). */
static bool shm_copy_forced(void)
{
	const char *v = getenv("HEAPWALK_SHM_COPY");

	return v && *v && strcmp(v, "0") != 0;
}

/*
 * Map the shared mapping @m read-only through its map_files entry, to be
 * read in place while the processes are held, and fill the page tables of
 * the pages that exist in the shared object now, so that the walk under the
 * stop takes no page faults (pages never touched are not populated: that
 * would allocate them). Leaves @lp copied (LP_SHARED) if it cannot be mapped.
 */
static void map_in_place(struct sproc *sp, const struct live_map *m, struct load_plan *lp)
{
	uint64_t len = m->end - m->start, pos = 0;
	void *p;

	struct stat st;

	(void)sp;
	/*
	 * Shared memory objects only (Kamailio's shm: /dev/zero or SysV),
	 * which cannot shrink under the walk: a file that someone truncates
	 * would fault (SIGBUS) where it is read.
	 */
	if (lp->share_fd < 0 || shm_copy_forced() || len > SIZE_MAX || m->kind != LM_ANON ||
	    fstat(lp->share_fd, &st) != 0 || st.st_size < 0 ||
	    (uint64_t)st.st_size < m->offset + len)
		return;
	p = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, lp->share_fd, (off_t)m->offset);
	if (p == MAP_FAILED)
		return;
	lp->live = p;
	lp->how = LP_INPLACE;
	/* Bounded: pos grows at every round. */
	while (pos < len) {
		off_t d = lseek(lp->share_fd, (off_t)(m->offset + pos), SEEK_DATA), h;
		uint64_t dpos, hpos;
		if (d < 0 || (uint64_t)d < m->offset + pos) {
			if (!(d < 0 && errno == ENXIO))
				madvise(lp->live + pos, (size_t)(len - pos), MADV_POPULATE_READ);
			return;
		}
		dpos = ((uint64_t)d - m->offset) & ~(uint64_t)(IMG_PAGE - 1);
		if (dpos >= len)
			return;
		h = lseek(lp->share_fd, d, SEEK_HOLE);
		hpos = h < 0 ? len : (uint64_t)h - m->offset;
		hpos = (hpos + IMG_PAGE - 1) & ~(uint64_t)(IMG_PAGE - 1);
		if (hpos > len || hpos <= dpos)
			hpos = len;
		madvise(lp->live + dpos, (size_t)(hpos - dpos), MADV_POPULATE_READ);
		pos = hpos;
	}
}

static struct hw_error *plan(struct ctx *c, struct sproc *sp, uint64_t *total)
{
	struct hw_error *err;
	char path[96];
	size_t nthreads;

	sp->img_fd = sp->mem_fd = sp->pagemap_fd = -1;
	if ((err = live_read_stat(sp->pid, &sp->st)))
		return err;
	if ((err = live_list_tasks(sp->pid, &sp->tids, &sp->ntids)))
		return err;
	if (!sp->image)
		return NULL;
	if ((err = live_exe_ident(sp->pid, &sp->cls, &sp->machine)))
		return err;
	if ((err = live_read_maps(sp->pid, &sp->maps)))
		return err;
	read_root(sp);
	snprintf(path, sizeof(path), "/proc/%d/mem", sp->pid);
	sp->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (sp->mem_fd < 0) {
		int e = errno;
		if (e == EACCES || e == EPERM)
			return ptrace_error(EPERM, sp->pid, sp->pid, "reading /proc/PID/mem");
		return hw_error_os(e, "cannot open %s", path);
	}
	snprintf(path, sizeof(path), "/proc/%d/pagemap", sp->pid);
	sp->pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);

	/* Segments: one PT_LOAD per mapping, as the kernel writes them. */
	sp->desc.cls = sp->cls;
	sp->desc.machine = sp->machine;
	sp->desc.loads = calloc(sp->maps.n ? sp->maps.n : 1, sizeof(*sp->desc.loads));
	sp->lp = calloc(sp->maps.n ? sp->maps.n : 1, sizeof(*sp->lp));
	if (!sp->desc.loads || !sp->lp)
		return hw_error_nomem();
	for (size_t i = 0; i < sp->maps.n; i++) {
		const struct live_map *m = &sp->maps.v[i];
		struct img_load *l;
		struct load_plan *lp;
		uint64_t len = m->end - m->start;
		if (m->kind == LM_SKIP)
			continue;
		if (sp->desc.nloads == IMG_MAX_LOADS)
			return hw_error_create(HW_ERR_UNSUPPORTED,
					       "pid %d has more than %u mappings", sp->pid,
					       IMG_MAX_LOADS);
		l = &sp->desc.loads[sp->desc.nloads];
		lp = &sp->lp[sp->desc.nloads++];
		l->vaddr = m->start;
		l->memsz = len;
		l->flags = pflags(m->perms);
		lp->map = i;
		lp->share_fd = -1;
		if (!(m->perms & LM_R)) {
			lp->how = LP_NONE;
		} else if (m->perms & LM_W) {
			if (!(m->perms & LM_SHARED)) {
				lp->how = LP_PRIVATE;
			} else if (owns_shared(c, sp, m)) {
				lp->how = LP_SHARED;
				snprintf(path, sizeof(path),
					 "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, sp->pid,
					 m->start, m->end);
				lp->share_fd = open(path, O_RDONLY | O_CLOEXEC);
				if (c->o->hold && !c->o->no_stop)
					map_in_place(sp, m, lp);
			} else {
				lp->how = LP_NONE;
				sp->shared_elsewhere += len;
			}
		} else if (m->kind == LM_VDSO ||
			   (m->kind == LM_FILE && !(m->perms & (LM_X | LM_SHARED)) &&
			    has_anon_pages(sp, m))) {
			lp->how = LP_BEFORE; /* all of it */
		} else if (m->kind == LM_FILE && m->offset == 0) {
			lp->how = LP_BEFORE; /* the ELF header page, for build-ids */
			lp->planned = len < IMG_PAGE ? len : IMG_PAGE;
		}
		if (lp->how != LP_BEFORE || !lp->planned)
			lp->planned = lp->how == LP_NONE || lp->how == LP_INPLACE ? 0 : len;
		l->filesz = lp->planned;
		if (lp->planned > UINT64_MAX - *total)
			return hw_error_create(HW_ERR_UNSUPPORTED, "too much memory to copy");
		*total += lp->planned;
	}

	/* Notes: a prstatus per thread (registers filled in while stopped), then the rest. */
	sp->regs_size = regs_size(sp->cls, sp->machine);
	nthreads = sp->regs_size ? sp->ntids : 0;
	sp->status_off = calloc(sp->ntids ? sp->ntids : 1, sizeof(*sp->status_off));
	if (!sp->status_off)
		return hw_error_nomem();
	/* The process's own main thread first, as the kernel writes it. */
	for (size_t k = 0, slot = 0; k < nthreads; k++)
		if (sp->tids[k] == sp->pid)
			add_prstatus(sp, slot++, sp->tids[k]);
	for (size_t k = 0, slot = 1; k < nthreads; k++)
		if (sp->tids[k] != sp->pid)
			add_prstatus(sp, slot++, sp->tids[k]);
	add_prpsinfo(sp, sp->pid);
	add_auxv(sp);
	add_file_note(sp);
	sp->procnote_off = note_add(&sp->nb, HW_NOTE_OWNER, HW_NT_PROC, NULL, PROC_NOTE_SPACE);
	if (sp->nb.oom)
		return hw_error_nomem();
	sp->desc.notes = sp->nb.buf;
	sp->desc.notes_len = sp->nb.len;
	sp->desc.notes_align = 4;
	return img_layout(&sp->desc);
}

/* Create and prefault the image file, so that copying while stopped takes no page faults. */
/* Allocate the image's pages for [off, off+len) now (page aligned), or count them. */
static void populate(struct sproc *sp, uint64_t off, uint64_t len, uint64_t *count)
{
	if (count) {
		*count += len;
		return;
	}
	if (!len)
		return;
	if (madvise(sp->img_map + off, (size_t)len, MADV_POPULATE_WRITE) != 0)
		for (uint64_t o = 0; o < len; o += IMG_PAGE)
			((volatile uint8_t *)sp->img_map)[off + o] = 0;
}

/*
 * The parts of load @li that will hold data: anonymous pages the process
 * has touched (or that are swapped out), shm pages that exist, everything
 * else whole. Populated in the image (@count NULL), or counted. Memory is
 * thus proportional to what the processes use, not to what they reserved.
 */
static void scan_load(struct sproc *sp, size_t li, uint64_t *count)
{
	const struct load_plan *lp = &sp->lp[li];
	const struct img_load *l = &sp->desc.loads[li];
	const struct live_map *m = &sp->maps.v[lp->map];
	uint64_t e[512];

	if (lp->how == LP_NONE || lp->how == LP_INPLACE)
		return;
	if (lp->how == LP_SHARED && lp->share_fd >= 0) {
		uint64_t pos = 0;
		while (pos < l->memsz) {
			off_t d = lseek(lp->share_fd, (off_t)(m->offset + pos), SEEK_DATA), h;
			uint64_t dpos, hpos;
			if (d < 0 && errno == ENXIO)
				return;
			if (d < 0 || (uint64_t)d < m->offset + pos)
				break;
			dpos = (uint64_t)d - m->offset;
			if (dpos >= l->memsz)
				return;
			h = lseek(lp->share_fd, d, SEEK_HOLE);
			hpos = h < 0 ? l->memsz : (uint64_t)h - m->offset;
			if (hpos > l->memsz || hpos <= dpos)
				hpos = l->memsz;
			dpos &= ~(uint64_t)(IMG_PAGE - 1);
			hpos = (hpos + IMG_PAGE - 1) & ~(uint64_t)(IMG_PAGE - 1);
			if (hpos > l->memsz)
				hpos = l->memsz;
			populate(sp, l->offset + dpos, hpos - dpos, count);
			pos = hpos;
		}
		populate(sp, l->offset + pos, l->memsz - pos, count);
		return;
	}
	if (lp->how != LP_PRIVATE || m->kind != LM_ANON || sp->pagemap_fd < 0 ||
	    l->memsz % IMG_PAGE) {
		populate(sp, l->offset, lp->planned, count);
		return;
	}
	for (uint64_t first = 0, npages = l->memsz / IMG_PAGE; first < npages;) {
		uint64_t cnt = npages - first < 512 ? npages - first : 512;
		ssize_t got = pread(sp->pagemap_fd, e, (size_t)cnt * sizeof(e[0]),
				    (off_t)((l->vaddr / IMG_PAGE + first) * sizeof(e[0])));
		if (got != (ssize_t)(cnt * sizeof(e[0]))) {
			populate(sp, l->offset + first * IMG_PAGE, (npages - first) * IMG_PAGE,
				 count);
			return;
		}
		for (uint64_t k = 0; k < cnt;) {
			uint64_t end = k;
			while (end < cnt && (e[end] & (PM_PRESENT | PM_SWAP)))
				end++;
			populate(sp, l->offset + (first + k) * IMG_PAGE, (end - k) * IMG_PAGE,
				 count);
			while (end < cnt && !(e[end] & (PM_PRESENT | PM_SWAP)))
				end++;
			k = end;
		}
		first += cnt;
	}
}

/* The bytes the image of @sp will hold. */
static uint64_t expected_bytes(struct sproc *sp)
{
	uint64_t n = 0;

	for (size_t i = 0; i < sp->desc.nloads; i++)
		scan_load(sp, i, &n);
	return n;
}

/* Create the image file and allocate its pages, so that copying while stopped takes no page faults.
 */
static struct hw_error *make_image(struct sproc *sp)
{
	struct hw_error *err;

	if ((err = img_memfile(sp->desc.size, &sp->img_fd, &sp->img_map)))
		return err;
	populate(sp, 0,
		 sp->desc.loads && sp->desc.nloads
		     ? (sp->desc.notes_off + sp->desc.notes_len + IMG_PAGE - 1) &
			   ~(uint64_t)(IMG_PAGE - 1)
		     : sp->desc.size,
		 NULL);
	for (size_t i = 0; i < sp->desc.nloads; i++)
		scan_load(sp, i, NULL);
	img_put_headers(&sp->desc, sp->img_map);
	copy_before(sp);
	return NULL;
}

/* ---- copying ---- */

/* ---- pages copied in this snapshot, by physical frame (pagemap shows frames to root) ---- */

#define PM_PFN_MASK ((1ull << 55) - 1)

static uint64_t pfn_hash(uint64_t pfn)
{
	pfn ^= pfn >> 33;
	pfn *= 0xff51afd7ed558ccdull;
	return pfn ^ (pfn >> 33);
}

/* The copy of frame @pfn made earlier in this snapshot, or NULL. */
static const uint8_t *pfn_find(const struct ctx *c, uint64_t pfn)
{
	size_t mask = c->pfn_cap - 1, i;

	if (!c->pfn_cap)
		return NULL;
	for (i = (size_t)pfn_hash(pfn) & mask; c->pfn_keys[i]; i = (i + 1) & mask)
		if (c->pfn_keys[i] == pfn)
			return c->pfn_vals[i];
	return NULL;
}

/* Remember where frame @pfn was copied to; silently does nothing when memory runs out. */
static void pfn_add(struct ctx *c, uint64_t pfn, const uint8_t *copy)
{
	size_t mask, i;

	if ((c->pfn_n + 1) * 2 > c->pfn_cap) {
		size_t cap = c->pfn_cap ? c->pfn_cap * 2 : 4096;
		uint64_t *keys = calloc(cap, sizeof(*keys));
		const uint8_t **vals = calloc(cap, sizeof(*vals));
		if (!keys || !vals) {
			free(keys);
			free(vals);
			return;
		}
		for (size_t k = 0; k < c->pfn_cap; k++) {
			if (!c->pfn_keys[k])
				continue;
			for (i = (size_t)pfn_hash(c->pfn_keys[k]) & (cap - 1); keys[i];
			     i = (i + 1) & (cap - 1))
				;
			keys[i] = c->pfn_keys[k];
			vals[i] = c->pfn_vals[k];
		}
		free(c->pfn_keys);
		free(c->pfn_vals);
		c->pfn_keys = keys;
		c->pfn_vals = vals;
		c->pfn_cap = cap;
	}
	mask = c->pfn_cap - 1;
	for (i = (size_t)pfn_hash(pfn) & mask; c->pfn_keys[i]; i = (i + 1) & mask)
		if (c->pfn_keys[i] == pfn)
			return;
	c->pfn_keys[i] = pfn;
	c->pfn_vals[i] = copy;
	c->pfn_n++;
}

enum page_kind {
	PG_ZERO, /* anonymous, never touched: zero, not read */
	PG_FAST, /* only this process maps it, or a file page: process_vm_readv */
	PG_SAFE, /* COW-shared or swapped: /proc/PID/mem, which never unshares */
	PG_SEEN, /* a COW-shared frame already copied from another process: memcpy */
};

static enum page_kind page_kind(const struct ctx *c, uint64_t e, bool anon)
{
	if (e & PM_PRESENT) {
		if (e & (PM_FILE_OR_SHARED | PM_EXCLUSIVE))
			return PG_FAST;
		return (e & PM_PFN_MASK) && pfn_find(c, e & PM_PFN_MASK) ? PG_SEEN : PG_SAFE;
	}
	return (e & PM_SWAP) || !anon ? PG_SAFE : PG_ZERO;
}

/* A failure at @addr in load @li: only the bytes before it count as saved. */
static void fail_at(struct sproc *sp, size_t li, uint64_t addr)
{
	uint64_t off = addr - sp->desc.loads[li].vaddr;

	if (off < sp->lp[li].got)
		sp->lp[li].got = off;
}

/* Whether the processes have been held as long as they may be (then the copy stops). */
static bool past_deadline(struct ctx *c)
{
	if (!c->over && c->stop_deadline && now_ns() > c->stop_deadline)
		c->over = true;
	return c->over;
}

/*
 * Read runs with process_vm_readv, IOV_BATCH at a time; a run it cannot
 * read is retried through /proc/PID/mem, and what still fails is recorded
 * in its load (fail_at). Every run is tried.
 */
static void read_fast_batch(struct ctx *c, struct sproc *sp, const struct run *r, size_t n)
{
	struct iovec lv[IOV_BATCH], rv[IOV_BATCH];
	size_t i = 0;

	while (i < n && !past_deadline(c)) {
		size_t k = n - i < IOV_BATCH ? n - i : IOV_BATCH, j;
		uint64_t want = 0, consumed = 0, part, more;
		ssize_t got;
		for (j = 0; j < k; j++) {
			lv[j].iov_base = r[i + j].dst;
			lv[j].iov_len = (size_t)r[i + j].len;
			rv[j].iov_base = (void *)(uintptr_t)r[i + j].addr;
			rv[j].iov_len = (size_t)r[i + j].len;
			want += r[i + j].len;
		}
		got = process_vm_readv(sp->pid, lv, k, rv, k, 0);
		if (got < 0)
			got = 0;
		c->counter += (uint64_t)got;
		sp->copied += (uint64_t)got;
		if ((uint64_t)got == want) {
			i += k;
			continue;
		}
		for (j = i; j < i + k && consumed + r[j].len <= (uint64_t)got; j++)
			consumed += r[j].len;
		part = (uint64_t)got - consumed;
		more = read_safe(sp->mem_fd, r[j].dst + part, r[j].addr + part, r[j].len - part);
		c->counter += more;
		sp->copied += more;
		if (part + more < r[j].len)
			fail_at(sp, r[j].li, r[j].addr + part + more);
		i = j + 1;
	}
}

/* Most pages between two private mappings read from the page map in one go. */
#define PM_WINDOW_GAP (64u << 10)

/*
 * Every private writable mapping of @sp, page by page as /proc/PID/pagemap
 * describes it: pages only this process maps (or file pages) through
 * process_vm_readv, batched over all mappings; COW-shared anonymous pages
 * through /proc/PID/mem, which does not unshare them, or from the copy of
 * the same frame made from another process of this snapshot (all of them
 * are stopped, so it is the same content); anonymous pages never touched
 * are zero and not read at all. Nearby mappings share one page-map read.
 */
static void copy_private_all(struct ctx *c, struct sproc *sp)
{
	size_t nruns = 0, i = 0;
	uint64_t *pm = c->pm, pos = 0;
	struct run *runs = c->runs;

	for (size_t li = 0; li < sp->desc.nloads; li++)
		if (sp->lp[li].how == LP_PRIVATE)
			sp->lp[li].got = sp->lp[li].planned;
	/* Bounded: each round moves i on, or pos on by a window of PM_CHUNK pages. */
	while (i < sp->desc.nloads && !past_deadline(c)) {
		const struct img_load *l0 = &sp->desc.loads[i];
		uint64_t wstart, wend, npages;
		size_t j = i + 1;
		bool known;
		ssize_t got;
		if (sp->lp[i].how != LP_PRIVATE) {
			i++;
			continue;
		}
		/* The window: the rest of this load (at most PM_CHUNK pages) and the private loads
		 * close after it. */
		wstart = pos > l0->vaddr ? pos : l0->vaddr;
		wend = l0->vaddr + l0->memsz;
		if ((wend - wstart) / IMG_PAGE > PM_CHUNK)
			wend = wstart + (uint64_t)PM_CHUNK * IMG_PAGE;
		else
			for (; j < sp->desc.nloads; j++) {
				const struct img_load *lj = &sp->desc.loads[j];
				if (sp->lp[j].how != LP_PRIVATE)
					continue;
				if (lj->vaddr < wend || lj->vaddr - wend > PM_WINDOW_GAP ||
				    (lj->vaddr + lj->memsz - wstart) / IMG_PAGE > PM_CHUNK)
					break;
				wend = lj->vaddr + lj->memsz;
			}
		npages = (wend - wstart) / IMG_PAGE;
		got =
		    sp->pagemap_fd >= 0 && pm && runs && !(wstart % IMG_PAGE) && !(wend % IMG_PAGE)
			? pread(sp->pagemap_fd, pm, (size_t)npages * sizeof(*pm),
				(off_t)(wstart / IMG_PAGE * sizeof(*pm)))
			: -1;
		known = got == (ssize_t)(npages * sizeof(*pm));
		for (size_t li = i; li < j; li++) {
			const struct img_load *l = &sp->desc.loads[li];
			const struct live_map *m = &sp->maps.v[sp->lp[li].map];
			bool anon = m->kind == LM_ANON && known;
			uint64_t a0, a1; /* the part of this load inside the window */
			if (sp->lp[li].how != LP_PRIVATE)
				continue;
			a0 = l->vaddr > wstart ? l->vaddr : wstart;
			a1 = l->vaddr + l->memsz < wend ? l->vaddr + l->memsz : wend;
			if (!known) {
				/* no page map: all of it through /proc/PID/mem */
				uint64_t r =
				    read_safe(sp->mem_fd, sp->img_map + l->offset + (a0 - l->vaddr),
					      a0, a1 - a0);
				c->counter += r;
				sp->copied += r;
				if (r < a1 - a0)
					fail_at(sp, li, a0 + r);
				continue;
			}
			for (uint64_t k = (a0 - wstart) / IMG_PAGE, to = (a1 - wstart) / IMG_PAGE;
			     k < to;) {
				enum page_kind kind = page_kind(c, pm[k], anon);
				uint64_t end = k + 1, addr = wstart + k * IMG_PAGE, len;
				uint8_t *dst = sp->img_map + l->offset + (addr - l->vaddr);
				while (end < to && page_kind(c, pm[end], anon) == kind)
					end++;
				len = (end - k) * IMG_PAGE;
				if (kind == PG_ZERO) {
					sp->skipped_zero += len;
				} else if (kind == PG_FAST) {
					if (nruns == PM_CHUNK) {
						read_fast_batch(c, sp, runs, nruns);
						nruns = 0;
					}
					runs[nruns].dst = dst;
					runs[nruns].addr = addr;
					runs[nruns].len = len;
					runs[nruns].li = li;
					nruns++;
				} else if (kind == PG_SEEN) {
					for (uint64_t q = k; q < end; q++)
						memcpy(dst + (q - k) * IMG_PAGE,
						       pfn_find(c, pm[q] & PM_PFN_MASK), IMG_PAGE);
					c->counter += len;
					sp->copied += len;
				} else {
					uint64_t r = read_safe(sp->mem_fd, dst, addr, len);
					c->counter += r;
					sp->copied += r;
					for (uint64_t q = k; q < end && (q - k) * IMG_PAGE < r; q++)
						if ((pm[q] & PM_PRESENT) && (pm[q] & PM_PFN_MASK))
							pfn_add(c, pm[q] & PM_PFN_MASK,
								dst + (q - k) * IMG_PAGE);
					if (r < len)
						fail_at(sp, li, addr + r);
				}
				k = end;
			}
		}
		if (wend < l0->vaddr + l0->memsz) {
			pos = wend; /* more of the same big mapping */
		} else {
			i = j;
			pos = 0;
		}
	}
	if (nruns)
		read_fast_batch(c, sp, runs, nruns);
}

/* A long run read in pieces, so that the stop deadline is looked at in between. */
#define COPY_CHUNK (16ull << 20)
static void read_chunked(struct ctx *c, struct sproc *sp, struct run *r, uint8_t *dst,
			 uint64_t addr, uint64_t len)
{
	for (uint64_t off = 0; off < len && !past_deadline(c); off += COPY_CHUNK) {
		r->dst = dst + off;
		r->addr = addr + off;
		r->len = len - off < COPY_CHUNK ? len - off : COPY_CHUNK;
		read_fast_batch(c, sp, r, 1);
	}
}

/*
 * [from, to) of a shared writable mapping (shm): only the pages that exist
 * in the shared object (SEEK_DATA on /proc/PID/map_files), so that pages no
 * process ever touched are neither read nor allocated; without access to
 * map_files, all of it.
 */
static void copy_shared_part(struct ctx *c, struct sproc *sp, size_t li, uint64_t from, uint64_t to)
{
	const struct img_load *l = &sp->desc.loads[li];
	const struct live_map *m = &sp->maps.v[sp->lp[li].map];
	int fd = sp->lp[li].share_fd;
	uint64_t pos = from;
	struct run r = {.li = li};

	if (fd >= 0) {
		/* Bounded: pos grows at every round. */
		while (pos < to) {
			off_t d = lseek(fd, (off_t)(m->offset + pos), SEEK_DATA), h;
			uint64_t dpos, hpos;
			if (d < 0 && errno == ENXIO) {
				sp->skipped_zero += to - pos;
				return;
			}
			if (d < 0 || (uint64_t)d < m->offset + pos)
				break; /* no hole support: read the rest */
			dpos = (uint64_t)d - m->offset;
			if (dpos >= to) {
				sp->skipped_zero += to - pos;
				return;
			}
			h = lseek(fd, d, SEEK_HOLE);
			hpos = h < 0 ? to : (uint64_t)h - m->offset;
			if (hpos > to || hpos <= dpos)
				hpos = to;
			sp->skipped_zero += dpos - pos;
			read_chunked(c, sp, &r, sp->img_map + l->offset + dpos, l->vaddr + dpos,
				     hpos - dpos);
			pos = hpos;
		}
		if (pos >= to)
			return;
	}
	read_chunked(c, sp, &r, sp->img_map + l->offset + pos, l->vaddr + pos, to - pos);
}

/* Shared mappings this large are copied on two threads. */
#define SHARED_SPLIT_MIN (64ull << 20)

/*
 * Whether to copy @len bytes on two threads: HEAPWALK_THREADS=1 never,
 * HEAPWALK_SPLIT_MIN=BYTES lowers the size (tests), as for the walks.
 */
static bool split_copy(uint64_t len)
{
	const char *threads = getenv("HEAPWALK_THREADS");
	const char *min = getenv("HEAPWALK_SPLIT_MIN");

	if (threads && *threads && strtol(threads, NULL, 10) == 1)
		return false;
	if (!min && sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return false;
	return len >= (min && *min ? strtoull(min, NULL, 0) : SHARED_SPLIT_MIN);
}

/* The second half of a shared mapping, copied on its own thread with its own counts. */
struct shared_half {
	struct ctx c;
	struct sproc sp;
	size_t li;
	uint64_t from, to;
};

static void *shared_half_run(void *arg)
{
	struct shared_half *h = arg;

	copy_shared_part(&h->c, &h->sp, h->li, h->from, h->to);
	return NULL;
}

/*
 * A shared writable mapping: a large one in two halves, the second on
 * another thread (at the same real-time priority when heapwalk has it),
 * each reading its own pages; the bytes saved stay a prefix.
 */
static uint64_t copy_shared(struct ctx *c, struct sproc *sp, size_t li)
{
	const struct img_load *l = &sp->desc.loads[li];
	struct shared_half h;
	struct load_plan *lp2 = NULL;
	pthread_attr_t attr;
	pthread_t thread;
	bool started = false;

	sp->lp[li].got = l->memsz;
	if (split_copy(l->memsz) && (lp2 = malloc(sp->desc.nloads * sizeof(*lp2))) != NULL) {
		memcpy(lp2, sp->lp, sp->desc.nloads * sizeof(*lp2));
		h.c = *c;
		h.c.counter = 0;
		h.sp = *sp;
		h.sp.lp = lp2;
		h.sp.copied = h.sp.skipped_zero = 0;
		h.li = li;
		h.from = (l->memsz / 2) & ~(uint64_t)(IMG_PAGE - 1);
		h.to = l->memsz;
		pthread_attr_init(&attr);
		if (c->boosted) {
			struct sched_param prio = {.sched_priority = 1};
			pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
			pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
			pthread_attr_setschedparam(&attr, &prio);
		}
		started = pthread_create(&thread, &attr, shared_half_run, &h) == 0;
		if (!started && c->boosted) {
			pthread_attr_destroy(&attr);
			pthread_attr_init(&attr);
			started = pthread_create(&thread, &attr, shared_half_run, &h) == 0;
		}
		pthread_attr_destroy(&attr);
	}
	copy_shared_part(c, sp, li, 0, started ? h.from : l->memsz);
	if (started) {
		pthread_join(thread, NULL);
		c->counter += h.c.counter;
		c->over |= h.c.over;
		sp->copied += h.sp.copied;
		sp->skipped_zero += h.sp.skipped_zero;
		if (lp2[li].got < sp->lp[li].got)
			sp->lp[li].got = lp2[li].got;
	}
	free(lp2);
	return sp->lp[li].got;
}

static void copy_loads(struct ctx *c, struct sproc *sp, enum how how)
{
	if (how == LP_PRIVATE)
		copy_private_all(c, sp);
	for (size_t i = 0; i < sp->desc.nloads; i++) {
		struct load_plan *lp = &sp->lp[i];
		if (lp->how != how)
			continue;
		if (how == LP_SHARED)
			lp->got = copy_shared(c, sp, i);
		if (lp->got < lp->planned)
			sp->unreadable += lp->planned - lp->got;
	}
}

/* Registers of every stopped thread into its NT_PRSTATUS, with the signal it stopped with. */
static void fill_registers(struct sproc *sp)
{
	size_t reg_off = sp->cls == ELFCLASS64 ? 112 : 72;

	if (!sp->regs_size)
		return;
	for (size_t k = 0; k < sp->ntids; k++) {
		pid_t tid = sp->tids[k];
		size_t slot = 0;
		struct tracee *t = find_tracee(sp, tid);
		struct iovec iov;
		uint8_t *d;
		if (tid != sp->pid) {
			slot = 1;
			for (size_t j = 0; j < k; j++)
				if (sp->tids[j] != sp->pid)
					slot++;
		}
		d = sp->nb.buf + sp->status_off[slot];
		if (t && t->sig) {
			uint16_t s = (uint16_t)t->sig;
			memcpy(d + 12, &s, 2);
			put_u32(d, (uint32_t)t->sig);
		}
		iov.iov_base = d + reg_off;
		iov.iov_len = sp->regs_size;
		if (!t || !t->stopped ||
		    ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov) != 0)
			memset(d + reg_off, 0, sp->regs_size);
	}
}

/* The HEAPWALK note and the final segment sizes go into the image. */
static void finish_image(struct ctx *c, struct sproc *sp)
{
	struct hw_sbuf sb;
	size_t len;

	for (size_t i = 0; i < sp->desc.nloads; i++) {
		struct img_load *l = &sp->desc.loads[i];
		l->filesz = sp->lp[i].got;
		if (!l->filesz)
			l->offset = 0;
	}
	hw_sbuf_init(&sb);
	hw_sbuf_printf(&sb,
		       "pid=%d\nppid=%d\nthreads=%zu\nstopped=%d\nwas_stopped=%d\nstop_ns=%" PRIu64
		       "\ncopied=%" PRIu64 "\ncopied_while_stopped=%" PRIu64
		       "\nshared_elsewhere=%" PRIu64 "\nunreadable=%" PRIu64
		       "\nskipped_zero=%" PRIu64 "\nns_pid=%d\n",
		       sp->pid, sp->st.ppid, sp->ntids, c->o->no_stop ? 0 : 1,
		       sp->was_stopped ? 1 : 0, sp->t1 - sp->t0, sp->copied, sp->cws,
		       sp->shared_elsewhere, sp->unreadable, sp->skipped_zero, sp->st.ns_pid);
	len = sb.len < PROC_NOTE_SPACE ? sb.len : PROC_NOTE_SPACE;
	if (sb.buf)
		memcpy(sp->nb.buf + sp->procnote_off, sb.buf, len);
	hw_sbuf_deinit(&sb);
	img_put_headers(&sp->desc, sp->img_map);
	if (!c->hold) { /* held: unmapped after the release (unplan), not during the stop */
		munmap(sp->img_map, (size_t)sp->desc.size);
		sp->img_map = NULL;
	}
}

static bool group_stopped(const struct sproc *sp)
{
	if (!sp->ntr)
		return false;
	for (size_t k = 0; k < sp->ntr; k++)
		if (!sp->tr[k].group_stop && !sp->tr[k].gone)
			return false;
	return true;
}

/*
 * Every thread planned is held and no other: the threads were seized from
 * the plan's list, and the rounds after the interrupts added none.
 */
static bool same_threads(const struct sproc *sp)
{
	if (sp->ntr != sp->ntids)
		return false;
	for (size_t k = 0; k < sp->ntr; k++)
		if (sp->tr[k].gone)
			return false;
	return true;
}

/*
 * The writable mappings are those planned. Checked after the process runs
 * again (reading maps takes a while): the same mappings before the plan
 * and after the release mean the same mappings while it was stopped.
 */
static bool same_maps(struct sproc *sp, struct hw_error **err)
{
	struct live_maps now;
	bool same;

	if ((*err = live_read_maps(sp->pid, &now)))
		return false;
	same = live_maps_same_writable(&now, &sp->maps);
	live_maps_free(&now);
	return same;
}

static void release_all(struct ctx *c)
{
	for (size_t i = 0; i < c->n; i++)
		release(c, &c->p[i]);
}

/* Tests hold the processes longer (HEAPWALK_TEST_HOLD_MS) to kill heapwalk mid-snapshot. */
static unsigned test_hold_ms(void)
{
	const char *hold = getenv("HEAPWALK_TEST_HOLD_MS");
	unsigned long v;

	if (!hold || !*hold)
		return 0;
	v = strtoul(hold, NULL, 10);
	return v > 60000 ? 60000 : (unsigned)v;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * Scratch buffers and the frame table sized for @pages pages, touched now
 * so that nothing faults or grows while processes are held.
 */
static void prepare_scratch(struct ctx *c, uint64_t pages)
{
	size_t cap = 4096;

	if (!c->pm)
		c->pm = calloc(PM_CHUNK, sizeof(*c->pm));
	if (!c->runs)
		c->runs = calloc(PM_CHUNK, sizeof(*c->runs));
	while (cap < pages * 2 && cap < (1u << 26))
		cap *= 2;
	if (c->pfn_cap < cap) {
		uint64_t *keys = calloc(cap, sizeof(*keys));
		const uint8_t **vals = calloc(cap, sizeof(*vals));
		if (keys && vals) {
			free(c->pfn_keys);
			free(c->pfn_vals);
			c->pfn_keys = keys;
			c->pfn_vals = vals;
			c->pfn_cap = cap;
			c->pfn_n = 0;
			memset(keys, 0, cap * sizeof(*keys));
			memset(vals, 0, cap * sizeof(*vals));
		} else {
			free(keys);
			free(vals);
		}
	}
	if (c->pm)
		memset(c->pm, 0, PM_CHUNK * sizeof(*c->pm));
	if (c->runs)
		memset(c->runs, 0, PM_CHUNK * sizeof(*c->runs));
}

/*
 * Whether the allocator's lock word (opts quiet_word) was held when the
 * processes stopped: read through the first image's memory file. A word
 * that cannot be read counts as quiet (nothing better is known).
 */
static bool caught_busy(const struct ctx *c)
{
	uint32_t v = 0;

	if (!c->o->quiet_word)
		return false;
	for (size_t i = 0; i < c->n; i++)
		if (c->p[i].image && c->p[i].mem_fd >= 0)
			return pread(c->p[i].mem_fd, &v, sizeof(v), (off_t)c->o->quiet_word) ==
				   (ssize_t)sizeof(v) &&
			       v != 0;
	return false;
}

/*
 * One try; *again is set when the processes changed between planning and
 * stopping, or (c->busy) when one was stopped holding the allocator's lock.
 */
static struct hw_error *attempt(struct ctx *c, bool *again)
{
	const struct hw_snapshot_opts *o = c->o;
	struct hw_error *err = NULL;
	uint64_t total = 0, max = o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;
	uint64_t deadline;
	unsigned hold_ms;

	*again = false;
	c->busy = c->busy_kept = false;
	c->over = false;
	c->stop_deadline = 0;
	for (size_t i = 0; i < c->n; i++)
		if ((err = plan(c, &c->p[i], &total)))
			return hw_error_context(err, "pid %d", c->p[i].pid);
	c->hold = false;
	for (size_t i = 0; i < c->n; i++)
		for (size_t k = 0; c->p[i].image && k < c->p[i].desc.nloads; k++)
			c->hold |= c->p[i].lp[k].how == LP_INPLACE;
	/* What the processes use, not what they reserved, is copied. */
	total = 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->p[i].image)
			total += expected_bytes(&c->p[i]);
	c->planned = total;
	if (total > max)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "the snapshot would copy %" PRIu64
				       " MiB, more than the limit "
				       "of %" PRIu64 " MiB",
				       total >> 20, max >> 20);
	for (size_t i = 0; i < c->n; i++)
		if (c->p[i].image && (err = make_image(&c->p[i])))
			return err;
	prepare_scratch(c, total / IMG_PAGE);

	block_signals(c);
	if (!o->no_stop)
		boost(c);
	if (!o->no_stop) {
		for (size_t i = 0; i < c->n && !err; i++)
			for (size_t k = 0; k < c->p[i].ntids && !err; k++)
				err = seize(c, &c->p[i], c->p[i].tids[k]);
		/* Then stop them all at once. */
		for (size_t i = 0; i < c->n && !err; i++)
			err = interrupt(c, &c->p[i]);
		/* Threads started meanwhile are held too (bounded: a few rounds). */
		for (int round = 0; round < 8 && !err; round++) {
			bool more = false;
			for (size_t i = 0; i < c->n && !err; i++) {
				pid_t *tids;
				size_t n, held = 0;
				for (size_t k = 0; k < c->p[i].ntr; k++)
					held += !c->p[i].tr[k].gone;
				/* The count is cheap to read; the list only when it differs. */
				if (live_thread_count(c->p[i].pid) == (long)held)
					continue;
				if ((err = live_list_tasks(c->p[i].pid, &tids, &n)))
					break;
				for (size_t k = 0; k < n && !err; k++)
					if (!find_tracee(&c->p[i], tids[k])) {
						more = true;
						err = seize(c, &c->p[i], tids[k]);
						if (!err)
							err = interrupt(c, &c->p[i]);
					}
				free(tids);
			}
			if (!more)
				break;
		}
		deadline = now_ns() + (uint64_t)(o->stop_timeout_ms ? o->stop_timeout_ms
								    : DEFAULT_TIMEOUT_MS) *
					  1000000ull;
		if (!err && !wait_stops(c->p, c->n, deadline)) {
			for (size_t i = 0; i < c->n && !err; i++)
				for (size_t k = 0; k < c->p[i].ntr && !err; k++)
					if (!c->p[i].tr[k].stopped && !c->p[i].tr[k].gone)
						err = hw_error_create(
						    HW_ERR_OS,
						    "pid %d (thread %d) did not stop within %u ms "
						    "(uninterruptible sleep?); nothing was copied",
						    c->p[i].pid, (int)c->p[i].tr[k].tid,
						    o->stop_timeout_ms ? o->stop_timeout_ms
								       : DEFAULT_TIMEOUT_MS);
		}
		for (size_t i = 0; i < c->n && !err; i++) {
			struct sproc *sp = &c->p[i];
			bool alive = false;
			for (size_t k = 0; k < sp->ntr; k++)
				alive |= !sp->tr[k].gone;
			if (!alive)
				err = hw_error_os(ESRCH, "pid %d exited during the snapshot",
						  sp->pid);
			else if (sp->image && !same_threads(sp))
				*again = true;
		}
		if (err || *again)
			goto out;
		/* Caught inside malloc or free: let everyone finish it, and stop again. */
		if (caught_busy(c)) {
			if (c->quiet_retries < HW_SNAPSHOT_QUIET_TRIES) {
				c->quiet_retries++;
				c->busy = *again = true;
				goto out;
			}
			c->busy_kept = true;
		}
	}
	c->t_first = c->t_first ? c->t_first : now_ns();
	if (!o->no_stop)
		c->stop_deadline =
		    c->t_first +
		    (uint64_t)(o->max_stop_ms ? o->max_stop_ms : HW_SNAPSHOT_MAX_STOP_MS) *
			1000000ull;
	for (size_t i = 0; i < c->n; i++)
		if (c->p[i].image)
			fill_registers(&c->p[i]);
	/* shm first, while everyone stands still; then each process's own memory. */
	for (size_t i = 0; i < c->n; i++)
		if (c->p[i].image)
			copy_loads(c, &c->p[i], LP_SHARED);
	hold_ms = o->hold_ms ? o->hold_ms : test_hold_ms();
	if (hold_ms && !c->hold)
		sleep_ms(hold_ms > 60000 ? 60000 : hold_ms);
	if (c->hold) {
		/* Everyone stays held: private memory now, the caller reads shm in place. */
		for (size_t i = 0; i < c->n; i++) {
			struct sproc *sp = &c->p[i];
			if (sp->image)
				copy_loads(c, sp, LP_PRIVATE);
			sp->was_stopped = group_stopped(sp);
		}
		if (!c->over) {
			for (size_t i = 0; i < c->n; i++)
				if (c->p[i].image)
					finish_image(c, &c->p[i]);
			return NULL; /* held, boosted, signals blocked: hw_snapshot_release */
		}
		release_all(c);
		unboost(c);
		goto overrun;
	}
	for (size_t i = 0; i < c->n; i++)
		if (!c->p[i].image)
			release(c, &c->p[i]);
	for (size_t i = 0; i < c->n; i++) {
		struct sproc *sp = &c->p[i];
		if (!sp->image)
			continue;
		copy_loads(c, sp, LP_PRIVATE);
		sp->was_stopped = o->no_stop ? sp->st.state == 'T' : group_stopped(sp);
		release(c, sp);
	}
	unboost(c);
overrun:
	if (c->over) {
		err = hw_error_create(
		    HW_ERR_UNSUPPORTED,
		    "copying the pools would hold the processes longer than %u ms (%.1f of %.1f "
		    "MiB copied when the limit was reached); they were released and nothing "
		    "was kept: --max-stop MS allows a longer stop, --no-stop none",
		    o->max_stop_ms ? o->max_stop_ms : HW_SNAPSHOT_MAX_STOP_MS,
		    (double)c->counter / (1 << 20), (double)c->planned / (1 << 20));
		goto out;
	}
	/* Only once everyone runs again: the check, headers, notes, unmapping. */
	for (size_t i = 0; i < c->n && !err && !*again; i++)
		if (c->p[i].image && !same_maps(&c->p[i], &err) && !err)
			*again = true;
	for (size_t i = 0; i < c->n && !err && !*again; i++)
		if (c->p[i].image)
			finish_image(c, &c->p[i]);
out:
	release_all(c);
	unboost(c);
	unblock_signals(c);
	return err;
}

static void forget_frames(struct ctx *c)
{
	free(c->pm);
	free(c->runs);
	c->pm = NULL;
	c->runs = NULL;
	free(c->pfn_keys);
	free(c->pfn_vals);
	c->pfn_keys = NULL;
	c->pfn_vals = NULL;
	c->pfn_n = c->pfn_cap = 0;
}

static void free_ctx(struct ctx *c)
{
	forget_frames(c);
	for (size_t i = 0; i < c->n; i++)
		unplan(&c->p[i]);
	free(c->p);
}

/* What each process of @c went through, into @s (its processes in the same order). */
static void fill_procs(const struct ctx *c, struct hw_snapshot *s)
{
	size_t np = 0, nh = 0;

	s->wall_ns = c->t_last > c->t_first ? c->t_last - c->t_first : 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct sproc *sp = &c->p[i];
		struct hw_snapshot_proc *p = sp->image ? &s->procs[np++] : &s->held[nh++];
		p->was_stopped =
		    sp->image || s->holding || s->released ? sp->was_stopped : group_stopped(sp);
		p->stop_ns = sp->t1 > sp->t0 ? sp->t1 - sp->t0 : 0;
		p->copied = sp->copied;
		p->copied_while_stopped = sp->cws;
		p->shared_elsewhere = sp->shared_elsewhere;
		p->unreadable = sp->unreadable;
		p->skipped_zero = sp->skipped_zero;
		p->in_place = 0;
		for (size_t k = 0; sp->image && k < sp->desc.nloads; k++)
			if (sp->lp[k].how == LP_INPLACE)
				p->in_place += sp->desc.loads[k].memsz;
	}
}

/* The held snapshot's context, for the watchdog (one hold at a time: the signal is ours). */
static struct ctx *volatile watched;

/*
 * Past max_stop_ms: let every held thread go from the signal handler (the
 * timer signals the tracing thread only, ptrace needs it), and say so.
 */
static void on_watchdog(int sig)
{
	struct ctx *c = watched;
	int e = errno;

	(void)sig;
	if (c && !c->expired) {
		uint64_t t = now_ns();
		for (size_t i = 0; i < c->n; i++) {
			struct sproc *sp = &c->p[i];
			if (!sp->holding)
				continue;
			for (size_t k = 0; k < sp->ntr; k++)
				if (!sp->tr[k].gone && sp->tr[k].stopped)
					ptrace(PTRACE_DETACH, sp->tr[k].tid, NULL,
					       (void *)(long)sp->tr[k].sig);
			sp->t1 = t;
			sp->holding = false;
			if (t > c->t_last)
				c->t_last = t;
		}
		c->expired = 1;
	}
	errno = e;
}

static void disarm(struct ctx *c)
{
	sigset_t set;

	if (!c->timer_armed)
		return;
	timer_delete(c->timer);
	sigemptyset(&set);
	sigaddset(&set, WATCHDOG_SIG);
	sigprocmask(SIG_BLOCK, &set, NULL);
	watched = NULL;
	sigaction(WATCHDOG_SIG, &c->old_action, NULL);
	c->timer_armed = false;
}

/* A timer that fires on this thread at @c's stop deadline. */
static struct hw_error *arm(struct ctx *c)
{
	struct sigaction sa = {.sa_handler = on_watchdog, .sa_flags = SA_RESTART};
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = WATCHDOG_SIG};
	struct itimerspec its = {{0, 0}, {0, 0}};
	sigset_t set;

	if (watched)
		return hw_error_create(HW_ERR_INVALID_ARG, "processes are held already");
	ev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
	sigemptyset(&sa.sa_mask);
	watched = c;
	if (sigaction(WATCHDOG_SIG, &sa, &c->old_action) != 0) {
		watched = NULL;
		return hw_error_os(errno, "cannot watch the stop time");
	}
	if (timer_create(CLOCK_MONOTONIC, &ev, &c->timer) != 0) {
		int e = errno;
		sigaction(WATCHDOG_SIG, &c->old_action, NULL);
		watched = NULL;
		return hw_error_os(e, "cannot watch the stop time");
	}
	c->timer_armed = true;
	its.it_value.tv_sec = (time_t)(c->stop_deadline / 1000000000ull);
	its.it_value.tv_nsec = (long)(c->stop_deadline % 1000000000ull);
	timer_settime(c->timer, TIMER_ABSTIME, &its, NULL);
	sigemptyset(&set);
	sigaddset(&set, WATCHDOG_SIG);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return NULL;
}

/*
 * The processes of @c stay held after hw_snapshot_take: its context moves
 * into @s, with the in-place mappings, and the watchdog starts.
 */
static struct hw_error *keep_holding(struct ctx *c, struct hw_snapshot *s)
{
	struct hw_snapshot_hold *h = calloc(1, sizeof(*h));
	size_t n = 0;

	if (!h)
		return hw_error_nomem();
	for (size_t i = 0; i < c->n; i++)
		for (size_t k = 0; c->p[i].image && k < c->p[i].desc.nloads; k++)
			n += c->p[i].lp[k].how == LP_INPLACE;
	if (n && !(s->inplace = calloc(n, sizeof(*s->inplace)))) {
		free(h);
		return hw_error_nomem();
	}
	for (size_t i = 0, np = 0; i < c->n; i++) {
		struct sproc *sp = &c->p[i];
		if (!sp->image)
			continue;
		for (size_t k = 0; k < sp->desc.nloads; k++)
			if (sp->lp[k].how == LP_INPLACE)
				s->inplace[s->ninplace++] =
				    (struct hw_snapshot_live){.proc = np,
							      .start = sp->desc.loads[k].vaddr,
							      .len = sp->desc.loads[k].memsz,
							      .data = sp->lp[k].live};
		np++;
	}
	h->o = *c->o;
	h->o.also_stop = NULL;
	h->o.nalso_stop = 0;
	h->c = *c;
	h->c.o = &h->o;
	if (arm(&h->c)) {
		/* the deadline cannot be kept: no hold */
		s->ninplace = 0;
		free(h);
		return hw_error_create(HW_ERR_OS, "cannot bound the stop time (timer)");
	}
	/* the mappings now belong to the snapshot (unmapped by hw_snapshot_destroy) */
	for (size_t i = 0; i < c->n; i++)
		for (size_t k = 0; c->p[i].image && k < c->p[i].desc.nloads; k++)
			c->p[i].lp[k].live = NULL;
	memset(c, 0, sizeof(*c)); /* h owns the processes and plans now */
	if (h->c.boosted) {
		/* the caller's walk may start threads: they run at the same priority while held */
		struct sched_param prio = {.sched_priority = 1};
		sched_setscheduler(0, SCHED_FIFO, &prio);
	}
	/* tests: a walk that takes this long (the watchdog ends it past max_stop_ms) */
	if (test_hold_ms() || h->o.hold_ms)
		sleep_ms(h->o.hold_ms ? h->o.hold_ms : test_hold_ms());
	s->hold = h;
	s->holding = true;
	return NULL;
}

struct hw_error *hw_snapshot_release(struct hw_snapshot *s)
{
	struct hw_snapshot_hold *h = s ? s->hold : NULL;
	struct ctx *c;
	struct hw_error *err = NULL;

	if (!h)
		return NULL;
	c = &h->c;
	disarm(c);
	if (!c->expired)
		release_all(c);
	unboost(c);
	unblock_signals(c);
	s->holding = false;
	s->released = true;
	fill_procs(c, s);
	if (c->expired)
		err = hw_error_create(
		    HW_ERR_UNSUPPORTED,
		    "walking the pools would hold the processes longer than %u ms; they were "
		    "released at the limit and nothing read since is kept: --max-stop MS allows "
		    "a longer stop, --no-stop none",
		    c->o->max_stop_ms ? c->o->max_stop_ms : HW_SNAPSHOT_MAX_STOP_MS);
	for (size_t i = 0; i < c->n && !err; i++) {
		bool same;
		if (!c->p[i].image)
			continue;
		same = same_maps(&c->p[i], &err);
		if (!err && !same)
			err = hw_error_create(HW_ERR_OS,
					      "pid %d changed its mappings while it was being "
					      "stopped; run again",
					      c->p[i].pid);
	}
	free_ctx(c);
	free(h);
	s->hold = NULL;
	return err;
}

void hw_snapshot_withdraw(const struct hw_snapshot *s, struct hw_target *t)
{
	for (size_t i = 0; i < s->ninplace; i++)
		hw_mem_withdraw(t->mem, s->inplace[i].start, s->inplace[i].len,
				"shared memory read in place, no longer held");
}

struct hw_error *hw_snapshot_take(const int *pids, size_t n, const struct hw_snapshot_opts *opts,
				  struct hw_snapshot **ret)
{
	static const struct hw_snapshot_opts defaults;
	const struct hw_snapshot_opts *o = opts ? opts : &defaults;
	struct ctx c = {.o = o};
	struct hw_error *err = NULL;
	struct hw_snapshot *s = NULL;
	size_t total = n + o->nalso_stop, nheld = 0;
	uint64_t t_real;

	if (n == 0)
		return hw_error_create(HW_ERR_INVALID_ARG, "no process to snapshot");
	c.p = calloc(total, sizeof(*c.p));
	if (!c.p)
		return hw_error_nomem();
	for (size_t i = 0; i < total; i++) {
		int pid = i < n ? pids[i] : o->also_stop[i - n];
		bool dup = false;
		if (pid <= 0 || pid == getpid()) {
			free(c.p);
			return hw_error_create(HW_ERR_INVALID_ARG, "cannot snapshot pid %d", pid);
		}
		for (size_t k = 0; k < c.n; k++)
			dup |= c.p[k].pid == pid;
		if (dup) {
			if (i < n) {
				free(c.p);
				return hw_error_create(HW_ERR_INVALID_ARG, "pid %d given twice",
						       pid);
			}
			continue;
		}
		c.p[c.n].pid = pid;
		c.p[c.n].image = i < n;
		c.p[c.n].img_fd = c.p[c.n].mem_fd = c.p[c.n].pagemap_fd = -1;
		c.n++;
	}
	t_real = real_ns();
	for (int a = 0; a < ATTEMPTS; a++) {
		bool again;
		err = attempt(&c, &again);
		if (err || !again)
			break;
		if (c.busy) {
			/* not the churn ATTEMPTS bounds: the holder needs a moment (tries bounded)
			 */
			a--;
			sleep_ms(1);
		}
		/* The process mapped or unmapped memory, or started a thread: plan again. */
		for (size_t i = 0; i < c.n; i++)
			unplan(&c.p[i]);
		forget_frames(&c);
		c.counter = 0;
		c.t_first = c.t_last = 0;
		t_real = real_ns();
		if (a == ATTEMPTS - 1) {
			/* a process that exits unmaps everything: say that, not the churn */
			for (size_t i = 0; i < c.n && !err; i++)
				if (has_exited(c.p[i].pid))
					err = hw_error_os(ESRCH,
							  "cannot stop pid %d: process %d exited",
							  c.p[i].pid, c.p[i].pid);
			if (!err)
				err = hw_error_create(
				    HW_ERR_OS,
				    "the processes kept changing their mappings; no "
				    "consistent snapshot after %d attempts",
				    ATTEMPTS);
		}
	}
	if (err)
		goto out;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->procs = calloc(n, sizeof(*s->procs))) ||
	    !(s->held = calloc(total - n + 1, sizeof(*s->held))) || !(s->source = strdup("live"))) {
		err = hw_error_nomem();
		goto out;
	}
	s->stopped = !o->no_stop;
	s->quiet_watched = o->quiet_word != 0 && !o->no_stop;
	s->quiet_retries = c.quiet_retries;
	s->quiet_busy = c.busy_kept;
	s->live = true;
	s->time_ns = t_real;
	for (size_t i = 0; i < c.n; i++) {
		struct sproc *sp = &c.p[i];
		struct hw_snapshot_proc *p = sp->image ? &s->procs[s->nprocs++] : &s->held[nheld++];
		p->pid = sp->pid;
		p->ppid = sp->st.ppid;
		p->ns_pid = sp->st.ns_pid;
		hw_sanitise(p->comm, sizeof(p->comm), sp->st.comm, strlen(sp->st.comm));
		p->nthreads = (unsigned)sp->ntids;
		p->stopped = !o->no_stop;
		p->fd = sp->image ? sp->img_fd : -1;
		if (sp->image)
			sp->img_fd = -1; /* handed over */
	}
	s->nheld = nheld;
	fill_procs(&c, s); /* held: again on release */
	if (c.hold)
		err = keep_holding(&c, s);
out:
	if (err && c.hold && c.p && c.t_first)
		release_all(&c), unboost(&c), unblock_signals(&c);
	if (c.p)
		free_ctx(&c);
	if (err) {
		hw_snapshot_destroy(s);
		return err;
	}
	*ret = s;
	return NULL;
}

long hw_snapshot_find(const struct hw_snapshot *s, int pid)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return (long)i;
	return -1;
}

void hw_snapshot_destroy(struct hw_snapshot *s)
{
	if (!s)
		return;
	hw_error_destroy(hw_snapshot_release(s));
	for (size_t i = 0; i < s->ninplace; i++)
		munmap((void *)s->inplace[i].data, (size_t)s->inplace[i].len);
	free(s->inplace);
	for (size_t i = 0; i < s->nprocs; i++) {
		if (s->procs[i].fd >= 0)
			close(s->procs[i].fd);
		free(s->procs[i].path);
	}
	free(s->procs);
	free(s->held);
	free(s->source);
	free(s);
}

/* /proc/PID/root when the process sees another root than heapwalk, else NULL. */
char *hw_snapshot_root(int pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	if (stat(path, &a) != 0 || stat("/", &b) != 0)
		return NULL;
	if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return NULL;
	return strdup(path);
}

struct hw_error *hw_snapshot_preopen(int pid, const char *sysroot, struct hw_target_files *files,
				     const struct hw_elf **exe_ret)
{
	char *root = sysroot && *sysroot ? NULL : hw_snapshot_root(pid);
	char link[64], exe[PATH_MAX];
	struct hw_error *err;
	struct live_maps m;
	ssize_t n;

	*exe_ret = NULL;
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	if ((err = live_read_maps(pid, &m))) {
		free(root);
		hw_error_destroy(err); /* the snapshot will say it */
		return NULL;
	}
	for (size_t i = 0; i < m.n && !err; i++) {
		const struct live_map *lm = &m.v[i];
		struct hw_elf *elf = NULL;
		/* a file's mappings come together: each file once (a deleted one: never) */
		if (lm->kind != LM_FILE || (i && !strcmp(m.v[i - 1].path, lm->path)) ||
		    strstr(lm->path, " (deleted)"))
			continue;
		err = hw_mapfiles_preopen(&files->m, root ? root : sysroot, lm->path, &elf);
		if (!err && exe[0] && !strcmp(lm->path, exe))
			*exe_ret = elf;
	}
	live_maps_free(&m);
	free(root);
	return err;
}

struct hw_error *hw_snapshot_open(const struct hw_snapshot *s, size_t i,
				  const struct hw_target_opts *topts, struct hw_target **ret)
{
	struct hw_target_opts o = {0};
	const struct hw_snapshot_proc *p;
	struct hw_target *t;
	struct hw_error *err;
	char path[64], *root = NULL, *label = NULL;

	if (i >= s->nprocs)
		return hw_error_create(HW_ERR_INVALID_ARG, "no process %zu in the snapshot", i);
	p = &s->procs[i];
	if (topts)
		o = *topts;
	if (p->fd >= 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", p->fd);
		o.core_path = path;
	} else if (p->path) {
		o.core_path = p->path;
	} else {
		return hw_error_create(HW_ERR_INVALID_ARG, "no image for pid %d", p->pid);
	}
	if (s->live && (!o.sysroot || !*o.sysroot))
		o.sysroot = root = hw_snapshot_root(p->pid);
	err = hw_target_open_core(&o, &t);
	free(root);
	if (err) {
		if (p->fd >= 0)
			return hw_error_context(err, "snapshot of pid %d", p->pid);
		return err;
	}
	t->ns_pid = p->ns_pid;
	/* Held: the shared mappings are read where they are, not from the image. */
	for (size_t k = 0; s->holding && k < s->ninplace; k++) {
		const struct hw_snapshot_live *l = &s->inplace[k];
		if (l->proc == i && (err = hw_mem_add_direct(t->mem, HW_MEM_LAYER_CORE, l->start,
							     l->len, l->data))) {
			hw_target_destroy(t);
			return hw_error_context(err, "snapshot of pid %d", p->pid);
		}
	}
	if (s->live) {
		char ns[48] = "";
		if (p->ns_pid)
			snprintf(ns, sizeof(ns), "%d in its namespace; ", p->ns_pid);
		if (asprintf(&label, "pid %d (%slive, %s)", p->pid, ns,
			     !s->stopped  ? "not stopped: torn reads possible"
			     : s->holding ? "held while read"
					  : "stopped while copied") < 0)
			label = NULL;
	} else if (p->fd >= 0) {
		if (asprintf(&label, "%s (pid %d)", s->source, p->pid) < 0)
			label = NULL;
	}
	if (label) {
		free(t->source_path);
		t->source_path = label;
	}
	*ret = t;
	return NULL;
}

struct hw_error *hw_target_open_pid(int pid, const struct hw_target_opts *opts, bool no_stop,
				    struct hw_target **ret)
{
	struct hw_snapshot_opts so = {.no_stop = no_stop};
	struct hw_snapshot *s;
	struct hw_error *err = hw_snapshot_take(&pid, 1, &so, &s);

	if (err)
		return err;
	err = hw_snapshot_open(s, 0, opts, ret);
	hw_snapshot_destroy(s);
	return err;
}
