/* heapimg.c - the part every synthetic heap builder shares (see heapimg.h). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "heapimg.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/target.h"

static const struct {
	uint64_t base64, rodata64; /* word 8 */
	uint64_t base32, rodata32; /* word 4 */
} places[] = {
    [HEAPIMG_QM] = {0x7f0000100000ull, 0x555555400000ull, 0x40100000ull, 0x08048000ull},
    [HEAPIMG_FM] = {0x7f0000200000ull, 0x555555600000ull, 0x40200000ull, 0x08050000ull},
    [HEAPIMG_TLSF] = {0x7f0000400000ull, 0x555555800000ull, 0x40400000ull, 0x08060000ull},
};

void himg_put(struct heapimg *m, uint64_t addr, uint64_t v, uint32_t size)
{
	assert(addr >= m->base && addr + size <= m->base + m->len);
	for (uint32_t i = 0; i < size; i++)
		m->buf[addr - m->base + i] = (uint8_t)(v >> (8 * i));
}

uint64_t himg_get(const struct heapimg *m, uint64_t addr, uint32_t size)
{
	uint64_t v = 0;

	assert(addr >= m->base && addr + size <= m->base + m->len);
	for (uint32_t i = size; i-- > 0;)
		v = (v << 8) | m->buf[addr - m->base + i];
	return v;
}

void himg_put_field(struct heapimg *m, uint64_t addr, uint32_t off, uint64_t v)
{
	if (off != HW_NO_OFF)
		himg_put(m, addr + off, v, m->word);
}

uint64_t himg_nth(const struct heapimg *m, uint64_t first, uint32_t size_off, uint64_t size_mask,
		  uint64_t overhead, size_t i)
{
	uint64_t a = first;

	for (size_t k = 0; k < i; k++)
		a += overhead + (himg_get(m, a + size_off, m->word) & size_mask);
	return a;
}

uint64_t himg_str(struct heapimg *m, const char *s)
{
	size_t n = strlen(s) + 1;
	uint64_t a = m->rodata + m->roused;

	assert(m->roused + n <= m->rolen);
	memcpy(m->ro + m->roused, s, n);
	m->roused += n;
	return a;
}

void himg_init(struct heapimg *m, enum heapimg_place place, uint32_t word, uint64_t len)
{
	memset(m, 0, sizeof(*m));
	m->word = word;
	m->base = word == 8 ? places[place].base64 : places[place].base32;
	m->len = len;
	m->buf = calloc(1, len);
	m->rodata = word == 8 ? places[place].rodata64 : places[place].rodata32;
	m->rolen = 1 << 16;
	m->ro = calloc(1, m->rolen);
	assert(m->buf && m->ro);
}

void himg_target(struct heapimg *m)
{
	struct hw_target *t = calloc(1, sizeof(*t));
	struct hw_error *err;

	assert(t);
	err = hw_mem_create(&t->mem);
	assert(!err);
	err = hw_mem_add_direct(t->mem, HW_MEM_LAYER_CORE, m->base, m->len, m->buf);
	assert(!err);
	err = hw_mem_add_direct(t->mem, HW_MEM_LAYER_FILE, m->rodata, m->rolen, m->ro);
	assert(!err);
	t->word_size = m->word;
	m->t = t;
	(void)err;
}

void himg_cut(struct heapimg *m, uint64_t from)
{
	struct hw_error *err;

	assert(m->t && from > m->base && from < m->base + m->len);
	hw_mem_destroy(m->t->mem);
	err = hw_mem_create(&m->t->mem);
	assert(!err);
	err = hw_mem_add_direct(m->t->mem, HW_MEM_LAYER_CORE, m->base, from - m->base, m->buf);
	assert(!err);
	err = hw_mem_add_missing(m->t->mem, from, m->base + m->len - from,
				 "memory not saved in core file");
	assert(!err);
	(void)err;
}

void himg_free(struct heapimg *m)
{
	if (m->t) {
		hw_mem_destroy(m->t->mem);
		free(m->t);
	}
	free(m->buf);
	free(m->ro);
	memset(m, 0, sizeof(*m));
}
