/* dwarf.c - finds an executable's DWARF; answers struct-layout and variable queries (libdwarf). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gelf.h>
#include <libelf.h>

#include <dwarf.h>
#include <libdwarf.h>

#include "heapwalk/debuginfo.h"
#include "heapwalk/elfsym.h"
#include "heapwalk/error.h"
#include "heapwalk/sbuf.h"
#include "debuginfod.h"
#include "dwobj.h"
#include "dwscan.h"

/* Next unit of .debug_info and its unit DIE (caller owns *cu_die; NULL if the unit has none). */
static int compat_next_cu(Dwarf_Debug dbg, Dwarf_Die *cu_die, Dwarf_Error *de)
{
	Dwarf_Unsigned hdr_len = 0, type_off = 0, next_off = 0;
	Dwarf_Half version = 0, addr_size = 0, len_size = 0, ext_size = 0, unit_type = 0;
	Dwarf_Off abbrev_off = 0;
	Dwarf_Sig8 sig;
	int res;

	memset(&sig, 0, sizeof(sig));
#ifdef HW_DW_API_CU_DIE
	res = dwarf_next_cu_header_e(dbg, 1, cu_die, &hdr_len, &version, &abbrev_off, &addr_size,
				     &len_size, &ext_size, &sig, &type_off, &next_off, &unit_type,
				     de);
#else
	res = dwarf_next_cu_header_d(dbg, 1, &hdr_len, &version, &abbrev_off, &addr_size, &len_size,
				     &ext_size, &sig, &type_off, &next_off, &unit_type, de);
	if (res != DW_DLV_OK)
		return res;
	res = dwarf_siblingof_b(dbg, NULL, 1, cu_die, de);
	if (res == DW_DLV_NO_ENTRY) {
		*cu_die = NULL;
		res = DW_DLV_OK;
	}
#endif
	return res;
}

static int compat_sibling(Dwarf_Debug dbg, Dwarf_Die die, Dwarf_Die *ret, Dwarf_Error *de)
{
#ifdef HW_DW_API_CU_DIE
	(void)dbg;
	return dwarf_siblingof_c(die, ret, de);
#else
	return dwarf_siblingof_b(dbg, die, 1, ret, de);
#endif
}

/* Bounds on untrusted DWARF. */
enum {
	MAX_UNITS = 1 << 20,	   /* units in one .debug_info */
	MAX_TOP_DIES = 1 << 24,	   /* top-level DIEs indexed, all units together */
	MAX_UNIT_ERRORS = 64,	   /* damaged top-level DIEs before the rest of a unit is skipped */
	MAX_FILE_ERRORS = 1024,	   /* damaged DIEs and units before the rest of a file is skipped */
	MAX_QUERY_STEPS = 1 << 18, /* DIEs one query (struct, variable) may visit */
	MAX_CHILDREN = 1 << 16,	   /* children of one struct or array DIE */
	MAX_TYPE_CHAIN = 16,	   /* typedefs and qualifiers followed in a row */
	MAX_TYPE_DEPTH = 8,	   /* nesting of array element types */
	MAX_ANON_DEPTH = 4,	   /* nesting of anonymous struct/union members */
	MAX_PATH_DEPTH = 8,	   /* components of a dotted member path */
	MAX_PATH_LEN = 512,	   /* bytes of a dotted member path */
	MAX_NAME_LEN = 4096,	   /* longer DWARF names are not indexed */
	MAX_DEBUGLINK_LEN = 255,
	MAX_BUILD_ID_LEN = 64,
};

/* The files one hw_dwarf reads: the debug file and its dwz supplementary file, if any. */
enum { MAIN, ALT, NFILES };

struct dwfile {
	char *path;
	int fd;
	struct hw_dwobj *obj;	/* the sections libdwarf reads */
	struct hw_dwscan *scan; /* the DIEs libdwarf may be pointed at */
	Dwarf_Debug dbg;	/* NULL: not open */
	bool big_endian;
};

/* A DIE and the file it belongs to. */
struct die {
	Dwarf_Die d;
	unsigned fi;
};

/* A DIE's place: file and .debug_info offset. */
struct ref {
	unsigned fi;
	Dwarf_Off off;
};

enum {
	HAS_TAG = 1,	 /* a complete struct/union/class definition with this tag */
	HAS_TYPEDEF = 2, /* a typedef with this name */
	HAS_VAR = 4,	 /* a variable with this name and a DW_AT_location */
};

/* The first DIE of each kind with one name. */
struct name_entry {
	char *name; /* NULL: empty slot */
	uint64_t hash;
	unsigned has; /* HAS_* */
	struct ref tag, tdef, var;
};

/* Open-addressing hash table of top-level names; cap is a power of two, at most half full. */
struct name_index {
	struct name_entry *slots;
	size_t cap;
	size_t used;
};

struct hw_dwarf {
	struct dwfile file[NFILES];
	char *alt_problem; /* why a wanted dwz file is not open, or NULL */
	bool indexed;
	char *index_problem;	/* first problem met while indexing; the index is then partial */
	unsigned long problems; /* how many were met */
	unsigned long steps;	/* DIEs visited by the current query (MAX_QUERY_STEPS) */
	struct name_index idx;
};

/* ---- errors ---- */

static struct hw_error *dw_error(struct hw_dwarf *dw, unsigned fi, Dwarf_Error de, const char *fmt,
				 ...) __attribute__((format(printf, 4, 5)));

/* HW_ERR_DWARF "<what>: <libdwarf message>"; consumes @de (an error of file @fi). */
static struct hw_error *dw_error(struct hw_dwarf *dw, unsigned fi, Dwarf_Error de, const char *fmt,
				 ...)
{
	Dwarf_Debug dbg = dw ? dw->file[fi].dbg : NULL;
	struct hw_error *err;
	char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	err = hw_vformat(&what, fmt, ap);
	va_end(ap);
	if (!err) {
		err = hw_error_create(HW_ERR_DWARF, "%s: %s", what,
				      de ? dwarf_errmsg(de) : "unknown libdwarf error");
		free(what);
	}
	dwarf_dealloc(dbg, de, DW_DLA_ERROR);
	return err;
}

/* A string from a file or the user, made printable for messages (truncated). */
struct printable {
	char s[PATH_MAX];
};

static const char *printable(struct printable *p, const char *in)
{
	if (!in)
		return "(null)";
	hw_sanitise(p->s, sizeof(p->s), in, strlen(in));
	return p->s;
}

/* ---- small DIE helpers; every one checks the libdwarf return code ---- */

static unsigned long long die_off(struct hw_dwarf *dw, struct die die)
{
	Dwarf_Off off = 0;
	Dwarf_Error de = NULL;

	if (dwarf_dieoffset(die.d, &off, &de) != DW_DLV_OK) {
		dwarf_dealloc(dw->file[die.fi].dbg, de, DW_DLA_ERROR);
		return 0;
	}
	return off;
}

static void die_release(struct die *die)
{
	if (die->d)
		dwarf_dealloc_die(die->d);
	die->d = NULL;
}

static struct hw_error *die_at(struct hw_dwarf *dw, struct ref ref, struct die *ret)
{
	Dwarf_Error de = NULL;
	Dwarf_Die d = NULL;
	int res;

	if (!dw->file[ref.fi].dbg)
		return hw_error_create(HW_ERR_NO_DEBUGINFO, "DWARF refers into a dwz file: %s",
				       dw->alt_problem ? dw->alt_problem : "none is linked");
	if (!hw_dwscan_die_ok(dw->file[ref.fi].scan, ref.off))
		return hw_error_create(
		    HW_ERR_BAD_DATA,
		    "DWARF reference to 0x%llx: no DIE of a sound unit starts there",
		    (unsigned long long)ref.off);
	res = dwarf_offdie_b(dw->file[ref.fi].dbg, ref.off, 1, &d, &de);
	if (res == DW_DLV_ERROR)
		return dw_error(dw, ref.fi, de, "reading DIE at 0x%llx",
				(unsigned long long)ref.off);
	if (res != DW_DLV_OK)
		return hw_error_create(HW_ERR_BAD_DATA, "no DIE at 0x%llx",
				       (unsigned long long)ref.off);
	ret->d = d;
	ret->fi = ref.fi;
	return NULL;
}

static struct hw_error *die_tag(struct hw_dwarf *dw, struct die die, Dwarf_Half *ret)
{
	Dwarf_Error de = NULL;

	if (dwarf_tag(die.d, ret, &de) != DW_DLV_OK)
		return dw_error(dw, die.fi, de, "reading tag of DIE 0x%llx", die_off(dw, die));
	return NULL;
}

/* *ret = the attribute (caller deallocates) or NULL if absent. */
static struct hw_error *die_attr(struct hw_dwarf *dw, struct die die, Dwarf_Half at,
				 Dwarf_Attribute *ret)
{
	Dwarf_Error de = NULL;
	Dwarf_Attribute a = NULL;
	int res = dwarf_attr(die.d, at, &a, &de);

	if (res == DW_DLV_ERROR)
		return dw_error(dw, die.fi, de, "reading attribute 0x%x of DIE 0x%llx", at,
				die_off(dw, die));
	*ret = res == DW_DLV_OK ? a : NULL;
	return NULL;
}

