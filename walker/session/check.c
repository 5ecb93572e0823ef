/*
 * check.c - the integrity check of a pool beyond what the walk itself
 * checks: the free lists against the walk (every list element the start of
 * a free fragment, every free fragment on a list, none twice), the site
 * texts of debug fragments, q_malloc's bookkeeping; then where each
 * finding lies.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/array.h"
#include "heapwalk/error.h"
#include "heapwalk/locate.h"
#include "heapwalk/mem.h"
#include "heapwalk/refs.h"
#include "heapwalk/session.h"
#include "heapwalk/target.h"

/* A free-list element as the lists gave it. */
struct listed {
	uint64_t addr, bucket;
};

/* Distinct site-string pointers already verified (open addressing, 0 = empty). */
struct ptrset {
	uint64_t *a;
	size_t cap, n;
};

struct check_ctx {
	struct hw_check_pool *cp;
	const struct hw_target *t;
	bool keep; /* keep the elements and match them with the walk, fragment by fragment */
	struct hw_addr_sum on_lists, free_walked;
	struct listed *list;
	size_t nlist, caplist, li;
	bool list_full;
	bool by_flag;	   /* the fragments carry their free state (all but f_malloc <= 4.1) */
	bool lists_broken; /* some list could not be followed to its end */
	uint64_t unlisted; /* free fragments on no list, counted when the lists are broken */
	struct ptrset seen;
	bool nomem;
	struct hw_check *ck;
};

static void on_elem(void *arg, uint64_t bucket, uint64_t addr, uint64_t size)
{
	struct check_ctx *c = arg;

	(void)size;
	c->cp->listed++;
	hw_addr_sum_add(&c->on_lists, addr);
	if (!c->keep || c->list_full || c->nomem)
		return;
	/* lists longer than the heap could hold are already findings; stop keeping */
	if (c->nlist == c->caplist && c->caplist >= ((size_t)1 << 26)) {
		c->list_full = true;
		return;
	}
	if (!hw_grow(&c->list, &c->caplist, c->nlist + 1, sizeof(*c->list), 1024)) {
		c->nomem = true;
		return;
	}
	c->list[c->nlist].addr = addr;
	c->list[c->nlist].bucket = bucket;
	c->nlist++;
}

static void on_gap(void *arg, uint64_t from, uint64_t to)
{
	struct check_ctx *c = arg;
	struct hw_check_gap *g;

	if (c->nomem)
		return;
	g = realloc(c->cp->gaps, (c->cp->ngaps + 1) * sizeof(*g));
	if (!g) {
		c->nomem = true;
		return;
	}
	g[c->cp->ngaps].from = from;
	g[c->cp->ngaps].to = to;
	c->cp->gaps = g;
	c->cp->ngaps++;
}

static int by_listed_addr(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static size_t ptr_hash(uint64_t v, size_t cap)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (size_t)v & (cap - 1);
}

/* Whether @v was not in the set (and is now); false also when memory runs out. */
static bool ptrset_add(struct ptrset *s, uint64_t v)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		uint64_t *na = calloc(cap, sizeof(*na));
		if (!na)
			return false;
		for (size_t k = 0; k < s->cap; k++) {
			if (!s->a[k])
				continue;
			for (i = ptr_hash(s->a[k], cap); na[i]; i = (i + 1) & (cap - 1))
				;
			na[i] = s->a[k];
		}
		free(s->a);
		s->a = na;
		s->cap = cap;
	}
	for (i = ptr_hash(v, s->cap); s->a[i]; i = (i + 1) & (s->cap - 1))
		if (s->a[i] == v)
			return false;
	s->a[i] = v;
	s->n++;
	return true;
}

/* Findings check keeps in full (the rest are counted). */
#define CHECK_MAX_FINDINGS 10000

/* Longest site text heapwalk accepts; Kamailio's are file names and function names. */
#define SITE_TEXT_MAX 1024

