/* backtrace.c - stored return addresses symbolised once each, and summary --by stack. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/backtrace.h"
#include "heapwalk/elfsym.h"
#include "heapwalk/error.h"
#include "heapwalk/sbuf.h"
#include "heapwalk/sites.h"
#include "heapwalk/target.h"

/* Distinct addresses kept; past it each one is symbolised again (a bound, not a limit seen). */
#define BT_CACHE_MAX (1u << 20)
#define BT_SYMBOL_MAX 256

struct bt_entry {
	struct hw_bt_frame f;
	char *symbol, *object; /* owned */
};

struct hw_bt_cache {
	struct bt_entry **slots;
	size_t cap, n;
	uint64_t symbolised;
	struct bt_entry spill; /* the last address past BT_CACHE_MAX */
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

struct hw_bt_cache *hw_bt_cache_create(void)
{
	struct hw_bt_cache *c = calloc(1, sizeof(*c));

	if (!c || !(c->slots = calloc(1024, sizeof(*c->slots)))) {
		free(c);
		return NULL;
	}
	c->cap = 1024;
	return c;
}

static void entry_clear(struct bt_entry *e)
{
	free(e->symbol);
	free(e->object);
	memset(e, 0, sizeof(*e));
}

void hw_bt_cache_destroy(struct hw_bt_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i]) {
			entry_clear(c->slots[i]);
			free(c->slots[i]);
		}
	entry_clear(&c->spill);
	free(c->slots);
	free(c);
}

void hw_bt_cache_counts(const struct hw_bt_cache *c, uint64_t *addrs, uint64_t *symbolised)
{
	*addrs = c ? c->n : 0;
	*symbolised = c ? c->symbolised : 0;
}

bool hw_bt_is_wrapper(const char *s)
{
	static const char *const prefixes[] = {"qm_", "fm_", "tlsf_", "_qm_", "_fm_", "_tlsf_"};
	static const char *const words[] = {"malloc", "free", "realloc", "calloc", "zalloc"};

	if (!s)
		return false;
	if (!strcmp(s, "backtrace") || !strncmp(s, "__GI___backtrace", 16))
		return true;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(s, prefixes[i], strlen(prefixes[i])))
			return true;
	if (strstr(s, "shm_") || strstr(s, "pkg_"))
		return true;
	if (!strncmp(s, "ser_", 4) || !strncmp(s, "sr_", 3))
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strstr(s, words[i]))
				return true;
	return false;
}

size_t hw_bt_key_frame(const struct hw_bt_frame *const *frames, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!frames[i]->wrapper)
			return i;
	return n ? n - 1 : 0;
}

void hw_bt_frame_text(const struct hw_bt_frame *f, char *buf, size_t cap)
{
	if (f->symbol)
		snprintf(buf, cap, "%s+0x%" PRIx64 " (%s)", f->symbol, f->offset,
			 f->object ? f->object : "?");
	else
		snprintf(buf, cap, "0x%" PRIx64 " (%s)", f->addr,
			 f->object ? f->object : "not mapped");
}

/* Symbolise @addr into @e (empty). False only when out of memory. */
static bool symbolise(struct bt_entry *e, const struct hw_target *t, uint64_t addr)
{
	const struct hw_mapping *m = hw_target_mapping_at(t, addr);
	const char *name, *base;
	uint64_t va, start;
	char buf[BT_SYMBOL_MAX];

	e->f.addr = addr;
	if (!m)
		return true;
	base = strrchr(m->path, '/');
	base = base && base[1] ? base + 1 : m->path;
	if (!(e->object = strdup(base)))
		return false;
	e->f.object = e->object;
	if (m->elf && addr - m->start <= UINT64_MAX - m->file_offset &&
	    hw_elf_offset_vaddr(m->elf, addr - m->start + m->file_offset, &va) &&
	    hw_elf_symbol_at(m->elf, va, &name, &start)) {
		hw_sanitise(buf, sizeof(buf), name, strnlen(name, sizeof(buf) - 1));
		if (!(e->symbol = strdup(buf)))
			return false;
		e->f.symbol = e->symbol;
		e->f.offset = va - start;
		e->f.wrapper = hw_bt_is_wrapper(e->symbol);
	}
	return true;
}

static bool grow(struct hw_bt_cache *c)
{
	size_t cap = c->cap * 2;
	struct bt_entry **v = calloc(cap, sizeof(*v));

	if (!v)
		return false;
	for (size_t i = 0; i < c->cap; i++) {
		size_t j;
		if (!c->slots[i])
			continue;
		for (j = mix(c->slots[i]->f.addr) & (cap - 1); v[j]; j = (j + 1) & (cap - 1))
			;
		v[j] = c->slots[i];
	}
	free(c->slots);
	c->slots = v;
	c->cap = cap;
	return true;
}

/* The address alone, when it cannot be kept. */
static const struct hw_bt_frame *bare(uint64_t addr)
{
	static struct hw_bt_frame f;

	f = (struct hw_bt_frame){.addr = addr};
	return &f;
}

