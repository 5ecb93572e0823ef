/* frags.c - what the fragment list needs from a session: the filter, the payloads, the free lists.
 */
#include <string.h>

#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/session.h"
#include "heapwalk/target.h"

int hw_frag_filter_match(const struct hw_frag_filter *flt, const struct hw_pool *pool,
			 struct hw_strcache *strings, const struct hw_frag *f)
{
	if (f->index < flt->from)
		return 0;
	if (f->index > flt->to)
		return -1; /* indices only grow: nothing more to show */
	if ((flt->used_only && !f->used) || (flt->free_only && f->used))
		return 0;
	if (f->size < flt->min_size)
		return 0;
	if (flt->site) {
		if (!hw_pool_debug(pool))
			return 0;
		if (!strstr(hw_strcache_get(strings, f->file), flt->site) &&
		    !strstr(hw_strcache_get(strings, f->func), flt->site))
			return 0;
	}
	return 1;
}

/* @len bytes of the payload at @addr: in place, or copied into @buf; NULL if unreadable. */
static const uint8_t *payload(const struct hw_target *t, uint64_t addr, size_t len, uint8_t *buf)
{
	const uint8_t *p = hw_mem_peek(t->mem, addr, len);
	struct hw_error *err;

	if (p)
		return p;
	err = hw_mem_read(t->mem, buf, addr, len);
	if (err) {
		hw_error_destroy(err);
		return NULL;
	}
	return buf;
}

static uint8_t hex_buf[1u << 20], str_buf[HW_STRINGS_MAX];

void hw_session_frag_content(struct hw_session *s, const struct hw_pool_report *pr,
			     const struct hw_frag *f)
{
	struct hw_report *r = &s->report;
	struct hw_frag_content *c = &r->content;

	memset(c, 0, sizeof(*c));
	if (r->backtrace)
		hw_session_frag_stack(s, pr, f);
	if (r->hexdump) {
		c->nhex = f->size < r->hexdump ? (size_t)f->size : (size_t)r->hexdump;
		if (c->nhex > sizeof(hex_buf))
			c->nhex = sizeof(hex_buf);
		c->hex = c->nhex ? payload(s->t, f->user, c->nhex, hex_buf) : hex_buf;
	}
	if (r->show_strings) {
		c->nstr = f->size < HW_STRINGS_MAX ? (size_t)f->size : HW_STRINGS_MAX;
		c->str = c->nstr ? payload(s->t, f->user, c->nstr, str_buf) : str_buf;
	}
}

bool hw_session_pool_has_stacks(const struct hw_pool_report *pr)
{
	const struct hw_allocator *a = pr->pool->alloc;

	return a && a->backtrace_depth && pr->pool->layout && a->backtrace_depth(pr->pool->layout);
}

void hw_session_frag_stack(struct hw_session *s, const struct hw_pool_report *pr,
			   const struct hw_frag *f)
{
	struct hw_frag_content *c = &s->report.content;
	uint64_t addrs[HW_BT_MAX];
	size_t n;

	c->nbt = 0;
	if (!(c->has_bt = hw_session_pool_has_stacks(pr)))
		return;
	if (!s->bt)
		s->bt = hw_bt_cache_create();
	n = pr->pool->alloc->backtrace(s->t, pr->pool->layout, f, addrs, HW_BT_MAX);
	for (size_t i = 0; i < n; i++)
		c->bt[c->nbt++] = hw_bt_symbolise(s->bt, s->t, addrs[i]);
}
