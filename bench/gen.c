/* gen.c - bench heap generator: big Kamailio-like shm heaps from the fixture allocators. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench_gen.h"

#ifndef FX_VARIANT
#error "FX_VARIANT (the executable's name) must be defined"
#endif
#if FX_KVER != 56 || !FX_DBG
#error "the bench heaps are 5.6 debug builds (FX_KVER=56, FX_DBG=1)"
#endif

/* ---- globals as Kamailio exports them (heapwalk discovers the pools through these) ---- */

sr_pkg_api_t _pkg_root;
sr_shm_api_t _shm_root;
unsigned long pkg_mem_size;
unsigned long shm_mem_size;
int process_no;
struct process_table *pt;
int *process_count;
char *sr_memmng_pkg;
char *sr_memmng_shm;

const char ver_version[] = "5.6.3";
const char full_version[] = "kamailio 5.6.3 (x86_64/linux) ";
const char ver_flags[] = "STATS: Off, USE_TCP, USE_TLS, SHM_MMAP, PKG_MALLOC, Q_MALLOC, "
			 "F_MALLOC, TLSF_MALLOC, DBG_SR_MEMORY, USE_FUTEX, USE_DNS_CACHE";
#if FX_MGR == FX_MGR_QM
static char memmng_default[] = "qm";
#elif FX_MGR == FX_MGR_FM
static char memmng_default[] = "fm";
#else
static char memmng_default[] = "tlsf";
#endif

/*
 * The manager's own free-fragment counter and the geometry the limit probe
 * steps by: first fragment, where the walk ends, header and trailer bytes
 * around the payload, and where the size field is (TLSF keeps two flag
 * bits in it).
 */
struct geometry {
	unsigned long first, end, hdr, trailer, size_off, size_mask;
};

static unsigned long free_frags(void *blk)
{
#if FX_MGR == FX_MGR_QM
	return ((struct qm_block *)blk)->ffrags;
#elif FX_MGR == FX_MGR_FM
	return ((struct fm_block *)blk)->ffrags;
#else
	return ((control_t *)blk)->fragments;
#endif
}

static void geometry(void *blk, struct geometry *g)
{
#if FX_MGR == FX_MGR_QM
	struct qm_block *qm = blk;

	g->first = (unsigned long)qm->first_frag;
	g->end = (unsigned long)qm + qm->size;
	g->hdr = sizeof(struct qm_frag);
	g->trailer = sizeof(struct qm_frag_end);
	g->size_off = offsetof(struct qm_frag, size);
	g->size_mask = ~0UL;
#elif FX_MGR == FX_MGR_FM
	struct fm_block *fm = blk;

	g->first = (unsigned long)fm->first_frag;
	g->end = (unsigned long)fm->last_frag;
	g->hdr = sizeof(struct fm_frag);
	g->trailer = 0;
	g->size_off = offsetof(struct fm_frag, size);
	g->size_mask = ~0UL;
#else
	/* a block header's size word starts its payload's accounting; the last block has size 0 */
	control_t *c = blk;
	unsigned long b = (unsigned long)c + sizeof(control_t) - sizeof(void *);

	g->first = b;
	g->hdr = offsetof(block_header_t, size);
	g->trailer = 0;
	g->size_off = offsetof(block_header_t, size);
	g->size_mask = ~3UL;
	while (((block_header_t *)b)->size & ~3UL)
		b += g->hdr + (((block_header_t *)b)->size & ~3UL);
	g->end = b;
#endif
}

static struct {
	const char *out;
	unsigned long frags;
	unsigned long shm_mib;
	unsigned long seed;
	unsigned long timeout;
	int no_stdin;
	int quiet;
} opt = {.seed = 1, .timeout = 900};

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: %s --out DIR --frags N [-m MIB] [--seed N] [--timeout SECONDS]\n"
		"       [--no-stdin] [--quiet]\n"
		"Lays out a Kamailio 5.6 " FX_MNAME " debug shm heap (LP64) of about N fragments\n"
		"(used and free) with %u allocation sites across %s, in a MAP_SHARED\n"
		"pool of MIB MiB (-m, as Kamailio's; default: enough for N), writes DIR/info.txt,\n"
		"then 'pid' and 'ready', and waits for SIGTERM/SIGINT, EOF on stdin or the\n"
		"timeout (default 900 s) so a core can be taken with gcore.\n",
		FX_VARIANT, bench_nsites, "17 modules");
}

