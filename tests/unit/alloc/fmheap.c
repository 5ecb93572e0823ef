/* fmheap.c - synthetic f_malloc heaps for unit tests (see fmheap.h). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "fmheap.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/target.h"

void fmh_put(struct fmheap *h, uint64_t addr, uint64_t v, uint32_t size)
{
	assert(addr >= h->base && addr + size <= h->base + h->len);
	for (uint32_t i = 0; i < size; i++)
		h->buf[addr - h->base + i] = (uint8_t)(v >> (8 * i));
}

uint64_t fmh_get(struct fmheap *h, uint64_t addr, uint32_t size)
{
	uint64_t v = 0;

	assert(addr >= h->base && addr + size <= h->base + h->len);
	for (uint32_t i = size; i-- > 0;)
		v = (v << 8) | h->buf[addr - h->base + i];
	return v;
}

static void put_w(struct fmheap *h, uint64_t addr, uint32_t off, uint64_t v)
{
	if (off != HW_NO_OFF)
		fmh_put(h, addr + off, v, h->l.word);
}

uint64_t fmh_str(struct fmheap *h, const char *s)
{
	size_t n = strlen(s) + 1;
	uint64_t a = h->rodata + h->roused;

	assert(h->roused + n <= h->rolen);
	memcpy(h->ro + h->roused, s, n);
	h->roused += n;
	return a;
}

void fmh_init(struct fmheap *h, const struct hw_fm_layout *l, uint64_t heap_len)
{
	memset(h, 0, sizeof(*h));
	h->l = *l;
	h->base = l->word == 8 ? 0x7f0000200000ull : 0x40200000ull;
	h->len = heap_len;
	h->buf = calloc(1, heap_len);
	h->rodata = l->word == 8 ? 0x555555600000ull : 0x08050000ull;
	h->rolen = 1 << 16;
	h->ro = calloc(1, h->rolen);
	assert(h->buf && h->ro);
}

uint64_t fmh_frag_addr(struct fmheap *h, size_t i)
{
	uint64_t a = h->base + h->l.first_off;

	for (size_t k = 0; k < i; k++)
		a += h->l.frag_size + fmh_get(h, a + h->l.f_size, h->l.word);
	return a;
}

void fmh_build(struct fmheap *h, const struct fmh_frag *frags, size_t n)
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

		put_w(h, a, l->f_size, size);
		if (l->f_check != HW_NO_OFF)
			fmh_put(h, a + l->f_check, HW_QM_ST_CHECK, l->f_check_size);
		if (l->debug) {
			put_w(h, a, l->f_file, frags[i].file);
			put_w(h, a, l->f_func, frags[i].func);
			put_w(h, a, l->f_mname, frags[i].mname);
			put_w(h, a, l->f_line, frags[i].line);
		}
		if (used) {
			h->used_bytes += size;
		} else {
			uint64_t b = hw_fm_hash(l, size);
			uint64_t head = h->base + l->b_free_hash + b * l->lnk_size;
			uint64_t prev = tail[b];
			/* append: the link that will point here is the previous element's */
			uint64_t link = prev ? prev + l->f_link : head + l->l_first;
			fmh_put(h, link, a, l->word);
			if (l->era >= HW_FM_ERA_44) {
				put_w(h, a, l->f_prev_free, prev);
				fmh_put(h, a + l->f_is_free, 1, l->f_is_free_size);
			} else if (l->era == HW_FM_ERA_42) {
				put_w(h, a, l->f_prv_free, link);
			}
			put_w(h, head, l->l_no, fmh_get(h, head + l->l_no, l->word) + 1);
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
		put_w(h, last, l->f_size, 0);
		if (l->f_check != HW_NO_OFF)
			fmh_put(h, last + l->f_check, HW_QM_END_CHECK1, l->f_check_size);
	}
	put_w(h, h->base, l->b_type, 1);
	put_w(h, h->base, l->b_size, h->len);
	put_w(h, h->base, l->b_used, h->used_bytes);
	put_w(h, h->base, l->b_real_used,
	      h->used_bytes + l->first_off + (h->nfrags + l->init_headers - 1) * hs);
	put_w(h, h->base, l->b_max_real_used,
	      h->used_bytes + l->first_off + (h->nfrags + l->init_headers - 1) * hs + 4096);
	put_w(h, h->base, l->b_ffrags, h->nfree);
	put_w(h, h->base, l->b_first_frag, h->base + l->first_off);
	put_w(h, h->base, l->b_last_frag, last);
}

void fmh_target(struct fmheap *h)
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
	(void)err;
}

void fmh_free(struct fmheap *h)
{
	if (h->t) {
		hw_mem_destroy(h->t->mem);
		free(h->t);
	}
	free(h->buf);
	free(h->ro);
	memset(h, 0, sizeof(*h));
}
