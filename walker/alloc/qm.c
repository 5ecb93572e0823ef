/* qm.c - the q_malloc walker: linear fragment walk and free-hash lists. */
#include <endian.h>
#include <inttypes.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/target.h"

/* Little-endian word of @w (4 or 8) bytes at @p + @off (off must be in range). */
static inline uint64_t word_at(const uint8_t *p, uint32_t off, uint32_t w)
{
	if (off == HW_NO_OFF)
		return 0;
	if (w == 8) {
		uint64_t v;
		memcpy(&v, p + off, 8);
		return le64toh(v);
	} else {
		uint32_t v;
		memcpy(&v, p + off, 4);
		return le32toh(v);
	}
}

struct hw_error *hw_qm_read_header(const struct hw_target *t, const struct hw_qm_layout *l,
				   uint64_t block, struct hw_heap_header *ret)
{
	uint8_t buf[128];
	uint32_t need = l->b_free_hash; /* every counter precedes the hash table */
	struct hw_heap_header h;
	struct hw_error *err;

	if (need == 0 || need > sizeof(buf))
		return hw_error_create(HW_ERR_INVALID_ARG, "q_malloc block header of %u bytes", need);
	err = hw_mem_read(t->mem, buf, block, need);
	if (err)
		return hw_error_context(err, "cannot read 'qm_block' at 0x%" PRIx64, block);
	memset(&h, 0, sizeof(h));
	h.block = block;
	h.has_type = l->b_type != HW_NO_OFF;
	h.type = h.has_type ? word_at(buf, l->b_type, 4) : 0;
	h.size = word_at(buf, l->b_size, l->word);
	h.used = word_at(buf, l->b_used, l->word);
	h.real_used = word_at(buf, l->b_real_used, l->word);
	h.max_real_used = word_at(buf, l->b_max_real_used, l->word);
	h.has_ffrags = l->b_ffrags != HW_NO_OFF;
	h.ffrags = word_at(buf, l->b_ffrags, l->word);
	h.first_frag = word_at(buf, l->b_first_frag, l->word);
	h.last_frag_end = word_at(buf, l->b_last_frag_end, l->word);
	*ret = h;
	return NULL;
}

/* The end of the heap the fragments must tile exactly: block + size. */
static bool heap_bounds(const struct hw_qm_layout *l, const struct hw_heap_header *h,
			uint64_t *start, uint64_t *end, struct hw_check *ck)
{
	uint64_t e;

	if (__builtin_add_overflow(h->block, h->size, &e) || h->first_frag < h->block ||
	    h->first_frag >= e) {
		hw_check_add(ck, HW_SEV_ERROR, h->block, HW_NO_INDEX,
			     "block header is implausible: size %" PRIu64 ", first_frag 0x%" PRIx64,
			     h->size, h->first_frag);
		return false;
	}
	if (h->last_frag_end + l->end_size != e)
		hw_check_add(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			     "last_frag_end 0x%" PRIx64 " does not end the heap at 0x%" PRIx64,
			     h->last_frag_end, e);
	*start = h->first_frag;
	*end = e;
	return true;
}

/*
 * After a complete walk the block's counters must agree with the fragments.
 * A used delta alone is what Kamailio's qm_realloc shrink bookkeeping left
 * behind before 5.8.8 / 6.0.6 / 6.1.0 (kamailio-memory.md §2.10): say so.
 */
static void check_counters(const struct hw_heap_header *h, const struct hw_walk_stats *st,
			   struct hw_check *ck)
{
	if (h->used != st->used_bytes) {
		uint64_t d = h->used > st->used_bytes ? h->used - st->used_bytes
						      : st->used_bytes - h->used;
		hw_check_add(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			     "bookkeeping delta: the block counts %" PRIu64 " bytes used, the "
			     "fragments hold %" PRIu64 " (%s%" PRIu64 "); %s",
			     h->used, st->used_bytes, h->used > st->used_bytes ? "+" : "-", d,
			     h->used > st->used_bytes
				     ? "Kamailio before 5.8.8/6.0.6/6.1.0 leaves this after "
				       "shrinking reallocs; not heap damage"
				     : "the counter is lower than the heap");
	}
	if (h->has_ffrags && h->ffrags != st->free_frags)
		hw_check_add(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			     "the block counts %" PRIu64 " free fragments, the walk found %" PRIu64,
			     h->ffrags, st->free_frags);
}