static int parse_num(const char *s, unsigned long *ret)
{
	char *end;
	unsigned long v, mul = 1;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -1;
	if (*end == 'k' || *end == 'K')
		mul = 1000, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1000 * 1000, end++;
	if (*end || (v && mul > ULONG_MAX / v))
		return -1;
	*ret = v * mul;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long *num = NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--no-stdin")) {
			opt.no_stdin = 1;
			continue;
		} else if (!strcmp(a, "--quiet")) {
			opt.quiet = 1;
			continue;
		}
		if (!v)
			goto bad;
		i++;
		if (!strcmp(a, "--out"))
			opt.out = v;
		else if (!strcmp(a, "--frags"))
			num = &opt.frags;
		else if (!strcmp(a, "-m"))
			num = &opt.shm_mib;
		else if (!strcmp(a, "--seed"))
			num = &opt.seed;
		else if (!strcmp(a, "--timeout"))
			num = &opt.timeout;
		else
			goto bad;
		if (num && parse_num(v, num))
			goto bad;
	}
	if (!opt.out || opt.frags < 100 || opt.frags > 500000000UL)
		goto bad;
	return 0;
bad:
	usage(stderr);
	return -1;
}

/* xorshift64*, seeded by splitmix64: the heap depends only on --seed and --frags. */
static uint64_t rng_state;

static void rng_seed(uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	rng_state = (z ^ (z >> 31)) | 1;
}

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static unsigned long pick_size(const struct bench_site *s)
{
	unsigned long lo = s->min, hi = s->max, a, b;
	int bits_lo = 0, bits_hi = 0, k;

	while ((lo >> bits_lo) > 1)
		bits_lo++;
	while ((hi >> bits_hi) > 1)
		bits_hi++;
	k = bits_lo + (int)(rnd() % (unsigned)(bits_hi - bits_lo + 1));
	a = 1UL << k;
	b = (a << 1) - 1;
	if (a < lo)
		a = lo;
	if (b > hi)
		b = hi;
	return a + rnd() % (b - a + 1);
}

/* ---- pools ---- */

