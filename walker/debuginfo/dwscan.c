/* dwscan.c - a linear check of the DIE streams in .debug_info, before libdwarf walks them. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "heapwalk/error.h"
#include "dwscan.h"

#ifndef DW_FORM_GNU_addr_index
#define DW_FORM_GNU_addr_index 0x1f01
#endif
#ifndef DW_FORM_GNU_str_index
#define DW_FORM_GNU_str_index 0x1f02
#endif
#ifndef DW_FORM_GNU_ref_alt
#define DW_FORM_GNU_ref_alt 0x1f20
#endif
#ifndef DW_FORM_GNU_strp_alt
#define DW_FORM_GNU_strp_alt 0x1f21
#endif

/* Bound on abbreviation parsing: tables that overlap cost each unit the whole section. */
enum { ABBREV_WORK_FACTOR = 8 };

/* ---- reading ---- */

struct rd {
	const uint8_t *p;
	uint64_t pos, end;
	bool big_endian;
	bool bad; /* read past end, or an over-long LEB128 */
};

static uint64_t rd_u(struct rd *r, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	if (r->bad || r->end - r->pos < n) {
		r->bad = true;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)r->p[r->pos + (r->big_endian ? n - 1 - i : i)] << (8 * i);
	r->pos += n;
	return v;
}

static uint64_t rd_leb(struct rd *r, bool is_signed)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (!r->bad) {
		uint8_t b;

		if (r->pos >= r->end || shift >= 70) {
			r->bad = true;
			break;
		}
		b = r->p[r->pos++];
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (is_signed && shift < 64 && (b & 0x40))
				v |= ~(uint64_t)0 << shift;
			return v;
		}
	}
	return 0;
}

static void rd_skip(struct rd *r, uint64_t n)
{
	if (r->bad || r->end - r->pos < n)
		r->bad = true;
	else
		r->pos += n;
}

/* ---- abbreviation tables ---- */

struct attr_spec {
	uint16_t at, form;
};

struct abbrev {
	uint64_t code;
	bool children;
	uint32_t first, n; /* into table->attrs */
};

struct table {
	uint64_t off; /* in .debug_abbrev */
	bool ok;
	struct abbrev *abbrevs; /* sorted by code, codes unique */
	size_t nabbrevs;
	struct attr_spec *attrs;
	size_t nattrs;
};

static int abbrev_cmp(const void *a, const void *b)
{
	const struct abbrev *x = a, *y = b;

	return x->code < y->code ? -1 : x->code > y->code;
}

static bool grow(void **p, size_t *cap, size_t want, size_t size)
{
	size_t ncap = *cap ? *cap : 16;
	void *np;

	if (want <= *cap)
		return true;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2 / size)
			return false;
		ncap *= 2;
	}
	np = realloc(*p, ncap * size);
	if (!np)
		return false;
	*p = np;
	*cap = ncap;
	return true;
}

/*
 * Parse the table at @off. t->ok=false when it is malformed as libdwarf
 * might read it differently: unterminated, duplicate codes, children flags
 * other than 0/1, attributes or forms beyond 16 bits. *work counts bytes.
 */