struct hw_error *hw_qm_walk(const struct hw_target *t, const struct hw_qm_layout *l,
			    const struct hw_heap_header *h, hw_frag_fn fn, void *arg,
			    struct hw_check *ck, struct hw_walk_stats *ret)
{
	const uint32_t hs = l->frag_size, es = l->end_size, w = l->word;
	uint8_t hbuf[256], ebuf[128];
	struct hw_walk_stats st;
	struct hw_frag f;
	uint64_t addr, end, limit;

	if (hs > sizeof(hbuf) || es > sizeof(ebuf) || hs == 0 || es == 0)
		return hw_error_create(HW_ERR_INVALID_ARG, "q_malloc fragment layout %u+%u bytes",
				       hs, es);
	memset(&st, 0, sizeof(st));
	memset(&f, 0, sizeof(f));
	if (!heap_bounds(l, h, &addr, &end, ck)) {
		st.end = h->first_frag;
		*ret = st;
		return NULL;
	}
	/* Every fragment takes at least hs+es bytes: the walk cannot take more steps. */
	limit = (end - addr) / (hs + es) + 1;

	for (uint64_t i = 0; addr < end; i++) {
		const uint8_t *hp, *ep;
		uint64_t size, eaddr, next;

		if (i >= limit) {
			hw_check_add(ck, HW_SEV_ERROR, addr, i, "walk exceeded %" PRIu64 " fragments",
				     limit);
			break;
		}
		if (end - addr < (uint64_t)hs + es) {
			hw_check_add(ck, HW_SEV_ERROR, addr, i,
				     "%" PRIu64 " bytes left at the heap end, too few for a fragment",
				     end - addr);
			break;
		}
		hp = hw_mem_peek(t->mem, addr, hs);
		if (!hp) {
			struct hw_error *err = hw_mem_read(t->mem, hbuf, addr, hs);
			if (err) {
				hw_check_add(ck, HW_SEV_ERROR, addr, i, "fragment header: %s",
					     err->message);
				hw_error_destroy(err);
				break;
			}
			hp = hbuf;
		}
		size = word_at(hp, l->f_size, w);
		if (size > end - addr - hs - es || size % l->roundto) {
			hw_check_add(ck, HW_SEV_ERROR, addr, i,
				     "fragment size %" PRIu64 " %s", size,
				     size % l->roundto ? "is not a multiple of ROUNDTO"
						       : "runs past the end of the heap");
			break;
		}
		eaddr = addr + hs + size;
		ep = hw_mem_peek(t->mem, eaddr, es);
		if (!ep) {
			struct hw_error *err = hw_mem_read(t->mem, ebuf, eaddr, es);
			if (err) {
				hw_check_add(ck, HW_SEV_ERROR, eaddr, i, "fragment trailer: %s",
					     err->message);
				hw_error_destroy(err);
				break;
			}
			ep = ebuf;
		}
		f.index = i;
		f.addr = addr;
		f.user = addr + hs;
		f.size = size;
		f.free_link = word_at(hp, l->f_u, w);
		f.used = f.free_link == 0;
		f.file = word_at(hp, l->f_file, w);
		f.func = word_at(hp, l->f_func, w);
		f.mname = word_at(hp, l->f_mname, w);
		f.line = word_at(hp, l->f_line, w);
		f.check = word_at(hp, l->f_check, w);
		f.end_check1 = word_at(ep, l->e_check1, w);
		f.end_check2 = word_at(ep, l->e_check2, w);
		f.end_size = word_at(ep, l->e_size, w);
		f.span = (uint64_t)hs + size + es;

		if (f.end_size != size)
			hw_check_add(ck, HW_SEV_ERROR, addr, i,
				     "trailer size %" PRIu64 ", header size %" PRIu64, f.end_size,
				     size);
		if (l->debug) {
			if (f.check != HW_QM_ST_CHECK)
				hw_check_add(ck, HW_SEV_ERROR, addr, i,
					     "start pattern 0x%" PRIx64 ", expected 0x%lx", f.check,
					     HW_QM_ST_CHECK);
			if (f.end_check1 != HW_QM_END_CHECK1 || f.end_check2 != HW_QM_END_CHECK2)
				hw_check_add(ck, HW_SEV_ERROR, eaddr, i,
					     "end patterns 0x%" PRIx64 ", 0x%" PRIx64
					     ", expected 0x%lx, 0x%lx",
					     f.end_check1, f.end_check2, HW_QM_END_CHECK1,
					     HW_QM_END_CHECK2);
		}
		if (f.free_link == 1)
			hw_check_add(ck, HW_SEV_WARNING, addr, i,
				     "free link is 1: the core was taken inside a free with join");

		st.frags++;
		if (f.used) {
			st.used_frags++;
			st.used_bytes += size;
		} else {
			st.free_frags++;
			st.free_bytes += size;
		}
		next = eaddr + es;
		if (fn && fn(arg, &f)) {
			st.stopped = true;
			addr = next;
			break;
		}
		addr = next;
	}
	st.end = addr;
	st.complete = addr == end && !st.stopped;
	if (st.complete)
		check_counters(h, &st, ck);
	*ret = st;
	return NULL;
}