/* *ret = the attribute (caller deallocates) with its form, or NULL if absent. */
static struct hw_error *die_attr_form(struct hw_dwarf *dw, struct die die, Dwarf_Half at,
				      Dwarf_Attribute *ret, Dwarf_Half *form)
{
	Dwarf_Error de = NULL;
	struct hw_error *err = die_attr(dw, die, at, ret);

	if (err || !*ret)
		return err;
	if (dwarf_whatform(*ret, form, &de) == DW_DLV_OK)
		return NULL;
	dwarf_dealloc_attribute(*ret);
	*ret = NULL;
	return dw_error(dw, die.fi, de, "reading attribute form");
}

/*
 * *ret = DW_AT_name or NULL. The string lives as long as the hw_dwarf. A
 * name kept in the dwz file (DW_FORM_GNU_strp_alt) is read from there.
 */
static struct hw_error *die_name(struct hw_dwarf *dw, struct die die, const char **ret)
{
	Dwarf_Attribute a = NULL;
	Dwarf_Error de = NULL;
	Dwarf_Signed len = 0;
	Dwarf_Half form = 0;
	Dwarf_Off off = 0;
	char *name = NULL;
	struct hw_error *err;

	*ret = NULL;
	err = die_attr_form(dw, die, DW_AT_name, &a, &form);
	if (err || !a)
		return err;
	if (form == DW_FORM_GNU_strp_alt) {
		if (die.fi != MAIN || !dw->file[ALT].dbg) {
			err = hw_error_create(HW_ERR_NO_DEBUGINFO,
					      "DIE 0x%llx has its name in a dwz file: %s",
					      die_off(dw, die),
					      die.fi != MAIN	? "nested dwz files"
					      : dw->alt_problem ? dw->alt_problem
								: "none is linked");
			goto out;
		}
		if (dwarf_global_formref(a, &off, &de) != DW_DLV_OK) {
			err = dw_error(dw, die.fi, de, "reading name of DIE 0x%llx",
				       die_off(dw, die));
			goto out;
		}
		if (dwarf_get_str(dw->file[ALT].dbg, off, &name, &len, &de) != DW_DLV_OK) {
			err = dw_error(dw, ALT, de, "reading string 0x%llx of the dwz file",
				       (unsigned long long)off);
			goto out;
		}
	} else if (dwarf_formstring(a, &name, &de) != DW_DLV_OK) {
		err = dw_error(dw, die.fi, de, "reading name of DIE 0x%llx", die_off(dw, die));
		goto out;
	}
	*ret = name;
out:
	dwarf_dealloc_attribute(a);
	return err;
}

static struct hw_error *die_has(struct hw_dwarf *dw, struct die die, Dwarf_Half at, bool *ret)
{
	Dwarf_Error de = NULL;
	Dwarf_Bool b = 0;

	if (dwarf_hasattr(die.d, at, &b, &de) != DW_DLV_OK)
		return dw_error(dw, die.fi, de, "reading attribute 0x%x of DIE 0x%llx", at,
				die_off(dw, die));
	*ret = b != 0;
	return NULL;
}

/* A flag attribute; absent means false. */
static struct hw_error *die_flag(struct hw_dwarf *dw, struct die die, Dwarf_Half at, bool *ret)
{
	Dwarf_Attribute a = NULL;
	Dwarf_Error de = NULL;
	Dwarf_Bool b = 0;
	struct hw_error *err = die_attr(dw, die, at, &a);

	if (err)
		return err;
	if (!a) {
		*ret = false;
		return NULL;
	}
	if (dwarf_formflag(a, &b, &de) != DW_DLV_OK)
		err = dw_error(dw, die.fi, de, "reading flag 0x%x of DIE 0x%llx", at,
			       die_off(dw, die));
	dwarf_dealloc_attribute(a);
	if (!err)
		*ret = b != 0;
	return err;
}

enum konst { K_ABSENT, K_VALUE, K_NEGATIVE, K_NOT_CONSTANT };

/* A constant-class attribute: K_VALUE with *ret, or why not. */
static struct hw_error *die_const(struct hw_dwarf *dw, struct die die, Dwarf_Half at,
				  enum konst *kind, uint64_t *ret)
{
	Dwarf_Attribute a = NULL;
	Dwarf_Error de = NULL;
	Dwarf_Unsigned u = 0;
	Dwarf_Signed s = 0;
	Dwarf_Half form = 0;
	struct hw_error *err;
	int res = DW_DLV_OK;

	*kind = K_ABSENT;
	err = die_attr_form(dw, die, at, &a, &form);
	if (err || !a)
		return err;
	switch (form) {
	case DW_FORM_data1:
	case DW_FORM_data2:
	case DW_FORM_data4:
	case DW_FORM_data8:
	case DW_FORM_udata:
		res = dwarf_formudata(a, &u, &de);
		break;
	case DW_FORM_sdata:
	case DW_FORM_implicit_const:
		res = dwarf_formsdata(a, &s, &de);
		u = s < 0 ? 0 : (uint64_t)s;
		break;
	default:
		*kind = K_NOT_CONSTANT;
		goto out;
	}
	if (res != DW_DLV_OK) {
		err = dw_error(dw, die.fi, de, "reading attribute 0x%x of DIE 0x%llx", at,
			       die_off(dw, die));
		goto out;
	}
	*kind = s < 0 ? K_NEGATIVE : K_VALUE;
	*ret = u;
out:
	dwarf_dealloc_attribute(a);
	return err;
}

/* A reference attribute; *present=false if absent. References into the dwz file give ALT. */
static struct hw_error *die_ref(struct hw_dwarf *dw, struct die die, Dwarf_Half at, bool *present,
				struct ref *ret)
{
	Dwarf_Attribute a = NULL;
	Dwarf_Error de = NULL;
	Dwarf_Half form = 0;
	Dwarf_Off off = 0;
	unsigned fi = die.fi;
	struct hw_error *err;

	*present = false;
	err = die_attr_form(dw, die, at, &a, &form);
	if (err || !a)
		return err;
	switch (form) {
	case DW_FORM_ref1:
	case DW_FORM_ref2:
	case DW_FORM_ref4:
	case DW_FORM_ref8:
	case DW_FORM_ref_udata:
	case DW_FORM_ref_addr:
		break;
	case DW_FORM_GNU_ref_alt:
		if (die.fi != MAIN) {
			err =
			    hw_error_create(HW_ERR_BAD_DATA,
					    "DIE 0x%llx in the dwz file refers to another dwz file",
					    die_off(dw, die));
			goto out;
		}
		fi = ALT;
		break;
	default:
		err = hw_error_create(HW_ERR_UNSUPPORTED,
				      "DIE 0x%llx: reference form 0x%x not supported",
				      die_off(dw, die), form);
		goto out;
	}
	if (dwarf_global_formref(a, &off, &de) != DW_DLV_OK) {
		err = dw_error(dw, die.fi, de, "reading reference of DIE 0x%llx", die_off(dw, die));
		goto out;
	}
	*present = true;
	ret->fi = fi;
	ret->off = off;
out:
	dwarf_dealloc_attribute(a);
	return err;
}

/* The bytes of an exprloc or block attribute; release with expr_release. */
struct expr {
	const uint8_t *p;
	uint64_t len;
	Dwarf_Block *blk;
	Dwarf_Debug dbg;
};

enum expr_kind {
	E_ABSENT,
	E_EXPR,
	E_OTHER, /* another form, e.g. a location list */
};

/* @die's attribute @at as an expression; *kind says whether it is one. */
static struct hw_error *die_expr(struct hw_dwarf *dw, struct die die, Dwarf_Half at,
				 enum expr_kind *kind, struct expr *ret)
{
	Dwarf_Attribute a = NULL;
	Dwarf_Error de = NULL;
	Dwarf_Half form = 0;
	struct hw_error *err;

	memset(ret, 0, sizeof(*ret));
	*kind = E_ABSENT;
	err = die_attr_form(dw, die, at, &a, &form);
	if (err || !a)
		return err;
	*kind = E_EXPR;
	switch (form) {
	case DW_FORM_exprloc: {
		Dwarf_Unsigned len = 0;
		Dwarf_Ptr p = NULL;

		if (dwarf_formexprloc(a, &len, &p, &de) != DW_DLV_OK) {
			err = dw_error(dw, die.fi, de, "reading expression");
			break;
		}
		ret->p = p;
		ret->len = len;
		break;
	}
	case DW_FORM_block1:
	case DW_FORM_block2:
	case DW_FORM_block4:
	case DW_FORM_block: {
		Dwarf_Block *blk = NULL;

		if (dwarf_formblock(a, &blk, &de) != DW_DLV_OK) {
			err = dw_error(dw, die.fi, de, "reading expression block");
			break;
		}
		ret->p = blk->bl_data;
		ret->len = blk->bl_len;
		ret->blk = blk;
		ret->dbg = dw->file[die.fi].dbg;
		break;
	}
	default:
		*kind = E_OTHER;
		break;
	}
	dwarf_dealloc_attribute(a);
	return err;
}

