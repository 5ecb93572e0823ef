/* svg.c - the heap map as SVG, written directly (used by 'map' and the HTML report). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/heapmap.h"
#include "heapwalk/report.h"
#include "heapwalk/sbuf.h"
#include "heapwalk/sites.h"

#define CELL 7		  /* pixels per cell side */
#define FREE_RGB 0xe8e8e8 /* free memory: light grey */
#define BG_RGB 0xffffff
#define LEGEND_ROW 18

/* Text for XML content or attribute values. */
void hw_xml_escape(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

static unsigned parse_rgb(const char *hex)
{
	return (unsigned)strtoul(hex + 1, NULL, 16);
}

/* @a blended toward @b by @t (0..1). */
static unsigned mix(unsigned a, unsigned b, double t)
{
	unsigned r = 0;

	for (int sh = 16; sh >= 0; sh -= 8) {
		double x = ((a >> sh) & 255) * (1 - t) + ((b >> sh) & 255) * t;
		r |= ((unsigned)(x + 0.5) & 255) << sh;
	}
	return r;
}

static unsigned module_rgb(const struct hw_heapmap *m, unsigned id)
{
	char hex[8];

	if (id >= HW_MAP_MODULES)
		return 0x777777;
	hw_heapmap_colour(m->modules[id].name, hex);
	return parse_rgb(hex);
}

/* The colour a cell is drawn in: its main module, lightened by its free share. */
static unsigned cell_rgb(const struct hw_heapmap *m, const struct hw_map_cell *c)
{
	int top = -1;
	double free_share;

	if (c->damaged)
		return 0xd62728;
	if (c->used + c->free == 0)
		return BG_RGB;
	for (int i = 0; i < HW_MAP_CELL_MODULES; i++)
		if (c->mod[i] && (top < 0 || c->mod_bytes[i] > c->mod_bytes[top]))
			top = i;
	free_share = (double)c->free / (double)(c->used + c->free);
	if (top < 0)
		return FREE_RGB;
	return mix(module_rgb(m, c->mod[top] - 1u), FREE_RGB, free_share);
}

static void cell_title(FILE *out, const struct hw_heapmap *m, const struct hw_map_cell *c,
		       uint64_t addr, uint32_t ncells)
{
	char u[32], f[32];

	if (c->damaged) {
		fprintf(out, "0x%" PRIx64 ": not walked (damaged or missing memory)", addr);
		return;
	}
	if (c->frags == 1 && ncells == 1 && m->strings) {
		fprintf(out, "#%" PRIu64 " 0x%" PRIx64 " size %" PRIu64 " %s", c->first_index,
			c->first_addr, c->first_size, c->first_used ? "used" : "free");
		if (m->debug) {
			fputs(c->first_used ? " by " : " freed by ", out);
			hw_xml_escape(out, hw_strcache_get(m->strings, c->first_file));
			fputs(": ", out);
			hw_xml_escape(out, hw_strcache_get(m->strings, c->first_func));
			fprintf(out, "(%" PRIu64 ")", c->first_line);
		}
		return;
	}
	hw_human_size(u, sizeof(u), c->used);
	hw_human_size(f, sizeof(f), c->free);
	fprintf(out,
		"0x%" PRIx64 " (%u cell%s): %" PRIu64 " fragment%s start here; %s used, %s free",
		addr, ncells, ncells == 1 ? "" : "s", c->frags, c->frags == 1 ? "" : "s", u, f);
	if (c->frags >= 1)
		fprintf(out, "; first #%" PRIu64 " size %" PRIu64, c->first_index, c->first_size);
	for (int i = 0; i < HW_MAP_CELL_MODULES; i++) {
		if (!c->mod[i])
			continue;
		hw_human_size(u, sizeof(u), c->mod_bytes[i]);
		fputs(i ? ", " : "; ", out);
		hw_xml_escape(out, c->mod[i] - 1u < HW_MAP_MODULES ? m->modules[c->mod[i] - 1].name
								   : "other");
		fprintf(out, " %s", u);
	}
}

static int by_bytes(const void *a, const void *b)
{
	const struct hw_map_module *x = *(const struct hw_map_module *const *)a;
	const struct hw_map_module *y = *(const struct hw_map_module *const *)b;

	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : strcmp(x->name, y->name);
}

static bool any_damage(const struct hw_heapmap *m)
{
	return m->ncells && m->cells[m->ncells - 1].damaged;
}

uint32_t hw_svg_heapmap_height(const struct hw_heapmap *m)
{
	size_t legend = m->nmodules + 2 + any_damage(m);

	return 24 + m->rows * CELL + 12 + (uint32_t)((legend + 2) / 3) * LEGEND_ROW + 8;
}

uint32_t hw_svg_heapmap_width(const struct hw_heapmap *m)
{
	uint32_t w = m->cols * CELL + 16;

	return w < 640 ? 640 : w;
}

void hw_svg_heapmap(FILE *out, const struct hw_heapmap *m, const char *title, uint32_t y0)
{
	const struct hw_map_module *order[HW_MAP_MODULES + 1];
	size_t n = 0, item = 0;
	uint32_t width = hw_svg_heapmap_width(m), ly;
	char b1[32], b2[32];

	fprintf(out, "<g transform=\"translate(0,%u)\">\n", y0);
	fputs("<text x=\"8\" y=\"16\" class=\"t\">", out);
	hw_xml_escape(out, title);
	hw_human_size(b1, sizeof(b1), m->end - m->start);
	hw_human_size(b2, sizeof(b2), m->cell_bytes);
	fprintf(out,
		" - %s in %zu cells of %s, address order left to right, top to bottom</text>\n", b1,
		m->ncells, b2);
	for (uint32_t r = 0; r < m->rows; r++) {
		uint32_t c = 0;
		while (c < m->cols && (size_t)r * m->cols + c < m->ncells) {
			size_t i = (size_t)r * m->cols + c;
			const struct hw_map_cell *cell = &m->cells[i];
			unsigned rgb = cell_rgb(m, cell);
			uint32_t run = 1;
			/* cells inside one fragment (nothing starts there) share its colour: one
			 * rect */
			while (c + run < m->cols && i + run < m->ncells &&
			       m->cells[i + run].frags == 0 && !m->cells[i + run].damaged &&
			       !cell->damaged && cell_rgb(m, &m->cells[i + run]) == rgb)
				run++;
			fprintf(out,
				"<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" "
				"fill=\"#%06x\"><title>",
				8 + c * CELL, 24 + r * CELL, run * CELL, CELL, rgb);
			cell_title(out, m, cell, m->start + i * m->cell_bytes, run);
			fputs("</title></rect>\n", out);
			c += run;
		}
	}
	/* legend: modules by bytes, then free and not walked */
	for (size_t i = 0; i < m->nmodules; i++)
		order[n++] = &m->modules[i];
	if (m->modules[HW_MAP_MODULES].bytes)
		order[n++] = &m->modules[HW_MAP_MODULES];
	qsort(order, n, sizeof(order[0]), by_bytes);
	ly = 24 + m->rows * CELL + 12;
	for (size_t i = 0; i < n + 1 + any_damage(m); i++, item++) {
		uint32_t x = 8 + (uint32_t)(item % 3) * ((width - 16) / 3);
		uint32_t y = ly + (uint32_t)(item / 3) * LEGEND_ROW;
		unsigned rgb;
		if (i < n) {
			size_t id = (size_t)(order[i] - m->modules);
			rgb = module_rgb(m, (unsigned)id);
			hw_human_size(b1, sizeof(b1), order[i]->bytes);
			fprintf(
			    out,
			    "<rect x=\"%u\" y=\"%u\" width=\"12\" height=\"12\" fill=\"#%06x\"/>",
			    x, y, rgb);
			fprintf(out, "<text x=\"%u\" y=\"%u\" class=\"l\">", x + 16, y + 10);
			hw_xml_escape(out, order[i]->name);
			fprintf(out, " %s (%" PRIu64 ")</text>\n", b1, order[i]->frags);
		} else if (i == n) {
			hw_human_size(b1, sizeof(b1), m->free_bytes);
			fprintf(
			    out,
			    "<rect x=\"%u\" y=\"%u\" width=\"12\" height=\"12\" fill=\"#%06x\" "
			    "stroke=\"#999\"/><text x=\"%u\" y=\"%u\" class=\"l\">free %s (%" PRIu64
			    ")</text>\n",
			    x, y, FREE_RGB, x + 16, y + 10, b1, m->free_frags);
		} else {
			fprintf(
			    out,
			    "<rect x=\"%u\" y=\"%u\" width=\"12\" height=\"12\" fill=\"#d62728\"/>"
			    "<text x=\"%u\" y=\"%u\" class=\"l\">not walked (damage)</text>\n",
			    x, y, x + 16, y + 10);
		}
	}
	fputs("</g>\n", out);
}

void hw_svg_style(FILE *out)
{
	fputs("<style>.t{font:bold 13px sans-serif}.l{font:11px sans-serif}</style>\n", out);
}