/*
 * A site pointer of a debug fragment must lead to a NUL-terminated text.
 * Unreadable memory is no finding (a module's file may be missing here);
 * readable bytes without a NUL within SITE_TEXT_MAX are.
 */
static void check_site_text(struct check_ctx *c, const struct hw_frag *f, const char *what,
			    uint64_t p)
{
	char buf[SITE_TEXT_MAX + 1];
	size_t len;
	bool truncated = false;
	struct hw_error *err;

	if (!p || !ptrset_add(&c->seen, p))
		return;
	c->cp->strings_checked++;
	/* above the user half of a 64-bit address space: no text of the program (text
	 * written over the header reads as such a pointer) */
	if (c->t->word_size == 8 && p > UINT64_C(0x00007fffffffffff)) {
		hw_check_add(c->ck, HW_SEV_ERROR, f->addr, f->index,
			     "the %s pointer 0x%" PRIx64
			     " is no user-space address: not a site text "
			     "(damaged header?)",
			     what, p);
		return;
	}
	err = hw_mem_read_cstr(c->t->mem, p, buf, sizeof(buf), &len, &truncated);
	if (err) {
		hw_error_destroy(err);
		return;
	}
	if (truncated)
		hw_check_add(c->ck, HW_SEV_ERROR, f->addr, f->index,
			     "the %s pointer 0x%" PRIx64 " leads to %zu bytes without a NUL: not a "
			     "site text (damaged header?)",
			     what, p, len);
}

/* Whether @a lies in a range the walk skipped (its damage is reported there). */
static bool in_gap(const struct check_ctx *c, uint64_t a)
{
	for (size_t g = 0; g < c->cp->ngaps; g++)
		if (a >= c->cp->gaps[g].from && a < c->cp->gaps[g].to)
			return true;
	return false;
}

static int on_frag(void *arg, const struct hw_frag *f)
{
	struct check_ctx *c = arg;
	bool listed = false, twice = false;

	if (!c->keep) {
		if (!f->used)
			hw_addr_sum_add(&c->free_walked, f->addr);
		goto strings;
	}
	/* list elements below this fragment that no fragment started at */
	while (c->li < c->nlist && c->list[c->li].addr < f->addr) {
		if (in_gap(c, c->list[c->li].addr)) {
			c->li++;
			continue;
		}
		hw_check_add(c->ck, HW_SEV_ERROR, c->list[c->li].addr, HW_NO_INDEX,
			     "free list %" PRIu64 " holds 0x%" PRIx64
			     ", which is not the start of a fragment",
			     c->list[c->li].bucket, c->list[c->li].addr);
		c->li++;
	}
	while (c->li < c->nlist && c->list[c->li].addr == f->addr) {
		if (listed && c->list[c->li - 1].addr == f->addr && !twice) {
			twice = true;
			hw_check_add(c->ck, HW_SEV_ERROR, f->addr, f->index,
				     "the fragment is on the free lists twice (lists %" PRIu64
				     " and %" PRIu64 ")",
				     c->list[c->li - 1].bucket, c->list[c->li].bucket);
		} else if (!listed && f->used) {
			hw_check_add(c->ck, HW_SEV_ERROR, f->addr, f->index,
				     "free list %" PRIu64 " holds this fragment, but its header "
				     "says it is in use",
				     c->list[c->li].bucket);
		}
		listed = true;
		c->li++;
	}
	if (!f->used && !listed && c->by_flag && !c->list_full) {
		if (c->lists_broken)
			c->unlisted++; /* the lists' own findings say why */
		else
			hw_check_add(c->ck, HW_SEV_ERROR, f->addr, f->index,
				     "free fragment of %" PRIu64
				     " bytes is on no free list (lost to "
				     "the allocator)",
				     f->size);
	}
strings:
	if (hw_pool_debug(c->cp->pr->pool) && !c->cp->pr->pool->no_strings) {
		check_site_text(c, f, "file", f->file);
		check_site_text(c, f, "func", f->func);
		/* TLSF leaves a trimmed free remainder's mname stale (kamailio-memory.md §4.4) */
		if (f->used || !c->cp->pr->pool->alloc->stale_free_mname)
			check_site_text(c, f, "mname", f->mname);
	}
	return 0;
}