static void expr_release(struct expr *e)
{
	if (e->blk)
		dwarf_dealloc(e->dbg, e->blk, DW_DLA_BLOCK);
	e->blk = NULL;
}

/* ULEB128 at *pos in @p[0..len); false if truncated or wider than 64 bits. */
static bool read_uleb(const uint8_t *p, uint64_t len, uint64_t *pos, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (*pos < len) {
		uint8_t b = p[(*pos)++];

		if (shift == 63 && (b & 0x7e))
			return false;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*ret = v;
			return true;
		}
		shift += 7;
		if (shift > 63)
			return false;
	}
	return false;
}

/* ---- iterating children, owning one DIE at a time ---- */

/*
 * A child follows its parent and each sibling the one before it in
 * .debug_info: offsets strictly increase, so a DW_AT_sibling that points
 * back (to itself, or to an earlier DIE) ends the iteration with an error
 * instead of going round forever.
 */
struct die_iter {
	struct die parent; /* borrowed */
	Dwarf_Die cur;	   /* owned */
	Dwarf_Off last;	   /* offset of cur, or of the parent before the first child */
	unsigned long n, max;
	bool done;
	bool budget; /* counts against dw->steps (queries; the index has its own bounds) */
};

static void iter_init(struct die_iter *it, struct die parent, unsigned long max)
{
	memset(it, 0, sizeof(*it));
	it->parent = parent;
	it->max = max;
	it->budget = true;
}

/* *ret = next child (owned by the iterator), ret->d NULL at the end. */
static struct hw_error *iter_next(struct hw_dwarf *dw, struct die_iter *it, struct die *ret)
{
	Dwarf_Error de = NULL;
	Dwarf_Die next = NULL;
	Dwarf_Off off = 0;
	int res;

	ret->d = NULL;
	ret->fi = it->parent.fi;
	if (it->done)
		return NULL;
	if (it->n >= it->max)
		return hw_error_create(HW_ERR_BAD_DATA, "DIE 0x%llx has more than %lu children",
				       die_off(dw, it->parent), it->max);
	if (it->budget && ++dw->steps > MAX_QUERY_STEPS)
		return hw_error_create(HW_ERR_BAD_DATA,
				       "DWARF too convoluted: more than %d DIEs visited for one "
				       "query (at the children of DIE 0x%llx)",
				       MAX_QUERY_STEPS, die_off(dw, it->parent));
	if (!it->cur) {
		if (dwarf_dieoffset(it->parent.d, &it->last, &de) != DW_DLV_OK)
			return dw_error(dw, it->parent.fi, de, "reading the offset of a DIE");
		res = dwarf_child(it->parent.d, &next, &de);
	} else {
		res = compat_sibling(dw->file[it->parent.fi].dbg, it->cur, &next, &de);
	}
	if (res == DW_DLV_ERROR)
		return dw_error(dw, it->parent.fi, de, "reading children of DIE 0x%llx",
				die_off(dw, it->parent));
	if (res == DW_DLV_OK && dwarf_dieoffset(next, &off, &de) != DW_DLV_OK) {
		dwarf_dealloc_die(next);
		return dw_error(dw, it->parent.fi, de, "reading the offset of a DIE");
	}
	if (res == DW_DLV_OK && !hw_dwscan_die_ok(dw->file[it->parent.fi].scan, off)) {
		dwarf_dealloc_die(next);
		return hw_error_create(
		    HW_ERR_BAD_DATA,
		    "DIE chain under 0x%llx leads to 0x%llx, not a DIE of a sound unit",
		    die_off(dw, it->parent), (unsigned long long)off);
	}
	if (res == DW_DLV_OK && off <= it->last) {
		dwarf_dealloc_die(next);
		return hw_error_create(
		    HW_ERR_BAD_DATA, "DIE chain under 0x%llx goes back from 0x%llx to 0x%llx",
		    die_off(dw, it->parent), (unsigned long long)it->last, (unsigned long long)off);
	}
	if (it->cur)
		dwarf_dealloc_die(it->cur);
	it->cur = res == DW_DLV_OK ? next : NULL;
	it->last = off;
	it->done = !it->cur;
	it->n++;
	ret->d = it->cur;
	return NULL;
}

/* iter_next, passing over the children whose tag is not @tag. */
static struct hw_error *iter_next_tagged(struct hw_dwarf *dw, struct die_iter *it, Dwarf_Half tag,
					 struct die *ret)
{
	for (;;) {
		Dwarf_Half t = 0;
		struct hw_error *err = iter_next(dw, it, ret);

		if (err || !ret->d)
			return err;
		err = die_tag(dw, *ret, &t);
		if (err || t == tag)
			return err;
	}
}

/* Take ownership of the current child; the iteration ends. */
static struct die iter_take(struct die_iter *it)
{
	struct die d = {.d = it->cur, .fi = it->parent.fi};

	it->cur = NULL;
	it->done = true;
	return d;
}

static void iter_end(struct die_iter *it)
{
	if (it->cur)
		dwarf_dealloc_die(it->cur);
	it->cur = NULL;
	it->done = true;
}

/* ---- the name index ---- */

static struct name_entry *index_find(const struct name_index *idx, const char *name)
{
	uint64_t h;
	size_t i;

	if (!idx->cap)
		return NULL;
	h = hw_str_hash(name);
	for (i = h & (idx->cap - 1);; i = (i + 1) & (idx->cap - 1)) {
		struct name_entry *e = &idx->slots[i];

		if (!e->name)
			return NULL;
		if (e->hash == h && !strcmp(e->name, name))
			return e;
	}
}

static struct hw_error *index_grow(struct name_index *idx)
{
	size_t ncap = idx->cap ? idx->cap * 2 : 1024, i;
	struct name_entry *ns;

	if (ncap > SIZE_MAX / sizeof(*ns))
		return hw_error_nomem();
	ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return hw_error_nomem();
	for (i = 0; i < idx->cap; i++) {
		struct name_entry *e = &idx->slots[i];
		size_t j;

		if (!e->name)
			continue;
		for (j = e->hash & (ncap - 1); ns[j].name; j = (j + 1) & (ncap - 1))
			;
		ns[j] = *e;
	}
	free(idx->slots);
	idx->slots = ns;
	idx->cap = ncap;
	return NULL;
}

/* Record @ref as the DIE of kind @kind for @name unless one is known already. */
static struct hw_error *index_add(struct name_index *idx, const char *name, unsigned kind,
				  struct ref ref)
{
	struct name_entry *e = index_find(idx, name);
	uint64_t h;
	size_t i;

	if (!e) {
		if (strlen(name) > MAX_NAME_LEN)
			return NULL;
		if ((idx->used + 1) * 2 > idx->cap) {
			struct hw_error *err = index_grow(idx);

			if (err)
				return err;
		}
		h = hw_str_hash(name);
		for (i = h & (idx->cap - 1); idx->slots[i].name; i = (i + 1) & (idx->cap - 1))
			;
		e = &idx->slots[i];
		e->name = strdup(name);
		if (!e->name)
			return hw_error_nomem();
		e->hash = h;
		idx->used++;
	}
	if (e->has & kind)
		return NULL;
	e->has |= kind;
	if (kind == HAS_TAG)
		e->tag = ref;
	else if (kind == HAS_TYPEDEF)
		e->tdef = ref;
	else
		e->var = ref;
	return NULL;
}

static void index_free(struct name_index *idx)
{
	size_t i;

	for (i = 0; i < idx->cap; i++)
		free(idx->slots[i].name);
	free(idx->slots);
	memset(idx, 0, sizeof(*idx));
}

static struct ref ref_of(struct hw_dwarf *dw, struct die die)
{
	struct ref r = {.fi = die.fi, .off = die_off(dw, die)};

	return r;
}

/* Index one top-level DIE. */
static struct hw_error *index_die(struct hw_dwarf *dw, struct die die)
{
	struct hw_error *err;
	const char *name = NULL;
	Dwarf_Half tag = 0;
	bool b = false;

	err = die_tag(dw, die, &tag);
	if (err)
		return err;
	switch (tag) {
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_class_type:
		err = die_name(dw, die, &name);
		if (err || !name)
			return err;
		err = die_flag(dw, die, DW_AT_declaration, &b);
		if (err || b)
			return err;
		return index_add(&dw->idx, name, HAS_TAG, ref_of(dw, die));
	case DW_TAG_typedef:
		err = die_name(dw, die, &name);
		if (err || !name)
			return err;
		return index_add(&dw->idx, name, HAS_TYPEDEF, ref_of(dw, die));
	case DW_TAG_variable: {
		static const Dwarf_Half via[] = {DW_AT_specification, DW_AT_abstract_origin};
		size_t i;

		err = die_has(dw, die, DW_AT_location, &b);
		if (err || !b)
			return err;
		err = die_name(dw, die, &name);
		if (err)
			return err;
		/* A definition of an earlier declaration carries its name there. */
		for (i = 0; !name && i < sizeof(via) / sizeof(via[0]); i++) {
			struct die decl = {0};
			struct ref r = {0};
			bool present = false;

			err = die_ref(dw, die, via[i], &present, &r);
			if (err)
				return err;
			if (!present)
				continue;
			err = die_at(dw, r, &decl);
			if (err)
				return err;
			err = die_name(dw, decl, &name);
			die_release(&decl);
			if (err)
				return err;
		}
		if (!name)
			return NULL;
		return index_add(&dw->idx, name, HAS_VAR, ref_of(dw, die));
	}
	default:
		return NULL;
	}
}

