/* detect.c - locate the pools of a Kamailio target and recognise manager, era and layout. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/pool.h"
#include "heapwalk/target.h"

static void note(struct hw_pool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct hw_pool *p, const char *fmt, ...)
{
	size_t len = strlen(p->evidence);
	va_list ap;

	if (len + 3 >= sizeof(p->evidence))
		return;
	if (len) {
		strcpy(p->evidence + len, "; ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(p->evidence + len, sizeof(p->evidence) - len, fmt, ap);
	va_end(ap);
}

static void set_problem(struct hw_pool *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_problem(struct hw_pool *p, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	free(p->problem);
	p->problem = msg;
	p->usable = false;
}

void hw_pool_deinit(struct hw_pool *pool)
{
	free(pool->problem);
	pool->problem = NULL;
}

bool hw_pool_debug(const struct hw_pool *pool)
{
	if (!pool->usable)
		return false;
	switch (pool->mgr) {
	case HW_MGR_QM:
		return pool->qm.debug;
	case HW_MGR_FM:
		return pool->fm.debug;
	case HW_MGR_TLSF:
		return pool->tlsf.debug;
	default:
		return false;
	}
}

const char *hw_pool_layout_source(const struct hw_pool *pool)
{
	if (!pool->usable)
		return "none";
	switch (pool->mgr) {
	case HW_MGR_QM:
		return pool->qm.source;
	case HW_MGR_FM:
		return pool->fm.source;
	case HW_MGR_TLSF:
		return pool->tlsf.source;
	default:
		return "none";
	}
}

bool hw_pool_layout_facts(const struct hw_pool *pool, struct hw_layout_facts *ret)
{
	struct hw_layout_facts f;

	if (!pool->usable)
		return false;
	memset(&f, 0, sizeof(f));
	switch (pool->mgr) {
	case HW_MGR_QM: {
		const struct hw_qm_layout *l = &pool->qm;
		f.era = hw_qm_era_name(l->era);
		f.debug = l->debug;
		f.word = l->word;
		f.roundto = l->roundto;
		snprintf(f.sizes, sizeof(f.sizes),
			 "fragment header %u, trailer %u, block %u, first fragment at +%u, %u hash "
			 "buckets",
			 l->frag_size, l->end_size, l->block_size, l->first_off, l->hash_size);
		break;
	}
	case HW_MGR_FM: {
		const struct hw_fm_layout *l = &pool->fm;
		f.era = hw_fm_era_name(l->era);
		f.debug = l->debug;
		f.word = l->word;
		f.roundto = l->roundto;
		snprintf(
		    f.sizes, sizeof(f.sizes),
		    "fragment header %u (no trailer), block %u, first fragment at +%u, %u hash "
		    "buckets, %s, %s",
		    l->frag_size, l->block_size, l->first_off, l->hash_size,
		    l->bitmap_words ? "free bitmap" : "no free bitmap",
		    l->era >= HW_FM_ERA_44   ? "free flag in the header"
		    : l->era == HW_FM_ERA_42 ? "free when prv_free is set"
					     : "free state from the free lists");
		break;
	}
	case HW_MGR_TLSF: {
		const struct hw_tlsf_layout *l = &pool->tlsf;
		f.era = hw_tlsf_era_name(l->era);
		f.debug = l->debug;
		f.word = l->word;
		f.roundto = l->align;
		snprintf(f.sizes, sizeof(f.sizes),
			 "block header %u (user data at +%u, overhead %u, minimum block %u), "
			 "control %u, %ux%u free lists",
			 l->hdr_size, l->start_offset, l->overhead, l->size_min, l->control_size,
			 l->fl_count, l->sl_count);
		break;
	}
	default:
		return false;
	}
	*ret = f;
	return true;
}

/* Read a symbol's string contents (an array of char, e.g. full_version). */
static bool read_sym_string(const struct hw_target *t, const char *sym, char *out, size_t cap)
{
	uint64_t addr;
	struct hw_error *err = hw_target_symbol(t, sym, &addr, NULL);

	if (!err)
		err = hw_target_read_string(t, addr, out, cap);
	if (err) {
		hw_error_destroy(err);
		out[0] = '\0';
		return false;
	}
	return true;
}

static bool read_sym_word(const struct hw_target *t, const char *sym, uint64_t *ret)
{
	uint64_t addr;
	struct hw_error *err = hw_target_symbol(t, sym, &addr, NULL);

	if (!err)
		err = hw_target_read_word(t, addr, ret);
	if (err) {
		hw_error_destroy(err);
		return false;
	}
	return true;
}

