/* test_forensics.c - content classes, locating addresses and pointer scans on synthetic heaps. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/classify.h"
#include "heapwalk/error.h"
#include "heapwalk/locate.h"
#include "heapwalk/mem.h"
#include "heapwalk/pool.h"
#include "heapwalk/refs.h"
#include "heapwalk/target.h"
#include "qmheap.h"

static enum hw_content cls(const char *s, char *label)
{
	return hw_classify_bytes((const uint8_t *)s, strlen(s), 8, 0, 0, NULL, label, 16);
}

static void test_classify_bytes(void **state)
{
	char label[16];
	uint8_t zero[64] = {0}, bin[8] = {1, 2, 0, 0xff, 7, 0, 0, 9};
	(void)state;

	assert_int_equal(cls("INVITE sip:bob@example.com SIP/2.0\r\nVia: x\r\n", label),
			 HW_CONTENT_SIP_MSG);
	assert_string_equal(label, "INVITE");
	assert_int_equal(cls("SIP/2.0 486 Busy Here\r\n", label), HW_CONTENT_SIP_MSG);
	assert_string_equal(label, "486");
	/* a request line without the version is not a SIP message */
	assert_int_equal(cls("INVITE sip:bob@example.com HTTP/1.1\r\n", label), HW_CONTENT_TEXT);
	assert_int_equal(cls("sip:alice@10.0.0.1:5060;transport=udp", label), HW_CONTENT_SIP_URI);
	assert_int_equal(cls("<sips:alice@example.com>", label), HW_CONTENT_SIP_URI);
	assert_int_equal(cls("core: core/counters.c", label), HW_CONTENT_TEXT);
	assert_int_equal(hw_classify_bytes(zero, sizeof(zero), 8, 0, 0, NULL, label, 16),
			 HW_CONTENT_ZERO);
	assert_int_equal(hw_classify_bytes(bin, sizeof(bin), 8, 0, 0, NULL, label, 16),
			 HW_CONTENT_BINARY);
}

/* A heap of five fragments; fragment 1's payload holds a str to fragment 3's text. */
static void make(struct qmheap *h)
{
	struct hw_qm_layout l;
	struct heap_frag f[5];

	assert_null(hw_qm_profile(HW_QM_ERA_44, true, 8, 0, &l));
	memset(f, 0, sizeof(f));
	for (int i = 0; i < 5; i++) {
		f[i].size = 64;
		f[i].used = i != 2;
		f[i].line = (uint64_t)i;
	}
	memset(h, 0, sizeof(*h));
	qmh_build(h, &l, f, 5, 1 << 20);
	qmh_target(h);
}

/* The heap of make() as a pool, and its block header. */
static void make_pool(struct qmheap *h, struct hw_pool *p, struct hw_heap_header *hdr)
{
	make(h);
	memset(p, 0, sizeof(*p));
	p->alloc = &hw_allocator_qm;
	p->layout = &h->l.head;
	p->block = h->base;
	assert_null(hw_qm_read_header(h->t, &h->l, h->base, hdr));
}

static void test_classify_str_and_sites(void **state)
{
	struct qmheap h;
	struct hw_classify *cl;
	struct hw_heap_header hdr;
	uint64_t f1, f3;
	char desc[256];
	(void)state;

	make(&h);
	f1 = qmh_frag_addr(&h, 1) + h.l.frag_size;
	f3 = qmh_frag_addr(&h, 3) + h.l.frag_size;
	memcpy(h.buf + (f3 - h.base), "sip:bob@example.com", 19);
	qmh_put_word(&h, f1, f3);
	qmh_put_word(&h, f1 + 8, 19);
	assert_null(hw_qm_read_header(h.t, &h.l, h.base, &hdr));
	assert_null(hw_classify_create(&cl));
	hw_classify_set_heap(cl, h.base, h.base + h.len);
	{
		struct hw_frag fr = {.user = f1, .size = 64, .used = true, .line = 1};
		struct hw_frag fu = {.user = f3, .size = 64, .used = true, .line = 3};
		const struct hw_content_counts *c;
		assert_null(hw_classify_add(cl, h.t, &fr));
		assert_null(hw_classify_add(cl, h.t, &fu));
		c = hw_classify_site(cl, 0, 0, 1);
		assert_non_null(c);
		assert_int_equal(c->count[HW_CONTENT_STR], 1);
		c = hw_classify_site(cl, 0, 0, 3);
		assert_int_equal(hw_classify_main(c), HW_CONTENT_SIP_URI);
		hw_classify_describe(c, desc, sizeof(desc));
		assert_string_equal(desc, "SIP URI 100%");
		assert_null(hw_classify_site(cl, 0, 0, 2));
		assert_int_equal(hw_classify_total(cl)->total, 2);
	}
	hw_classify_destroy(cl);
	qmh_free(&h);
}