static void note_problem(struct hw_dwarf *dw, struct hw_error *err)
{
	dw->problems++;
	if (!dw->index_problem)
		dw->index_problem = strdup(err->message);
	hw_error_destroy(err);
}

/*
 * Index the top-level DIEs of one file; *total counts DIEs over all files.
 * Damage costs the DIE concerned, MAX_UNIT_ERRORS of them the rest of the
 * unit, MAX_FILE_ERRORS (DIEs and units) the rest of the file.
 */
static struct hw_error *index_file(struct hw_dwarf *dw, unsigned fi, unsigned long *total)
{
	struct printable pp;
	const char *path = printable(&pp, dw->file[fi].path); /* the dwz path comes from a file */
	unsigned long file_errors = 0, rejected;
	const char *why = NULL;
	unsigned units;

	rejected = hw_dwscan_rejected(dw->file[fi].scan, &why);
	if (rejected)
		note_problem(dw, hw_error_create(HW_ERR_BAD_DATA,
						 "%s: %lu malformed unit%s skipped, the first: %s",
						 path, rejected, rejected == 1 ? "" : "s", why));
	for (units = 0;; units++) {
		struct die_iter it;
		struct hw_error *err = NULL;
		Dwarf_Error de = NULL;
		struct die cu = {.fi = fi}, die;
		unsigned unit_errors = 0;
		int res;

		if (units >= MAX_UNITS) {
			note_problem(dw, hw_error_create(HW_ERR_BAD_DATA, "%s: more than %d units",
							 path, MAX_UNITS));
			return NULL;
		}
		if (file_errors >= MAX_FILE_ERRORS) {
			note_problem(dw, hw_error_create(HW_ERR_BAD_DATA,
							 "%s: %lu damaged DIEs or units, the rest "
							 "(from unit %u) skipped",
							 path, file_errors, units));
			return NULL;
		}
		res = compat_next_cu(dw->file[fi].dbg, &cu.d, &de);
		if (res == DW_DLV_ERROR) {
			note_problem(
			    dw, dw_error(dw, fi, de, "%s: reading header of unit %u", path, units));
			return NULL;
		}
		if (res != DW_DLV_OK)
			return NULL;
		if (!cu.d)
			continue;
		if (!hw_dwscan_die_ok(dw->file[fi].scan, die_off(dw, cu))) {
			/* noted above, with the first one's reason */
			die_release(&cu);
			continue;
		}
		iter_init(&it, cu, MAX_TOP_DIES);
		it.budget = false;
		for (;;) {
			err = iter_next(dw, &it, &die);
			if (err || !die.d)
				break;
			if (++*total > MAX_TOP_DIES) {
				err = hw_error_create(HW_ERR_BAD_DATA,
						      "more than %d top-level DIEs", MAX_TOP_DIES);
				break;
			}
			err = index_die(dw, die);
			if (err && err->code != HW_ERR_NOMEM) {
				/* One bad DIE costs only itself, up to a point. */
				note_problem(dw, hw_error_context(err, "%s: unit %u", path, units));
				err = NULL;
				file_errors++;
				if (++unit_errors >= MAX_UNIT_ERRORS) {
					err = hw_error_create(HW_ERR_BAD_DATA,
							      "%u damaged DIEs, the rest of the "
							      "unit skipped",
							      unit_errors);
					break;
				}
			}
			if (err)
				break;
		}
		iter_end(&it);
		die_release(&cu);
		if (err && err->code == HW_ERR_NOMEM)
			return err;
		if (err) {
			note_problem(dw, hw_error_context(err, "%s: unit %u", path, units));
			file_errors++;
		}
		if (*total > MAX_TOP_DIES)
			return NULL;
	}
}

/*
 * One pass over all units of the debug file, then of the dwz file, indexing
 * top-level types and variables (the first of each kind and name wins).
 * DWARF damage costs the DIE or unit concerned and is remembered in
 * index_problem; only running out of memory is an error.
 */
static struct hw_error *build_index(struct hw_dwarf *dw)
{
	unsigned long total = 0;
	unsigned fi;

	if (dw->indexed)
		return NULL;
	for (fi = 0; fi < NFILES; fi++) {
		struct hw_error *err;

		if (!dw->file[fi].dbg)
			continue;
		err = index_file(dw, fi, &total);
		if (err)
			return err;
	}
	dw->indexed = true;
	return NULL;
}

struct hw_error *hw_dwarf_index(struct hw_dwarf *dw)
{
	return build_index(dw);
}

/*
 * Start a query for the @what @name: *ret is its index entry, which has
 * one of the kinds @kinds (HAS_*); the error says why there is none.
 */
static struct hw_error *lookup(struct hw_dwarf *dw, const char *what, const char *name,
			       unsigned kinds, struct name_entry **ret)
{
	struct printable p;
	struct hw_error *err = build_index(dw);

	if (err)
		return err;
	dw->steps = 0;
	*ret = index_find(&dw->idx, name);
	if (*ret && ((*ret)->has & kinds))
		return NULL;
	if (dw->index_problem)
		return hw_error_create(
		    HW_ERR_DWARF, "%s '%s' not found in %s (index incomplete, %lu problem%s: %s)",
		    what, printable(&p, name), dw->file[MAIN].path, dw->problems,
		    dw->problems == 1 ? "" : "s", dw->index_problem);
	return hw_error_create(HW_ERR_LOOKUP, "%s '%s' not found in %s", what, printable(&p, name),
			       dw->file[MAIN].path);
}

/* ---- types ---- */

static bool is_alias_tag(Dwarf_Half tag)
{
	switch (tag) {
	case DW_TAG_typedef:
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_restrict_type:
	case DW_TAG_atomic_type:
		return true;
	default:
		return false;
	}
}

static bool is_record_tag(Dwarf_Half tag)
{
	return tag == DW_TAG_structure_type || tag == DW_TAG_union_type || tag == DW_TAG_class_type;
}

/* The DIE @die's DW_AT_type names (caller owns); ret->d NULL when it has none (void). */
static struct hw_error *die_type(struct hw_dwarf *dw, struct die die, struct die *ret)
{
	struct ref r = {0};
	bool present = false;
	struct hw_error *err = die_ref(dw, die, DW_AT_type, &present, &r);

	ret->d = NULL;
	if (err || !present)
		return err;
	return die_at(dw, r, ret);
}

/*
 * Follow typedefs and qualifiers from @die (consumed; die.d NULL: void).
 * *ret is the underlying type (caller owns) with its tag, or ret->d NULL
 * for void.
 */
static struct hw_error *strip_type(struct hw_dwarf *dw, struct die die, struct die *ret,
				   Dwarf_Half *tag_ret)
{
	unsigned i;

	for (i = 0;; i++) {
		struct hw_error *err;
		struct die next = {0};
		Dwarf_Half tag = 0;

		if (!die.d) {
			ret->d = NULL;
			*tag_ret = 0;
			return NULL;
		}
		err = die_tag(dw, die, &tag);
		if (!err && !is_alias_tag(tag)) {
			*ret = die;
			*tag_ret = tag;
			return NULL;
		}
		if (!err && i >= MAX_TYPE_CHAIN)
			err = hw_error_create(
			    HW_ERR_BAD_DATA,
			    "more than %d typedefs/qualifiers in a row at DIE 0x%llx",
			    MAX_TYPE_CHAIN, die_off(dw, die));
		if (!err)
			err = die_type(dw, die, &next);
		die_release(&die);
		if (err)
			return err;
		die = next;
	}
}

/* The type of @die's DW_AT_type, stripped (see strip_type); ret->d NULL for void. */
static struct hw_error *type_of(struct hw_dwarf *dw, struct die die, struct die *ret,
				Dwarf_Half *tag_ret)
{
	struct die t = {0};
	struct hw_error *err = die_type(dw, die, &t);

	return err ? err : strip_type(dw, t, ret, tag_ret);
}

/*
 * @die (consumed) is a struct/union/class DIE. If it is only a declaration,
 * *ret is the definition with the same tag name from another unit.
 */
static struct hw_error *complete_record(struct hw_dwarf *dw, struct die die, struct die *ret)
{
	struct hw_error *err;
	struct name_entry *e = NULL;
	struct printable p;
	const char *name = NULL;
	Dwarf_Half tag = 0;
	bool decl = false;