/*
 * The first pass's lists on a thread of their own while the walk runs: a
 * list element lies anywhere in the heap, so following the lists is one
 * cache miss after another, which overlaps the walk's streaming. Without
 * keep, the lists go to on_lists and on_frag touches other members of the
 * context (free_walked, the strings and the gaps).
 */
struct list_job {
	struct hw_session *s;
	struct hw_pool_report *pr;
	const struct hw_walk_opts *o;
	struct hw_check *lists;
	struct hw_error *err;
};

static void *list_job_run(void *arg)
{
	struct list_job *j = arg;

	j->err = hw_alloc_walk_free(j->s->t, j->pr->pool, &j->pr->hdr, j->o, NULL, NULL, j->lists);
	return NULL;
}

/*
 * One pass of check over a pool. Without @keep, the free lists and the
 * walk are compared as multisets (struct addr_sum), in memory that does not
 * grow with the heap; *@clean says whether that settled it: the lists
 * followed without a finding, and they hold exactly the fragments the walk
 * found free. Otherwise hw_session_check_pool runs the pass again with @keep, which
 * keeps every list element to name each one the walk disagrees with.
 */
static struct hw_error *check_pass(struct hw_session *s, struct hw_check_pool *cp, bool keep,
				   bool *clean)
{
	struct hw_pool_report *pr = cp->pr;
	struct check_ctx c = {.cp = cp, .t = s->t, .ck = &pr->check, .keep = keep};
	struct hw_walk_opts o = {.resync = true,
				 .gap = on_gap,
				 .gap_arg = &c,
				 .deep = true,
				 /* summed only: the managers may follow several lists at once */
				 .elem = keep ? on_elem : NULL,
				 .elem_arg = &c,
				 .elem_sum = keep ? NULL : &c.on_lists};
	struct hw_check lists;
	struct hw_error *err;

	*clean = false;
	cp->listed = 0;
	cp->strings_checked = 0;
	free(cp->gaps);
	cp->gaps = NULL;
	cp->ngaps = 0;
	c.by_flag = !pr->pool->alloc->free_flag || pr->pool->alloc->free_flag(pr->pool->layout);
	/* check lists every finding (the other commands keep the first hundred) */
	hw_check_deinit(&pr->check);
	hw_check_init(&pr->check, CHECK_MAX_FINDINGS);
	/* the lists first (their elements are needed during the walk), reported after it */
	hw_check_init(&lists, pr->check.max);
	struct list_job job = {.s = s, .pr = pr, .o = &o, .lists = &lists};
	const struct hw_walk_stats before = pr->walk;
	pthread_t thread;
	if (!keep && !pthread_create(&thread, NULL, list_job_run, &job)) {
		/* only summed: the walk need not wait for them */
		err =
		    hw_alloc_walk(s->t, pr->pool, &pr->hdr, &o, on_frag, &c, &pr->check, &pr->walk);
		pthread_join(thread, NULL);
		if (job.err) {
			/* as if the walk had not run after the lists failed */
			hw_error_destroy(err);
			err = job.err;
			pr->walk = before;
			hw_check_deinit(&pr->check);
			hw_check_init(&pr->check, CHECK_MAX_FINDINGS);
		}
		c.lists_broken = lists.errors > 0;
	} else {
		err = hw_alloc_walk_free(s->t, pr->pool, &pr->hdr, &o, NULL, NULL, &lists);
		if (!err && c.nlist > 1)
			qsort(c.list, c.nlist, sizeof(*c.list), by_listed_addr);
		c.lists_broken = lists.errors > 0;
		if (!err)
			err = hw_alloc_walk(s->t, pr->pool, &pr->hdr, &o, on_frag, &c, &pr->check,
					    &pr->walk);
	}
	if (!keep)
		cp->listed = c.on_lists.n;
	if (!err && !keep)
		*clean = c.by_flag && lists.errors == 0 && !c.nomem &&
			 hw_addr_sum_eq(&c.on_lists, &c.free_walked);
	if (!err && !keep && !*clean) {
		/* hw_session_check_pool runs the pass again and reports that one */
	} else if (!err) {
		for (; c.li < c.nlist; c.li++)
			if (!in_gap(&c, c.list[c.li].addr) && c.list[c.li].addr < pr->walk.end)
				hw_check_add(&pr->check, HW_SEV_ERROR, c.list[c.li].addr,
					     HW_NO_INDEX,
					     "free list %" PRIu64 " holds 0x%" PRIx64
					     ", which is not the start of a fragment",
					     c.list[c.li].bucket, c.list[c.li].addr);
		if (pr->pool->alloc->check_totals && pr->walk.complete)
			pr->pool->alloc->check_totals(pr->pool->layout, &pr->hdr, &pr->walk,
						      &pr->check);
		if (c.unlisted)
			hw_check_add(&pr->check, HW_SEV_WARNING, pr->hdr.block, HW_NO_INDEX,
				     "%" PRIu64
				     " free fragments are on no free list heapwalk could "
				     "follow to its end (the lists are damaged, see below)",
				     c.unlisted);
		hw_check_append(&pr->check, &lists, 0);
		if (c.list_full)
			hw_check_add(
			    &pr->check, HW_SEV_WARNING, pr->hdr.block, HW_NO_INDEX,
			    "the free lists hold too many elements to cross-check them all "
			    "with the walk");
	}
	hw_check_deinit(&lists);
	free(c.list);
	free(c.seen.a);
	if (!err && c.nomem)
		err = hw_error_nomem();
	return err;
}