static void test_locate(void **state)
{
	struct qmheap h;
	struct hw_pool p;
	struct hw_heap_header hdr;
	struct hw_location loc[5];
	uint64_t a1, a2, a3;
	(void)state;

	make_pool(&h, &p, &hdr);
	a1 = qmh_frag_addr(&h, 1);
	a2 = qmh_frag_addr(&h, 2);
	a3 = qmh_frag_addr(&h, 3);
	/* in any order: fragment 2's payload, fragment 1's header, the block, 3's trailer, outside
	 */
	loc[0].addr = a2 + h.l.frag_size + 10;
	loc[1].addr = a1 + 8;
	loc[2].addr = h.base + 100;
	loc[3].addr = a3 + h.l.frag_size + 64 + 8;
	loc[4].addr = h.base + h.len + 64;
	assert_null(hw_locate(h.t, &p, &hdr, loc, 5, NULL));
	assert_int_equal(loc[0].kind, HW_LOC_FRAG);
	assert_int_equal(loc[0].part, HW_PART_PAYLOAD);
	assert_int_equal(loc[0].offset, 10);
	assert_int_equal(loc[0].frag.index, 2);
	assert_false(loc[0].frag.used);
	assert_int_equal(loc[0].prev.addr, a1);
	assert_int_equal(loc[0].next.addr, a3);
	assert_int_equal(loc[1].kind, HW_LOC_FRAG);
	assert_int_equal(loc[1].part, HW_PART_HEADER);
	assert_int_equal(loc[2].kind, HW_LOC_BLOCK);
	assert_int_equal(loc[3].part, HW_PART_TRAILER);
	assert_int_equal(loc[4].kind, HW_LOC_NONE);

	/* damage fragment 2: its payload is now in a skipped range, with both neighbours */
	qmh_put_word(&h, a2 + h.l.f_size, 0);
	loc[0].addr = a2 + h.l.frag_size + 10;
	assert_null(hw_locate(h.t, &p, &hdr, loc, 1, NULL));
	assert_int_equal(loc[0].kind, HW_LOC_GAP);
	assert_int_equal(loc[0].gap_from, a2);
	assert_int_equal(loc[0].gap_to, a3);
	assert_int_equal(loc[0].prev.addr, a1);
	assert_int_equal(loc[0].next.addr, a3);
	assert_true(loc[0].next.gaps > 0);
	qmh_free(&h);
}