	err = die_flag(dw, die, DW_AT_declaration, &decl);
	if (err || !decl) {
		if (err)
			die_release(&die);
		else
			*ret = die;
		return err;
	}
	err = die_name(dw, die, &name);
	if (!err && !name)
		err = hw_error_create(HW_ERR_LOOKUP, "DIE 0x%llx: anonymous incomplete type",
				      die_off(dw, die));
	if (!err) {
		err = build_index(dw);
		e = err ? NULL : index_find(&dw->idx, name);
		if (!err && (!e || !(e->has & HAS_TAG)))
			err = hw_error_create(HW_ERR_LOOKUP,
					      "'%s' is declared but never defined in %s",
					      printable(&p, name), dw->file[MAIN].path);
	}
	die_release(&die);
	if (err)
		return err;
	err = die_at(dw, e->tag, &die);
	if (err)
		return err;
	err = die_tag(dw, die, &tag);
	if (!err && !is_record_tag(tag))
		err = hw_error_create(HW_ERR_BAD_DATA, "DIE 0x%llx is not a struct or union",
				      die_off(dw, die));
	if (err) {
		die_release(&die);
		return err;
	}
	*ret = die;
	return NULL;
}

static struct hw_error *byte_size(struct hw_dwarf *dw, struct die die, bool *present, uint64_t *ret)
{
	enum konst k = K_ABSENT;
	struct hw_error *err = die_const(dw, die, DW_AT_byte_size, &k, ret);

	if (err)
		return err;
	if (k == K_NEGATIVE || k == K_NOT_CONSTANT)
		return hw_error_create(HW_ERR_UNSUPPORTED, "DIE 0x%llx: non-constant byte size",
				       die_off(dw, die));
	*present = k == K_VALUE;
	return NULL;
}

static struct hw_error *type_size(struct hw_dwarf *dw, struct die die, Dwarf_Half tag,
				  unsigned depth, uint64_t *size_ret, uint64_t *count_ret);

/* Element count of one DW_TAG_subrange_type; 0 when unknown (flexible or variable length). */
static struct hw_error *subrange_count(struct hw_dwarf *dw, struct die sub, uint64_t *ret)
{
	struct hw_error *err;
	enum konst k = K_ABSENT, kl = K_ABSENT;
	uint64_t v = 0, lower = 0;

	err = die_const(dw, sub, DW_AT_count, &k, &v);
	if (err)
		return err;
	if (k == K_VALUE) {
		*ret = v;
		return NULL;
	}
	err = die_const(dw, sub, DW_AT_upper_bound, &k, &v);
	if (!err)
		err = die_const(dw, sub, DW_AT_lower_bound, &kl, &lower);
	if (err)
		return err;
	if (kl != K_VALUE)
		lower = 0; /* C's default */
	if (k != K_VALUE || v < lower || v - lower == UINT64_MAX)
		*ret = 0;
	else
		*ret = v - lower + 1;
	return NULL;
}

static struct hw_error *array_size(struct hw_dwarf *dw, struct die die, unsigned depth,
				   uint64_t *size_ret, uint64_t *count_ret)
{
	struct hw_error *err;
	struct die_iter it;
	struct die elem = {0}, child;
	Dwarf_Half etag = 0;
	uint64_t esize = 0, total = 1, first = 0, own = 0;
	unsigned dims = 0;
	bool has_own = false;

	err = byte_size(dw, die, &has_own, &own);
	if (err)
		return err;
	err = type_of(dw, die, &elem, &etag);
	if (err)
		return err;
	if (!elem.d)
		return hw_error_create(HW_ERR_BAD_DATA, "array DIE 0x%llx has no element type",
				       die_off(dw, die));
	err = type_size(dw, elem, etag, depth + 1, &esize, NULL);
	die_release(&elem);
	if (err)
		return err;
	iter_init(&it, die, MAX_CHILDREN);
	for (;;) {
		uint64_t n = 0;

		err = iter_next_tagged(dw, &it, DW_TAG_subrange_type, &child);
		if (err || !child.d)
			break;
		err = subrange_count(dw, child, &n);
		if (err)
			break;
		if (!dims)
			first = n;
		dims++;
		if (n && total > UINT64_MAX / n) {
			err = hw_error_create(HW_ERR_BAD_DATA, "array DIE 0x%llx: size overflows",
					      die_off(dw, die));
			break;
		}
		total *= n;
	}
	iter_end(&it);
	if (err)
		return err;
	if (!dims)
		total = 0;
	if (has_own) {
		*size_ret = own;
	} else {
		if (esize && total > UINT64_MAX / esize)
			return hw_error_create(HW_ERR_BAD_DATA, "array DIE 0x%llx: size overflows",
					       die_off(dw, die));
		*size_ret = esize * total;
	}
	*count_ret = dims == 1 ? first : 0;
	return NULL;
}

/*
 * Byte size of the stripped type @die with tag @tag (die.d NULL: void, 0
 * bytes); *count_ret (may be NULL) gets the element count of a 1-D array,
 * else 0.
 */
static struct hw_error *type_size(struct hw_dwarf *dw, struct die die, Dwarf_Half tag,
				  unsigned depth, uint64_t *size_ret, uint64_t *count_ret)
{
	struct hw_error *err;
	uint64_t size = 0, count = 0;
	bool present = false;

	if (depth > MAX_TYPE_DEPTH)
		return hw_error_create(HW_ERR_BAD_DATA, "types nested deeper than %d at DIE 0x%llx",
				       MAX_TYPE_DEPTH, die.d ? die_off(dw, die) : 0);
	if (!die.d) {
		size = 0;
	} else if (tag == DW_TAG_array_type) {
		err = array_size(dw, die, depth, &size, &count);
		if (err)
			return err;
	} else if (is_record_tag(tag)) {
		struct die def = {0};
		bool decl = false;

		err = die_flag(dw, die, DW_AT_declaration, &decl);
		if (!err && decl) {
			/* complete_record consumes its argument: give it a copy. */
			err = die_at(dw, ref_of(dw, die), &def);
			if (!err)
				err = complete_record(dw, def, &def);
		}
		if (err)
			return err;
		err = byte_size(dw, def.d ? def : die, &present, &size);
		if (!err && !present)
			err = hw_error_create(HW_ERR_BAD_DATA, "struct DIE 0x%llx has no size",
					      die_off(dw, def.d ? def : die));
		die_release(&def);
		if (err)
			return err;
	} else if (tag == DW_TAG_subroutine_type) {
		size = 0;
	} else {
		err = byte_size(dw, die, &present, &size);
		if (err)
			return err;
		if (!present && (tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type ||
				 tag == DW_TAG_rvalue_reference_type)) {
			Dwarf_Error de = NULL;
			Dwarf_Half as = 0;

			if (dwarf_get_die_address_size(die.d, &as, &de) != DW_DLV_OK)
				return dw_error(dw, die.fi, de, "reading address size");
			size = as;
			present = true;
		}
		if (!present)
			return hw_error_create(HW_ERR_UNSUPPORTED,
					       "type DIE 0x%llx (tag 0x%x) has no byte size",
					       die_off(dw, die), tag);
	}
	*size_ret = size;
	if (count_ret)
		*count_ret = count;
	return NULL;
}

/* Offset of member @die within its struct (0 for union members). */
static struct hw_error *member_offset(struct hw_dwarf *dw, struct die die, uint64_t *ret)
{
	struct hw_error *err;
	enum konst k = K_ABSENT;
	enum expr_kind ek = E_ABSENT;
	struct expr e;
	uint64_t v = 0, pos = 0;

	err = die_const(dw, die, DW_AT_data_member_location, &k, &v);
	if (err)
		return err;
	if (k == K_ABSENT || k == K_VALUE) {
		*ret = k == K_VALUE ? v : 0;
		return NULL;
	}
	if (k == K_NEGATIVE)
		return hw_error_create(HW_ERR_BAD_DATA, "member DIE 0x%llx: negative offset",
				       die_off(dw, die));
	/* Older producers: a location expression DW_OP_plus_uconst N. */
	err = die_expr(dw, die, DW_AT_data_member_location, &ek, &e);
	if (err)
		return err;
	if (ek == E_ABSENT)
		return hw_error_create(HW_ERR_BAD_DATA, "member DIE 0x%llx: location vanished",
				       die_off(dw, die));
	if (ek == E_EXPR && e.len >= 2 && e.p[0] == DW_OP_plus_uconst) {
		pos = 1;
		if (read_uleb(e.p, e.len, &pos, &v) && pos == e.len) {
			expr_release(&e);
			*ret = v;
			return NULL;
		}
	}
	expr_release(&e);
	return hw_error_create(HW_ERR_UNSUPPORTED,
			       "member DIE 0x%llx: location is not a constant offset",
			       die_off(dw, die));
}

/*
 * Find member @name of the complete struct/union @sdie, looking into
 * anonymous struct/union members too. mret->d is the member DIE (caller
 * owns) or NULL; *off_ret its offset within @sdie.
 */
