/* detect.c - locate the pools of a Kamailio target and recognise manager, era and layout. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/pool.h"
#include "heapwalk/alloc.h"
#include "heapwalk/target.h"
#include "ops.h"

static void note(struct hw_pool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct hw_pool *p, const char *fmt, ...)
{
	size_t len = strlen(p->evidence);
	va_list ap;

	if (len + 3 >= sizeof(p->evidence))
		return;
	if (len) {
		strcpy(p->evidence + len, "; ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(p->evidence + len, sizeof(p->evidence) - len, fmt, ap);
	va_end(ap);
}

static void set_problem(struct hw_pool *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_problem(struct hw_pool *p, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	free(p->problem);
	p->problem = msg;
	p->usable = false;
}

static const char *const pool_names[HW_POOL_KIND_COUNT] = {"pkg", "shm", "rpm", "shm_dbg"};

int hw_pool_kind_of(const char *name)
{
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++)
		if (!strcmp(name, pool_names[k]))
			return k;
	return -1;
}

void hw_pool_deinit(struct hw_pool *pool)
{
	free(pool->problem);
	pool->problem = NULL;
	free(pool->layout_mem);
	pool->layout_mem = NULL;
	pool->layout = NULL;
}

/* A usable pool has an allocator and a layout. */
static bool has_layout(const struct hw_pool *pool)
{
	return pool->usable && pool->alloc && pool->layout;
}

bool hw_pool_has_layout(const struct hw_pool *pool)
{
	return pool->usable && pool->alloc && pool->layout;
}

bool hw_pool_debug(const struct hw_pool *pool)
{
	return has_layout(pool) && pool->layout->debug;
}

const char *hw_pool_layout_source(const struct hw_pool *pool)
{
	return has_layout(pool) ? pool->layout->source : "none";
}

bool hw_pool_layout_facts(const struct hw_pool *pool, struct hw_layout_facts *ret)
{
	struct hw_layout_facts f;

	if (!has_layout(pool))
		return false;
	memset(&f, 0, sizeof(f));
	pool->alloc->describe(pool->layout, &f);
	*ret = f;
	return true;
}

/* The pool's layout becomes a copy of @l (an @a layout), owned by the pool. */
static bool set_layout(struct hw_pool *p, const struct hw_allocator *a, const void *l)
{
	void *mem = malloc(a->layout_size);

	if (!mem) {
		set_problem(p, "out of memory");
		return false;
	}
	memcpy(mem, l, a->layout_size);
	free(p->layout_mem);
	p->layout_mem = mem;
	p->layout = mem;
	p->alloc = a;
	p->usable = true;
	return true;
}

static bool has_symbol(const struct hw_target *t, const char *sym, uint64_t *addr)
{
	uint64_t a;
	struct hw_error *err = hw_target_symbol(t, sym, &a, NULL);

	if (err) {
		hw_error_destroy(err);
		return false;
	}
	if (addr)
		*addr = a;
	return true;
}

/* ---- choosing among the built-in profiles ---- */

#define PROFILES_MAX 128

struct choice {
	int score, ties;
	uint64_t got;
	const struct hw_allocator *alloc;
	void *layout; /* the best profile (owned), NULL if none fit */
	bool debug;
};

static int bonus(const struct hw_instance *inst, int want_era, int era, bool debug)
{
	int b = 0;

	if (want_era >= 0 && want_era == era)
		b += 2;
	if (inst->debug_known && debug == inst->debug)
		b += 1;
	return b;
}

/* The built-in profile of @a that fits the block best, into @c (c->score -1: none). */
static void best_of(const struct hw_target *t, const struct hw_instance *inst, uint64_t block,
		    const struct hw_allocator *a, struct choice *c)
{
	const size_t size = a->layout_size;
	char *all = calloc(PROFILES_MAX, size);
	size_t n = all ? a->profiles(all, PROFILES_MAX) : 0;
	int want =
	    inst->product == HW_PRODUCT_KAMAILIO ? a->era_of_version(inst->major, inst->minor) : -1;

	memset(c, 0, sizeof(*c));
	c->score = -1;
	c->alloc = a;
	for (size_t i = 0; i < n && i < PROFILES_MAX; i++) {
		const struct hw_layout_head *l = (const void *)(all + i * size);
		int s;
		/* a Kamailio image is never walked as OpenSIPS, nor the reverse */
		if (l->word != t->word_size || l->product != inst->product)
			continue;
		s = a->fit(t, l, block, &c->got);
		if (s < 0)
			continue;
		s += bonus(inst, want, l->era, l->debug);
		if (a->prefer)
			s += a->prefer(l, inst, want);
		if (s > c->score) {
			if (!c->layout)
				c->layout = malloc(size);
			if (c->layout)
				memcpy(c->layout, l, size);
			c->score = s;
			c->ties = 1;
			c->debug = l->debug;
		} else if (s == c->score) {
			c->ties++;
		}
	}
	if (c->score >= 0 && !c->layout)
		c->score = -1; /* out of memory */
	free(all);
}

