/* qmheap.c - synthetic q_malloc heaps for unit tests (see qmheap.h). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "qmheap.h"

void qmh_put_word(struct qmheap *h, uint64_t addr, uint64_t v)
{
	himg_put(&h->img, addr, v, h->l.word);
}

uint64_t qmh_get_word(struct qmheap *h, uint64_t addr)
{
	return himg_get(&h->img, addr, h->l.word);
}

uint64_t qmh_str(struct qmheap *h, const char *s)
{
	return himg_str(&h->img, s);
}

void qmh_init(struct qmheap *h, const struct hw_qm_layout *l, uint64_t heap_len)
{
	memset(h, 0, sizeof(*h));
	h->l = *l;
	himg_init(&h->img, HEAPIMG_QM, l->word, heap_len);
}

uint64_t qmh_frag_addr(struct qmheap *h, size_t i)
{
	return himg_nth(&h->img, h->base + h->l.first_off, h->l.f_size, UINT64_MAX,
			h->l.frag_size + h->l.end_size, i);
}

void qmh_build(struct qmheap *h, const struct hw_qm_layout *l, const struct heap_frag *frags,
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
	himg_target(&h->img);
}

void qmh_free(struct qmheap *h)
{
	himg_free(&h->img);
	memset(h, 0, sizeof(*h));
}