static bool has_symbol(const struct hw_target *t, const char *sym, uint64_t *addr)
{
	uint64_t a;
	struct hw_error *err = hw_target_symbol(t, sym, &a, NULL);

	if (err) {
		hw_error_destroy(err);
		return false;
	}
	if (addr)
		*addr = a;
	return true;
}

static void read_instance(const struct hw_target *t, struct hw_instance *inst)
{
	uint64_t v, pt;
	size_t n;

	memset(inst, 0, sizeof(*inst));
	inst->major = inst->minor = -1;
	if (read_sym_string(t, "full_version", inst->version, sizeof(inst->version)) ||
	    read_sym_string(t, "ver_version", inst->version, sizeof(inst->version))) {
		const char *p = inst->version;
		n = strlen(inst->version);
		while (n && inst->version[n - 1] == ' ')
			inst->version[--n] = '\0';
		/* "kamailio 5.6.3 (x86_64/linux)", "ser 0.9.6 ...": first digits */
		while (*p && !isdigit((unsigned char)*p))
			p++;
		if (sscanf(p, "%d.%d", &inst->major, &inst->minor) != 2)
			inst->major = inst->minor = -1;
	}
	if (read_sym_string(t, "ver_flags", inst->flags, sizeof(inst->flags))) {
		inst->debug_known = true;
		/* 4.4+: DBG_SR_MEMORY; before, one DBG_<MANAGER>_MALLOC given with -D */
		inst->debug =
		    strstr(inst->flags, "DBG_SR_MEMORY") || strstr(inst->flags, "DBG_QM_MALLOC") ||
		    strstr(inst->flags, "DBG_F_MALLOC") || strstr(inst->flags, "DBG_TLSF_MALLOC");
	}
	if (read_sym_word(t, "pkg_mem_size", &v))
		inst->pkg_mem_size = v;
	if (read_sym_word(t, "shm_mem_size", &v))
		inst->shm_mem_size = v;
	{
		uint64_t addr;
		uint32_t pn;
		struct hw_error *err = hw_target_symbol(t, "process_no", &addr, NULL);
		if (!err)
			err = hw_target_read_u32(t, addr, &pn);
		if (!err) {
			inst->has_process_no = true;
			inst->process_no = (int)pn;
		}
		hw_error_destroy(err);
	}
	/* pt[process_no]: { int pid, unix_sock, idx, status, rank; char desc[128] } (5.x) */
	if (inst->has_process_no && inst->process_no >= 0 && inst->process_no < 4096 &&
	    read_sym_word(t, "pt", &pt) && pt) {
		uint64_t e = pt + (uint64_t)inst->process_no * 148;
		uint32_t pid, rank;
		struct hw_error *err = hw_target_read_u32(t, e, &pid);
		if (!err)
			err = hw_target_read_u32(t, e + 16, &rank);
		if (!err)
			err =
			    hw_target_read_string(t, e + 20, inst->pt_desc, sizeof(inst->pt_desc));
		if (!err) {
			inst->has_pt = true;
			inst->pt_pid = (int)pid;
			inst->pt_rank = (int)rank;
		}
		hw_error_destroy(err);
	}
}

/* ---- eras from the version string, -1 if unknown ---- */

static int qm_era_of_version(int major, int minor)
{
	if (major < 0)
		return -1;
	if (major < 4 || (major == 4 && minor <= 1))
		return HW_QM_ERA_OLD;
	if (major == 4 && minor <= 3)
		return HW_QM_ERA_42;
	if (major == 4 || (major == 5 && minor <= 7))
		return HW_QM_ERA_44;
	return HW_QM_ERA_58; /* 5.8+; master is told apart structurally */
}

static int fm_era_of_version(int major, int minor)
{
	if (major < 0)
		return -1;
	if (major < 3) /* SER 0.x, OpenSER 1.x, Kamailio 1.4/1.5 */
		return HW_FM_ERA_SER;
	if (major == 3 || (major == 4 && minor <= 1))
		return HW_FM_ERA_OLD;
	if (major == 4 && minor <= 3)
		return HW_FM_ERA_42;
	if (major == 4 || (major == 5 && minor <= 7))
		return HW_FM_ERA_44;
	return HW_FM_ERA_58;
}

static int tlsf_era_of_version(int major, int minor)
{
	if (major < 0)
		return -1;
	if (major < 4 || (major == 4 && minor <= 3))
		return HW_TLSF_ERA_43;
	return HW_TLSF_ERA_44;
}

/* ---- fingerprints: does the block look like this layout? (-1: no; else a score) ---- */

static bool rd_word(const struct hw_target *t, uint64_t addr, uint64_t *v)
{
	struct hw_error *err = hw_target_read_word(t, addr, v);

	if (err) {
		hw_error_destroy(err);
		return false;
	}
	return true;
}

