/* tlsfheap.c - synthetic TLSF pools for unit tests (see tlsfheap.h). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "tlsfheap.h"

void tlsfh_init(struct tlsfheap *h, const struct hw_tlsf_layout *l, uint64_t len)
{
	memset(h, 0, sizeof(*h));
	h->l = *l;
	himg_init(&h->img, HEAPIMG_TLSF, l->word, len);
}

uint64_t tlsfh_block_addr(struct tlsfheap *h, size_t i)
{
	const struct hw_tlsf_layout *l = &h->l;

	/* the size word keeps the free and prev-free bits */
	return himg_nth(&h->img, h->base + l->control_size - l->word, l->h_size, ~3ull,
			l->start_offset - l->word, i);
}

static void mapping(const struct hw_tlsf_layout *l, uint64_t size, uint32_t *fl, uint32_t *sl)
{
	hw_tlsf_mapping(l, size, fl, sl);
	assert(*fl < l->fl_count && *sl < l->sl_count);
}

void tlsfh_build(struct tlsfheap *h, const struct heap_frag *blocks, size_t n)
{
	const struct hw_tlsf_layout *l = &h->l;
	const uint64_t w = l->word, so = l->start_offset;
	/* Kamailio's tlsf_create_with_pool: the pool gets what the control leaves */
	uint64_t pool = (h->len - l->control_size - 2ull * l->overhead) & ~(uint64_t)(l->align - 1);
	uint64_t total = l->control_size + pool;
	uint64_t sentinel = h->base + total + so - 2 * w;
	uint64_t a = h->base + l->control_size - w, prev = 0;
	bool prev_free = false;
	uint64_t nused = 0;

	memset(h->buf, 0, h->len);
	h->nblocks = h->nfree = h->used_bytes = 0;
	/* every list empty: the head is &control->block_null, i.e. the control itself */
	for (uint64_t i = 0; i < (uint64_t)l->fl_count * l->sl_count; i++)
		himg_put(&h->img, h->base + l->c_blocks + i * w, h->base, w);
	himg_put_field(&h->img, h->base, l->h_next_free, h->base);
	himg_put_field(&h->img, h->base, l->h_prev_free, h->base);
	for (size_t i = 0; i < n; i++) {
		uint64_t size = i == n - 1 ? sentinel - (a + so - w) : blocks[i].size;
		bool used = blocks[i].used && i != n - 1;
		uint64_t next = a + so + size - w;

		assert(size % l->align == 0 && size >= 3 * w);
		assert(used || !prev_free);
		himg_put_field(&h->img, a, l->h_size, size | (used ? 0 : 1) | (prev_free ? 2 : 0));
		if (l->debug) {
			himg_put_field(&h->img, a, l->h_file, blocks[i].file);
			himg_put_field(&h->img, a, l->h_func, blocks[i].func);
			himg_put_field(&h->img, a, l->h_mname, blocks[i].mname);
			if (l->h_line != HW_NO_OFF)
				himg_put(&h->img, a + l->h_line, blocks[i].line, l->h_line_size);
		}
		if (used) {
			h->used_bytes += size;
			nused++;
		} else {
			uint32_t fl, sl;
			uint64_t slot, head;
			mapping(l, size, &fl, &sl);
			slot = h->base + l->c_blocks + ((uint64_t)fl * l->sl_count + sl) * w;
			head = himg_get(&h->img, slot, w);
			/* insert at the head, as TLSF does */
			himg_put_field(&h->img, a, l->h_next_free, head);
			himg_put_field(&h->img, a, l->h_prev_free, h->base);
			if (head != h->base)
				himg_put_field(&h->img, head, l->h_prev_free, a);
			himg_put(&h->img, slot, a, w);
			himg_put(&h->img, h->base + l->c_fl_bitmap,
				 himg_get(&h->img, h->base + l->c_fl_bitmap, 4) | (1u << fl), 4);
			himg_put(&h->img, h->base + l->c_sl_bitmap + 4ull * fl,
				 himg_get(&h->img, h->base + l->c_sl_bitmap + 4ull * fl, 4) |
				     (1u << sl),
				 4);
			/* the next block's prev_phys_block points back while this one is free */
			himg_put_field(&h->img, next, l->h_prev_phys, a);
			h->nfree++;
		}
		(void)prev;
		prev = a;
		prev_free = !used;
		h->nblocks++;
		a = next;
	}
	assert(a == sentinel);
	himg_put_field(&h->img, sentinel, l->h_size, prev_free ? 2 : 0);
	h->sentinel = sentinel;
	himg_put_field(&h->img, h->base, l->c_total_size, total);
	himg_put_field(&h->img, h->base, l->c_allocated, h->used_bytes);
	himg_put_field(&h->img, h->base, l->c_real_used,
		       l->control_size + h->used_bytes +
			   nused * (so + (l->era == HW_TLSF_ERA_43 ? 0 : w)));
	himg_put_field(&h->img, h->base, l->c_max_used, total / 2);
	himg_put_field(&h->img, h->base, l->c_fragments, h->nfree);
	himg_put_field(&h->img, h->base, l->c_max_fragments, h->nfree + 3);
}