static int init_pools(void)
{
	void *pkg_pool, *shm_pool;
	int fd;

	pkg_pool = malloc(pkg_mem_size);
	fd = open("/dev/zero", O_RDWR);
	if (!pkg_pool || fd < 0) {
		perror("pkg pool or /dev/zero");
		return -1;
	}
	/* Kamailio's shm: a shared mapping of /dev/zero, which gcore dumps */
	shm_pool = mmap(NULL, shm_mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (shm_pool == MAP_FAILED) {
		perror("mmap shm pool");
		return -1;
	}
	_pkg_root.mname = FX_MNAME;
	_pkg_root.mem_pool = pkg_pool;
	_pkg_root.mem_block = fx_mgr_init(pkg_pool, pkg_mem_size, MEM_TYPE_PKG);
	_pkg_root.xmalloc = FX_MALLOC;
	_pkg_root.xrealloc = FX_REALLOC;
	_pkg_root.xfree = FX_FREE;
	_pkg_root.xstatus = FX_STATUS;
	_pkg_root.xsums = FX_SUMS;
	_shm_root.mname = FX_MNAME;
	_shm_root.mem_pool = shm_pool;
	_shm_root.mem_block = fx_mgr_init(shm_pool, shm_mem_size, MEM_TYPE_SHM);
	_shm_root.xmalloc = FX_SHM_MALLOC;
	_shm_root.xmalloc_unsafe = FX_MALLOC;
	_shm_root.xrealloc = FX_SHM_REALLOC;
	_shm_root.xfree = FX_SHM_FREE;
	_shm_root.xfree_unsafe = FX_FREE;
	_shm_root.xstatus = FX_SHM_STATUS;
	_shm_root.xsums = FX_SHM_SUMS;
	sr_memmng_pkg = memmng_default;
	sr_memmng_shm = memmng_default;
	if (!_pkg_root.mem_block || !_shm_root.mem_block) {
		fprintf(stderr, "pool too small\n");
		return -1;
	}
	return 0;
}

/* What a Kamailio process holds before traffic: pt, tables, a little pkg. */
static int startup(void)
{
	process_count = fx_shm_malloc("core", "core/pt.c", sizeof(int));
	pt = fx_shm_malloc("core", "core/pt.c", sizeof(struct process_table) * 8);
	if (!process_count || !pt)
		return -1;
	memset(pt, 0, sizeof(struct process_table) * 8);
	*process_count = 1;
	pt[0].pid = getpid();
	strcpy(pt[0].desc, "main process - attendant");
	if (!fx_shm_malloc("core", "core/dns_cache.c", 49152) ||
	    !fx_shm_malloc("tm", "h_table.c", 393216) ||
	    !fx_shm_malloc("usrloc", "udomain.c", 40 + 1024 * 40) ||
	    !fx_shm_malloc("dialog", "dlg_hash.c", 4096 * 32) ||
	    !fx_shm_malloc("htable", "ht_api.c", 4096 * 32))
		return -1;
	for (int i = 0; i < 240; i++)
		if (!fx_pkg_malloc("core", "core/route_struct.c", 232))
			return -1;
	for (int i = 0; i < 64; i++)
		if (!fx_pkg_malloc("core", "core/parser/msg_parser.c", 100 + i * 13))
			return -1;
	return fx_pkg_malloc("core", "core/receive.c", 65536) ? 0 : -1;
}

/* ---- workload ---- */

struct slot {
	void *p;
	const struct bench_site *site;
	unsigned long req;
};

static unsigned long *cumw; /* cumulative weights, for a binary search */

static const struct bench_site *pick_site(void)
{
	unsigned long w = rnd() % cumw[bench_nsites - 1];
	unsigned int lo = 0, hi = bench_nsites - 1;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		if (cumw[mid] > w)
			hi = mid;
		else
			lo = mid + 1;
	}
	return &bench_sites[lo];
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One random live slot goes back to its site's free. */
static void free_one(struct slot *slots, unsigned long *nslots)
{
	unsigned long i = ((uint64_t)rnd() << 32 | rnd()) % *nslots;

	slots[i].site->release(slots[i].p);
	slots[i] = slots[--*nslots];
}

/*
 * Mixed traffic (60% malloc at a random site, 32% free of a random live
 * block, 8% realloc) until the shm heap holds 8% more fragments than
 * asked, then the end of a burst: random live blocks are freed until joins
 * have brought the count down to opt.frags (about a quarter of the blocks;
 * then a fifth of the fragments are free holes of every size all over the
 * heap, as in a long-running Kamailio). The count is exact unless the last
 * free joins on both sides (one fragment fewer).
 */
static int run_workload(void)
{
	void *blk = _shm_root.mem_block;
	unsigned long grow = opt.frags + opt.frags / 100 * 8;
	struct slot *slots = calloc(grow + 1, sizeof(*slots));
	unsigned long nslots = 0, ops = 0, base = 7; /* startup()'s shm fragments, never freed */
	double t0 = now(), last = t0;

	cumw = calloc(bench_nsites, sizeof(*cumw));
	if (!slots || !cumw)
		return -1;
	for (unsigned int i = 0; i < bench_nsites; i++)
		cumw[i] = (i ? cumw[i - 1] : 0) + bench_sites[i].weight;
	rng_seed(opt.seed);
	while (base + nslots + free_frags(blk) < grow) {
		unsigned int r = rnd() % 100;

		ops++;
		if (nslots == 0 || r < 60) {
			const struct bench_site *s = pick_site();
			unsigned long req = pick_size(s);
			void *p = s->alloc(s->k, req);
			if (!p) {
				fprintf(stderr,
					"%s: shm pool full at %lu fragments: give a larger -m\n",
					FX_VARIANT, base + nslots + free_frags(blk));
				return -1;
			}
			slots[nslots].p = p;
			slots[nslots].site = s;
			slots[nslots].req = req;
			nslots++;
		} else if (r < 92) {
			free_one(slots, &nslots);
		} else {
			unsigned long i = ((uint64_t)rnd() << 32 | rnd()) % nslots;
			struct slot *sl = &slots[i];
			unsigned long req = r & 1 ? sl->req / 2 + 1 : sl->req * 2;
			void *p = fx_shm_realloc("core", "core/mem/shm.h", sl->p, req);
			if (!p)
				continue; /* no room to grow: keep the old block */
			sl->p = p;
			sl->req = req;
		}
		if (!opt.quiet && (ops & 0xfffff) == 0 && now() - last > 5) {
			last = now();
			fprintf(stderr, "%s: %lu of %lu fragments, %.0f s\n", FX_VARIANT,
				base + nslots + free_frags(blk), grow, last - t0);
		}
	}
	while (nslots && base + nslots + free_frags(blk) > opt.frags)
		free_one(slots, &nslots);
	free(slots);
	return 0;
}

/* ---- output ---- */

static int write_info(double gen_seconds)
{
	struct geometry g;
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/info.txt", opt.out);
	fp = fopen(path, "w");
	if (!fp) {
		perror(path);
		return -1;
	}
	geometry(_shm_root.mem_block, &g);
	/* shm_block, shm_frags, shm_used_frags, shm_free_frags, shm_real_used */
	fx_mgr_info(fp, "shm", _shm_root.mem_block);
	fprintf(fp,
		"variant=%s\nmanager=%s\nversion=%s\nseed=%lu\nsites=%u\nshm_mib=%lu\n"
		"shm_first_frag=0x%lx\nshm_heap_end=0x%lx\nfrag_size=%lu\nend_size=%lu\n"
		"size_offset=%lu\nsize_mask=0x%lx\ngen_seconds=%.1f\n",
		FX_VARIANT, FX_MNAME, full_version, opt.seed, bench_nsites, opt.shm_mib, g.first,
		g.end, g.hdr, g.trailer, g.size_off, g.size_mask, gen_seconds);
	return fclose(fp) ? -1 : 0;
}

static int write_flag(const char *name, long value)
{
	char tmp[PATH_MAX], to[PATH_MAX];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", opt.out, name);
	snprintf(to, sizeof(to), "%s/%s", opt.out, name);
	fp = fopen(tmp, "w");
	if (!fp)
		return -1;
	fprintf(fp, "%ld\n", value);
	if (fclose(fp) || rename(tmp, to))
		return -1;
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void wait_for_end(void)
{
	struct sigaction sa;
	time_t deadline = time(NULL) + (time_t)opt.timeout;
	char buf[256];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop && time(NULL) < deadline) {
		struct pollfd pfd = {.fd = 0, .events = POLLIN};
		int n = poll(&pfd, opt.no_stdin ? 0 : 1, 1000);

		if (n > 0) {
			ssize_t r = read(0, buf, sizeof(buf));
			if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
				break;
		}
	}
}

int main(int argc, char **argv)
{
	char msg[256];
	double t0 = now();

	if (parse_args(argc, argv))
		return 64;
	if (!opt.shm_mib) /* about 250 bytes a fragment on average, plus room */
		opt.shm_mib = (opt.frags / 1000 * 290 + 8 * 1024) / 1024 + 16;
	pkg_mem_size = 4UL << 20;
	shm_mem_size = opt.shm_mib << 20;
	if (init_pools() || startup()) {
		fprintf(stderr, "%s: startup failed\n", FX_VARIANT);
		return 1;
	}
	if (run_workload())
		return 1;
	if (fx_mgr_verify(_shm_root.mem_block, msg, sizeof(msg)) ||
	    fx_mgr_verify(_pkg_root.mem_block, msg, sizeof(msg))) {
		fprintf(stderr, "%s: heap inconsistent (generator bug): %s\n", FX_VARIANT, msg);
		return 1;
	}
	if (write_info(now() - t0) || write_flag("pid", (long)getpid()) || write_flag("ready", 1))
		return 1;
	wait_for_end();
	return 0;
}
