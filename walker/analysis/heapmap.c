/* heapmap.c - the pool as a grid of cells, and the free-size histogram (see heapmap.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/error.h"
#include "heapwalk/heapmap.h"
#include "heapwalk/sites.h"

struct hw_error *hw_heapmap_init(struct hw_heapmap *m, uint64_t start, uint64_t end, uint32_t cells,
				 uint32_t cols, bool debug, struct hw_strcache *strings)
{
	uint64_t span;

	memset(m, 0, sizeof(*m));
	if (end <= start)
		return hw_error_create(HW_ERR_INVALID_ARG, "empty heap range for a map");
	if (cells < 16)
		cells = 16;
	if (cells > 65536)
		cells = 65536;
	if (cols == 0 || cols > cells)
		cols = cells < 128 ? cells : 128;
	span = end - start;
	m->cell_bytes = (span + cells - 1) / cells;
	if (m->cell_bytes == 0)
		m->cell_bytes = 1;
	m->ncells = (size_t)((span + m->cell_bytes - 1) / m->cell_bytes);
	m->cols = cols;
	m->rows = (uint32_t)((m->ncells + cols - 1) / cols);
	m->cells = calloc(m->ncells, sizeof(*m->cells));
	if (!m->cells)
		return hw_error_nomem();
	m->start = start;
	m->end = end;
	m->debug = debug;
	m->strings = strings;
	snprintf(m->modules[HW_MAP_MODULES].name, sizeof(m->modules[0].name), "other modules");
	return NULL;
}

void hw_heapmap_deinit(struct hw_heapmap *m)
{
	free(m->cells);
	m->cells = NULL;
}

/* The module a used fragment belongs to, as an index into m->modules. */
static unsigned module_of(struct hw_heapmap *m, const struct hw_frag *f)
{
	uint64_t key = f->mname ? f->mname : f->file;
	char name[48];
	unsigned id;

	if (m->nkeys && m->keys[m->last_key] == key)
		return m->key_mod[m->last_key];
	for (size_t i = 0; i < m->nkeys; i++) {
		if (m->keys[i] == key) {
			m->last_key = i;
			return m->key_mod[i];
		}
	}
	if (!m->debug || key == 0) {
		snprintf(name, sizeof(name), "%s", m->debug ? "(no site)" : "used");
	} else {
		const char *s = hw_strcache_get(m->strings, key);
		/* without mname, the file string starts with "<module>: " */
		size_t n = f->mname ? strlen(s) : strcspn(s, ":");
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, s, n);
		name[n] = '\0';
	}
	for (id = 0; id < m->nmodules; id++)
		if (!strcmp(m->modules[id].name, name))
			break;
	if (id == m->nmodules) {
		if (m->nmodules < HW_MAP_MODULES)
			snprintf(m->modules[m->nmodules++].name, sizeof(m->modules[0].name), "%s",
				 name);
		else
			id = HW_MAP_MODULES;
	}
	if (m->nkeys < sizeof(m->keys) / sizeof(m->keys[0])) {
		m->keys[m->nkeys] = key;
		m->key_mod[m->nkeys] = (uint8_t)id;
		m->last_key = m->nkeys++;
	}
	return id;
}

static void cell_add_module(struct hw_map_cell *c, unsigned id, uint64_t bytes)
{
	int slot = -1;

	for (int i = 0; i < HW_MAP_CELL_MODULES; i++) {
		if (c->mod[i] == id + 1) {
			slot = i;
			break;
		}
		if (c->mod[i] == 0 && slot < 0)
			slot = i;
	}
	if (slot < 0) {
		/* replace the smallest if this one is now bigger; otherwise it stays uncounted */
		int min = 0;
		for (int i = 1; i < HW_MAP_CELL_MODULES; i++)
			if (c->mod_bytes[i] < c->mod_bytes[min])
				min = i;
		if (c->mod_bytes[min] >= bytes)
			return;
		slot = min;
		c->mod_bytes[slot] = 0;
	}
	c->mod[slot] = (uint8_t)(id + 1);
	c->mod_bytes[slot] += bytes;
}

