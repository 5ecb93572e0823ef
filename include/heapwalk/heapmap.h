/*
 * heapmap.h - a pool drawn in address order: the heap range divided into a
 * fixed grid of cells, each summarising the fragments (or parts of them)
 * that fall into it. Fed one fragment at a time during a walk; memory is
 * proportional to the number of cells, never to fragments, so a map of a
 * heap with millions of fragments stays small.
 *
 * Also the free-fragment size histogram, which rides along the same walk.
 */
#ifndef HEAPWALK_HEAPMAP_H
#define HEAPWALK_HEAPMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;
struct hw_frag;
struct hw_strcache;

/* Up to this many modules are told apart per cell; the rest count as "other". */
#define HW_MAP_CELL_MODULES 3
/* Modules named in the legend; more are folded into "other modules". */
#define HW_MAP_MODULES 24

struct hw_map_cell {
	uint64_t used, free; /* bytes of this cell covered by used / free fragments */
	uint64_t frags;	     /* fragments starting in this cell */
	uint8_t
	    mod[HW_MAP_CELL_MODULES]; /* module ids (index into hw_heapmap.modules, +1; 0 none) */
	uint64_t mod_bytes[HW_MAP_CELL_MODULES];
	/* the first fragment starting here, for hover titles */
	uint64_t first_index, first_addr, first_size;
	uint64_t first_file, first_func, first_line;
	bool first_used;
	bool damaged; /* beyond where the walk could go */
};

struct hw_map_module {
	char name[48];	/* sanitised module name ("core", "tm", ...) or "(no site)" */
	uint64_t bytes; /* used bytes in the whole pool */
	uint64_t frags;
};

struct hw_heapmap {
	uint64_t start, end; /* the mapped range: first fragment .. heap end */
	uint64_t cell_bytes; /* bytes per cell (>= 1) */
	uint32_t cols, rows;
	struct hw_map_cell *cells;
	size_t ncells;
	struct hw_map_module modules[HW_MAP_MODULES + 1]; /* last: "other modules" */
	size_t nmodules;
	/* raw module-name (or file) pointers seen -> module index; bounded, then "other" */
	uint64_t keys[128];
	uint8_t key_mod[128];
	size_t nkeys, last_key;
	uint64_t frags, used_frags, free_frags, used_bytes, free_bytes;
	uint64_t largest_free;
	/* free fragments by size: bucket b holds sizes in [2^b, 2^(b+1)) */
	uint64_t free_hist_count[64], free_hist_bytes[64];
	bool debug; /* sites recorded */
	struct hw_strcache *strings;
};

/*
 * Prepare a map of [start, end) with about @cells cells (16..65536), laid
 * out @cols wide. @strings resolves module names (for builds without mname,
 * the module is the "<module>: " prefix of the file string).
 */
struct hw_error *hw_heapmap_init(struct hw_heapmap *m, uint64_t start, uint64_t end, uint32_t cells,
				 uint32_t cols, bool debug, struct hw_strcache *strings);
void hw_heapmap_deinit(struct hw_heapmap *m);
/* Account one fragment (header, payload and trailer bytes). */
void hw_heapmap_add(struct hw_heapmap *m, const struct hw_frag *f, uint64_t frag_bytes);
/* Mark [from, end) as not walked (damage, or memory missing from the core). */
void hw_heapmap_damaged(struct hw_heapmap *m, uint64_t from);

/* A stable colour for a module name: "#rrggbb", the same in every run. */
void hw_heapmap_colour(const char *module, char out[8]);

#endif