static bool block_readable(const struct hw_target *t, struct hw_pool *p)
{
	uint8_t probe[64];
	struct hw_error *err = hw_mem_read(t->mem, probe, p->block, 8ull * t->word_size);

	if (err) {
		set_problem(p, "cannot read the block at 0x%" PRIx64 ": %s", p->block,
			    err->message);
		hw_error_destroy(err);
		return false;
	}
	return true;
}

/* Pick the built-in profile of @a that fits the block best and say why. */
static void choose_profile(const struct hw_target *t, const struct hw_instance *inst,
			   struct hw_pool *p, const struct hw_allocator *a)
{
	struct choice c;
	char text[320];
	const char *caveat;

	if (!block_readable(t, p))
		return;
	best_of(t, inst, p->block, a, &c);
	if (c.score < 0) {
		a->misfit_text(p->block, c.got, text, sizeof(text));
		set_problem(p, "%s", text);
		return;
	}
	if (!set_layout(p, a, c.layout)) {
		free(c.layout);
		return;
	}
	free(c.layout);
	a->fit_text(p->layout, text, sizeof(text));
	note(p, "layout %s: %s", p->layout->name, text);
	if (inst->major >= 0)
		note(p, "version '%s'", inst->version);
	if (inst->debug_known)
		note(p, "compile flags say %s", inst->debug ? "debug" : "non-debug");
	if (c.debug && a->debug_evidence && p->layout->product == HW_PRODUCT_KAMAILIO)
		note(p, "%s", a->debug_evidence);
	if (c.ties > 1)
		note(p, "%d profiles fit equally; they share this layout's walk", c.ties);
	caveat = a->caveat ? a->caveat(p->layout, inst) : NULL;
	if (caveat)
		note(p, "%s", caveat);
}

/* ---- where the blocks are, and which manager the symbols name ---- */

struct root_evidence {
	const struct hw_allocator *by_name, *by_xmalloc, *by_symbols;
};

static const struct hw_allocator *manager_from_name(const char *s)
{
	for (size_t i = 0; hw_allocators[i]; i++)
		if (!strcmp(s, hw_allocators[i]->name))
			return hw_allocators[i];
	return NULL;
}

/* 4.4+: compare the API's xmalloc (word 3) with the manager functions in .dynsym. */
static const struct hw_allocator *manager_from_xmalloc(const struct hw_target *t, struct hw_pool *p)
{
	uint64_t x, a;

	if (!hw_probe_word(t, p->root + 3ull * t->word_size, &x) || !x)
		return NULL;
	for (size_t i = 0; hw_allocators[i]; i++) {
		const char *fn =
		    p->kind == HW_POOL_SHM ? hw_allocators[i]->sym_shm : hw_allocators[i]->sym_pkg;
		if (fn && has_symbol(t, fn, &a) && a == x) {
			note(p, "%s.xmalloc is %s", p->root_symbol, fn);
			return hw_allocators[i];
		}
	}
	return NULL;
}

/* OpenSIPS 3.0+ chooses each pool's allocator at startup: mem_allocator_pkg/_shm say which. */
static void opensips_manager(const struct hw_instance *inst, struct hw_pool *p,
			     struct root_evidence *ev)
{
	const char *mm = hw_os_mm_name(inst->os_mm[p->kind]);

	ev->by_name = manager_from_name(mm);
	note(p, "mem_allocator_%s = %d: %s%s", p->name, inst->os_mm_value[p->kind], mm,
	     !inst->os_mm_dbg[p->kind] ? " (not the _DBG flavour: no allocation sites)"
	     : ev->by_name && ev->by_name->os_dbg_unfilled
		 ? " (its _DBG flavour, which installs the plain functions: no allocation sites)"
		 : " (its _DBG flavour: allocation sites recorded)");
	if (!ev->by_name)
		set_problem(
		    p, "OpenSIPS runs this pool on %s%s, which heapwalk cannot walk yet", mm,
		    inst->os_mm[p->kind] == HW_OS_MM_PARALLEL ? " (the pools of shm_blocks)" : "");
	else
		snprintf(p->manager, sizeof(p->manager), "%s", mm);
}