static struct hw_error *parse_table(const uint8_t *abbrev, uint64_t size, uint64_t off,
				    uint64_t *work, struct table *t)
{
	struct rd r = {.p = abbrev, .pos = off, .end = size};
	size_t acap = 0, tcap = 0, i;

	memset(t, 0, sizeof(*t));
	t->off = off;
	if (off >= size)
		return NULL;
	for (;;) {
		struct abbrev a = {0};
		uint64_t code = rd_leb(&r, false), tag, children;

		if (r.bad)
			goto out;
		if (code == 0)
			break;
		tag = rd_leb(&r, false);
		children = rd_u(&r, 1);
		(void)tag;
		if (r.bad || children > 1)
			goto out;
		a.code = code;
		a.children = children == 1;
		a.first = (uint32_t)t->nattrs;
		for (;;) {
			uint64_t at = rd_leb(&r, false), form = rd_leb(&r, false);

			if (r.bad || at > 0xffff || form > 0xffff)
				goto out;
			if (at == 0 && form == 0)
				break;
			if (form == DW_FORM_implicit_const)
				rd_leb(&r, true);
			if (t->nattrs >= UINT32_MAX ||
			    !grow((void **)&t->attrs, &tcap, t->nattrs + 1, sizeof(*t->attrs)))
				return hw_error_nomem();
			t->attrs[t->nattrs].at = (uint16_t)at;
			t->attrs[t->nattrs].form = (uint16_t)form;
			t->nattrs++;
		}
		a.n = (uint32_t)t->nattrs - a.first;
		if (!grow((void **)&t->abbrevs, &acap, t->nabbrevs + 1, sizeof(*t->abbrevs)))
			return hw_error_nomem();
		t->abbrevs[t->nabbrevs++] = a;
	}
	if (t->nabbrevs > 1) /* qsort wants a non-NULL array */
		qsort(t->abbrevs, t->nabbrevs, sizeof(*t->abbrevs), abbrev_cmp);
	for (i = 1; i < t->nabbrevs; i++)
		if (t->abbrevs[i].code == t->abbrevs[i - 1].code)
			goto out;
	t->ok = true;
out:
	*work += r.pos - off;
	return NULL;
}

