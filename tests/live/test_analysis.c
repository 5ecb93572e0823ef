/* test_analysis.c - unit tests of the JSON reader, diff, fragmentation figures and verdicts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "heapwalk/alloc.h"
#include "heapwalk/diagnose.h"
#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/frag.h"
#include "heapwalk/jsonin.h"
#include "heapwalk/model.h"

/* ---- jsonin ---- */

static struct hw_jnode *parse_ok(const char *text)
{
	struct hw_jnode *n = NULL;
	struct hw_error *err = hw_jsonin_parse(text, strlen(text), &n);

	if (err)
		fail_msg("%s: %s", text, err->message);
	return n;
}

static void parse_bad(const char *text, size_t len)
{
	struct hw_jnode *n = NULL;
	struct hw_error *err = hw_jsonin_parse(text, len, &n);

	if (!err)
		fail_msg("accepted: %.*s", (int)len, text);
	assert_int_equal(err->code, HW_ERR_BAD_DATA);
	hw_error_destroy(err);
}

static void test_json_values(void **state)
{
	struct hw_jnode *n;
	const struct hw_jnode *a;

	(void)state;
	n = parse_ok(" {\"a\": [1, -2, 3.5, 1e3, true, false, null], \"s\": "
		     "\"x\\\"y\\\\z\\n\\u00e9\\ud83d\\ude00\", "
		     "\"big\": 9223372036854775807, \"huge\": 99999999999999999999, \"o\": {}} ");
	assert_int_equal(n->type, HW_J_OBJECT);
	a = hw_jsonin_get(n, "a");
	assert_non_null(a);
	assert_int_equal(a->nkids, 7);
	assert_true(a->kids[0].is_int && a->kids[0].i == 1);
	assert_true(a->kids[1].is_int && a->kids[1].i == -2);
	assert_false(a->kids[2].is_int);
	assert_true(a->kids[2].d == 3.5);
	assert_false(a->kids[3].is_int);
	assert_true(a->kids[4].type == HW_J_BOOL && a->kids[4].b);
	assert_true(a->kids[5].type == HW_J_BOOL && !a->kids[5].b);
	assert_int_equal(a->kids[6].type, HW_J_NULL);
	assert_string_equal(hw_jsonin_get_str(n, "s", ""), "x\"y\\z\n\xc3\xa9\xf0\x9f\x98\x80");
	assert_true(hw_jsonin_get_int(n, "big", 0) == INT64_MAX);
	assert_int_equal(hw_jsonin_get_int(n, "huge", 7), 7); /* not an int64 */
	assert_int_equal(hw_jsonin_get_int(n, "missing", 5), 5);
	assert_int_equal(hw_jsonin_get_int(n, "s", 5), 5); /* wrong type */
	assert_non_null(hw_jsonin_get(n, "o"));
	assert_null(hw_jsonin_get(a, "x")); /* not an object */
	hw_jsonin_free(n);
	/* a lone surrogate becomes U+FFFD */
	n = parse_ok("\"\\udc00\\ud800x\"");
	assert_string_equal(n->s, "\xef\xbf\xbd\xef\xbf\xbdx");
	hw_jsonin_free(n);
}