static void find_root(const struct hw_target *t, const struct hw_instance *inst, struct hw_pool *p,
		      bool *kamailio, struct root_evidence *ev)
{
	static const char *const roots[] = {"_pkg_root", "_shm_root"};
	static const char *const vars[] = {"mem_block", "shm_block"};
	uint64_t addr, w;
	struct hw_error *err;
	int nmgr = 0;

	memset(ev, 0, sizeof(*ev));
	err = hw_target_symbol(t, roots[p->kind], &addr, NULL);
	if (!err) {
		uint64_t mname = 0;
		*kamailio = true;
		snprintf(p->root_symbol, sizeof(p->root_symbol), "%s", roots[p->kind]);
		p->root = addr;
		err = hw_target_read_word(t, addr, &mname);
		if (!err)
			err = hw_target_read_word(t, addr + 2ull * t->word_size, &p->block);
		if (err) {
			set_problem(p, "cannot read %s: %s", roots[p->kind], err->message);
			hw_error_destroy(err);
			return;
		}
		if (!p->block) {
			set_problem(p, "%s has no memory block (not initialised yet?)",
				    roots[p->kind]);
			return;
		}
		err = hw_target_read_string(t, mname, p->manager, sizeof(p->manager));
		if (err) {
			p->manager[0] = '\0';
			note(p, "manager name unreadable (%s)", err->message);
			hw_error_destroy(err);
		} else {
			note(p, "%s.mname = \"%s\"", roots[p->kind], p->manager);
			ev->by_name = manager_from_name(p->manager);
		}
		ev->by_xmalloc = manager_from_xmalloc(t, p);
		return;
	}
	hw_error_destroy(err);
	err = hw_target_symbol(t, vars[p->kind], &addr, NULL);
	if (err) {
		hw_error_destroy(err);
		set_problem(p, "neither %s nor %s found in the executable's symbols%s",
			    roots[p->kind], vars[p->kind],
			    t->exe ? ""
				   : " (no executable; give it with --exe, or the block with "
				     "--block ADDR)");
		return;
	}
	*kamailio = true;
	snprintf(p->root_symbol, sizeof(p->root_symbol), "%s", vars[p->kind]);
	p->root = addr;
	if (inst->product == HW_PRODUCT_OPENSIPS && inst->os_mm_known[p->kind]) {
		opensips_manager(inst, p, ev);
		if (p->problem)
			return;
		/* a manager whose blocks another global holds (the parallel pools) */
		if (ev->by_name && ev->by_name->os_root) {
			err = hw_target_symbol(t, ev->by_name->os_root, &addr, NULL);
			if (err) {
				set_problem(p, "%s runs this pool, but %s is not in the symbols",
					    ev->by_name->name, ev->by_name->os_root);
				hw_error_destroy(err);
				return;
			}
			snprintf(p->root_symbol, sizeof(p->root_symbol), "%s",
				 ev->by_name->os_root);
			p->root = addr;
		}
	}
	err = hw_target_read_word(t, addr, &w);
	if (err) {
		set_problem(p, "cannot read %s: %s", p->root_symbol, err->message);
		hw_error_destroy(err);
		return;
	}
	p->block = w;
	if (!p->block) {
		set_problem(p, "%s is NULL (not initialised yet?)", p->root_symbol);
		return;
	}
	if (inst->product == HW_PRODUCT_OPENSIPS && inst->os_mm_known[p->kind])
		return; /* the manager is said above */
	/* Before 4.4 exactly one manager is compiled in: its functions tell which. */
	for (size_t i = 0; hw_allocators[i]; i++) {
		if (hw_allocators[i]->sym_pkg && has_symbol(t, hw_allocators[i]->sym_pkg, NULL)) {
			ev->by_symbols = hw_allocators[i];
			nmgr++;
		}
	}
	if (nmgr == 1) {
		snprintf(p->manager, sizeof(p->manager), "%s", ev->by_symbols->name);
		note(p, "only %s functions in the executable", p->manager);
	} else {
		ev->by_symbols = NULL;
		if (nmgr > 1)
			note(p, "functions of several managers in the executable");
	}
}

