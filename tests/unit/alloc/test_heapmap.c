/* test_heapmap.c - heap maps: bounded size on huge heaps, stable colours, visible holes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/heapmap.h"
#include "heapwalk/report.h"
#include "heapwalk/sites.h"
#include "qmheap.h"

struct feed {
	struct hw_heapmap *m;
};

static int feed_cb(void *arg, const struct hw_frag *f)
{
	struct feed *fd = arg;

	hw_heapmap_add(fd->m, f, f->span);
	return 0;
}

/* Build @n fragments of @size with @used_fn deciding, map them into an SVG string. */
static char *map_svg(size_t n, uint64_t size, bool (*used_fn)(size_t), uint32_t cells,
		     struct hw_heapmap *m, size_t *len)
{
	struct qmheap h = {0};
	struct hw_qm_layout l;
	struct heap_frag *fr = calloc(n, sizeof(*fr));
	struct hw_heap_header hdr;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct hw_strcache sc;
	struct feed fd = {m};
	uint64_t mods[3], file, func;
	char *buf = NULL;
	FILE *f;

	assert_non_null(fr);
	assert_null(hw_qm_profile(HW_QM_ERA_44, true, 8, 0, &l));
	qmh_init(&h, &l, l.first_off + n * (l.frag_size + size + l.end_size));
	mods[0] = qmh_str(&h, "tm");
	mods[1] = qmh_str(&h, "usrloc");
	mods[2] = qmh_str(&h, "core");
	file = qmh_str(&h, "tm: t_funcs.c");
	func = qmh_str(&h, "t_relay");
	for (size_t i = 0; i < n; i++) {
		fr[i].size = size;
		fr[i].used = used_fn(i);
		fr[i].mname = mods[i % 3];
		fr[i].file = file;
		fr[i].func = func;
		fr[i].line = 1 + i % 7;
	}
	qmh_build(&h, &l, fr, n, h.len);
	qmh_target(&h);
	hw_strcache_init(&sc, h.t);
	assert_null(hw_qm_read_header(h.t, &l, h.base, &hdr));
	assert_null(
	    hw_heapmap_init(m, hdr.first_frag, hdr.block + hdr.size, cells, 128, true, &sc));
	hw_check_init(&ck, 10);
	assert_null(hw_qm_walk(h.t, &l, &hdr, feed_cb, &fd, &ck, &st));
	assert_true(st.complete);
	assert_int_equal(m->frags, n);
	f = open_memstream(&buf, len);
	hw_svg_heapmap(f, m, "test", 0);
	fclose(f);
	hw_check_deinit(&ck);
	hw_strcache_deinit(&sc);
	qmh_free(&h);
	free(fr);
	return buf;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)); p++)
		n++;
	return n;
}

static bool every_third_free(size_t i)
{
	return i % 3 != 2;
}

static void test_million_fragments_bounded(void **state)
{
	struct hw_heapmap m;
	size_t len;
	char *svg;

	(void)state;
	svg = map_svg(1000000, 16, every_third_free, 8192, &m, &len);
	assert_int_equal(m.used_frags + m.free_frags, 1000000);
	/* one rect per cell at most, plus the legend */
	assert_true(count(svg, "<rect") <= m.ncells + HW_MAP_MODULES + 3);
	assert_true(count(svg, "<rect") < 50000);
	assert_true(len < 2u * 1024 * 1024);
	assert_int_equal(count(svg, "<rect"), count(svg, "</rect>") + count(svg, "/>"));
	hw_heapmap_deinit(&m);
	free(svg);
}

static bool alternate(size_t i)
{
	return i % 2 == 0;
}

/* A fragmented heap (used and free alternate, each over several cells) shows the holes. */
static void test_holes_visible(void **state)
{
	struct hw_heapmap m;
	size_t len, transitions = 0;
	char *svg, free_fill[16], tm_fill[16], prev[8] = "";
	const char *p;

	(void)state;
	svg = map_svg(400, 4096, alternate, 1024, &m, &len);
	assert_true(m.cell_bytes * 2 < 4096);
	snprintf(free_fill, sizeof(free_fill), "fill=\"#e8e8e8\"");
	hw_heapmap_colour("tm", prev);
	snprintf(tm_fill, sizeof(tm_fill), "fill=\"%s\"", prev);
	assert_non_null(strstr(svg, free_fill));
	assert_non_null(strstr(svg, tm_fill));
	/* walk the cell rects in order: free must sit between used ones many times */
	prev[0] = '\0';
	for (p = svg; (p = strstr(p, "<rect x=")); p++) {
		const char *fill = strstr(p, "fill=\"#");
		char cur[8];
		if (!fill)
			break;
		memcpy(cur, fill + 6, 7);
		cur[7] = '\0';
		if (prev[0] && strcmp(prev, cur) &&
		    (!strcmp(cur, "#e8e8e8") || !strcmp(prev, "#e8e8e8")))
			transitions++;
		memcpy(prev, cur, 8);
	}
	assert_true(transitions >= 100);
	assert_int_equal(m.largest_free, 4096);
	hw_heapmap_deinit(&m);
	free(svg);
}

static void test_colours_stable(void **state)
{
	char a[8], b[8], c[8];

	(void)state;
	hw_heapmap_colour("tm", a);
	hw_heapmap_colour("tm", b);
	hw_heapmap_colour("usrloc", c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 7);
	assert_int_equal(a[0], '#');
	/* pinned, so colours stay the same across versions too */
	hw_heapmap_colour("core", a);
	assert_string_equal(a, "#4c78a8");
	hw_heapmap_colour("some_module", a);
	hw_heapmap_colour("some_module", b);
	assert_string_equal(a, b);
	/* the well-known modules all differ */
	{
		static const char *const mods[] = {"core",	"tm", "usrloc", "htable", "dialog",
						   "registrar", "sl", "pv",	"xlog"};
		char col[9][8];
		for (int i = 0; i < 9; i++) {
			hw_heapmap_colour(mods[i], col[i]);
			for (int j = 0; j < i; j++)
				assert_string_not_equal(col[i], col[j]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_million_fragments_bounded),
	    cmocka_unit_test(test_holes_visible),
	    cmocka_unit_test(test_colours_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