/*
 * A trailer that holds known bytes (q_malloc's debug patterns and size): a
 * damage there that is no text still tells how far it runs.
 */
static void explain_trailer(struct hw_session *s, const struct hw_pool *p, struct hw_location *l,
			    uint64_t at)
{
	uint8_t want[HW_DAMAGE_BYTES] = {0}, known[HW_DAMAGE_BYTES] = {0};
	const struct hw_frag_brief *f = &l->frag;
	uint64_t hs = f->user - f->addr, tl;

	if (!p->alloc || !p->alloc->trailer_known || !p->layout || l->kind != HW_LOC_FRAG ||
	    f->user < f->addr || f->span < hs || f->span - hs < f->size)
		return;
	tl = f->span - hs - f->size; /* the trailer's size */
	if (tl > HW_DAMAGE_BYTES)
		tl = HW_DAMAGE_BYTES;
	p->alloc->trailer_known(p->layout, f->size, want, known, (uint32_t)tl);
	hw_explain_trailer(s->t, l, at, want, known, (uint32_t)tl);
}

/* A finding's damage explained into @l (errors only). */
static void explain(struct hw_session *s, const struct hw_pool *p, const struct hw_finding *f,
		    struct hw_location *l)
{
	uint64_t tsize, hsize;

	if (f->sev != HW_SEV_ERROR)
		return;
	/* a trailer that disagrees with its header: the payload before it may have run over */
	if (!f->message || sscanf(f->message, "trailer size %" SCNu64 ", header size %" SCNu64,
				  &tsize, &hsize) != 2)
		hsize = 0;
	hw_explain_overrun(s->t, l, f->addr, f->index, hsize);
	if (!l->overrun.culprit.valid)
		explain_trailer(s, p, l, f->addr);
}

/*
 * What a second free of a free fragment leaves, as the findings name it:
 * the fragment on the lists twice, a list running round through it, or a
 * list holding it while its header says it is in use (allocated again).
 * The fragment's address, or 0.
 */