/*
 * OpenSIPS's optional pools: present when their global exists and points
 * at memory the target has; their manager is the one mem_allocator_* names
 * for them, else the one their block fits.
 */
static bool find_optional(const struct hw_target *t, const struct hw_instance *inst,
			  struct hw_pool *p, struct root_evidence *ev)
{
	static const char *const vars[HW_POOL_KIND_COUNT] = {
	    [HW_POOL_RPM] = "rpm_block", [HW_POOL_SHM_DBG] = "shm_dbg_block"};
	uint64_t addr, probe;

	memset(ev, 0, sizeof(*ev));
	p->absent = true;
	if (inst->product != HW_PRODUCT_OPENSIPS || !vars[p->kind] ||
	    !has_symbol(t, vars[p->kind], &addr) || !hw_probe_word(t, addr, &p->block) ||
	    !p->block || !hw_probe_word(t, p->block, &probe))
		return false;
	p->absent = false;
	snprintf(p->root_symbol, sizeof(p->root_symbol), "%s", vars[p->kind]);
	p->root = addr;
	if (inst->os_mm_known[p->kind])
		opensips_manager(inst, p, ev);
	return !p->problem;
}

/* ---- layouts from DWARF, read once per manager ---- */

#define DWARF_MAX 8 /* allocators tried on one target */

struct dwarf_layouts {
	struct dwarf_try {
		const struct hw_allocator *alloc;
		void *layout; /* owned; NULL if it failed */
		char problem[256];
	} tried[DWARF_MAX];
	size_t n;
};

static void dwarf_layouts_free(struct dwarf_layouts *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->tried[i].layout);
	free(d);
}

/* @a's layout from DWARF (tried once per target), NULL if none. */
static struct dwarf_try *dwarf_layout(struct hw_dwarf *dw, uint32_t word, struct dwarf_layouts *d,
				      const struct hw_allocator *a)
{
	struct dwarf_try *dt;
	struct hw_error *err;

	if (!dw || !a->layout_from_dwarf)
		return NULL;
	for (size_t i = 0; i < d->n; i++)
		if (d->tried[i].alloc == a)
			return &d->tried[i];
	if (d->n == DWARF_MAX)
		return NULL;
	dt = &d->tried[d->n++];
	dt->alloc = a;
	dt->layout = calloc(1, a->layout_size);
	if (!dt->layout) {
		snprintf(dt->problem, sizeof(dt->problem), "out of memory");
		return dt;
	}
	err = a->layout_from_dwarf(dw, word, dt->layout);
	if (err) {
		snprintf(dt->problem, sizeof(dt->problem), "%s", err->message);
		hw_error_destroy(err);
		free(dt->layout);
		dt->layout = NULL;
	}
	return dt;
}

static void use_dwarf(const struct hw_target *t, const struct hw_instance *inst,
		      struct hw_dwarf *dw, const struct dwarf_try *dt, struct hw_pool *p)
{
	const struct hw_allocator *a = dt->alloc;
	uint64_t got = 0;
	int fit;

	if (!set_layout(p, a, dt->layout))
		return;
	note(p, "layout from DWARF (%s)", hw_dwarf_path(dw));
	if (a->dwarf_era)
		a->dwarf_era((struct hw_layout_head *)p->layout_mem, inst);
	fit = a->fit(t, p->layout, p->block, &got);
	if (fit < 0)
		note(p, "warning: the block does not fit the DWARF layout (%s %" PRIu64 ")",
		     a->got_label, got);
}

/* Without any word from the symbols: the manager whose layouts fit the block best. */
static void detect_structure(const struct hw_target *t, const struct hw_instance *inst,
			     struct hw_pool *p)
{
	struct choice best, c;
	int managers_fitting = 0;

	memset(&best, 0, sizeof(best));
	best.score = -1;
	if (!block_readable(t, p))
		return;
	for (size_t i = 0; hw_allocators[i]; i++) {
		best_of(t, inst, p->block, hw_allocators[i], &c);
		free(c.layout);
		if (c.score < 0)
			continue;
		managers_fitting++;
		if (c.score > best.score)
			best = c;
	}
	if (best.score < 0) {
		set_problem(p,
			    "the block at 0x%" PRIx64 " matches no built-in q_malloc, f_malloc or "
			    "TLSF layout; try --manager and --layout",
			    p->block);
		return;
	}
	p->alloc = best.alloc;
	snprintf(p->manager, sizeof(p->manager), "%s", best.alloc->name);
	note(p, "manager %s recognised from the block alone%s", p->manager,
	     managers_fitting > 1 ? " (other managers fit worse)" : "");
}