static struct hw_error *find_member(struct hw_dwarf *dw, struct die sdie, const char *name,
				    unsigned depth, struct die *mret, uint64_t *off_ret)
{
	struct hw_error *err;
	struct die_iter it;
	struct die child;

	mret->d = NULL;
	iter_init(&it, sdie, MAX_CHILDREN);
	for (;;) {
		const char *mname = NULL;
		struct die sub = {0}, inner = {0};
		Dwarf_Half tag = 0;
		uint64_t off = 0, ioff = 0;

		err = iter_next_tagged(dw, &it, DW_TAG_member, &child);
		if (err || !child.d)
			break;
		err = die_name(dw, child, &mname);
		if (err)
			break;
		if (mname) {
			if (strcmp(mname, name))
				continue;
			err = member_offset(dw, child, &off);
			if (err)
				break;
			*mret = iter_take(&it);
			*off_ret = off;
			break;
		}
		if (depth >= MAX_ANON_DEPTH)
			continue;
		err = type_of(dw, child, &sub, &tag);
		if (err)
			break;
		if (!sub.d)
			continue;
		if (!is_record_tag(tag)) {
			die_release(&sub);
			continue;
		}
		err = complete_record(dw, sub, &sub);
		if (err)
			break;
		err = find_member(dw, sub, name, depth + 1, &inner, &ioff);
		die_release(&sub);
		if (err)
			break;
		if (!inner.d)
			continue;
		err = member_offset(dw, child, &off);
		if (!err && off > UINT64_MAX - ioff)
			err =
			    hw_error_create(HW_ERR_BAD_DATA, "member DIE 0x%llx: offset overflows",
					    die_off(dw, inner));
		if (err) {
			die_release(&inner);
			break;
		}
		*mret = inner;
		*off_ret = off + ioff;
		break;
	}
	iter_end(&it);
	return err;
}

/* Resolve the dotted member path m->name inside the complete record @sdie of size @ssize. */
static struct hw_error *resolve_member(struct hw_dwarf *dw, struct die sdie, uint64_t ssize,
				       struct hw_dwarf_member *m)
{
	struct hw_error *err = NULL;
	struct printable p;
	struct die cur = sdie, owned = {0}, mdie = {0};
	char buf[MAX_PATH_LEN];
	char *comp, *next;
	uint64_t total = 0;
	unsigned depth;
	size_t len;

	m->found = false;
	m->offset = m->size = m->count = 0;
	if (!m->name)
		return hw_error_create(HW_ERR_INVALID_ARG, "member without a name");
	len = strlen(m->name);
	if (len == 0 || len >= sizeof(buf))
		return NULL;
	memcpy(buf, m->name, len + 1);
	for (comp = buf, depth = 0; comp; comp = next, depth++) {
		struct die t = {0};
		Dwarf_Half tag = 0;
		uint64_t off = 0;

		next = strchr(comp, '.');
		if (next)
			*next++ = '\0';
		if (!*comp || depth >= MAX_PATH_DEPTH)
			break;
		err = find_member(dw, cur, comp, 0, &mdie, &off);
		if (err || !mdie.d)
			break;
		if (off > UINT64_MAX - total) {
			err = hw_error_create(HW_ERR_BAD_DATA, "member '%s': offset overflows",
					      printable(&p, m->name));
			break;
		}
		total += off;
		err = type_of(dw, mdie, &t, &tag);
		if (err)
			break;
		if (!next) {
			err = type_size(dw, t, tag, 0, &m->size, &m->count);
			die_release(&t);
			if (err)
				break;
			if (m->size > ssize || total > ssize - m->size) {
				err = hw_error_create(
				    HW_ERR_BAD_DATA,
				    "member '%s' (offset %llu, size %llu) lies "
				    "outside its struct (size %llu)",
				    printable(&p, m->name), (unsigned long long)total,
				    (unsigned long long)m->size, (unsigned long long)ssize);
				break;
			}
			m->found = true;
			m->offset = total;
			break;
		}
		if (!t.d)
			break;
		if (!is_record_tag(tag)) {
			die_release(&t);
			break;
		}
		err = complete_record(dw, t, &t);
		if (err)
			break;
		die_release(&owned);
		owned = cur = t;
		die_release(&mdie);
	}
	die_release(&mdie);
	die_release(&owned);
	if (err)
		m->found = false;
	return err;
}

struct hw_error *hw_dwarf_struct(struct hw_dwarf *dw, const char *name, uint64_t *size_ret,
				 struct hw_dwarf_member *members, size_t nmembers)
{
	struct hw_dwarf_member *tmp = NULL;
	struct hw_error *err;
	struct name_entry *e;
	struct printable p;
	struct die die = {0};
	Dwarf_Half tag = 0;
	uint64_t size = 0;
	bool present = false;
	size_t i;

	if (!dw || !name || (nmembers && !members))
		return hw_error_create(HW_ERR_INVALID_ARG, "hw_dwarf_struct: bad arguments");
	err = lookup(dw, "struct", name, HAS_TAG | HAS_TYPEDEF, &e);
	if (err)
		return err;
	err = die_at(dw, (e->has & HAS_TAG) ? e->tag : e->tdef, &die);
	if (!err)
		err = strip_type(dw, die, &die, &tag);
	if (!err && (!die.d || !is_record_tag(tag))) {
		die_release(&die);
		return hw_error_create(HW_ERR_LOOKUP, "'%s' in %s is not a struct or union",
				       printable(&p, name), dw->file[MAIN].path);
	}
	if (!err)
		err = complete_record(dw, die, &die);
	if (err)
		goto fail_nodie;
	err = byte_size(dw, die, &present, &size);
	if (!err && !present)
		err = hw_error_create(HW_ERR_BAD_DATA, "DIE 0x%llx has no byte size",
				      die_off(dw, die));
	if (err)
		goto fail;
	if (nmembers) {
		tmp = calloc(nmembers, sizeof(*tmp));
		if (!tmp) {
			err = hw_error_nomem();
			goto fail;
		}
	}
	for (i = 0; i < nmembers; i++) {
		tmp[i].name = members[i].name;
		err = resolve_member(dw, die, size, &tmp[i]);
		if (err) {
			err = hw_error_context(err, "member '%s'", printable(&p, members[i].name));
			goto fail;
		}
	}
	die_release(&die);
	for (i = 0; i < nmembers; i++)
		members[i] = tmp[i];
	free(tmp);
	if (size_ret)
		*size_ret = size;
	return NULL;
fail:
	die_release(&die);
	free(tmp);
fail_nodie:
	return hw_error_context(err, "reading struct '%s' from %s", printable(&p, name),
				dw->file[MAIN].path);
}

/* ---- variables ---- */

static struct hw_error *var_address(struct hw_dwarf *dw, struct die die, uint64_t *ret)
{
	struct hw_error *err;
	Dwarf_Error de = NULL;
	Dwarf_Half as = 0;
	enum expr_kind ek = E_ABSENT;
	struct expr e;
	uint64_t v = 0, pos = 1;
	unsigned i;

	err = die_expr(dw, die, DW_AT_location, &ek, &e);
	if (err)
		return err;
	if (ek == E_ABSENT)
		return hw_error_create(HW_ERR_LOOKUP, "DIE 0x%llx has no location",
				       die_off(dw, die));
	if (ek != E_EXPR)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "DIE 0x%llx: location list, not a static address",
				       die_off(dw, die));
	if (e.len >= 1 && e.p[0] == DW_OP_addr) {
		if (dwarf_get_die_address_size(die.d, &as, &de) != DW_DLV_OK) {
			expr_release(&e);
			return dw_error(dw, die.fi, de, "reading address size");
		}
		if ((as != 4 && as != 8) || e.len != 1u + as) {
			expr_release(&e);
			return hw_error_create(HW_ERR_UNSUPPORTED,
					       "DIE 0x%llx: location is not a plain address",
					       die_off(dw, die));
		}
		for (i = 0; i < as; i++) {
			unsigned b = dw->file[die.fi].big_endian ? i : as - 1 - i;

			v = v << 8 | e.p[1 + b];
		}
		expr_release(&e);
		*ret = v;
		return NULL;
	}
	if (e.len >= 2 && (e.p[0] == DW_OP_addrx || e.p[0] == DW_OP_GNU_addr_index)) {
		uint64_t index = 0;
		Dwarf_Addr addr = 0;

		if (read_uleb(e.p, e.len, &pos, &index) && pos == e.len) {
			expr_release(&e);
			if (dwarf_debug_addr_index_to_addr(die.d, index, &addr, &de) != DW_DLV_OK)
				return dw_error(dw, die.fi, de, "reading address index %llu",
						(unsigned long long)index);
			*ret = addr;
			return NULL;
		}
	}
	expr_release(&e);
	return hw_error_create(HW_ERR_UNSUPPORTED,
			       "DIE 0x%llx: location is not a static address (e.g. thread-local)",
			       die_off(dw, die));
}

struct hw_error *hw_dwarf_variable(struct hw_dwarf *dw, const char *name, uint64_t *addr_ret)
{
	struct hw_error *err;
	struct name_entry *e;
	struct printable p;
	struct die die = {0};
	uint64_t addr = 0;

	if (!dw || !name || !addr_ret)
		return hw_error_create(HW_ERR_INVALID_ARG, "hw_dwarf_variable: bad arguments");
	err = lookup(dw, "variable", name, HAS_VAR, &e);
	if (err)
		return err;
	err = die_at(dw, e->var, &die);
	if (!err) {
		err = var_address(dw, die, &addr);
		die_release(&die);
	}
	if (err)
		return hw_error_context(err, "reading variable '%s' from %s", printable(&p, name),
					dw->file[MAIN].path);
	*addr_ret = addr;
	return NULL;
}

