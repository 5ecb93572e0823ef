/*
 * fx_toy.c - fixture of the test-only toy allocator (include/heapwalk/toy_layout.h):
 * lays out a toy pkg and a toy shm heap, allocates and frees at random,
 * writes what heapwalk must say about them, then waits to be cored.
 *
 * usage: fx-toy --out DIR [--seed N] [--ops N]
 * Writes DIR/pid, DIR/stats.csv ('heapwalk stats --format csv'),
 * DIR/frags.csv ('heapwalk frags --format csv'), then DIR/ready; ends at
 * EOF on stdin.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAGIC 0x31504145594f5448ULL
#define USED 0x55534544ULL
#define FREE 0x46524545ULL
#define BLOCK 64
#define HDR 32
#define HEAP (256 * 1024)
#define LIVE_MAX 4096

struct block {
	uint64_t magic, size, used, real_used, max_real_used, free_head, nfree, reserved;
};

struct frag {
	uint64_t size, state, next_free, reserved;
};

/* What heapwalk reads: the manager's name and its block (word 0 and word 2). */
struct root {
	const char *mname;
	void *unused;
	struct block *block;
	void *xmalloc;
};

__attribute__((used)) struct root _pkg_root, _shm_root;

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static uint64_t nfrags(const struct block *b)
{
	uint64_t n = 0;

	for (char *p = (char *)b + BLOCK; p < (char *)b + b->size;
	     p += HDR + ((struct frag *)p)->size)
		n++;
	return n;
}

static void account(struct block *b)
{
	b->real_used = BLOCK + nfrags(b) * HDR + b->used;
	if (b->real_used > b->max_real_used)
		b->max_real_used = b->real_used;
}