/* Decide shm or pkg from the block's own type word, -1 if it has none. */
static int kind_from_header(const struct hw_target *t, const struct hw_pool *p)
{
	if (!has_layout(p) || !p->alloc->pool_kind)
		return -1;
	return p->alloc->pool_kind(t, p->layout, p->block);
}

static bool load_profile(struct hw_pool *p, const char *name)
{
	const struct hw_allocator *a;
	void *l;
	struct hw_error *err = hw_profile_lookup(name, &a, &l);

	if (err) {
		set_problem(p, "%s", err->message);
		hw_error_destroy(err);
		return false;
	}
	free(p->layout_mem);
	p->layout_mem = l;
	p->layout = l;
	p->alloc = a;
	p->usable = true;
	note(p, "layout %s given with --layout", name);
	return true;
}

/*
 * OpenSIPS compiles the debug fields into every packaged build, but only
 * its _DBG flavours write them: a pool on a plain flavour is walked with
 * its debug-sized headers and no sites or patterns.
 */
static void opensips_flavour(const struct hw_instance *inst, struct hw_pool *p)
{
	if (inst->product != HW_PRODUCT_OPENSIPS || !inst->os_mm_known[p->kind] || !has_layout(p) ||
	    (inst->os_mm_dbg[p->kind] && !p->alloc->os_dbg_unfilled) || !p->layout->debug ||
	    !p->alloc->unfilled)
		return;
	p->alloc->unfilled((struct hw_layout_head *)p->layout_mem);
	note(p, "the debug fields exist but this flavour never writes them: no allocation sites");
}

/* Manager and layout of one located pool. */
static void recognise(const struct hw_target *t, struct hw_dwarf *dw,
		      const struct hw_discover_opts *opts, const struct hw_instance *inst,
		      struct dwarf_layouts *d, struct hw_pool *p, const struct root_evidence *ev)
{
	const struct hw_allocator *mgr = NULL;
	const struct hw_allocator *from_layout =
	    opts->layout_name ? hw_allocator_of_profile(opts->layout_name) : NULL;
	struct dwarf_try *dt;

	if (opts->manager) {
		mgr = opts->manager;
		note(p, "manager %s given with --manager", mgr->name);
		if (from_layout && from_layout != mgr) {
			set_problem(p, "--layout %s is not a %s layout", opts->layout_name,
				    mgr->name);
			return;
		}
	} else if (from_layout) {
		mgr = from_layout;
	} else if (ev->by_name) {
		mgr = ev->by_name;
	} else if (ev->by_xmalloc) {
		mgr = ev->by_xmalloc;
	} else if (ev->by_symbols) {
		mgr = ev->by_symbols;
	}
	if (ev->by_name && ev->by_xmalloc && ev->by_name != ev->by_xmalloc)
		note(p, "warning: mname says %s but xmalloc is %s's", ev->by_name->name,
		     ev->by_xmalloc->name);
	if (mgr && ev->by_name && mgr != ev->by_name)
		note(p, "warning: the target's own name for its manager is %s", ev->by_name->name);

	if (opts->layout_name) {
		if (load_profile(p, opts->layout_name))
			snprintf(p->manager, sizeof(p->manager), "%s", p->alloc->name);
		return;
	}
	if (!mgr) {
		detect_structure(t, inst, p);
		if (p->problem)
			return;
		mgr = p->alloc;
	}
	p->alloc = mgr;
	if (!p->manager[0] || manager_from_name(p->manager) != mgr)
		snprintf(p->manager, sizeof(p->manager), "%s", mgr->name);
	dt = dw && !opts->no_debuginfo ? dwarf_layout(dw, t->word_size, d, mgr) : NULL;
	if (dt && dt->layout) {
		use_dwarf(t, inst, dw, dt, p);
	} else {
		if (dt && dt->problem[0])
			note(p, "DWARF unusable: %s", dt->problem);
		choose_profile(t, inst, p, mgr);
	}
	opensips_flavour(inst, p);
}

/*
 * Built without PKG_MALLOC (Kamailio's valgrind route), pkg_malloc is the C
 * library's malloc. The flags string then names the managers compiled for
 * shm but not PKG_MALLOC; 4.4+ still fills _pkg_root with a pool that
 * nothing allocates from. A flags string naming no manager at all (cut
 * short, or not Kamailio's) proves nothing.
 */