static bool rd_sized(const struct hw_target *t, uint64_t addr, uint32_t size, uint64_t *v)
{
	uint32_t v32;
	struct hw_error *err;

	if (size == 8)
		err = hw_target_read_u64(t, addr, v);
	else if (!(err = hw_target_read_u32(t, addr, &v32)))
		*v = v32;
	if (err) {
		hw_error_destroy(err);
		return false;
	}
	return true;
}

static int qm_fit(const struct hw_target *t, const struct hw_qm_layout *l, uint64_t block,
		  uint64_t *got)
{
	uint64_t ff, chk, size, lfe, type;
	int score = 4;

	if (!rd_word(t, block + l->b_first_frag, &ff))
		return -1;
	*got = ff - block;
	if (ff - block != l->first_off)
		return -1;
	/* the debug layout's start pattern on the first fragment settles debug vs not */
	if (l->debug && (!rd_word(t, ff + l->f_check, &chk) || chk != HW_QM_ST_CHECK))
		return -1;
	if (l->b_type != HW_NO_OFF && rd_sized(t, block + l->b_type, 4, &type) && type > 1)
		return -1;
	if (rd_word(t, block + l->b_size, &size) && rd_word(t, block + l->b_last_frag_end, &lfe) &&
	    lfe == block + size - l->end_size)
		score += 2;
	return score;
}

static int fm_fit(const struct hw_target *t, const struct hw_fm_layout *l, uint64_t block,
		  uint64_t *got)
{
	uint64_t ff, lf, size, chk, type, ssize;
	int score = 4;

	if (!rd_word(t, block + l->b_first_frag, &ff))
		return -1;
	*got = ff - block;
	if (ff - block != l->first_off)
		return -1;
	if (!rd_word(t, block + l->b_size, &size) || !rd_word(t, block + l->b_last_frag, &lf) ||
	    lf != block + size - l->frag_size)
		return -1;
	if (l->b_type != HW_NO_OFF && (!rd_sized(t, block + l->b_type, 4, &type) || type > 1))
		return -1;
	if (l->f_check != HW_NO_OFF &&
	    (!rd_sized(t, ff + l->f_check, l->f_check_size, &chk) || chk != HW_QM_ST_CHECK))
		return -1;
	if (l->era >= HW_FM_ERA_42) {
		if (rd_word(t, lf + l->f_size, &ssize) && ssize == 0)
			score++;
		if (l->f_check != HW_NO_OFF &&
		    rd_sized(t, lf + l->f_check, l->f_check_size, &chk) && chk == HW_QM_END_CHECK1)
			score++;
	}
	return score;
}

/* Counters in range, the first block sane, every list head consistent with the bitmaps. */
static int tlsf_fit(const struct hw_target *t, const struct hw_tlsf_layout *l, uint64_t control,
		    uint64_t *got)
{
	const uint32_t w = l->word;
	uint64_t total, alloc, real, maxu, first_size, lo, hi;
	uint32_t fl_bitmap, sl;
	uint8_t *heads;
	size_t nheads = (size_t)l->fl_count * l->sl_count;
	struct hw_error *err;
	int score = 4;

	if (!rd_word(t, control + l->c_total_size, &total) ||
	    !rd_word(t, control + l->c_allocated, &alloc) ||
	    !rd_word(t, control + l->c_real_used, &real) ||
	    !rd_word(t, control + l->c_max_used, &maxu))
		return -1;
	*got = total;
	if (total < (uint64_t)l->control_size + 2 * l->overhead || total > (1ull << 48) ||
	    (total - l->control_size) % l->align || real < l->control_size || real > total ||
	    alloc > total || maxu < real || maxu > total)
		return -1;
	if (!rd_word(t, control + l->control_size - w + l->h_size, &first_size) ||
	    (first_size & 2) || (first_size & ~3ull) % l->align || (first_size & ~3ull) > total)
		return -1;
	err = hw_target_read_u32(t, control + l->c_fl_bitmap, &fl_bitmap);
	if (err) {
		hw_error_destroy(err);
		return -1;
	}
	heads = malloc(nheads * w);
	if (!heads)
		return -1;
	err = hw_mem_read(t->mem, heads, control + l->c_blocks, nheads * w);
	if (err) {
		hw_error_destroy(err);
		free(heads);
		return -1;
	}
	lo = control + l->control_size - w;
	hi = control + total + l->start_offset;
	for (uint32_t fl = 0; fl < l->fl_count && score >= 0; fl++) {
		err = hw_target_read_u32(t, control + l->c_sl_bitmap + 4ull * fl, &sl);
		if (err) {
			hw_error_destroy(err);
			score = -1;
			break;
		}
		if (((fl_bitmap >> fl) & 1) != (sl != 0)) {
			score = -1;
			break;
		}
		for (uint32_t s = 0; s < l->sl_count; s++) {
			uint64_t head = 0;
			size_t off = ((size_t)fl * l->sl_count + s) * w;
			if (w == 8) {
				memcpy(&head, heads + off, 8);
			} else {
				uint32_t h32;
				memcpy(&h32, heads + off, 4);
				head = h32;
			}
			if (((sl >> s) & 1) != (head != control) ||
			    (head != control && (head < lo || head >= hi))) {
				score = -1;
				break;
			}
		}
	}
	free(heads);
	return score;
}

