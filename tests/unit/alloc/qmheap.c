/* qmheap.c - synthetic q_malloc heaps for unit tests (see qmheap.h). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/target.h"
#include "qmheap.h"

void qmh_put_word(struct qmheap *h, uint64_t addr, uint64_t v)
{
	assert(addr >= h->base && addr + h->l.word <= h->base + h->len);
	for (uint32_t i = 0; i < h->l.word; i++)
		h->buf[addr - h->base + i] = (uint8_t)(v >> (8 * i));
}

uint64_t qmh_get_word(struct qmheap *h, uint64_t addr)
{
	uint64_t v = 0;

	assert(addr >= h->base && addr + h->l.word <= h->base + h->len);
	for (uint32_t i = h->l.word; i-- > 0;)
		v = (v << 8) | h->buf[addr - h->base + i];
	return v;
}

uint64_t qmh_str(struct qmheap *h, const char *s)
{
	size_t n = strlen(s) + 1;
	uint64_t a = h->rodata + h->roused;

	assert(h->roused + n <= h->rolen);
	memcpy(h->ro + h->roused, s, n);
	h->roused += n;
	return a;
}

void qmh_init(struct qmheap *h, const struct hw_qm_layout *l, uint64_t heap_len)
{
	memset(h, 0, sizeof(*h));
	h->l = *l;
	h->base = l->word == 8 ? 0x7f0000100000ull : 0x40100000ull;
	h->len = heap_len;
	h->buf = calloc(1, heap_len);
	h->rodata = l->word == 8 ? 0x555555400000ull : 0x08048000ull;
	h->rolen = 1 << 16;
	h->ro = calloc(1, h->rolen);
	assert(h->buf && h->ro);
}

uint64_t qmh_frag_addr(struct qmheap *h, size_t i)
{
	uint64_t a = h->base + h->l.first_off;

	for (size_t k = 0; k < i; k++)
		a += h->l.frag_size + qmh_get_word(h, a + h->l.f_size) + h->l.end_size;
	return a;
}

void qmh_build(struct qmheap *h, const struct hw_qm_layout *l, const struct qmh_frag *frags,
	       size_t n, uint64_t heap_len)
{
	const uint64_t ov = l->frag_size + l->end_size;
	uint64_t a, used = 0, nf = 0, ffrags = 0;
	uint64_t *last_in_bucket;

	if (!h->buf)
		qmh_init(h, l, heap_len);
	memset(h->buf, 0, h->len);
	last_in_bucket = calloc(l->hash_size, sizeof(*last_in_bucket));
	assert(last_in_bucket);
	/* empty buckets: head.u.nxt_free = &head, tail.prev_free = &head */
	for (uint64_t b = 0; b < l->hash_size; b++) {
		uint64_t head = h->base + l->b_free_hash + b * l->lnk_size;
		qmh_put_word(h, head + l->f_u, head);
		qmh_put_word(h, head + l->frag_size + l->e_prev_free, head);
		last_in_bucket[b] = head;
	}
	a = h->base + l->first_off;
	for (size_t i = 0; i < n; i++) {
		uint64_t size = frags[i].size;
		uint64_t end;
		if (i == n - 1)
			size = h->base + h->len - a - ov; /* stretch the last to the end */
		end = a + l->frag_size + size;
		qmh_put_word(h, a + l->f_size, size);
		qmh_put_word(h, end + l->e_size, size);
		if (l->debug) {
			qmh_put_word(h, a + l->f_check, HW_QM_ST_CHECK);
			qmh_put_word(h, end + l->e_check1, HW_QM_END_CHECK1);
			qmh_put_word(h, end + l->e_check2, HW_QM_END_CHECK2);
			qmh_put_word(h, a + l->f_file, frags[i].file);
			qmh_put_word(h, a + l->f_func, frags[i].func);
			qmh_put_word(h, a + l->f_line, frags[i].line);
			if (l->f_mname != HW_NO_OFF)
				qmh_put_word(h, a + l->f_mname, frags[i].mname);
		}
		if (frags[i].used && i != n - 1) {
			used += size;
		} else {
			/* append to its bucket (tests insert in ascending size order) */
			uint64_t b = hw_qm_hash(l, size);
			uint64_t head = h->base + l->b_free_hash + b * l->lnk_size;
			uint64_t prev = last_in_bucket[b];
			qmh_put_word(h, prev + l->f_u, a);
			qmh_put_word(h, a + l->f_u, head);
			qmh_put_word(h, end + l->e_prev_free, prev);
			qmh_put_word(h, head + l->frag_size + l->e_prev_free, a);
			qmh_put_word(h, head + l->l_no, qmh_get_word(h, head + l->l_no) + 1);
			last_in_bucket[b] = a;
			ffrags++;
		}
		nf++;
		a = end + l->end_size;
	}
	assert(a == h->base + h->len);
	free(last_in_bucket);
	if (l->b_type != HW_NO_OFF)
		qmh_put_word(h, h->base + l->b_type, 1);
	qmh_put_word(h, h->base + l->b_size, h->len);
	qmh_put_word(h, h->base + l->b_used, used);
	qmh_put_word(h, h->base + l->b_real_used, l->first_off + nf * ov + used);
	qmh_put_word(h, h->base + l->b_max_real_used, l->first_off + nf * ov + used + 4096);
	if (l->b_ffrags != HW_NO_OFF)
		qmh_put_word(h, h->base + l->b_ffrags, ffrags);
	qmh_put_word(h, h->base + l->b_first_frag, h->base + l->first_off);
	qmh_put_word(h, h->base + l->b_last_frag_end, h->base + h->len - l->end_size);
	h->nfrags = nf;
}

void qmh_target(struct qmheap *h)
{
	struct hw_target *t = calloc(1, sizeof(*t));
	struct hw_error *err;

	assert(t);
	err = hw_mem_create(&t->mem);
	assert(!err);
	err = hw_mem_add_direct(t->mem, HW_MEM_LAYER_CORE, h->base, h->len, h->buf);
	assert(!err);
	err = hw_mem_add_direct(t->mem, HW_MEM_LAYER_FILE, h->rodata, h->rolen, h->ro);
	assert(!err);
	t->word_size = h->l.word;
	h->t = t;
}

void qmh_free(struct qmheap *h)
{
	if (h->t) {
		hw_mem_destroy(h->t->mem);
		free(h->t);
	}
	free(h->buf);
	free(h->ro);
	memset(h, 0, sizeof(*h));
}