static const struct abbrev *find_abbrev(const struct table *t, uint64_t code)
{
	size_t lo = 0, hi = t->nabbrevs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->abbrevs[mid].code == code)
			return &t->abbrevs[mid];
		if (t->abbrevs[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- the scan ---- */

struct sibling {
	uint64_t die, target; /* unit-relative */
};

struct hw_dwscan {
	uint64_t size;
	uint8_t *die_bits;  /* a DIE of an accepted unit starts here */
	uint8_t *null_bits; /* a null entry of an accepted unit is here */
	unsigned long rejected;
	char why[192]; /* the first rejected unit's problem */
	/* while building */
	struct table *tables;
	size_t ntables, tcap;
	size_t *slots; /* open addressing over tables by offset: index + 1, 0 empty */
	size_t nslots; /* a power of two, at least twice ntables */
	struct sibling *sibs;
	size_t nsibs, scap;
};

static void set_bit(uint8_t *bits, uint64_t i)
{
	bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

static bool get_bit(const uint8_t *bits, uint64_t i)
{
	return bits[i / 8] >> (i % 8) & 1;
}

static void clear_bits(uint8_t *bits, uint64_t from, uint64_t to)
{
	for (; from < to && from % 8; from++)
		bits[from / 8] &= (uint8_t) ~(1u << (from % 8));
	if (to - from >= 8) {
		memset(bits + from / 8, 0, (to - from) / 8);
		from += (to - from) / 8 * 8;
	}
	for (; from < to; from++)
		bits[from / 8] &= (uint8_t) ~(1u << (from % 8));
}

static void reject(struct hw_dwscan *s, uint64_t unit, uint64_t from, uint64_t to, const char *fmt,
		   ...) __attribute__((format(printf, 5, 6)));

/* Reject the unit at @unit: forget its DIEs in [from, to); remember why if it is the first. */
static void reject(struct hw_dwscan *s, uint64_t unit, uint64_t from, uint64_t to, const char *fmt,
		   ...)
{
	va_list ap;
	int n;

	if (from < to) {
		clear_bits(s->die_bits, from, to);
		clear_bits(s->null_bits, from, to);
	}
	if (s->rejected++)
		return;
	n = snprintf(s->why, sizeof(s->why), "unit at 0x%llx: ", (unsigned long long)unit);
	if (n < 0 || (size_t)n >= sizeof(s->why))
		return;
	va_start(ap, fmt);
	vsnprintf(s->why + n, sizeof(s->why) - (size_t)n, fmt, ap);
	va_end(ap);
}

static size_t slot_of(uint64_t off, size_t nslots)
{
	return (size_t)((off * 0x9e3779b97f4a7c15ull) >> 20) & (nslots - 1);
}

/* Make room for one more table in the offset map. */
static bool slots_reserve(struct hw_dwscan *s)
{
	size_t n = s->nslots ? s->nslots : 64, i;
	size_t *ns;

	if ((s->ntables + 1) * 2 <= s->nslots)
		return true;
	while ((s->ntables + 1) * 2 > n) {
		if (n > SIZE_MAX / 2 / sizeof(*ns))
			return false;
		n *= 2;
	}
	ns = calloc(n, sizeof(*ns));
	if (!ns)
		return false;
	for (i = 0; i < s->ntables; i++) {
		size_t j = slot_of(s->tables[i].off, n);

		while (ns[j])
			j = (j + 1) & (n - 1);
		ns[j] = i + 1;
	}
	free(s->slots);
	s->slots = ns;
	s->nslots = n;
	return true;
}

/*
 * The table at @off, parsed once. NULL *ret when parsing would go over
 * budget: tables that overlap would make every unit cost the section.
 */
static struct hw_error *get_table(struct hw_dwscan *s, const uint8_t *abbrev, uint64_t size,
				  uint64_t off, uint64_t *work, const struct table **ret)
{
	struct hw_error *err;
	size_t j;

	*ret = NULL;
	if (s->nslots) {
		for (j = slot_of(off, s->nslots); s->slots[j]; j = (j + 1) & (s->nslots - 1))
			if (s->tables[s->slots[j] - 1].off == off) {
				*ret = &s->tables[s->slots[j] - 1];
				return NULL;
			}
	}
	if (*work > ABBREV_WORK_FACTOR * (size + 4096))
		return NULL;
	if (!slots_reserve(s) ||
	    !grow((void **)&s->tables, &s->tcap, s->ntables + 1, sizeof(*s->tables)))
		return hw_error_nomem();
	err = parse_table(abbrev, size, off, work, &s->tables[s->ntables]);
	if (err) {
		free(s->tables[s->ntables].abbrevs);
		free(s->tables[s->ntables].attrs);
		return err;
	}
	for (j = slot_of(off, s->nslots); s->slots[j]; j = (j + 1) & (s->nslots - 1))
		;
	s->slots[j] = ++s->ntables;
	*ret = &s->tables[s->ntables - 1];
	return NULL;
}

/*
 * Skip one attribute value of @form. *sib gets a DW_AT_sibling reference
 * (unit-relative) when @is_sibling and libdwarf would follow it. False
 * when the value cannot be decoded as libdwarf would.
 */
static bool skip_value(struct rd *r, unsigned form, unsigned version, unsigned addr_size,
		       unsigned offset_size, bool is_sibling, bool *has_sib, uint64_t *sib)
{
	uint64_t v = 0;

	switch (form) {
	case DW_FORM_addr:
		rd_skip(r, addr_size);
		break;
	case DW_FORM_block2:
		rd_skip(r, rd_u(r, 2));
		break;
	case DW_FORM_block4:
		rd_skip(r, rd_u(r, 4));
		break;
	case DW_FORM_block1:
		rd_skip(r, rd_u(r, 1));
		break;
	case DW_FORM_block:
	case DW_FORM_exprloc:
		rd_skip(r, rd_leb(r, false));
		break;
	case DW_FORM_data1:
	case DW_FORM_flag:
	case DW_FORM_strx1:
	case DW_FORM_addrx1:
		rd_skip(r, 1);
		break;
	case DW_FORM_data2:
	case DW_FORM_strx2:
	case DW_FORM_addrx2:
		rd_skip(r, 2);
		break;
	case DW_FORM_strx3:
	case DW_FORM_addrx3:
		rd_skip(r, 3);
		break;
	case DW_FORM_data4:
	case DW_FORM_ref_sup4:
	case DW_FORM_strx4:
	case DW_FORM_addrx4:
		rd_skip(r, 4);
		break;
	case DW_FORM_data8:
	case DW_FORM_ref_sig8:
	case DW_FORM_ref_sup8:
		rd_skip(r, 8);
		break;
	case DW_FORM_data16:
		rd_skip(r, 16);
		break;
	case DW_FORM_string:
		while (!r->bad && rd_u(r, 1) != 0)
			;
		break;
	case DW_FORM_sdata:
		rd_leb(r, true);
		break;
	case DW_FORM_udata:
	case DW_FORM_strx:
	case DW_FORM_addrx:
	case DW_FORM_loclistx:
	case DW_FORM_rnglistx:
	case DW_FORM_GNU_addr_index:
	case DW_FORM_GNU_str_index:
		rd_leb(r, false);
		break;
	case DW_FORM_strp:
	case DW_FORM_sec_offset:
	case DW_FORM_strp_sup:
	case DW_FORM_line_strp:
	case DW_FORM_GNU_ref_alt:
	case DW_FORM_GNU_strp_alt:
		rd_skip(r, offset_size);
		break;
	case DW_FORM_ref_addr: /* libdwarf does not follow it as a sibling */
		rd_skip(r, version == 2 ? addr_size : offset_size);
		break;
	case DW_FORM_flag_present:
	case DW_FORM_implicit_const:
		break;
	case DW_FORM_ref1:
	case DW_FORM_ref2:
	case DW_FORM_ref4:
	case DW_FORM_ref8:
	case DW_FORM_ref_udata:
		/* ref1, ref2, ref4 and ref8 are consecutive codes, of 1 << (code - ref1) bytes */
		v = form == DW_FORM_ref_udata ? rd_leb(r, false)
					      : rd_u(r, 1u << (form - DW_FORM_ref1));
		if (is_sibling) {
			*has_sib = true;
			*sib = v;
		}
		return !r->bad;
	default:
		return false;
	}
	/* libdwarf refuses a sibling of any other form */
	return !r->bad && !is_sibling;
}

/* Check the DIEs of the unit at @unit: header ends at @hdr, unit at @end. */
static struct hw_error *scan_unit(struct hw_dwscan *s, const uint8_t *info, bool big_endian,
				  uint64_t unit, uint64_t hdr, uint64_t end, unsigned version,
				  unsigned addr_size, unsigned offset_size, const struct table *t)
{
	struct rd r = {.p = info, .pos = hdr, .end = end, .big_endian = big_endian};
	unsigned long depth = 0;
	size_t i;

	s->nsibs = 0;
	while (r.pos < end) {
		uint64_t off = r.pos, code = rd_leb(&r, false), sib = 0;
		const struct abbrev *a;
		bool has_sib = false;
		uint32_t k;

		if (r.bad) {
			reject(s, unit, hdr, end, "DIE at 0x%llx: bad abbreviation code",
			       (unsigned long long)off);
			return NULL;
		}
		if (code == 0) {
			set_bit(s->null_bits, off);
			if (depth)
				depth--;
			continue;
		}
		a = find_abbrev(t, code);
		if (!a) {
			reject(s, unit, hdr, end, "DIE at 0x%llx: abbreviation %llu not defined",
			       (unsigned long long)off, (unsigned long long)code);
			return NULL;
		}
		set_bit(s->die_bits, off);
		for (k = 0; k < a->n; k++) {
			const struct attr_spec *as = &t->attrs[a->first + k];
			unsigned form = as->form;

			if (form == DW_FORM_indirect) {
				uint64_t f = rd_leb(&r, false);

				if (f == DW_FORM_indirect || f == DW_FORM_implicit_const ||
				    f > 0xffff)
					r.bad = true;
				form = (unsigned)f;
			}
			if (r.bad || !skip_value(&r, form, version, addr_size, offset_size,
						 as->at == DW_AT_sibling, &has_sib, &sib)) {
				reject(s, unit, hdr, end,
				       "DIE at 0x%llx: attribute 0x%x (form 0x%x) undecodable",
				       (unsigned long long)off, as->at, form);
				return NULL;
			}
		}
		if (has_sib) {
			if (!grow((void **)&s->sibs, &s->scap, s->nsibs + 1, sizeof(*s->sibs)))
				return hw_error_nomem();
			s->sibs[s->nsibs].die = off - unit;
			s->sibs[s->nsibs].target = sib;
			s->nsibs++;
		}
		if (a->children)
			depth++;
	}
	for (i = 0; i < s->nsibs; i++) {
		uint64_t d = s->sibs[i].die, tg = s->sibs[i].target;
		bool ok = tg > d && tg <= end - unit;

		if (ok && tg < end - unit)
			ok = get_bit(s->die_bits, unit + tg) || get_bit(s->null_bits, unit + tg);
		if (!ok) {
			reject(s, unit, hdr, end,
			       "DW_AT_sibling of DIE 0x%llx points %s 0x%llx, not at a later DIE",
			       (unsigned long long)(unit + d), tg <= d ? "back to" : "to",
			       (unsigned long long)(unit + tg));
			return NULL;
		}
	}
	return NULL;
}

struct hw_error *hw_dwscan_build(const uint8_t *info, uint64_t info_size, const uint8_t *abbrev,
				 uint64_t abbrev_size, bool big_endian, struct hw_dwscan **ret)
{
	struct hw_error *err = NULL;
	struct hw_dwscan *s;
	uint64_t pos = 0, work = 0, nbytes;
	size_t i;

	if (info_size > (uint64_t)SIZE_MAX / 2 - 16)
		return hw_error_nomem();
	s = calloc(1, sizeof(*s));
	if (!s)
		return hw_error_nomem();
	s->size = info_size;
	nbytes = info_size / 8 + 1;
	s->die_bits = calloc(2, (size_t)nbytes);
	if (!s->die_bits) {
		free(s);
		return hw_error_nomem();
	}
	s->null_bits = s->die_bits + nbytes;
	while (pos < info_size && !err) {
		struct rd r = {.p = info, .pos = pos, .end = info_size, .big_endian = big_endian};
		unsigned version, unit_type = DW_UT_compile, addr_size, offset_size = 4;
		uint64_t len = rd_u(&r, 4), end, abbrev_off;
		const struct table *t = NULL;

		if (len == 0xffffffffu) {
			len = rd_u(&r, 8);
			offset_size = 8;
		} else if (len >= 0xfffffff0u) {
			r.bad = true;
		}
		if (r.bad || len > info_size - r.pos) {
			reject(s, pos, 0, 0, "unit length 0x%llx runs past the section (0x%llx)",
			       (unsigned long long)len, (unsigned long long)info_size);
			break; /* no later unit can be found */
		}
		end = r.pos + len;
		r.end = end;
		version = (unsigned)rd_u(&r, 2);
		if (version >= 5) {
			unit_type = (unsigned)rd_u(&r, 1);
			addr_size = (unsigned)rd_u(&r, 1);
			abbrev_off = rd_u(&r, offset_size);
			if (unit_type == DW_UT_skeleton || unit_type == DW_UT_split_compile)
				rd_skip(&r, 8);
			else if (unit_type == DW_UT_type || unit_type == DW_UT_split_type)
				rd_skip(&r, 8 + offset_size);
			else if (unit_type != DW_UT_compile && unit_type != DW_UT_partial)
				r.bad = true;
		} else {
			abbrev_off = rd_u(&r, offset_size);
			addr_size = (unsigned)rd_u(&r, 1);
		}
		if (r.bad || version < 2 || version > 5 || (addr_size != 4 && addr_size != 8)) {
			reject(s, pos, 0, 0, "bad header (version %u, address size %u)", version,
			       addr_size);
		} else {
			err = get_table(s, abbrev, abbrev_size, abbrev_off, &work, &t);
			if (!err && (!t || !t->ok))
				reject(s, pos, 0, 0, "abbreviations at 0x%llx %s",
				       (unsigned long long)abbrev_off,
				       t ? "malformed" : "overlap too much to be read");
			else if (!err)
				err = scan_unit(s, info, big_endian, pos, r.pos, end, version,
						addr_size, offset_size, t);
		}
		pos = end;
	}
	for (i = 0; i < s->ntables; i++) {
		free(s->tables[i].abbrevs);
		free(s->tables[i].attrs);
	}
	free(s->tables);
	free(s->slots);
	free(s->sibs);
	s->tables = NULL;
	s->slots = NULL;
	s->sibs = NULL;
	if (err) {
		hw_dwscan_destroy(s);
		return err;
	}
	*ret = s;
	return NULL;
}

void hw_dwscan_destroy(struct hw_dwscan *s)
{
	if (!s)
		return;
	free(s->die_bits);
	free(s);
}

bool hw_dwscan_die_ok(const struct hw_dwscan *s, uint64_t off)
{
	return s && off < s->size && get_bit(s->die_bits, off);
}

unsigned long hw_dwscan_rejected(const struct hw_dwscan *s, const char **first_why)
{
	if (first_why)
		*first_why = s && s->rejected ? s->why : NULL;
	return s ? s->rejected : 0;
}