/* ---- choosing among the built-in profiles ---- */

#define PROFILES_MAX 64

struct choice {
	int score, ties;
	uint64_t got;
	enum hw_manager mgr;
	struct hw_qm_layout qm;
	struct hw_fm_layout fm;
	struct hw_tlsf_layout tlsf;
	char name[64];
	bool debug;
};

static int bonus(const struct hw_instance *inst, int want_era, int era, bool debug)
{
	int b = 0;

	if (want_era >= 0 && want_era == era)
		b += 2;
	if (inst->debug_known && debug == inst->debug)
		b += 1;
	return b;
}

static void consider(struct choice *c, int score, const char *name, bool debug)
{
	if (score > c->score) {
		c->score = score;
		c->ties = 1;
		snprintf(c->name, sizeof(c->name), "%.63s", name);
		c->debug = debug;
	} else if (score == c->score) {
		c->ties++;
	}
}

static void best_qm(const struct hw_target *t, const struct hw_instance *inst, uint64_t block,
		    struct choice *c)
{
	struct hw_qm_layout all[PROFILES_MAX];
	size_t n = hw_qm_profiles(all, PROFILES_MAX);
	int want = qm_era_of_version(inst->major, inst->minor);

	for (size_t i = 0; i < n && i < PROFILES_MAX; i++) {
		int s;
		if (all[i].word != t->word_size)
			continue;
		s = qm_fit(t, &all[i], block, &c->got);
		if (s < 0)
			continue;
		s += bonus(inst, want, all[i].era, all[i].debug);
		if (s > c->score)
			c->qm = all[i];
		consider(c, s, all[i].name, all[i].debug);
	}
}

static void best_fm(const struct hw_target *t, const struct hw_instance *inst, uint64_t block,
		    struct choice *c)
{
	struct hw_fm_layout all[PROFILES_MAX];
	size_t n = hw_fm_profiles(all, PROFILES_MAX);
	int want = fm_era_of_version(inst->major, inst->minor);
	bool stats_flag = strstr(inst->flags, "STATISTICS") || strstr(inst->flags, "MALLOC_STATS");

	for (size_t i = 0; i < n && i < PROFILES_MAX; i++) {
		int s;
		if (all[i].word != t->word_size)
			continue;
		s = fm_fit(t, &all[i], block, &c->got);
		if (s < 0)
			continue;
		s += bonus(inst, want, all[i].era, all[i].debug);
		if (stats_flag && all[i].stats)
			s++;
		if (s > c->score)
			c->fm = all[i];
		consider(c, s, all[i].name, all[i].debug);
	}
}

static void best_tlsf(const struct hw_target *t, const struct hw_instance *inst, uint64_t block,
		      struct choice *c)
{
	struct hw_tlsf_layout all[PROFILES_MAX];
	size_t n = hw_tlsf_profiles(all, PROFILES_MAX);
	int want = tlsf_era_of_version(inst->major, inst->minor);

	for (size_t i = 0; i < n && i < PROFILES_MAX; i++) {
		int s;
		if (all[i].word != t->word_size)
			continue;
		s = tlsf_fit(t, &all[i], block, &c->got);
		if (s < 0)
			continue;
		s += bonus(inst, want, all[i].era, all[i].debug);
		/* 4.3's non-debug header is 4.4's; without a version take the common one */
		if (want < 0 && all[i].era == HW_TLSF_ERA_44)
			s++;
		if (s > c->score)
			c->tlsf = all[i];
		consider(c, s, all[i].name, all[i].debug);
	}
}

static void best_of(const struct hw_target *t, const struct hw_instance *inst, uint64_t block,
		    enum hw_manager mgr, struct choice *c)
{
	memset(c, 0, sizeof(*c));
	c->score = -1;
	c->mgr = mgr;
	switch (mgr) {
	case HW_MGR_QM:
		best_qm(t, inst, block, c);
		break;
	case HW_MGR_FM:
		best_fm(t, inst, block, c);
		break;
	case HW_MGR_TLSF:
		best_tlsf(t, inst, block, c);
		break;
	default:
		break;
	}
}