static uint64_t double_freed(const struct hw_finding *f, bool *reused)
{
	const char *p;
	uint64_t a = 0;

	*reused = false;
	if (f->sev != HW_SEV_ERROR || !f->message)
		return 0;
	if (strstr(f->message, "is on the free lists twice"))
		return f->addr;
	if (strstr(f->message, "but its header says it is in use")) {
		*reused = true;
		return f->addr;
	}
	if (strstr(f->message, "runs in a cycle") &&
	    (p = strstr(f->message, " links back to 0x")) &&
	    sscanf(p + strlen(" links back to 0x"), "%" SCNx64, &a) == 1)
		return a;
	return 0;
}

/* The first used fragment (other than @self) whose payload points into the double-freed one. */
struct holder_ctx {
	uint64_t self;
	uint64_t skip_at; /* TLSF: the next header's back link to it (0: none) */
	struct hw_frag_brief *out;
};

static int holder_ref(void *arg, uint64_t at, uint64_t v, const struct hw_ref_src *src)
{
	struct holder_ctx *h = arg;

	(void)v;
	if (src->kind != HW_REF_USED || !src->frag || src->frag->addr == h->self ||
	    (h->skip_at && at == h->skip_at))
		return 0;
	hw_frag_brief_set(h->out, src->frag);
	return 1;
}

/*
 * Who still holds a double-freed fragment: a used fragment of the pool whose
 * payload points into it (its owner, who may use or free it again), as refs
 * counts a reference: anywhere in the fragment, but for TLSF's back link.
 */
static struct hw_error *find_holder(struct hw_session *s, const struct hw_pool_report *pr,
				    struct hw_double_free *d)
{
	struct hw_refs_pool rp = {.pool = pr->pool, .hdr = &pr->hdr};
	struct hw_refs_opts o = {
	    .lo = d->frag.addr, .hi = d->frag.addr + d->frag.span, .used_payload_only = true};
	struct holder_ctx h = {.self = d->frag.addr, .out = &d->holder};

	if (!d->frag.span || o.hi < o.lo)
		return NULL;
	if (pr->pool->alloc->tail_back_link)
		h.skip_at = o.hi;
	return hw_refs_scan(s->t, &rp, 1, &o, holder_ref, &h);
}

/*
 * The double frees among the findings: each fragment once, at its first
 * finding, located (the entry of a cycle may not be where it is reported).
 */
static struct hw_error *explain_double_frees(struct hw_session *s, struct hw_check_pool *cp)
{
	struct hw_pool_report *pr = cp->pr;
	size_t n = pr->check.n, m = 0;
	struct hw_location *locs;
	size_t *of;
	struct hw_error *err = NULL;
	bool reused;

	locs = calloc(n, sizeof(*locs));
	of = calloc(n, sizeof(*of));
	if (!locs || !of) {
		free(locs);
		free(of);
		return hw_error_nomem();
	}
	for (size_t k = 0; k < n; k++) {
		uint64_t a = double_freed(&pr->check.items[k], &reused);
		bool seen = false;
		for (size_t j = 0; a && j < m && !seen; j++)
			seen = locs[j].addr == a;
		if (!a || seen)
			continue;
		locs[m].addr = a;
		of[m++] = k;
	}
	if (m)
		err = hw_locate(s->t, pr->pool, &pr->hdr, locs, m, NULL);
	for (size_t j = 0; !err && j < m; j++) {
		struct hw_location *w = &cp->where[of[j]];
		if (locs[j].kind != HW_LOC_FRAG || locs[j].frag.addr != locs[j].addr)
			continue; /* no fragment starts there: the list is damaged, not double */
		double_freed(&pr->check.items[of[j]], &reused);
		w->dfree.valid = true;
		w->dfree.reused = reused || locs[j].frag.used;
		w->dfree.frag = locs[j].frag;
		err = find_holder(s, pr, &w->dfree);
	}
	free(locs);
	free(of);
	return err;
}