void hw_heapmap_add(struct hw_heapmap *m, const struct hw_frag *f, uint64_t frag_bytes)
{
	uint64_t a = f->addr, end, ci;
	unsigned id = 0;

	if (a < m->start || a >= m->end)
		return;
	end = frag_bytes > m->end - a ? m->end : a + frag_bytes;
	m->frags++;
	if (f->used) {
		id = module_of(m, f);
		m->used_frags++;
		m->used_bytes += f->size;
		if (id < HW_MAP_MODULES + 1) {
			m->modules[id].bytes += f->size;
			m->modules[id].frags++;
		}
	} else {
		unsigned b = 0;
		m->free_frags++;
		m->free_bytes += f->size;
		if (f->size > m->largest_free)
			m->largest_free = f->size;
		for (uint64_t s = f->size; s > 1; s >>= 1)
			b++;
		m->free_hist_count[b]++;
		m->free_hist_bytes[b] += f->size;
	}
	ci = (a - m->start) / m->cell_bytes;
	if (ci < m->ncells) {
		struct hw_map_cell *c = &m->cells[ci];
		if (c->frags++ == 0) {
			c->first_index = f->index;
			c->first_addr = f->addr;
			c->first_size = f->size;
			c->first_file = f->file;
			c->first_func = f->func;
			c->first_line = f->line;
			c->first_used = f->used;
		}
	}
	/* spread the fragment's bytes over the cells it covers (bounded by the cell count) */
	while (a < end && ci < m->ncells) {
		uint64_t cell_end = m->start + (ci + 1) * m->cell_bytes;
		uint64_t part = (end < cell_end ? end : cell_end) - a;
		struct hw_map_cell *c = &m->cells[ci];
		if (f->used) {
			c->used += part;
			cell_add_module(c, id, part);
		} else {
			c->free += part;
		}
		a += part;
		ci++;
	}
}

void hw_heapmap_damaged(struct hw_heapmap *m, uint64_t from)
{
	if (from < m->start)
		from = m->start;
	for (uint64_t ci = (from - m->start) / m->cell_bytes; from < m->end && ci < m->ncells; ci++)
		m->cells[ci].damaged = true;
}

/* Modules an operator meets most get colours picked to be told apart. */
static const struct {
	const char *module;
	const char *colour;
} known_colours[] = {
    {"core", "#4c78a8"},      {"tm", "#f58518"},	 {"usrloc", "#54a24b"},
    {"htable", "#b279a2"},    {"dialog", "#e45756"},	 {"registrar", "#72b7b2"},
    {"presence", "#9d755d"},  {"dispatcher", "#ff9da6"}, {"tls", "#bab0ac"},
    {"sl", "#eeca3b"},	      {"pv", "#8c6d31"},	 {"xlog", "#637939"},
    {"rtpengine", "#d6616b"}, {"auth", "#7b4173"},	 {"acc", "#17becf"},
    {"sqlops", "#bcbd22"},    {"nathelper", "#9467bd"},	 {"ctl", "#8c564b"},
    {"kex", "#e377c2"},	      {"corex", "#7f7f7f"},	 {"cfg_rpc", "#aec7e8"},
    {"jsonrpcs", "#ffbb78"},  {"siputils", "#98df8a"},	 {"textops", "#c5b0d5"},
};

void hw_heapmap_colour(const char *module, char out[8])
{
	/* others: FNV-1a of the name picks a hue; saturation and lightness stay fixed */
	uint32_t h = 2166136261u;
	double hue, s = 0.55, l = 0.55, c, x, r = 0, g = 0, b = 0, mm;

	for (size_t i = 0; i < sizeof(known_colours) / sizeof(known_colours[0]); i++) {
		if (!strcmp(module, known_colours[i].module)) {
			memcpy(out, known_colours[i].colour, 8);
			return;
		}
	}
	for (const unsigned char *p = (const unsigned char *)module; *p; p++)
		h = (h ^ *p) * 16777619u;
	hue = (double)(h % 360);
	c = (1 - (2 * l - 1 < 0 ? -(2 * l - 1) : 2 * l - 1)) * s;
	{
		double hp = hue / 60.0, mod2 = hp - 2.0 * (double)(int)(hp / 2.0);
		x = c * (1 - (mod2 - 1 < 0 ? -(mod2 - 1) : mod2 - 1));
		switch ((int)hp) {
		case 0:
			r = c;
			g = x;
			break;
		case 1:
			r = x;
			g = c;
			break;
		case 2:
			g = c;
			b = x;
			break;
		case 3:
			g = x;
			b = c;
			break;
		case 4:
			r = x;
			b = c;
			break;
		default:
			r = c;
			b = x;
			break;
		}
	}
	mm = l - c / 2;
	snprintf(out, 8, "#%02x%02x%02x", (unsigned)((r + mm) * 255 + 0.5),
		 (unsigned)((g + mm) * 255 + 0.5), (unsigned)((b + mm) * 255 + 0.5));
}