static struct block *heap_init(void)
{
	struct block *b =
	    mmap(NULL, HEAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct frag *f;

	if (b == MAP_FAILED)
		return NULL;
	memset(b, 0, sizeof(*b));
	b->magic = MAGIC;
	b->size = HEAP;
	f = (struct frag *)((char *)b + BLOCK);
	f->size = HEAP - BLOCK - HDR;
	f->state = FREE;
	f->next_free = 0;
	b->free_head = (uint64_t)(uintptr_t)f;
	b->nfree = 1;
	account(b);
	return b;
}

/* First fit on the free list; split when the rest can hold a fragment. */
static void *toy_alloc(struct block *b, uint64_t n)
{
	uint64_t need = (n + 15) / 16 * 16;
	uint64_t *link = &b->free_head;

	while (*link) {
		struct frag *f = (struct frag *)(uintptr_t)*link;
		if (f->size >= need) {
			if (f->size >= need + HDR + 16) {
				struct frag *r = (struct frag *)((char *)f + HDR + need);
				r->size = f->size - need - HDR;
				r->state = FREE;
				r->next_free = f->next_free;
				r->reserved = 0;
				f->size = need;
				*link = (uint64_t)(uintptr_t)r;
			} else {
				*link = f->next_free;
				b->nfree--;
			}
			f->state = USED;
			f->next_free = 0;
			b->used += f->size;
			account(b);
			return (char *)f + HDR;
		}
		link = &f->next_free;
	}
	return NULL;
}

static void toy_free(struct block *b, void *p)
{
	struct frag *f = (struct frag *)((char *)p - HDR);

	f->state = FREE;
	f->next_free = b->free_head;
	b->free_head = (uint64_t)(uintptr_t)f;
	b->nfree++;
	b->used -= f->size;
	account(b);
}

static void play(struct block *b, unsigned ops)
{
	static void *live[LIVE_MAX];
	size_t n = 0;

	for (unsigned i = 0; i < ops; i++) {
		if (n && (n == LIVE_MAX || rnd() % 5 < 2)) {
			size_t k = rnd() % n;
			toy_free(b, live[k]);
			live[k] = live[--n];
		} else {
			void *p = toy_alloc(b, 1 + rnd() % 600);
			if (p) {
				memset(p, 0x5a, 8);
				live[n++] = p;
			}
		}
	}
}

static int write_stats(FILE *o, const char *pool, const struct block *b)
{
	uint64_t n = 0, used = 0;

	for (const char *p = (const char *)b + BLOCK; p < (const char *)b + b->size;
	     p += HDR + ((const struct frag *)p)->size) {
		n++;
		used += ((const struct frag *)p)->state == USED;
	}
	return fprintf(o,
		       "%s,toy_malloc,%d,0x%" PRIxPTR ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
		       ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",yes,0\n",
		       pool, (int)getpid(), (uintptr_t)b, b->size, b->used, b->real_used,
		       b->size - b->real_used, b->max_real_used, n, used, n - used) < 0;
}

static int write_frags(FILE *o, const char *pool, const struct block *b)
{
	uint64_t i = 0;

	for (const char *p = (const char *)b + BLOCK; p < (const char *)b + b->size;
	     p += HDR + ((const struct frag *)p)->size) {
		const struct frag *f = (const struct frag *)p;
		if (fprintf(o, "%s,%" PRIu64 ",0x%" PRIxPTR ",0x%" PRIxPTR ",%" PRIu64 ",%s,,,,\n",
			    pool, i++, (uintptr_t)(p + HDR), (uintptr_t)p, f->size,
			    f->state == USED ? "used" : "free") < 0)
			return 1;
	}
	return 0;
}

static int write_file(const char *dir, const char *name, int (*fn)(FILE *, void *), void *arg)
{
	char path[4096];
	FILE *o;
	int bad;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	o = fopen(path, "w");
	if (!o)
		return 1;
	bad = fn(o, arg);
	return fclose(o) != 0 || bad;
}

static int out_pid(FILE *o, void *arg)
{
	(void)arg;
	return fprintf(o, "%d\n", (int)getpid()) < 0;
}

static int out_ready(FILE *o, void *arg)
{
	(void)arg;
	return fputs("1\n", o) < 0;
}

static int out_stats(FILE *o, void *arg)
{
	(void)arg;
	return fputs("pool,manager,pid,block,heap_size,used,real_used,free,max_real_used,"
		     "frags_total,frags_used,frags_free,walk_complete,findings\n",
		     o) < 0 ||
	       write_stats(o, "pkg", _pkg_root.block) || write_stats(o, "shm", _shm_root.block);
}

static int out_frags(FILE *o, void *arg)
{
	(void)arg;
	return fputs("pool,index,address,frag,size,state,module,file,func,line\n", o) < 0 ||
	       write_frags(o, "pkg", _pkg_root.block) || write_frags(o, "shm", _shm_root.block);
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	unsigned ops = 3000;
	char buf[256];

	rnd_state = 1;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--out"))
			out = argv[i + 1];
		else if (!strcmp(argv[i], "--seed"))
			rnd_state = strtoull(argv[i + 1], NULL, 0) * 2654435761u + 1;
		else if (!strcmp(argv[i], "--ops"))
			ops = (unsigned)strtoul(argv[i + 1], NULL, 0);
	}
	if (!out) {
		fputs("usage: fx-toy --out DIR [--seed N] [--ops N]\n", stderr);
		return 64;
	}
	_pkg_root.mname = "toy_malloc";
	_shm_root.mname = "toy_malloc";
	_pkg_root.block = heap_init();
	_shm_root.block = heap_init();
	if (!_pkg_root.block || !_shm_root.block) {
		perror("fx-toy: mmap");
		return 1;
	}
	play(_pkg_root.block, ops);
	play(_shm_root.block, ops / 2);
	if (write_file(out, "pid", out_pid, NULL) ||
	    write_file(out, "stats.csv", out_stats, NULL) ||
	    write_file(out, "frags.csv", out_frags, NULL) ||
	    write_file(out, "ready", out_ready, NULL)) {
		fprintf(stderr, "fx-toy: cannot write to %s: %s\n", out, strerror(errno));
		return 1;
	}
	while (read(0, buf, sizeof(buf)) > 0)
		;
	return 0;
}