static void test_json_malformed(void **state)
{
	static const char *const bad[] = {
	    "",	     "{",     "}",	  "[1,]",	"{\"a\" 1}", "{\"a\":}",
	    "[1 2]", "\"abc", "\"a\\q\"", "\"\\u12\"",	"tru",	     "nul",
	    "-",     "1.2.3", "{} x",	  "[\"\x01\"]", "{1:2}",     "01x",
	};
	char deep[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_bad(bad[i], strlen(bad[i]));
	/* nesting beyond the limit */
	memset(deep, '[', sizeof(deep));
	parse_bad(deep, sizeof(deep));
	/* every prefix of a valid document is rejected without a crash */
	{
		const char *doc = "{\"k\": [1, {\"x\": \"\\u00e9\"}, null], \"z\": -1.5e-3}";
		for (size_t l = 0; l < strlen(doc); l++)
			parse_bad(doc, l);
	}
}

/* ---- diff ---- */

static struct hw_diff_pool *pool(struct hw_diff_side *s, const char *name, int pid,
				 const char *desc)
{
	struct hw_diff_pool *p;

	assert_null(hw_diff_side_add_pool(s, name, pid, 1, desc, &p));
	p->sites_known = true;
	return p;
}

static void test_diff_growth_first(void **state)
{
	struct hw_diff_side a, b;
	struct hw_diff d;
	struct hw_diff_pool *pa, *pb;
	const struct hw_diff_pair *pr = NULL;

	(void)state;
	hw_diff_side_init(&a);
	hw_diff_side_init(&b);
	pa = pool(&a, "pkg", 10, "udp receiver child=0");
	assert_null(hw_diff_pool_add_site(pa, "core: a.c", "f", 1, "core", 5, 500));
	assert_null(hw_diff_pool_add_site(pa, "tm: t.c", "g", 2, "tm", 10, 1000));
	assert_null(hw_diff_pool_add_site(pa, "gone.c", "h", 3, "x", 1, 64));
	/* the same text twice adds up */
	assert_null(hw_diff_pool_add_site(pa, "core: a.c", "f", 1, "core", 1, 100));
	pb = pool(&b, "pkg", 10, "udp receiver child=0");
	assert_null(hw_diff_pool_add_site(pb, "core: a.c", "f", 1, "core", 6, 600));
	assert_null(hw_diff_pool_add_site(pb, "tm: t.c", "g", 2, "tm", 110, 9000));
	assert_null(hw_diff_pool_add_site(pb, "new.c", "n", 4, "y", 3, 300));
	/* a pool only on one side */
	pool(&b, "shm", 10, "");
	assert_null(hw_diff_compute(&a, &b, &d));
	for (size_t k = 0; k < d.npairs; k++)
		if (d.pairs[k].a && d.pairs[k].b)
			pr = &d.pairs[k];
	assert_non_null(pr);
	assert_int_equal(d.npairs, 2);
	assert_int_equal(pr->nrows, 3); /* core: a.c is unchanged */
	assert_string_equal(pr->rows[0].b->file, "tm: t.c");
	assert_int_equal(pr->rows[0].dcount, 100);
	assert_int_equal(pr->rows[0].dbytes, 8000);
	assert_int_equal(pr->rows[0].kind, HW_DIFF_CHANGED);
	assert_string_equal(pr->rows[1].b->file, "new.c");
	assert_int_equal(pr->rows[1].kind, HW_DIFF_NEW);
	assert_int_equal(pr->rows[2].kind, HW_DIFF_GONE);
	assert_int_equal(pr->rows[2].dbytes, -64);
	assert_int_equal(pr->grown, 2);
	assert_int_equal(pr->added, 1);
	assert_int_equal(pr->gone, 1);
	assert_int_equal(pr->grown_bytes, 8300);
	assert_non_null(hw_diff_pool_find(pb, "new.c", "n", 4, "y"));
	assert_null(hw_diff_pool_find(pb, "new.c", "n", 5, "y"));
	assert_ptr_equal(hw_diff_side_find(&b, "shm", 10), &b.pools[1]);
	hw_diff_deinit(&d);
	hw_diff_side_deinit(&a);
	hw_diff_side_deinit(&b);
}

static void test_diff_pairing(void **state)
{
	struct hw_diff_side a, b;
	struct hw_diff d;

	(void)state;
	hw_diff_side_init(&a);
	hw_diff_side_init(&b);
	/* a restarted instance: other pids, the same process table */
	pool(&a, "pkg", 100, "timer");
	pool(&a, "pkg", 101, "udp receiver child=0");
	pool(&b, "pkg", 201, "udp receiver child=0");
	pool(&b, "pkg", 200, "timer");
	assert_null(hw_diff_compute(&a, &b, &d));
	assert_int_equal(d.npairs, 2);
	for (size_t k = 0; k < d.npairs; k++) {
		assert_non_null(d.pairs[k].a);
		assert_non_null(d.pairs[k].b);
		assert_string_equal(d.pairs[k].a->desc, d.pairs[k].b->desc);
	}
	hw_diff_deinit(&d);
	/* cores of two processes: their pkg pools apart, the instance's one shm paired */
	pool(&a, "shm", 100, "timer");
	pool(&b, "shm", 201, "udp receiver child=0");
	pool(&b, "pkg", 202, "tcp main");
	assert_null(hw_diff_compute(&a, &b, &d));
	assert_int_equal(d.npairs, 4);
	for (size_t k = 0; k < d.npairs; k++)
		if (d.pairs[k].a && !strcmp(d.pairs[k].a->name, "shm")) {
			assert_non_null(d.pairs[k].b);
			assert_int_equal(d.pairs[k].b->pid, 201);
		} else if (!d.pairs[k].a) {
			assert_int_equal(d.pairs[k].b->pid, 202);
		}
	hw_diff_deinit(&d);
	hw_diff_side_deinit(&a);
	hw_diff_side_deinit(&b);
}

static const char single_json[] =
    "{\"format_version\": 1, \"command\": \"summary\", \"target\": {\"pid\": 42, "
    "\"process_desc\": \"main\"}, \"pools\": [{\"pool\": \"pkg\", \"walked\": true, "
    "\"heap_size\": 100, \"used\": 50, \"real_used\": 60, \"frags\": {\"total\": 3, \"free\": 1}, "
    "\"sites_available\": true, \"sites_total\": 2, \"sites\": [{\"count\": 2, \"bytes\": 30, "
    "\"file\": \"a\\u0001.c\", \"func\": \"f\", \"line\": 7, \"module\": \"m\"}, {\"count\": 1, "
    "\"bytes\": 20, \"file\": \"b.c\", \"func\": \"g\", \"line\": 8, \"module\": \"m\"}]}, "
    "{\"pool\": \"shm\", \"walked\": false, \"error\": \"x\"}]}";

static const char all_json[] =
    "{\"format_version\": 1, \"command\": \"summary\", \"instance\": {\"time_ns\": 5}, "
    "\"processes\": [{\"pid\": 1, \"rank\": 0, \"desc\": \"main\", \"pools\": [{\"pool\": "
    "\"shm\", \"sites\": [], \"sites_total\": 4}]}, {\"pid\": 2, \"rank\": 1, \"desc\": \"w\", "
    "\"pools\": [{\"pool\": \"pkg\", \"sites\": []}]}]}";

static void test_diff_json(void **state)
{
	struct hw_diff_side s;
	struct hw_error *err;

	(void)state;
	hw_diff_side_init(&s);
	assert_null(hw_diff_side_from_json(&s, single_json, strlen(single_json), "t"));
	assert_int_equal(s.npools, 1); /* the unwalked shm is left out */
	assert_int_equal(s.pools[0].pid, 42);
	assert_string_equal(s.pools[0].desc, "main");
	assert_int_equal(s.pools[0].used, 50);
	assert_int_equal(s.pools[0].nsites, 2);
	/* a control character from the file is sanitised */
	assert_non_null(hw_diff_pool_find(&s.pools[0], "a\\x01.c", "f", 7, "m"));
	assert_true(s.pools[0].sites_complete);
	hw_diff_side_deinit(&s);
	hw_diff_side_init(&s);
	assert_null(hw_diff_side_from_json(&s, all_json, strlen(all_json), "t"));
	assert_int_equal(s.npools, 2);
	assert_int_equal(s.time_ns, 5);
	assert_false(s.pools[0].sites_complete); /* sites_total 4 > 0 listed */
	assert_int_equal(s.pools[1].rank, 1);
	hw_diff_side_deinit(&s);
	/* not a summary */
	hw_diff_side_init(&s);
	{
		const char *stats = "{\"format_version\":1,\"command\":\"stats\",\"pools\":[]}";
		err = hw_diff_side_from_json(&s, stats, strlen(stats), "t");
	}
	assert_non_null(err);
	assert_non_null(strstr(err->message, "summary"));
	hw_error_destroy(err);
	err = hw_diff_side_from_json(&s, "[1]", 3, "t");
	assert_non_null(err);
	hw_error_destroy(err);
	{
		const char *heap = "{\"format_version\":1,\"command\":\"summary\",\"pools\":[{"
				   "\"pool\":\"heap\"}]}";
		err = hw_diff_side_from_json(&s, heap, strlen(heap), "t");
	}
	assert_non_null(err);
	hw_error_destroy(err);
	hw_diff_side_deinit(&s);
}

/* ---- fragmentation ---- */

static struct hw_frag frag(uint64_t index, uint64_t user, uint64_t size, bool used)
{
	struct hw_frag f;

	memset(&f, 0, sizeof(f));
	f.index = index;
	f.addr = user - 16;
	f.user = user;
	f.size = size;
	f.used = used;
	return f;
}

static void test_frag_stats(void **state)
{
	struct hw_frag_stats fs;
	/* overhead 32 between payloads: header 16 + trailer 16 */
	struct hw_frag v[] = {
	    frag(0, 0x1010, 64, true),	 frag(1, 0x1070, 100, false), frag(2, 0x10f4, 28, false),
	    frag(3, 0x1130, 16, false),	 frag(4, 0x1160, 8, true),    frag(5, 0x1188, 4096, false),
	    frag(7, 0x21a8, 512, false),
	};

	(void)state;
	hw_frag_stats_init(&fs);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		hw_frag_stats_add(&fs, &v[i]);
	hw_frag_stats_finish(&fs);
	assert_int_equal(fs.free_frags, 5);
	assert_int_equal(fs.used_frags, 2);
	assert_int_equal(fs.free_bytes, 100 + 28 + 16 + 4096 + 512);
	assert_int_equal(fs.largest_free, 4096);
	assert_int_equal(fs.largest_free_addr, 0x1188);
	/* one run of three adjacent free fragments; index 7 does not follow 5 */
	assert_int_equal(fs.join_runs, 1);
	assert_int_equal(fs.join_frags, 3);
	assert_int_equal(fs.join_largest, 0x1130 + 16 - 0x1070);
	assert_int_equal(fs.join_gain, (0x10f4 - (0x1070 + 100)) + (0x1130 - (0x10f4 + 28)));
	assert_int_equal(fs.class_count[2], 0);
	assert_int_equal(fs.class_count[4], 2);	 /* 28, 16 */
	assert_int_equal(fs.class_count[6], 1);	 /* 100 */
	assert_int_equal(fs.class_count[12], 1); /* 4096 */
	assert_int_equal(hw_frag_class_min(12), 4096);
	assert_true(hw_frag_fits(&fs, 4096, 8));
	assert_true(hw_frag_fits(&fs, 4090, 16)); /* rounds up to 4096 */
	assert_true(hw_frag_fits(&fs, 4089, 8));
	assert_false(hw_frag_fits(&fs, 4097, 8));
	assert_int_equal(hw_frag_round(4097, 16), 4112);
	assert_int_equal(hw_frag_round(7, 1), 7);
	assert_true(hw_frag_round(UINT64_MAX - 1, 16) == UINT64_MAX);
	assert_true(hw_frag_index(&fs) > 0.13 && hw_frag_index(&fs) < 0.14); /* 1 - 4096/4752 */
}

/* ---- the counters a pool is judged by ---- */

static void test_pool_counters(void **state)
{
	struct hw_pool_report pr;
	uint64_t u, ru, mu;

	(void)state;
	memset(&pr, 0, sizeof(pr));
	pr.hdr.size = 1000;
	pr.hdr.used = 300;
	pr.hdr.real_used = 400;
	pr.hdr.max_real_used = 500;
	pr.walk.complete = true;
	pr.walk.used_bytes = 350;
	pr.walk.free_bytes = 550;
	/* kept counters: the block's, even where the walk differs */
	hw_pool_counters(&pr, &u, &ru, &mu);
	assert_true(u == 300 && ru == 400 && mu == 500);
	/* hp_malloc's loose ones: the walk's; the block's peak while plausible */
	pr.hdr.loose_counters = true;
	hw_pool_counters(&pr, &u, &ru, &mu);
	assert_true(u == 350 && ru == 450 && mu == 500);
	/* used wrapped below 0: the walk's, and no peak below what is used now */
	pr.hdr.used = UINT64_MAX - 5;
	pr.hdr.real_used = UINT64_MAX - 1;
	pr.hdr.max_real_used = 200;
	pr.hdr.loose_counters = false;
	hw_pool_counters(&pr, &u, &ru, &mu);
	assert_true(u == 350 && ru == 450 && mu == 450);
	/* an incomplete walk gives nothing better */
	pr.walk.complete = false;
	hw_pool_counters(&pr, &u, &ru, &mu);
	assert_true(u == UINT64_MAX - 5 && ru == UINT64_MAX - 1 && mu == 200);
}

/* ---- verdicts ---- */

static void test_verdicts(void **state)
{
	struct hw_frag_stats fs;
	struct hw_diag_input in;
	struct hw_diag_result r;

	(void)state;
	hw_frag_stats_init(&fs);
	memset(&in, 0, sizeof(in));
	in.frag = &fs;
	in.roundto = 8;
	in.walk_complete = true;
	in.size = 4 << 20;

	/* healthy: half used, one big free block */
	in.real_used = in.max_real_used = in.used = 2 << 20;
	fs.free_frags = 1;
	fs.free_bytes = fs.largest_free = 2 << 20;
	hw_diagnose_pool(&in, &r);
	assert_int_equal(r.verdict, HW_VERDICT_OK);
	assert_true(r.nevidence >= 2);

	/* fragmented: 40% free, the largest piece 1 KiB */
	in.real_used = in.used = in.max_real_used = (uint64_t)(0.6 * (4 << 20));
	fs.free_frags = 1600;
	fs.free_bytes = in.size - in.real_used;
	fs.largest_free = 1024;
	hw_diagnose_pool(&in, &r);
	assert_int_equal(r.verdict, HW_VERDICT_FRAGMENTED);
	assert_non_null(strstr(r.headline, "fragmentation: a request of 64.0 KiB fails though"));
	assert_non_null(strstr(r.headline, "the largest is 1.0 KiB"));
	assert_non_null(strstr(r.advice, "(-X tlsf)"));
	/* OpenSIPS: no mem_join, its own allocator option */
	in.opensips = true;
	hw_diagnose_pool(&in, &r);
	assert_int_equal(r.verdict, HW_VERDICT_FRAGMENTED);
	assert_non_null(strstr(r.advice, "(-k Q_MALLOC)"));
	assert_null(strstr(r.advice, "mem_join"));
	assert_null(strstr(r.advice, "tlsf"));
	in.opensips = false;
	/* ... unless the probe request fits */
	in.request = 512;
	hw_diagnose_pool(&in, &r);
	assert_int_equal(r.verdict, HW_VERDICT_OK);
	in.request = 0;

	/* full: 97% used */
	in.real_used = in.max_real_used = (uint64_t)(0.97 * (4 << 20));
	in.used = in.real_used - 4096;
	fs.free_bytes = in.size - in.real_used;
	fs.largest_free = 4096;
	hw_diagnose_pool(&in, &r);
	assert_int_equal(r.verdict, HW_VERDICT_TOO_SMALL);
	assert_non_null(strstr(r.headline, "exhausted")); /* 64 KiB would not fit */
	assert_non_null(strstr(r.evidence[r.nevidence - 1], "no growth data"));
	assert_non_null(strstr(r.advice, "give Kamailio more memory, -M "));
	in.opensips = true;
	hw_diagnose_pool(&in, &r);
	assert_non_null(strstr(r.advice, "give OpenSIPS more memory, -M "));
	in.opensips = false;
	/* one snapshot where one site holds 60% of it in 3000 fragments: accumulation,
	 * and no advice to add memory */
	in.dominant_site = "htable: ht_api.c: ht_cell_new(186)";
	in.dominant_bytes = (uint64_t)(0.6 * (double)in.used);
	in.dominant_frags = 3000;
	in.dominant_module = "htable";
	in.dominant_module_bytes = in.dominant_bytes + 1000;
	hw_diagnose_pool(&in, &r);
	assert_int_equal(r.verdict, HW_VERDICT_LEAK);
	assert_non_null(strstr(r.headline, "exhausted"));
	assert_non_null(strstr(r.headline, "ht_cell_new"));
	assert_non_null(strstr(r.evidence[r.nevidence - 2], "module htable"));
	assert_null(strstr(r.advice, "more memory for"));
	/* ... but one big table allocated once is no accumulation */
	in.dominant_frags = 1;
	hw_diagnose_pool(&in, &r);
	assert_int_equal(r.verdict, HW_VERDICT_TOO_SMALL);
	/* ... nor a site holding a third */
	in.dominant_frags = 3000;
	in.dominant_bytes = in.used / 3;
	hw_diagnose_pool(&in, &r);
	assert_int_equal(r.verdict, HW_VERDICT_TOO_SMALL);
	in.dominant_site = NULL;
	/* full and no site grows: still too small, now said with certainty */
	in.have_growth = true;
	hw_diagnose_pool(&in, &r);
	assert_int_equal(r.verdict, HW_VERDICT_TOO_SMALL);
	assert_non_null(strstr(r.headline, "no allocation site keeps growing"));
	/* a series that saw the dominant site turn over: no accumulation either */
	in.have_growth = false;
	in.dominant_site = "tm: t_funcs.c: build_cell(334)";
	in.dominant_bytes = (uint64_t)(0.6 * (double)in.used);
	in.dominant_kept_known = true;
	in.dominant_kept = 0.02;
	hw_diagnose_pool(&in, &r);
	assert_int_equal(r.verdict, HW_VERDICT_TOO_SMALL);
	/* ... while one whose fragments stay is, with growth data or without */
	in.dominant_kept = 0.99;
	hw_diagnose_pool(&in, &r);
	assert_int_equal(r.verdict, HW_VERDICT_LEAK);
	in.have_growth = true;
	hw_diagnose_pool(&in, &r);
	assert_int_equal(r.verdict, HW_VERDICT_LEAK);
	assert_non_null(strstr(r.evidence[r.nevidence - 1], "99% of those of the first snapshot"));
	in.dominant_site = NULL;
	in.dominant_kept_known = false;
	/* growth makes it a leak suspect */
	in.growing_sites = 2;
	in.growth_bytes = 5000;
	in.growth_seconds = 60;
	in.top_site = "htable: ht_api.c: f(45)";
	in.top_site_bytes = 4000;
	hw_diagnose_pool(&in, &r);
	assert_int_equal(r.verdict, HW_VERDICT_LEAK);
	assert_non_null(strstr(r.evidence[2], "ht_api.c"));
	/* the headline says how full the pool is, the evidence when it will be full */
	assert_non_null(strstr(r.headline, "the pool is exhausted"));
	assert_non_null(strstr(r.evidence[3], "already full"));
	in.real_used = in.max_real_used = in.used = 2 << 20;
	fs.free_bytes = fs.largest_free = 2 << 20;
	hw_diagnose_pool(&in, &r);
	assert_int_equal(r.verdict, HW_VERDICT_LEAK);
	assert_null(strstr(r.headline, "the pool is"));
	/* 2 MiB free, 5000 bytes a minute: about 419 minutes */
	assert_non_null(strstr(r.evidence[3], "gone in about 7 h"));
	assert_non_null(strstr(r.advice, "leak in htable: ht_api.c: f(45)"));
	/* damage trumps everything */
	in.finding_errors = 1;
	hw_diagnose_pool(&in, &r);
	assert_int_equal(r.verdict, HW_VERDICT_DAMAGED);
	assert_string_equal(hw_verdict_name(HW_VERDICT_DAMAGED), "damaged");
	assert_string_equal(hw_verdict_name(HW_VERDICT_TOO_SMALL), "pool too small");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_values),	      cmocka_unit_test(test_json_malformed),
	    cmocka_unit_test(test_diff_growth_first), cmocka_unit_test(test_diff_pairing),
	    cmocka_unit_test(test_diff_json),	      cmocka_unit_test(test_frag_stats),
	    cmocka_unit_test(test_pool_counters),     cmocka_unit_test(test_verdicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
