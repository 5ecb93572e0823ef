/*
 * sites.h - allocation sites: fragments grouped by where they were
 * allocated, and the strings that name those places.
 *
 * Sites are keyed by the raw target pointers (file, func) and the line, as
 * Kamailio keys its own summaries, in an open-addressing table: memory is
 * proportional to the number of distinct sites, never to fragments.
 * Strings are read and sanitised once per distinct pointer (hw_strcache).
 */
#ifndef HEAPWALK_SITES_H
#define HEAPWALK_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;
struct hw_target;
struct hw_frag;

/* Target string pointer -> sanitised text, read at most once each. */
struct hw_strcache {
	struct hw_strcache_slot *slots;
	size_t cap, n;
	const struct hw_target *t;
	/*
	 * A site without a module name takes the name of the object whose
	 * mapping holds its file string ("tm" for .../tm.so, "core" for the
	 * executable): OpenSIPS's fragments record no module.
	 */
	bool module_by_object;
	struct hw_strcache_obj *objs; /* the names given so far, one per mapped file */
	size_t nobjs;
};

void hw_strcache_init(struct hw_strcache *sc, const struct hw_target *t);
void hw_strcache_deinit(struct hw_strcache *sc);
/*
 * The text at @addr; "(null)" for 0 and "<unreadable 0x...>" when the
 * target has no bytes there. Never NULL; valid until deinit.
 */
const char *hw_strcache_get(struct hw_strcache *sc, uint64_t addr);
/*
 * The module of the object mapped at @addr: the executable is "core", a
 * shared object its file name without directory and ".so"; "" when no
 * named mapping holds @addr. Never NULL; valid until deinit.
 */
const char *hw_strcache_object(struct hw_strcache *sc, uint64_t addr);
/*
 * A fragment's module: the text at @mname where the server stores one
 * (Kamailio), else, with module_by_object (OpenSIPS), the object holding its
 * file string @file; "" when neither tells. Never NULL; valid until deinit.
 */
const char *hw_strcache_module(struct hw_strcache *sc, uint64_t mname, uint64_t file);

/*
 * Fragment sizes in power-of-two buckets: bucket 0 holds size 0, bucket k
 * (1..64) the sizes from 2^(k-1) to 2^k - 1.
 */
#define HW_SIZE_BUCKETS 65
struct hw_size_hist {
	uint64_t count[HW_SIZE_BUCKETS], bytes[HW_SIZE_BUCKETS];
};
static inline unsigned hw_size_bucket(uint64_t size)
{
	return size ? 64u - (unsigned)__builtin_clzll(size) : 0u;
}
/* The smallest and largest size of bucket @k. */
static inline uint64_t hw_size_bucket_lo(unsigned k)
{
	return k ? 1ull << (k - 1) : 0;
}
static inline uint64_t hw_size_bucket_hi(unsigned k)
{
	return k == 0 ? 0 : k == 64 ? UINT64_MAX : (1ull << k) - 1;
}

struct hw_site {
	uint64_t file, func, line, mname; /* key: file, func, line (mname rides along) */
	uint64_t count, bytes;
	uint64_t first_seen; /* its lowest fragment: the walk's order of first appearance */
	const char *file_s, *func_s, *mname_s; /* after hw_sites_resolve */
	struct hw_size_hist *hist; /* with hw_sites.sizes: its fragments' sizes (owned) */
};

struct hw_sites {
	struct hw_site *slots;
	size_t cap, n;
	uint64_t frags, bytes; /* totals over all added fragments */
	bool sizes;	       /* keep each site's size histogram (set before adding) */
};

enum hw_site_order {
	HW_ORDER_KAMAILIO, /* Kamailio's own: reverse order of first appearance */
	HW_ORDER_BYTES,	   /* bytes, then count, descending */
	HW_ORDER_COUNT,	   /* count, then bytes, descending */
	HW_ORDER_SITE,	   /* file, func, line ascending */
};

void hw_sites_init(struct hw_sites *s);
void hw_sites_deinit(struct hw_sites *s);
/* Count one fragment (used or free, the caller decides what to add). */
struct hw_error *hw_sites_add(struct hw_sites *s, const struct hw_frag *f);
/*
 * Add @src's sites to @dst (another part of the same walk, in any order):
 * a site's first appearance is its lowest fragment, wherever it was seen.
 */
struct hw_error *hw_sites_merge(struct hw_sites *dst, const struct hw_sites *src);
/* Resolve the strings of every site through @sc. */
void hw_sites_resolve(struct hw_sites *s, struct hw_strcache *sc);
/*
 * An array of pointers to the sites in @order (caller frees the array, not
 * the sites). HW_ORDER_SITE needs hw_sites_resolve first.
 */
struct hw_error *hw_sites_sorted(const struct hw_sites *s, enum hw_site_order order,
				 const struct hw_site ***ret, size_t *n_ret);

/* What holds the most: one site, and one module over all its sites. */
struct hw_sites_top {
	const struct hw_site *site; /* the most bytes (NULL: no sites) */
	const char *module;	    /* the module with the most bytes (NULL: none resolved) */
	uint64_t module_bytes, module_frags;
};
/* After hw_sites_resolve; modules past the first HW_SITES_TOP_MODULES are not counted. */
#define HW_SITES_TOP_MODULES 256
void hw_sites_top(const struct hw_sites *s, struct hw_sites_top *ret);

/*
 * summary --by: the sites grouped by module, file or function. A module is
 * the name the fragment header records (Kamailio's core records "core");
 * a site without one groups under "". Bytes are fragment sizes, as
 * Kamailio's own mod.stats counts them.
 */
enum hw_group_by {
	HW_BY_SITE, /* no grouping: the sites themselves */
	HW_BY_MODULE,
	HW_BY_FILE,	/* file (with its module) */
	HW_BY_FUNCTION, /* function (with its module) */
	HW_BY_SIZE,	/* the sites, each with its size histogram */
	HW_BY_STACK,	/* the stored stacks' first frame outside the allocator (backtrace.h) */
};
const char *hw_group_by_name(enum hw_group_by by);
/* "site", "module", ...; false for none of them. */
bool hw_group_by_parse(const char *name, enum hw_group_by *ret);

struct hw_group {
	const char *key;    /* the module, file or function name (never NULL) */
	const char *module; /* file and function: the module ("" when none); else NULL */
	uint64_t count, bytes;
	size_t nsites;
	uint64_t last_new; /* the latest first appearance of its sites (Kamailio's order) */
};

struct hw_groups {
	enum hw_group_by by;
	struct hw_group *v; /* sorted (owned) */
	size_t n;	    /* all groups */
	size_t nrows;	    /* the first nrows are shown (--top) */
};

/*
 * Group @s's sites (resolved) by @by (not HW_BY_SITE, HW_BY_SIZE) into @g,
 * sorted by @order (bytes, count, the key; HW_ORDER_KAMAILIO: as
 * mod.stats lists modules, the group of the newest site first), rows cut
 * to @top (0: all). @g is deinitialised first.
 */
struct hw_error *hw_groups_make(struct hw_groups *g, const struct hw_sites *s, enum hw_group_by by,
				enum hw_site_order order, uint64_t top);
void hw_groups_deinit(struct hw_groups *g);
/* Sort @g's groups (filled by the caller) by @order and cut the rows to @top (0: all). */
void hw_groups_order(struct hw_groups *g, enum hw_site_order order, uint64_t top);

#endif