static void use_choice(struct hw_pool *p, const struct choice *c)
{
	p->mgr = c->mgr;
	p->qm = c->qm;
	p->fm = c->fm;
	p->tlsf = c->tlsf;
	p->usable = true;
}

static bool block_readable(const struct hw_target *t, struct hw_pool *p)
{
	uint8_t probe[64];
	struct hw_error *err = hw_mem_read(t->mem, probe, p->block, 8ull * t->word_size);

	if (err) {
		set_problem(p, "cannot read the block at 0x%" PRIx64 ": %s", p->block,
			    err->message);
		hw_error_destroy(err);
		return false;
	}
	return true;
}

/* Pick the built-in profile of @mgr that fits the block best and say why. */
static void choose_profile(const struct hw_target *t, const struct hw_instance *inst,
			   struct hw_pool *p, enum hw_manager mgr)
{
	struct choice c;

	if (!block_readable(t, p))
		return;
	best_of(t, inst, p->block, mgr, &c);
	if (c.score < 0) {
		if (mgr == HW_MGR_TLSF)
			set_problem(
			    p,
			    "no built-in TLSF layout matches the control block at 0x%" PRIx64
			    "; try --layout or a debug file",
			    p->block);
		else
			set_problem(p,
				    "no built-in %s layout matches the block at 0x%" PRIx64
				    " (first fragment at block+%" PRIu64
				    "); try --layout or a debug "
				    "file",
				    hw_manager_name(mgr), p->block, c.got);
		return;
	}
	use_choice(p, &c);
	if (mgr == HW_MGR_TLSF)
		note(p, "layout %s: control block counters, first block and free-list heads fit",
		     c.name);
	else
		note(p, "layout %s: block fingerprint first_frag-block=%u matches", c.name,
		     mgr == HW_MGR_QM ? c.qm.first_off : c.fm.first_off);
	if (inst->major >= 0)
		note(p, "version '%s'", inst->version);
	if (inst->debug_known)
		note(p, "compile flags say %s", inst->debug ? "debug" : "non-debug");
	if (c.debug && mgr != HW_MGR_TLSF)
		note(p, "first fragment carries the start check pattern");
	if (c.ties > 1)
		note(p, "%d profiles fit equally; they share this layout's walk", c.ties);
	if (mgr == HW_MGR_TLSF && !c.debug && inst->major < 0)
		note(p, "no version known: a non-debug 4.3 TLSF looks the same, use --layout "
			"tlsf-4.3-nodbg-... if it is one");
}

/* ---- where the blocks are, and which manager the symbols name ---- */

struct root_evidence {
	enum hw_manager by_name, by_xmalloc, by_symbols;
};

static enum hw_manager manager_from_name(const char *s)
{
	if (!strcmp(s, "q_malloc"))
		return HW_MGR_QM;
	if (!strcmp(s, "f_malloc"))
		return HW_MGR_FM;
	if (!strcmp(s, "tlsf_malloc"))
		return HW_MGR_TLSF;
	return HW_MGR_UNKNOWN;
}

/* 4.4+: compare the API's xmalloc (word 3) with the manager functions in .dynsym. */
static enum hw_manager manager_from_xmalloc(const struct hw_target *t, struct hw_pool *p)
{
	static const char *const fns[HW_POOL_KIND_COUNT][3] = {
	    {"qm_malloc", "fm_malloc", "tlsf_malloc"},
	    {"qm_shm_malloc", "fm_shm_malloc", "tlsf_shm_malloc"},
	};
	static const enum hw_manager ids[3] = {HW_MGR_QM, HW_MGR_FM, HW_MGR_TLSF};
	uint64_t x, a;

	if (!rd_word(t, p->root + 3ull * t->word_size, &x) || !x)
		return HW_MGR_UNKNOWN;
	for (int i = 0; i < 3; i++) {
		if (has_symbol(t, fns[p->kind][i], &a) && a == x) {
			note(p, "%s.xmalloc is %s", p->root_symbol, fns[p->kind][i]);
			return ids[i];
		}
	}
	return HW_MGR_UNKNOWN;
}

static void find_root(const struct hw_target *t, struct hw_pool *p, bool *kamailio,
		      struct root_evidence *ev)
{
	static const char *const roots[] = {"_pkg_root", "_shm_root"};
	static const char *const vars[] = {"mem_block", "shm_block"};
	uint64_t addr, w;
	struct hw_error *err;
	int nmgr = 0;