/* ---- opening files ---- */

const char *hw_dwarf_path(const struct hw_dwarf *dw)
{
	return dw ? dw->file[MAIN].path : NULL;
}

static void file_close(struct dwfile *f)
{
	if (f->dbg)
		hw_dwobj_finish(f->dbg);
	hw_dwscan_destroy(f->scan);
	hw_dwobj_close(f->obj);
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

void hw_dwarf_close(struct hw_dwarf *dw)
{
	unsigned fi;

	if (!dw)
		return;
	for (fi = 0; fi < NFILES; fi++)
		file_close(&dw->file[fi]);
	index_free(&dw->idx);
	free(dw->alt_problem);
	free(dw->index_problem);
	free(dw);
}

static bool has_section(Dwarf_Debug dbg, const char *name)
{
	Dwarf_Error de = NULL;
	Dwarf_Addr addr = 0;
	Dwarf_Unsigned size = 0;
	int res = dwarf_get_section_info_by_name(dbg, name, &addr, &size, &de);

	if (res == DW_DLV_ERROR)
		dwarf_dealloc(dbg, de, DW_DLA_ERROR);
	return res == DW_DLV_OK && size > 0;
}

/* Check the DIE streams of @f's units before libdwarf walks any (dwscan.h). */
static struct hw_error *scan_file(struct dwfile *f)
{
	const uint8_t *info, *abbrev;
	uint64_t info_size, abbrev_size;

	hw_dwobj_section(f->obj, ".debug_info", &info, &info_size);
	hw_dwobj_section(f->obj, ".debug_abbrev", &abbrev, &abbrev_size);
	return hw_dwscan_build(info, info_size, abbrev, abbrev_size, hw_dwobj_big_endian(f->obj),
			       &f->scan);
}

/*
 * Open @path for DWARF reading into @f (closed again on failure).
 * HW_ERR_NO_DEBUGINFO if it is an ELF file without .debug_info.
 */
static struct hw_error *file_open(const char *path, struct dwfile *f)
{
	unsigned char ident[EI_NIDENT];
	struct hw_error *err = NULL;
	Dwarf_Error de = NULL;
	ssize_t n;
	int res;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->path = strdup(path);
	if (!f->path) {
		err = hw_error_nomem();
		goto fail;
	}
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		err = hw_error_os(errno, "cannot open %s", path);
		goto fail;
	}
	n = pread(f->fd, ident, sizeof(ident), 0);
	if (n < 0) {
		err = hw_error_os(errno, "cannot read %s", path);
		goto fail;
	}
	if (n != (ssize_t)sizeof(ident) || memcmp(ident, ELFMAG, SELFMAG) ||
	    (ident[EI_DATA] != ELFDATA2LSB && ident[EI_DATA] != ELFDATA2MSB)) {
		err = hw_error_create(HW_ERR_BAD_DATA, "%s is not an ELF file", path);
		goto fail;
	}
	f->big_endian = ident[EI_DATA] == ELFDATA2MSB;
	err = hw_dwobj_open(f->fd, path, &f->obj);
	if (err)
		goto fail;
	res = hw_dwobj_init(f->obj, &f->dbg, &de);
	if (res == DW_DLV_ERROR) {
		f->dbg = NULL;
		err = dw_error(NULL, MAIN, de, "cannot read DWARF of %s", path);
		goto fail;
	}
	if (res != DW_DLV_OK) {
		f->dbg = NULL;
		err = hw_error_create(HW_ERR_NO_DEBUGINFO, "no DWARF in %s", path);
		goto fail;
	}
	if (!has_section(f->dbg, ".debug_info")) {
		err = hw_error_create(HW_ERR_NO_DEBUGINFO, "no .debug_info in %s", path);
		goto fail;
	}
	err = scan_file(f);
	if (err)
		goto fail;
	return NULL;
fail:
	file_close(f);
	return err;
}

static void hex_encode(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/* A search among candidate files: the identity wanted and the paths tried so far. */
struct search {
	const uint8_t *build_id; /* NULL: any */
	size_t build_id_len;
	struct hw_sbuf tried;
};

static void note_tried(struct search *s, const char *path, const char *why)
{
	struct printable p;

	if (s->tried.len)
		hw_sbuf_puts(&s->tried, ", ");
	hw_sbuf_printf(&s->tried, "%s [%s]", printable(&p, path), why);
}

/*
 * Open the candidate @path into @f: *found=false (and the reason noted)
 * when its DWARF cannot be read; errors only for running out of memory.
 */
static struct hw_error *try_open(struct search *s, const char *path, struct dwfile *f, bool *found)
{
	struct hw_error *err = file_open(path, f);

	*found = !err;
	if (!err || err->code == HW_ERR_NOMEM)
		return err;
	note_tried(s, path, err->code == HW_ERR_NO_DEBUGINFO ? "no DWARF" : "unreadable DWARF");
	hw_error_destroy(err);
	return NULL;
}

/*
 * Check the candidate @path (identity, .debug_info) and open it into @f.
 * *found=false (and the reason noted) when it does not qualify; errors only
 * for running out of memory.
 */
static struct hw_error *try_candidate(struct search *s, const char *path, struct dwfile *f,
				      bool *found)
{
	struct hw_error *err;
	struct hw_elf *elf = NULL;
	const uint8_t *id;
	size_t id_len = 0;
	bool has_info;

	*found = false;
	err = hw_elf_open(path, &elf);
	if (err) {
		if (err->code == HW_ERR_NOMEM)
			return err;
		if (err->code == HW_ERR_OS)
			note_tried(s, path,
				   err->errnum == ENOENT ? "not found" : strerror(err->errnum));
		else
			note_tried(s, path, "not a valid ELF file");
		hw_error_destroy(err);
		return NULL;
	}
	id = hw_elf_build_id(elf, &id_len);
	if (s->build_id_len && id && id_len &&
	    (id_len != s->build_id_len || memcmp(id, s->build_id, id_len))) {
		note_tried(s, path, "build-id mismatch");
		hw_elf_close(elf);
		return NULL;
	}
	has_info = hw_elf_has_debug_info(elf);
	hw_elf_close(elf);
	if (!has_info) {
		note_tried(s, path, "no .debug_info");
		return NULL;
	}
	return try_open(s, path, f, found);
}

static struct hw_error *try_path(struct search *s, struct dwfile *f, bool *found, const char *fmt,
				 ...) __attribute__((format(printf, 4, 5)));

static struct hw_error *try_path(struct search *s, struct dwfile *f, bool *found, const char *fmt,
				 ...)
{
	struct hw_error *err;
	char *path = NULL;
	va_list ap;

	va_start(ap, fmt);
	err = hw_vformat(&path, fmt, ap);
	va_end(ap);
	if (!err) {
		err = try_candidate(s, path, f, found);
		free(path);
	}
	return err;
}

/* <root>/usr/lib/debug/.build-id/xx/yyyy.debug for the build-id of @s. */
static struct hw_error *try_build_id(struct search *s, const char *root, struct dwfile *f,
				     bool *found)
{
	char hex[2 * MAX_BUILD_ID_LEN + 1];

	*found = false;
	if (s->build_id_len < 2)
		return NULL;
	hex_encode(hex, s->build_id, s->build_id_len);
	return try_path(s, f, found, "%s/usr/lib/debug/.build-id/%.2s/%s.debug", root, hex,
			hex + 2);
}

/*
 * The debug file for the build-id of @s from the debuginfod servers, when
 * DEBUGINFOD_URLS is set (silently nothing otherwise). Checked like any
 * other candidate.
 */
static struct hw_error *try_debuginfod(struct search *s, struct dwfile *f, bool *found)
{
	struct hw_error *err;
	char *path = NULL, why[128];

	*found = false;
	if (!hw_debuginfod_wanted() || s->build_id_len < 2)
		return NULL;
	err = hw_debuginfod_find(s->build_id, s->build_id_len, &path, why, sizeof(why));
	if (err)
		return err;
	if (!path) {
		char hex[2 * MAX_BUILD_ID_LEN + 1];

		hex_encode(hex, s->build_id, s->build_id_len);
		if (s->tried.len)
			hw_sbuf_puts(&s->tried, ", ");
		hw_sbuf_printf(&s->tried, "debuginfod build-id %s [%s]", hex, why);
		return NULL;
	}
	err = try_candidate(s, path, f, found);
	free(path);
	return err;
}

/* The directory part of @path ("." if none, "/" for the root); caller frees. */
static char *dir_of(const char *path)
{
	char *dir = strdup(path), *slash;

	if (!dir)
		return NULL;
	slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	return dir;
}

/* A usable .gnu_debuglink name: one path component. */
static bool debuglink_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= MAX_DEBUGLINK_LEN && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..");
}

/*
 * The debuglink candidates. @exe_path is where the executable was opened;
 * its directory inside the sysroot (@root, "" for none) is used for the
 * /usr/lib/debug mirror.
 */