struct hw_error *hw_qm_walk_free(const struct hw_target *t, const struct hw_qm_layout *l,
				 const struct hw_heap_header *h, hw_bucket_fn fn, void *arg,
				 struct hw_check *ck)
{
	uint64_t start, end, limit;

	if (!heap_bounds(l, h, &start, &end, ck))
		return NULL;
	limit = (end - start) / ((uint64_t)l->frag_size + l->end_size) + 1;
	for (uint64_t b = 0; b < l->hash_size; b++) {
		struct hw_free_bucket bk = {.index = b};
		uint64_t head = h->block + l->b_free_hash + b * l->lnk_size;
		uint64_t cur, no = 0;
		struct hw_error *err;

		err = hw_target_read_word(t, head + l->f_u, &cur);
		if (!err)
			err = hw_target_read_word(t, head + l->l_no, &no);
		if (err) {
			hw_check_add(ck, HW_SEV_ERROR, head, HW_NO_INDEX, "free bucket %" PRIu64 ": %s",
				     b, err->message);
			hw_error_destroy(err);
			continue;
		}
		bk.no = no;
		while (cur != head) {
			if (bk.count >= limit) {
				hw_check_add(ck, HW_SEV_ERROR, head, HW_NO_INDEX,
					     "free bucket %" PRIu64 " does not end after %" PRIu64
					     " elements (a cycle?)",
					     b, limit);
				break;
			}
			if (cur < start || cur >= end) {
				hw_check_add(ck, HW_SEV_ERROR, cur, HW_NO_INDEX,
					     "free bucket %" PRIu64 " links to 0x%" PRIx64
					     ", outside the heap",
					     b, cur);
				break;
			}
			if (bk.count == 0) {
				err = hw_target_read_word(t, cur + l->f_size, &bk.first_size);
				if (err) {
					hw_check_add(ck, HW_SEV_ERROR, cur, HW_NO_INDEX,
						     "free bucket %" PRIu64 ": %s", b, err->message);
					hw_error_destroy(err);
					break;
				}
			}
			bk.count++;
			err = hw_target_read_word(t, cur + l->f_u, &cur);
			if (err) {
				hw_check_add(ck, HW_SEV_ERROR, cur, HW_NO_INDEX,
					     "free bucket %" PRIu64 ": %s", b, err->message);
				hw_error_destroy(err);
				break;
			}
		}
		if (bk.count != bk.no)
			hw_check_add(ck, HW_SEV_WARNING, head, HW_NO_INDEX,
				     "free bucket %" PRIu64 " lists %" PRIu64 " fragments, its counter says %" PRIu64,
				     b, bk.count, bk.no);
		if (bk.count && fn && fn(arg, &bk))
			break;
	}
	return NULL;
}

static struct hw_error *qm_read_header(const struct hw_target *t, const struct hw_pool *p,
				       struct hw_heap_header *ret)
{
	return hw_qm_read_header(t, &p->qm, p->block, ret);
}

static struct hw_error *qm_walk(const struct hw_target *t, const struct hw_pool *p,
				const struct hw_heap_header *h, hw_frag_fn fn, void *arg,
				struct hw_check *ck, struct hw_walk_stats *ret)
{
	return hw_qm_walk(t, &p->qm, h, fn, arg, ck, ret);
}

static struct hw_error *qm_walk_free(const struct hw_target *t, const struct hw_pool *p,
				     const struct hw_heap_header *h, hw_bucket_fn fn, void *arg,
				     struct hw_check *ck)
{
	return hw_qm_walk_free(t, &p->qm, h, fn, arg, ck);
}

const struct hw_allocator hw_allocator_qm = {
	.name = "q_malloc",
	.id = HW_MGR_QM,
	.read_header = qm_read_header,
	.walk = qm_walk,
	.walk_free = qm_walk_free,
};