	memset(ev, 0, sizeof(*ev));
	err = hw_target_symbol(t, roots[p->kind], &addr, NULL);
	if (!err) {
		uint64_t mname = 0;
		*kamailio = true;
		snprintf(p->root_symbol, sizeof(p->root_symbol), "%s", roots[p->kind]);
		p->root = addr;
		err = hw_target_read_word(t, addr, &mname);
		if (!err)
			err = hw_target_read_word(t, addr + 2ull * t->word_size, &p->block);
		if (err) {
			set_problem(p, "cannot read %s: %s", roots[p->kind], err->message);
			hw_error_destroy(err);
			return;
		}
		if (!p->block) {
			set_problem(p, "%s has no memory block (not initialised yet?)",
				    roots[p->kind]);
			return;
		}
		err = hw_target_read_string(t, mname, p->manager, sizeof(p->manager));
		if (err) {
			p->manager[0] = '\0';
			note(p, "manager name unreadable (%s)", err->message);
			hw_error_destroy(err);
		} else {
			note(p, "%s.mname = \"%s\"", roots[p->kind], p->manager);
			ev->by_name = manager_from_name(p->manager);
		}
		ev->by_xmalloc = manager_from_xmalloc(t, p);
		return;
	}
	hw_error_destroy(err);
	err = hw_target_symbol(t, vars[p->kind], &addr, NULL);
	if (err) {
		hw_error_destroy(err);
		set_problem(p, "neither %s nor %s found in the executable's symbols%s",
			    roots[p->kind], vars[p->kind],
			    t->exe ? ""
				   : " (no executable; give it with --exe, or the block with "
				     "--block ADDR)");
		return;
	}
	*kamailio = true;
	snprintf(p->root_symbol, sizeof(p->root_symbol), "%s", vars[p->kind]);
	p->root = addr;
	err = hw_target_read_word(t, addr, &w);
	if (err) {
		set_problem(p, "cannot read %s: %s", vars[p->kind], err->message);
		hw_error_destroy(err);
		return;
	}
	p->block = w;
	if (!p->block) {
		set_problem(p, "%s is NULL (not initialised yet?)", vars[p->kind]);
		return;
	}
	/* Before 4.4 exactly one manager is compiled in: its functions tell which. */
	if (has_symbol(t, "qm_malloc", NULL)) {
		ev->by_symbols = HW_MGR_QM;
		nmgr++;
	}
	if (has_symbol(t, "fm_malloc", NULL)) {
		ev->by_symbols = HW_MGR_FM;
		nmgr++;
	}
	if (has_symbol(t, "tlsf_malloc", NULL)) {
		ev->by_symbols = HW_MGR_TLSF;
		nmgr++;
	}
	if (nmgr == 1) {
		snprintf(p->manager, sizeof(p->manager), "%s", hw_manager_name(ev->by_symbols));
		note(p, "only %s functions in the executable", p->manager);
	} else {
		ev->by_symbols = HW_MGR_UNKNOWN;
		if (nmgr > 1)
			note(p, "functions of several managers in the executable");
	}
}

/* ---- layouts from DWARF, read once per manager ---- */

struct dwarf_layouts {
	bool tried[4], ok[4];
	char problem[4][256];
	struct hw_qm_layout qm;
	struct hw_fm_layout fm;
	struct hw_tlsf_layout tlsf;
};

static bool dwarf_layout(struct hw_dwarf *dw, uint32_t word, struct dwarf_layouts *d,
			 enum hw_manager mgr)
{
	struct hw_error *err = NULL;

	if (!dw || (unsigned)mgr > HW_MGR_TLSF || mgr == HW_MGR_UNKNOWN)
		return false;
	if (d->tried[mgr])
		return d->ok[mgr];
	d->tried[mgr] = true;
	if (mgr == HW_MGR_QM)
		err = hw_qm_layout_from_dwarf(dw, word, &d->qm);
	else if (mgr == HW_MGR_FM)
		err = hw_fm_layout_from_dwarf(dw, word, &d->fm);
	else
		err = hw_tlsf_layout_from_dwarf(dw, word, &d->tlsf);
	if (err) {
		snprintf(d->problem[mgr], sizeof(d->problem[mgr]), "%s", err->message);
		hw_error_destroy(err);
		return false;
	}
	d->ok[mgr] = true;
	return true;
}

static void use_dwarf(const struct hw_target *t, const struct hw_instance *inst,
		      struct hw_dwarf *dw, struct dwarf_layouts *d, struct hw_pool *p)
{
	uint64_t got = 0;
	int fit = -1;