static bool pkg_on_system(const struct hw_instance *inst)
{
	static const char *const managers[] = {"Q_MALLOC", "F_MALLOC", "TLSF_MALLOC"};
	bool any = false;

	for (size_t i = 0; i < sizeof(managers) / sizeof(managers[0]); i++)
		if (strstr(inst->flags, managers[i]))
			any = true;
	return any && !strstr(inst->flags, "PKG_MALLOC");
}

static void on_system_allocator(struct hw_pool *p)
{
	/* the reason it has no layout, for 'layout'; the session walks no such pool */
	free(p->problem);
	p->problem = strdup(HW_POOL_SYSTEM_TEXT);
	p->usable = false;
	p->alloc = NULL;
	p->system_alloc = true;
	snprintf(p->manager, sizeof(p->manager), "system");
	note(p, "the compile flags name no PKG_MALLOC: pkg_malloc is the C library's malloc");
	if (p->block)
		note(p, "the block at 0x%" PRIx64 " in %s is a pool pkg_malloc never uses",
		     p->block, p->root_symbol);
}

struct hw_error *hw_pools_discover(const struct hw_target *t, struct hw_dwarf *dw,
				   const struct hw_discover_opts *opts, struct hw_instance *inst,
				   struct hw_pool pools[HW_POOL_KIND_COUNT])
{
	const char *const *names = pool_names;
	struct dwarf_layouts *d;
	bool kamailio = false;

	d = calloc(1, sizeof(*d));
	if (!d)
		return hw_error_create(HW_ERR_NOMEM, "out of memory");
	hw_instance_read(t, inst);
	if (opts->layout_name)
		dw = NULL;
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		memset(&pools[k], 0, sizeof(pools[k]));
		pools[k].kind = (enum hw_pool_kind)k;
		pools[k].name = names[k];
		pools[k].no_strings = t->exe == NULL;
	}
	if (opts->has_block) {
		/* One pool at a given address: recognise it, then file it as pkg or shm. */
		struct hw_pool p = pools[HW_POOL_PKG];
		struct root_evidence ev = {0};
		int kind = opts->block_kind;

		kamailio = true;
		p.block = opts->block;
		snprintf(p.root_symbol, sizeof(p.root_symbol), "--block");
		note(&p, "block 0x%" PRIx64 " given with --block", p.block);
		recognise(t, dw, opts, inst, d, &p, &ev);
		if (kind < 0 && p.usable) {
			kind = kind_from_header(t, &p);
			if (kind >= 0)
				note(&p, "the block's type word says %s", names[kind]);
		}
		if (kind < 0 || kind >= HW_POOL_KIND_COUNT)
			kind = HW_POOL_PKG;
		p.kind = (enum hw_pool_kind)kind;
		p.name = names[kind];
		pools[kind] = p;
		for (int k = 0; k < HW_POOL_KIND_COUNT; k++)
			if (k != kind && k < HW_POOL_OPTIONAL)
				set_problem(&pools[k], "not looked for: --block names one pool");
			else if (k != kind)
				pools[k].absent = true;
	} else {
		for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
			struct hw_pool *p = &pools[k];
			struct root_evidence ev;
			if (k >= HW_POOL_OPTIONAL) {
				if (find_optional(t, inst, p, &ev))
					recognise(t, dw, opts, inst, d, p, &ev);
				continue;
			}
			find_root(t, inst, p, &kamailio, &ev);
			if (k == HW_POOL_PKG && pkg_on_system(inst)) {
				on_system_allocator(p);
				continue;
			}
			if (p->problem)
				continue;
			recognise(t, dw, opts, inst, d, p, &ev);
		}
	}
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++)
		if (pools[k].no_strings && pools[k].usable && hw_pool_debug(&pools[k]))
			note(&pools[k],
			     "no executable: allocation-site strings of the core cannot be "
			     "resolved (they show as addresses)");
	dwarf_layouts_free(d);
	if (!kamailio)
		return hw_error_create(
		    HW_ERR_LOOKUP,
		    "%s does not look like a Kamailio or OpenSIPS process: no _pkg_root, "
		    "_shm_root, mem_block or shm_block symbol%s",
		    t->exe_path ? t->exe_path : "the executable",
		    t->exe ? ""
			   : " (no executable: give it with --exe, or the "
			     "block with --block ADDR)");
	return NULL;
}