/* Text from fragment 1's payload across its trailer into fragment 2's size word. */
static void test_explain_overrun(void **state)
{
	static const char unit[] = "sip:eu-bound.example.com;";
	char text[256];
	struct qmheap h;
	struct hw_pool p;
	struct hw_heap_header hdr;
	struct hw_location loc;
	uint64_t a1, a2, pe, n;
	(void)state;

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = unit[i % (sizeof(unit) - 1)];
	make_pool(&h, &p, &hdr);
	a1 = qmh_frag_addr(&h, 1);
	a2 = qmh_frag_addr(&h, 2);
	pe = a1 + h.l.frag_size + 64;
	n = a2 + h.l.f_size + 8 - pe; /* the trailer, then the size word */
	assert_true(n + 8 < sizeof(text));
	memcpy(h.buf + (pe - 8 - h.base), text, n + 8);
	loc.addr = a2;
	assert_null(hw_locate(h.t, &p, &hdr, &loc, 1, NULL));
	assert_int_equal(loc.kind, HW_LOC_GAP);
	hw_explain_overrun(h.t, &loc, a2, 2, 0);
	assert_true(loc.overrun.valid);
	assert_true(loc.overrun.culprit.valid);
	assert_int_equal(loc.overrun.culprit.addr, a1);
	assert_int_equal(loc.overrun.into, a2);
	assert_int_equal(loc.overrun.length, n);
	assert_false(loc.overrun.at_least);
	/* the bytes from the damaged header on, as far as the text runs */
	assert_int_equal(loc.overrun.at, a2);
	assert_int_equal(loc.overrun.nbytes, 16);
	assert_memory_equal(loc.overrun.bytes, text + 8 + (a2 - pe), 8);
	assert_int_equal(loc.overrun.ntail, 32);
	assert_int_equal(loc.overrun.tail_at, pe - 32);
	assert_memory_equal(loc.overrun.tail + 24, text, 8);
	/* the first fragment's own trailer: it is its own culprit */
	loc.addr = pe;
	assert_null(hw_locate(h.t, &p, &hdr, &loc, 1, NULL));
	assert_int_equal(loc.part, HW_PART_TRAILER);
	hw_explain_overrun(h.t, &loc, pe, 1, 0);
	assert_int_equal(loc.overrun.culprit.addr, a1);
	assert_int_equal(loc.overrun.into, a1);
	assert_int_equal(loc.overrun.length, n);

	/* binary damage: no culprit, and bytes not worth showing */
	memset(h.buf + (pe - 8 - h.base), 0, n + 8);
	qmh_put_word(&h, a2 + h.l.f_size, 12345);
	loc.addr = a2;
	assert_null(hw_locate(h.t, &p, &hdr, &loc, 1, NULL));
	hw_explain_overrun(h.t, &loc, a2, 2, 0);
	assert_false(loc.overrun.valid);
	assert_false(loc.overrun.culprit.valid);

	/* a neighbour whose payload lies in no memory the target has: nothing read */
	memset(&loc, 0, sizeof(loc));
	loc.kind = HW_LOC_GAP;
	loc.gap_from = h.base + h.len + (1 << 20);
	loc.prev.valid = true;
	loc.prev.addr = loc.gap_from - 4096;
	loc.prev.user = loc.prev.addr + 56;
	loc.prev.size = 4000;
	loc.prev.span = 4096;
	hw_explain_overrun(h.t, &loc, loc.gap_from, HW_NO_INDEX, 0);
	assert_false(loc.overrun.valid);
	assert_int_equal(loc.overrun.nbytes, 0);
	/* a payload size that would run off the address space */
	loc.prev.size = UINT64_MAX - 8;
	hw_explain_overrun(h.t, &loc, loc.gap_from, HW_NO_INDEX, UINT64_MAX);
	assert_false(loc.overrun.culprit.valid);
	qmh_free(&h);
}

struct found {
	uint64_t n, at[8];
	enum hw_ref_kind kind[8];
};

static int found_cb(void *arg, uint64_t at, uint64_t v, const struct hw_ref_src *src)
{
	struct found *f = arg;

	(void)v;
	if (f->n < 8) {
		f->at[f->n] = at;
		f->kind[f->n] = src->kind;
	}
	f->n++;
	return 0;
}

static void test_refs_scan(void **state)
{
	struct qmheap h;
	struct hw_pool p;
	struct hw_heap_header hdr;
	struct hw_refs_pool rp = {&p, &hdr};
	struct hw_refs_opts o = {0};
	struct found fd;
	uint64_t f1, f3, f4;
	(void)state;

	make_pool(&h, &p, &hdr);
	f1 = qmh_frag_addr(&h, 1) + h.l.frag_size;
	f3 = qmh_frag_addr(&h, 3) + h.l.frag_size;
	f4 = qmh_frag_addr(&h, 4) + h.l.frag_size;
	/* fragment 1 points into fragment 3; so does the string area (another segment) */
	qmh_put_word(&h, f1 + 16, f3 + 8);
	memcpy(h.ro + 64, &f3, 8);
	o.lo = f3;
	o.hi = f3 + 64;
	memset(&fd, 0, sizeof(fd));
	assert_null(hw_refs_scan(h.t, &rp, 1, &o, found_cb, &fd));
	/* the core-layer heap is scanned; the string area is a file layer, not scanned */
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.at[0], f1 + 16);
	assert_int_equal(fd.kind[0], HW_REF_USED);
	/* nothing points at fragment 4 */
	o.lo = f4;
	o.hi = f4 + 64;
	memset(&fd, 0, sizeof(fd));
	assert_null(hw_refs_scan(h.t, &rp, 1, &o, found_cb, &fd));
	assert_int_equal(fd.n, 0);
	qmh_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classify_bytes), cmocka_unit_test(test_classify_str_and_sites),
	    cmocka_unit_test(test_locate),	   cmocka_unit_test(test_explain_overrun),
	    cmocka_unit_test(test_refs_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