const struct hw_bt_frame *hw_bt_symbolise(struct hw_bt_cache *c, const struct hw_target *t,
					  uint64_t addr)
{
	size_t i;
	struct bt_entry *e;

	if (!c)
		return bare(addr);
	if (c->n * 2 >= c->cap && c->n < BT_CACHE_MAX)
		grow(c); /* on failure the table stays as it is: the check below */
	for (i = mix(addr) & (c->cap - 1); c->slots[i]; i = (i + 1) & (c->cap - 1))
		if (c->slots[i]->f.addr == addr)
			return &c->slots[i]->f;
	if (c->n >= BT_CACHE_MAX || c->n * 2 >= c->cap) {
		entry_clear(&c->spill);
		return symbolise(&c->spill, t, addr) ? &c->spill.f : bare(addr);
	}
	if (!(e = calloc(1, sizeof(*e))))
		return bare(addr);
	if (!symbolise(e, t, addr)) {
		entry_clear(e);
		free(e);
		return bare(addr);
	}
	c->slots[i] = e;
	c->n++;
	c->symbolised += e->f.symbol != NULL;
	return &e->f;
}

/* ---- summary --by stack ---- */

struct stack_entry {
	const struct hw_bt_frame *key; /* NULL: no stored stack */
	uint64_t file, func, line;     /* the site, for the site count */
	uint64_t count, bytes;
	bool set;
};

struct hw_stack_groups {
	struct stack_entry *v;
	size_t cap, n;
	char **texts; /* the rows' keys, owned */
	size_t ntexts;
};

struct hw_error *hw_stack_groups_create(struct hw_stack_groups **ret)
{
	struct hw_stack_groups *g = calloc(1, sizeof(*g));

	if (!g || !(g->v = calloc(256, sizeof(*g->v)))) {
		free(g);
		return hw_error_nomem();
	}
	g->cap = 256;
	*ret = g;
	return NULL;
}

static void free_texts(struct hw_stack_groups *g)
{
	for (size_t i = 0; i < g->ntexts; i++)
		free(g->texts[i]);
	free(g->texts);
	g->texts = NULL;
	g->ntexts = 0;
}

void hw_stack_groups_destroy(struct hw_stack_groups *g)
{
	if (!g)
		return;
	free_texts(g);
	free(g->v);
	free(g);
}

static uint64_t entry_hash(const struct hw_bt_frame *k, uint64_t file, uint64_t func, uint64_t line)
{
	return mix((uint64_t)(uintptr_t)k ^ mix(file ^ mix(func ^ mix(line))));
}

static struct stack_entry *slot(struct stack_entry *v, size_t cap, const struct hw_bt_frame *k,
				uint64_t file, uint64_t func, uint64_t line)
{
	size_t i = entry_hash(k, file, func, line) & (cap - 1);

	while (v[i].set &&
	       !(v[i].key == k && v[i].file == file && v[i].func == func && v[i].line == line))
		i = (i + 1) & (cap - 1);
	return &v[i];
}

struct hw_error *hw_stack_groups_add(struct hw_stack_groups *g, const struct hw_frag *f,
				     const struct hw_bt_frame *const *frames, size_t n)
{
	const struct hw_bt_frame *k = n ? frames[hw_bt_key_frame(frames, n)] : NULL;
	struct stack_entry *e;

	if (g->n * 2 >= g->cap) {
		size_t cap = g->cap * 2;
		struct stack_entry *v = calloc(cap, sizeof(*v));
		if (!v)
			return hw_error_nomem();
		for (size_t i = 0; i < g->cap; i++)
			if (g->v[i].set)
				*slot(v, cap, g->v[i].key, g->v[i].file, g->v[i].func,
				      g->v[i].line) = g->v[i];
		free(g->v);
		g->v = v;
		g->cap = cap;
	}
	e = slot(g->v, g->cap, k, f->file, f->func, f->line);
	if (!e->set) {
		*e = (struct stack_entry){
		    .key = k, .file = f->file, .func = f->func, .line = f->line, .set = true};
		g->n++;
	}
	e->count++;
	e->bytes += f->size;
	return NULL;
}

static int by_key_frame(const void *a, const void *b)
{
	const struct stack_entry *x = a, *y = b;
	uint64_t ka = x->key ? x->key->addr : 0, kb = y->key ? y->key->addr : 0;

	if (!x->key != !y->key)
		return x->key ? 1 : -1;
	return ka < kb ? -1 : ka > kb;
}

struct hw_error *hw_stack_groups_rows(struct hw_stack_groups *g, struct hw_group **ret,
				      size_t *n_ret)
{
	struct stack_entry *v = malloc((g->n ? g->n : 1) * sizeof(*v));
	struct hw_group *rows = calloc(g->n ? g->n : 1, sizeof(*rows));
	size_t n = 0, nrows = 0;

	free_texts(g);
	g->texts = calloc(g->n ? g->n : 1, sizeof(*g->texts));
	if (!v || !rows || !g->texts) {
		free(v);
		free(rows);
		return hw_error_nomem();
	}
	for (size_t i = 0; i < g->cap; i++)
		if (g->v[i].set)
			v[n++] = g->v[i];
	qsort(v, n, sizeof(*v), by_key_frame);
	for (size_t i = 0; i < n; i++) {
		struct hw_group *cur;
		if (!i || v[i].key != v[i - 1].key) {
			char buf[BT_SYMBOL_MAX + 320];
			if (v[i].key)
				hw_bt_frame_text(v[i].key, buf, sizeof(buf));
			else
				snprintf(buf, sizeof(buf), "(no stored stack)");
			if (!(g->texts[g->ntexts] = strdup(buf))) {
				free(v);
				free(rows);
				return hw_error_nomem();
			}
			rows[nrows].key = g->texts[g->ntexts++];
			nrows++;
		}
		cur = &rows[nrows - 1];
		cur->count += v[i].count;
		cur->bytes += v[i].bytes;
		cur->nsites++;
	}
	free(v);
	*ret = rows;
	*n_ret = nrows;
	return NULL;
}