static struct hw_error *try_debuglink(struct search *s, const char *root, const char *exe_path,
				      const char *link, struct dwfile *f, bool *found)
{
	struct hw_error *err = NULL;
	char *dir, *abs = NULL;
	const char *inner, *d;
	size_t rlen = strlen(root);

	*found = false;
	dir = dir_of(exe_path);
	if (!dir)
		return hw_error_nomem();
	d = strcmp(dir, "/") ? dir : "";
	err = try_path(s, f, found, "%s/%s", d, link);
	if (!err && !*found)
		err = try_path(s, f, found, "%s/.debug/%s", d, link);
	if (err || *found)
		goto out;

	/* The executable's directory as seen inside the sysroot. */
	if (rlen && !strncmp(dir, root, rlen) && (dir[rlen] == '/' || !dir[rlen])) {
		inner = dir[rlen] ? dir + rlen : "/";
	} else if (dir[0] == '/') {
		inner = dir;
	} else {
		abs = realpath(dir, NULL);
		if (!abs)
			goto out;
		inner = abs;
	}
	err = try_path(s, f, found, "%s/usr/lib/debug%s/%s", root, strcmp(inner, "/") ? inner : "",
		       link);
out:
	free(abs);
	free(dir);
	return err;
}

/*
 * The contents of .gnu_debugaltlink of @f: the dwz file's path and
 * build-id. *path_ret = NULL if there is none (or it is malformed, which
 * then shows up as unresolvable references).
 */
static struct hw_error *read_altlink(struct dwfile *f, char **path_ret, uint8_t *id, size_t *id_len)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx = 0, n = 0;

	*path_ret = NULL;
	*id_len = 0;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return hw_error_create(HW_ERR_ELF, "libelf: %s", elf_errmsg(-1));
	elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return NULL;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		goto out;
	while ((scn = elf_nextscn(elf, scn)) && n++ < 65536) {
		GElf_Shdr sh;
		Elf_Data *data;
		const char *name;
		size_t plen;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".gnu_debugaltlink"))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf || !data->d_size)
			break;
		plen = strnlen(data->d_buf, data->d_size);
		if (plen == 0 || plen >= data->d_size || plen >= PATH_MAX ||
		    data->d_size - plen - 1 > MAX_BUILD_ID_LEN)
			break;
		*path_ret = strdup(data->d_buf);
		if (!*path_ret) {
			elf_end(elf);
			return hw_error_nomem();
		}
		*id_len = data->d_size - plen - 1;
		memcpy(id, (const char *)data->d_buf + plen + 1, *id_len);
		break;
	}
out:
	elf_end(elf);
	return NULL;
}

/*
 * Open the dwz supplementary file the debug file links to, if any: the
 * .gnu_debugaltlink path (under @root if absolute, else beside the debug
 * file), then the build-id tree. Not finding it is not an error here;
 * alt_problem says why, and queries needing it fail with that.
 */
static struct hw_error *open_alt(struct hw_dwarf *dw, const char *root)
{
	struct hw_error *err;
	struct search s;
	uint8_t id[MAX_BUILD_ID_LEN];
	char *link = NULL, *dir = NULL;
	bool found = false;

	err = read_altlink(&dw->file[MAIN], &link, id, &s.build_id_len);
	if (err || !link)
		return err;
	s.build_id = id;
	hw_sbuf_init(&s.tried);
	if (link[0] == '/') {
		err = try_path(&s, &dw->file[ALT], &found, "%s%s", root, link);
	} else {
		dir = dir_of(dw->file[MAIN].path);
		err = dir ? try_path(&s, &dw->file[ALT], &found, "%s/%s", dir, link)
			  : hw_error_nomem();
	}
	if (!err && !found)
		err = try_build_id(&s, root, &dw->file[ALT], &found);
	if (!err && !found)
		err = try_debuginfod(&s, &dw->file[ALT], &found);
	if (!err && !found) {
		struct printable p;

		err = hw_sbuf_error(&s.tried);
		if (!err && asprintf(&dw->alt_problem, "dwz file %s not found (tried: %s)",
				     printable(&p, link), hw_sbuf_str(&s.tried)) < 0) {
			dw->alt_problem = NULL;
			err = hw_error_nomem();
		}
	}
	hw_sbuf_deinit(&s.tried);
	free(dir);
	free(link);
	return err;
}

/* A hw_dwarf reading the open debug file @f (taken over: *f is left closed) and its dwz file. */
static struct hw_error *dwarf_create(struct dwfile *f, const char *root, struct hw_dwarf **ret)
{
	struct hw_error *err;
	struct hw_dwarf *dw;

	dw = calloc(1, sizeof(*dw));
	if (!dw) {
		file_close(f);
		return hw_error_nomem();
	}
	dw->file[MAIN] = *f;
	dw->file[ALT].fd = -1;
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	err = open_alt(dw, root);
	if (err) {
		hw_dwarf_close(dw);
		return err;
	}
	*ret = dw;
	return NULL;
}

static struct hw_error *dwarf_open(const char *path, const char *root, struct hw_dwarf **ret)
{
	struct dwfile f;
	struct hw_error *err = file_open(path, &f);

	return err ? err : dwarf_create(&f, root, ret);
}

/* An explicitly given debug file: it must have DWARF and match the executable. */
static struct hw_error *open_explicit(const struct hw_elf *exe, const char *root,
				      const char *debug_file, struct hw_dwarf **ret)
{
	struct hw_error *err = NULL;
	struct hw_elf *elf = NULL;
	const uint8_t *want, *have;
	size_t want_len = 0, have_len = 0;
	char w[2 * MAX_BUILD_ID_LEN + 1], h[2 * MAX_BUILD_ID_LEN + 1];

	want = exe ? hw_elf_build_id(exe, &want_len) : NULL;
	if (want && want_len && want_len <= MAX_BUILD_ID_LEN) {
		err = hw_elf_open(debug_file, &elf);
		if (err)
			return err;
		have = hw_elf_build_id(elf, &have_len);
		if (have && have_len && have_len <= MAX_BUILD_ID_LEN &&
		    (have_len != want_len || memcmp(have, want, want_len))) {
			struct printable p;

			hex_encode(w, want, want_len);
			hex_encode(h, have, have_len);
			err = hw_error_create(HW_ERR_NO_DEBUGINFO,
					      "debug file %s (build-id %s) does not belong to %s "
					      "(build-id %s)",
					      debug_file, h, printable(&p, hw_elf_path(exe)), w);
		}
		hw_elf_close(elf);
		if (err)
			return err;
	}
	return dwarf_open(debug_file, root, ret);
}

struct hw_error *hw_dwarf_find(const struct hw_elf *exe, const char *sysroot,
			       const char *debug_file, struct hw_dwarf **ret)
{
	struct hw_error *err = NULL;
	struct hw_dwarf *dw = NULL;
	struct dwfile f;
	struct search s;
	const char *exe_path, *link;
	char *root;
	size_t rlen;
	bool found = false;

	if (!ret || (!exe && !debug_file))
		return hw_error_create(HW_ERR_INVALID_ARG,
				       "hw_dwarf_find: need an executable or a debug file");
	root = strdup(sysroot ? sysroot : "");
	if (!root)
		return hw_error_nomem();
	rlen = strlen(root);
	while (rlen && root[rlen - 1] == '/')
		root[--rlen] = '\0';
	if (debug_file) {
		err = open_explicit(exe, root, debug_file, ret);
		free(root);
		return err;
	}
	exe_path = hw_elf_path(exe);
	if (!exe_path) {
		free(root);
		return hw_error_create(HW_ERR_INVALID_ARG, "hw_dwarf_find: executable has no path");
	}

	memset(&s, 0, sizeof(s));
	memset(&f, 0, sizeof(f));
	f.fd = -1;
	hw_sbuf_init(&s.tried);
	s.build_id = hw_elf_build_id(exe, &s.build_id_len);
	if (!s.build_id || s.build_id_len > MAX_BUILD_ID_LEN)
		s.build_id_len = 0;

	/* 1. The executable itself. */
	if (hw_elf_has_debug_info(exe))
		err = try_open(&s, exe_path, &f, &found);
	else
		note_tried(&s, exe_path, "no .debug_info");
	/* 2. The build-id tree. */
	if (!err && !found)
		err = try_build_id(&s, root, &f, &found);
	/* 3. .gnu_debuglink. */
	link = hw_elf_debuglink(exe);
	if (!err && !found && link && debuglink_ok(link))
		err = try_debuglink(&s, root, exe_path, link, &f, &found);
	/* 4. debuginfod, by build-id, when DEBUGINFOD_URLS is set. */
	if (!err && !found)
		err = try_debuginfod(&s, &f, &found);

	if (!err && !found) {
		struct printable p;

		err = hw_sbuf_error(&s.tried);
		if (!err)
			err =
			    hw_error_create(HW_ERR_NO_DEBUGINFO, "no debug info for %s (tried: %s)",
					    printable(&p, exe_path), hw_sbuf_str(&s.tried));
	}
	hw_sbuf_deinit(&s.tried);
	if (!err)
		err = dwarf_create(&f, root, &dw);
	file_close(&f);
	free(root);
	if (err)
		return err;
	*ret = dw;
	return NULL;
}