struct hw_error *hw_session_check_pool(struct hw_session *s, struct hw_check_pool *cp)
{
	struct hw_pool_report *pr = cp->pr;
	struct hw_error *err;
	bool clean;
	size_t n;

	err = check_pass(s, cp, false, &clean);
	if (!err && !clean)
		err = check_pass(s, cp, true, &clean);
	if (err)
		return err;
	/* where each finding lies, and the fragments around it */
	n = pr->check.n;
	if (!n)
		return NULL;
	cp->where = calloc(n, sizeof(*cp->where));
	if (!cp->where)
		return hw_error_nomem();
	for (size_t k = 0; k < n; k++)
		cp->where[k].addr = pr->check.items[k].addr;
	err = hw_locate(s->t, pr->pool, &pr->hdr, cp->where, n, NULL);
	if (err)
		return err;
	/* damaged bytes: as text, and the fragment whose payload ran over them */
	for (size_t k = 0; k < n; k++)
		explain(s, pr->pool, &pr->check.items[k], &cp->where[k]);
	return explain_double_frees(s, cp);
}

/* How often the free lists hold one address. */
struct listed_count {
	uint64_t addr, n;
};

static void count_elem(void *arg, uint64_t bucket, uint64_t addr, uint64_t size)
{
	struct listed_count *c = arg;

	(void)bucket;
	(void)size;
	if (addr == c->addr)
		c->n++;
}

/* addr: the fragment at @loc as a double free leaves it on the free lists, if it is. */
static void explain_listed(struct hw_session *s, const struct hw_pool_report *pr,
			   struct hw_location *loc)
{
	struct listed_count lc = {.addr = loc->frag.addr};
	struct hw_walk_opts o = {.deep = true, .elem = count_elem, .elem_arg = &lc};
	struct hw_check ck;
	struct hw_error *err;
	bool reused, hit = false;

	hw_check_init(&ck, CHECK_MAX_FINDINGS);
	err = hw_alloc_walk_free(s->t, pr->pool, &pr->hdr, &o, NULL, NULL, &ck);
	if (err) {
		hw_error_destroy(err);
		hw_check_deinit(&ck);
		return;
	}
	for (size_t k = 0; k < ck.n && !hit; k++)
		hit = double_freed(&ck.items[k], &reused) == loc->frag.addr;
	if (hit || lc.n >= 2 || (lc.n && loc->frag.used)) {
		loc->dfree.valid = true;
		loc->dfree.reused = loc->frag.used;
		loc->dfree.frag = loc->frag;
		if ((err = find_holder(s, pr, &loc->dfree)))
			hw_error_destroy(err); /* the double free stands; its holder unknown */
	}
	hw_check_deinit(&ck);
}

void hw_session_explain(struct hw_session *s, const struct hw_pool_report *pr,
			struct hw_location *loc)
{
	if (!pr)
		return;
	uint64_t lo, hi;

	if (loc->kind == HW_LOC_GAP) {
		lo = loc->gap_from;
		hi = loc->gap_from + 1;
	} else if (loc->kind == HW_LOC_FRAG) {
		lo = loc->frag.addr;
		hi = loc->frag.addr + loc->frag.span;
		explain_listed(s, pr, loc);
	} else {
		return;
	}
	/* the damage the walk found at the range's start, in the fragment's header or trailer */
	for (size_t k = 0; k < pr->check.n; k++) {
		const struct hw_finding *f = &pr->check.items[k];
		if (f->addr < lo || f->addr >= hi)
			continue;
		explain(s, pr->pool, f, loc);
		if (loc->overrun.valid)
			return;
	}
	if (loc->kind == HW_LOC_GAP)
		hw_explain_overrun(s->t, loc, loc->gap_from, HW_NO_INDEX, 0);
}