	p->usable = true;
	note(p, "layout from DWARF (%s)", hw_dwarf_path(dw));
	switch (p->mgr) {
	case HW_MGR_QM:
		p->qm = d->qm;
		/* non-debug 4.2-4.3 and 4.4-5.7 share one layout; the version tells the era */
		if (!p->qm.debug && p->qm.era == HW_QM_ERA_44 &&
		    qm_era_of_version(inst->major, inst->minor) == HW_QM_ERA_42)
			p->qm.era = HW_QM_ERA_42;
		fit = qm_fit(t, &p->qm, p->block, &got);
		break;
	case HW_MGR_FM:
		p->fm = d->fm;
		fit = fm_fit(t, &p->fm, p->block, &got);
		break;
	case HW_MGR_TLSF:
		p->tlsf = d->tlsf;
		/* a non-debug 4.3 header is a 4.4 one; only the version tells them apart */
		if (!p->tlsf.debug &&
		    tlsf_era_of_version(inst->major, inst->minor) == HW_TLSF_ERA_43)
			p->tlsf.era = HW_TLSF_ERA_43;
		fit = tlsf_fit(t, &p->tlsf, p->block, &got);
		break;
	default:
		break;
	}
	if (fit < 0)
		note(p, "warning: the block does not fit the DWARF layout (%s %" PRIu64 ")",
		     p->mgr == HW_MGR_TLSF ? "total_size" : "first fragment at block+", got);
}

/* Without any word from the symbols: the manager whose layouts fit the block best. */
static void detect_structure(const struct hw_target *t, const struct hw_instance *inst,
			     struct hw_pool *p)
{
	struct choice best, c;
	int managers_fitting = 0;

	memset(&best, 0, sizeof(best));
	best.score = -1;
	if (!block_readable(t, p))
		return;
	for (int m = HW_MGR_QM; m <= HW_MGR_TLSF; m++) {
		best_of(t, inst, p->block, (enum hw_manager)m, &c);
		if (c.score < 0)
			continue;
		managers_fitting++;
		if (c.score > best.score)
			best = c;
	}
	if (best.score < 0) {
		set_problem(p,
			    "the block at 0x%" PRIx64 " matches no built-in q_malloc, f_malloc or "
			    "TLSF layout; try --manager and --layout",
			    p->block);
		return;
	}
	p->mgr = best.mgr;
	snprintf(p->manager, sizeof(p->manager), "%s", hw_manager_name(best.mgr));
	note(p, "manager %s recognised from the block alone%s", p->manager,
	     managers_fitting > 1 ? " (other managers fit worse)" : "");
}

/* Decide shm or pkg from the 4.2+ block's type word (0 shm, 1 pkg). */
static int kind_from_header(const struct hw_target *t, const struct hw_pool *p)
{
	uint32_t off = HW_NO_OFF;
	uint64_t type;

	if (p->mgr == HW_MGR_QM)
		off = p->qm.b_type;
	else if (p->mgr == HW_MGR_FM)
		off = p->fm.b_type;
	if (off == HW_NO_OFF || !rd_sized(t, p->block + off, 4, &type) || type > 1)
		return -1;
	return type == 0 ? HW_POOL_SHM : HW_POOL_PKG;
}

static bool load_profile(struct hw_pool *p, const char *name)
{
	struct hw_error *err = NULL;
	enum hw_manager m = hw_profile_manager(name);

	if (m == HW_MGR_QM)
		err = hw_qm_profile_by_name(name, &p->qm);
	else if (m == HW_MGR_FM)
		err = hw_fm_profile_by_name(name, &p->fm);
	else if (m == HW_MGR_TLSF)
		err = hw_tlsf_profile_by_name(name, &p->tlsf);
	else
		err = hw_error_create(
		    HW_ERR_LOOKUP, "no built-in layout named '%s' (see 'heapwalk profiles')", name);
	if (err) {
		set_problem(p, "%s", err->message);
		hw_error_destroy(err);
		return false;
	}
	p->mgr = m;
	p->usable = true;
	note(p, "layout %s given with --layout", name);
	return true;
}

/* Manager and layout of one located pool. */
static void recognise(const struct hw_target *t, struct hw_dwarf *dw,
		      const struct hw_discover_opts *opts, const struct hw_instance *inst,
		      struct dwarf_layouts *d, struct hw_pool *p, const struct root_evidence *ev)
{
	enum hw_manager mgr = HW_MGR_UNKNOWN;
	enum hw_manager from_layout =
	    opts->layout_name ? hw_profile_manager(opts->layout_name) : HW_MGR_UNKNOWN;

