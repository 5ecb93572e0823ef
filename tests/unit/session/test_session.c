/*
 * test_session.c - a session over a synthetic q_malloc heap: prepare, walk,
 * the check's cross-check of free lists against the walk, site texts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"
#include "heapwalk/pool.h"
#include "heapwalk/session.h"
#include "heapwalk/target.h"
#include "qmheap.h"

#define NFRAGS 12
#define HEAP_LEN (1 << 20)

struct fixture {
	struct qmheap h;
	struct heap_frag f[NFRAGS];
	uint64_t nfree;
	uint64_t longstr; /* a site text, with its NUL */
	struct hw_session s;
};

static unsigned nwarn;

static void count_warn(const char *fmt, ...)
{
	(void)fmt;
	nwarn++;
}

/* Every other fragment free (and the last, the remainder), sites from three texts. */
static void make(struct fixture *fx)
{
	struct hw_qm_layout l;
	uint64_t file, func, mod;
	char *longtext;

	memset(fx, 0, sizeof(*fx));
	assert_null(hw_qm_profile(HW_QM_ERA_44, true, 8, 0, &l));
	qmh_init(&fx->h, &l, HEAP_LEN);
	file = qmh_str(&fx->h, "core/parser/msg_parser.c");
	func = qmh_str(&fx->h, "parse_msg");
	mod = qmh_str(&fx->h, "core");
	longtext = malloc(2001);
	assert_non_null(longtext);
	memset(longtext, 'a', 2000);
	longtext[2000] = '\0';
	fx->longstr = qmh_str(&fx->h, longtext);
	free(longtext);
	for (size_t i = 0; i < NFRAGS; i++) {
		fx->f[i].size = (uint64_t)l.roundto * (2 + i);
		fx->f[i].used = i % 2 == 0 && i != NFRAGS - 1;
		fx->f[i].file = file;
		fx->f[i].func = func;
		fx->f[i].mname = mod;
		fx->f[i].line = 100 + i;
		fx->nfree += !fx->f[i].used;
	}
	/* fragment 4's file text runs on without a NUL for 2000 bytes */
	fx->f[4].file = fx->longstr;
	qmh_build(&fx->h, &l, fx->f, NFRAGS, HEAP_LEN);
	qmh_target(&fx->h);
}

/* A session as hw_session_open leaves it, over the fixture's heap as the pkg pool. */
static void open_session(struct fixture *fx)
{
	struct hw_session *s = &fx->s;
	struct hw_pool *p = &s->pools[HW_POOL_PKG];

	memset(s, 0, sizeof(*s));
	s->t = fx->h.t;
	fx->h.t = NULL; /* the session owns the target */
	p->kind = HW_POOL_PKG;
	p->name = "pkg";
	p->alloc = &hw_allocator_qm;
	p->layout = &fx->h.l.head; /* the fixture's own: layout_mem stays NULL */
	p->block = fx->h.base;
	p->usable = true;
	s->pools[HW_POOL_SHM].kind = HW_POOL_SHM;
	s->pools[HW_POOL_SHM].name = "shm";
	s->pool_sel[HW_POOL_PKG] = true;
	s->warn = count_warn;
	hw_strcache_init(&s->report.strings, s->t);
	s->no_progress = true;
	assert_int_equal(hw_session_prepare_pools(s), 1);
}

static void done(struct fixture *fx)
{
	hw_session_close(&fx->s);
	qmh_free(&fx->h);
}

static bool has_finding(const struct hw_check *ck, const char *text)
{
	for (size_t k = 0; k < ck->n; k++)
		if (strstr(ck->items[k].message, text))
			return true;
	return false;
}

static void test_walk_free_matches(void **state)
{
	struct fixture fx;
	struct hw_pool_report *pr;
	bool errors;
	(void)state;

	make(&fx);
	fx.f[4].file = fx.f[2].file; /* no damage in this one */
	qmh_build(&fx.h, &fx.h.l, fx.f, NFRAGS, HEAP_LEN);
	open_session(&fx);
	pr = &fx.s.report.pools[0];
	hw_session_walk_free_start(&fx.s);
	hw_session_walk_frag(&fx.s);
	hw_session_walk_free_finish(&fx.s);
	assert_true(pr->walked);
	assert_int_equal(pr->walk.frags, NFRAGS);
	assert_int_equal(pr->walk.free_frags, fx.nfree);
	assert_non_null(pr->frag);
	assert_true(pr->nbuckets > 0);
	assert_true(hw_session_walked(&fx.s, &errors));
	assert_false(errors);
	done(&fx);
}

static void test_check_clean(void **state)
{
	struct fixture fx;
	struct hw_check_pool cp = {0};
	(void)state;

	make(&fx);
	fx.f[4].file = fx.f[2].file;
	qmh_build(&fx.h, &fx.h.l, fx.f, NFRAGS, HEAP_LEN);
	open_session(&fx);
	cp.pr = &fx.s.report.pools[0];
	assert_null(hw_session_check_pool(&fx.s, &cp));
	assert_int_equal(cp.pr->check.total, 0);
	assert_int_equal(cp.listed, fx.nfree);
	assert_int_equal(cp.strings_checked, 3); /* file, func, mname: one pointer each */
	assert_null(cp.where);
	assert_int_equal(cp.ngaps, 0);
	free(cp.gaps);
	done(&fx);
}

static void test_check_site_text(void **state)
{
	struct fixture fx;
	struct hw_check_pool cp = {0};
	(void)state;

	make(&fx);
	/* take the NUL away: the text runs into the end of the string area */
	fx.h.ro[fx.longstr - fx.h.rodata + 2000] = 'a';
	open_session(&fx);
	cp.pr = &fx.s.report.pools[0];
	assert_null(hw_session_check_pool(&fx.s, &cp));
	assert_int_equal(cp.pr->check.errors, 1);
	assert_true(has_finding(&cp.pr->check, "without a NUL"));
	assert_int_equal(cp.pr->check.items[0].index, 4);
	assert_non_null(cp.where);
	free(cp.where);
	free(cp.gaps);
	done(&fx);
}

static void test_check_listed_but_used(void **state)
{
	struct fixture fx;
	struct hw_check_pool cp = {0};
	uint64_t a;
	bool errors;
	(void)state;

	make(&fx);
	fx.f[4].file = fx.f[2].file;
	qmh_build(&fx.h, &fx.h.l, fx.f, NFRAGS, HEAP_LEN);
	/* fragment 3 is free and on its list; its header now says it is in use */
	a = qmh_frag_addr(&fx.h, 3);
	qmh_put_word(&fx.h, a + fx.h.l.f_u, 0);
	open_session(&fx);
	cp.pr = &fx.s.report.pools[0];
	assert_null(hw_session_check_pool(&fx.s, &cp));
	assert_true(cp.pr->check.errors >= 1);
	assert_true(has_finding(&cp.pr->check, "header says it is in use"));
	assert_true(hw_session_walked(&fx.s, &errors));
	assert_true(errors);
	free(cp.where);
	free(cp.gaps);
	done(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walk_free_matches),
	    cmocka_unit_test(test_check_clean),
	    cmocka_unit_test(test_check_site_text),
	    cmocka_unit_test(test_check_listed_but_used),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
