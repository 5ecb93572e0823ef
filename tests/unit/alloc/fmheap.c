/* fmheap.c - synthetic f_malloc heaps for unit tests (see fmheap.h). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "fmheap.h"

void fmh_init(struct fmheap *h, const struct hw_fm_layout *l, uint64_t heap_len)
{
	memset(h, 0, sizeof(*h));
	h->l = *l;
	himg_init(&h->img, HEAPIMG_FM, l->word, heap_len);
}

uint64_t fmh_frag_addr(struct fmheap *h, size_t i)
{
	return himg_nth(&h->img, h->base + h->l.first_off, h->l.f_size, UINT64_MAX, h->l.frag_size,
			i);
}

void fmh_build(struct fmheap *h, const struct heap_frag *frags, size_t n)
{
	const struct hw_fm_layout *l = &h->l;
	const uint64_t hs = l->frag_size;
	uint64_t last = h->base + h->len - hs;
	uint64_t end = l->era >= HW_FM_ERA_42 ? last : h->base + h->len;
	uint64_t *tail = calloc(l->hash_size, sizeof(*tail)); /* last element of each bucket */
	uint64_t a = h->base + l->first_off;

	assert(tail);
	memset(h->buf, 0, h->len);
	h->nfrags = h->nfree = h->used_bytes = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t size = i == n - 1 ? end - a - hs : frags[i].size;
		bool used = frags[i].used && i != n - 1;

		himg_put_field(&h->img, a, l->f_size, size);
		if (l->f_check != HW_NO_OFF)
			himg_put(&h->img, a + l->f_check, HW_QM_ST_CHECK, l->f_check_size);
		if (l->debug) {
			himg_put_field(&h->img, a, l->f_file, frags[i].file);
			himg_put_field(&h->img, a, l->f_func, frags[i].func);
			himg_put_field(&h->img, a, l->f_mname, frags[i].mname);
			himg_put_field(&h->img, a, l->f_line, frags[i].line);
		}
		if (used) {
			h->used_bytes += size;
		} else {
			uint64_t b = hw_fm_hash(l, size);
			uint64_t head = h->base + l->b_free_hash + b * l->lnk_size;
			uint64_t prev = tail[b];
			/* append: the link that will point here is the previous element's */
			uint64_t link = prev ? prev + l->f_link : head + l->l_first;
			himg_put(&h->img, link, a, l->word);
			if (l->era >= HW_FM_ERA_44) {
				himg_put_field(&h->img, a, l->f_prev_free, prev);
				himg_put(&h->img, a + l->f_is_free, 1, l->f_is_free_size);
			} else if (l->era == HW_FM_ERA_42) {
				himg_put_field(&h->img, a, l->f_prv_free, link);
			}
			himg_put_field(&h->img, head, l->l_no,
				       himg_get(&h->img, head + l->l_no, l->word) + 1);
			if (l->bitmap_words)
				h->buf[l->b_free_bitmap + b / 8] |= (uint8_t)(1u << (b % 8));
			tail[b] = a;
			h->nfree++;
		}
		h->nfrags++;
		a += hs + size;
	}
	assert(a == end);
	free(tail);
	/* the sentinel (<= 4.1 inside the last fragment's payload) */
	if (l->era >= HW_FM_ERA_42) {
		himg_put_field(&h->img, last, l->f_size, 0);
		if (l->f_check != HW_NO_OFF)
			himg_put(&h->img, last + l->f_check, HW_QM_END_CHECK1, l->f_check_size);
	}
	himg_put_field(&h->img, h->base, l->b_type, 1);
	himg_put_field(&h->img, h->base, l->b_size, h->len);
	himg_put_field(&h->img, h->base, l->b_used, h->used_bytes);
	himg_put_field(&h->img, h->base, l->b_real_used,
		       h->used_bytes + l->first_off + (h->nfrags + l->init_headers - 1) * hs);
	himg_put_field(&h->img, h->base, l->b_max_real_used,
		       h->used_bytes + l->first_off + (h->nfrags + l->init_headers - 1) * hs +
			   4096);
	himg_put_field(&h->img, h->base, l->b_ffrags, h->nfree);
	himg_put_field(&h->img, h->base, l->b_first_frag, h->base + l->first_off);
	himg_put_field(&h->img, h->base, l->b_last_frag, last);
}