	if (opts->manager != HW_MGR_UNKNOWN) {
		mgr = opts->manager;
		note(p, "manager %s given with --manager", hw_manager_name(mgr));
		if (from_layout != HW_MGR_UNKNOWN && from_layout != mgr) {
			set_problem(p, "--layout %s is not a %s layout", opts->layout_name,
				    hw_manager_name(mgr));
			return;
		}
	} else if (from_layout != HW_MGR_UNKNOWN) {
		mgr = from_layout;
	} else if (ev->by_name != HW_MGR_UNKNOWN) {
		mgr = ev->by_name;
	} else if (ev->by_xmalloc != HW_MGR_UNKNOWN) {
		mgr = ev->by_xmalloc;
	} else if (ev->by_symbols != HW_MGR_UNKNOWN) {
		mgr = ev->by_symbols;
	}
	if (ev->by_name != HW_MGR_UNKNOWN && ev->by_xmalloc != HW_MGR_UNKNOWN &&
	    ev->by_name != ev->by_xmalloc)
		note(p, "warning: mname says %s but xmalloc is %s's", hw_manager_name(ev->by_name),
		     hw_manager_name(ev->by_xmalloc));
	if (mgr != HW_MGR_UNKNOWN && ev->by_name != HW_MGR_UNKNOWN && mgr != ev->by_name)
		note(p, "warning: the target's own name for its manager is %s",
		     hw_manager_name(ev->by_name));

	if (opts->layout_name) {
		if (load_profile(p, opts->layout_name))
			snprintf(p->manager, sizeof(p->manager), "%s", hw_manager_name(p->mgr));
		return;
	}
	if (mgr == HW_MGR_UNKNOWN) {
		detect_structure(t, inst, p);
		if (p->problem)
			return;
		mgr = p->mgr;
	}
	p->mgr = mgr;
	if (!p->manager[0] || manager_from_name(p->manager) != mgr)
		snprintf(p->manager, sizeof(p->manager), "%s", hw_manager_name(mgr));
	if (dw && !opts->no_debuginfo && dwarf_layout(dw, t->word_size, d, mgr)) {
		use_dwarf(t, inst, dw, d, p);
		return;
	}
	if (dw && !opts->no_debuginfo && d->problem[mgr][0])
		note(p, "DWARF unusable: %s", d->problem[mgr]);
	choose_profile(t, inst, p, mgr);
}

struct hw_error *hw_pools_discover(const struct hw_target *t, struct hw_dwarf *dw,
				   const struct hw_discover_opts *opts, struct hw_instance *inst,
				   struct hw_pool pools[HW_POOL_KIND_COUNT])
{
	static const char *const names[] = {"pkg", "shm"};
	struct dwarf_layouts *d;
	bool kamailio = false;

	d = calloc(1, sizeof(*d));
	if (!d)
		return hw_error_create(HW_ERR_NOMEM, "out of memory");
	read_instance(t, inst);
	if (opts->layout_name)
		dw = NULL;
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		memset(&pools[k], 0, sizeof(pools[k]));
		pools[k].kind = (enum hw_pool_kind)k;
		pools[k].name = names[k];
		pools[k].no_strings = t->exe == NULL;
	}
	if (opts->has_block) {
		/* One pool at a given address: recognise it, then file it as pkg or shm. */
		struct hw_pool p = pools[HW_POOL_PKG];
		struct root_evidence ev = {0};
		int kind = opts->block_kind;

		kamailio = true;
		p.block = opts->block;
		snprintf(p.root_symbol, sizeof(p.root_symbol), "--block");
		note(&p, "block 0x%" PRIx64 " given with --block", p.block);
		recognise(t, dw, opts, inst, d, &p, &ev);
		if (kind < 0 && p.usable) {
			kind = kind_from_header(t, &p);
			if (kind >= 0)
				note(&p, "the block's type word says %s", names[kind]);
		}
		if (kind < 0 || kind >= HW_POOL_KIND_COUNT)
			kind = HW_POOL_PKG;
		p.kind = (enum hw_pool_kind)kind;
		p.name = names[kind];
		pools[kind] = p;
		set_problem(&pools[!kind], "not looked for: --block names one pool");
	} else {
		for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
			struct hw_pool *p = &pools[k];
			struct root_evidence ev;
			find_root(t, p, &kamailio, &ev);
			if (p->problem)
				continue;
			recognise(t, dw, opts, inst, d, p, &ev);
		}
	}
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++)
		if (pools[k].no_strings && pools[k].usable && hw_pool_debug(&pools[k]))
			note(&pools[k],
			     "no executable: allocation-site strings of the core cannot be "
			     "resolved (they show as addresses)");
	free(d);
	if (!kamailio)
		return hw_error_create(HW_ERR_LOOKUP,
				       "%s does not look like a Kamailio process: no _pkg_root, "
				       "_shm_root, mem_block or shm_block symbol%s",
				       t->exe_path ? t->exe_path : "the executable",
				       t->exe ? ""
					      : " (no executable: give it with --exe, or the "
						"block with --block ADDR)");
	return NULL;
}
