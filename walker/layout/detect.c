/* detect.c - locate the pools of a Kamailio target and recognise manager and layout. */
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

static void set_problem(struct hw_pool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
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
	return pool->usable && pool->mgr == HW_MGR_QM && pool->qm.debug;
}

const char *hw_pool_layout_source(const struct hw_pool *pool)
{
	if (!pool->usable)
		return "none";
	return pool->mgr == HW_MGR_QM ? pool->qm.source : "none";
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
		inst->debug = strstr(inst->flags, "DBG_SR_MEMORY") || strstr(inst->flags, "DBG_QM_MALLOC");
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
			err = hw_target_read_string(t, e + 20, inst->pt_desc, sizeof(inst->pt_desc));
		if (!err) {
			inst->has_pt = true;
			inst->pt_pid = (int)pid;
			inst->pt_rank = (int)rank;
		}
		hw_error_destroy(err);
	}
}

/* Which era a parsed version belongs to, or -1. */
static int era_of_version(int major, int minor)
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

/* Does the block look like this layout? first_frag - block must match exactly. */
static bool fingerprint_ok(const struct hw_target *t, const struct hw_qm_layout *l, uint64_t block,
			   uint64_t *got)
{
	uint64_t ff;
	struct hw_error *err = hw_target_read_word(t, block + l->b_first_frag, &ff);

	if (err) {
		hw_error_destroy(err);
		return false;
	}
	*got = ff - block;
	return ff - block == l->first_off;
}

/* The debug layout's start pattern on the first fragment settles debug vs not. */
static bool first_check_ok(const struct hw_target *t, const struct hw_qm_layout *l, uint64_t block)
{
	uint64_t ff, chk;
	struct hw_error *err;

	if (!l->debug)
		return true;
	err = hw_target_read_word(t, block + l->b_first_frag, &ff);
	if (!err)
		err = hw_target_read_word(t, ff + l->f_check, &chk);
	if (err) {
		hw_error_destroy(err);
		return false;
	}
	return chk == HW_QM_ST_CHECK;
}

static void choose_qm_profile(const struct hw_target *t, const struct hw_instance *inst,
			      struct hw_pool *p)
{
	struct hw_qm_layout all[64], best = {0};
	size_t n = hw_qm_profiles(all, 64);
	int want_era = era_of_version(inst->major, inst->minor);
	int best_score = -1, ties = 0;
	uint64_t got = 0;

	if (n > 64)
		n = 64;
	{
		/* An unreadable block fits no profile; say why instead. */
		uint8_t probe[64];
		struct hw_error *err = hw_mem_read(t->mem, probe, p->block, 8ull * t->word_size);
		if (err) {
			set_problem(p, "cannot read the block at 0x%" PRIx64 ": %s", p->block,
				    err->message);
			hw_error_destroy(err);
			return;
		}
	}
	for (size_t i = 0; i < n; i++) {
		int score = 0;
		uint64_t g = 0;
		if (all[i].word != t->word_size)
			continue;
		if (!fingerprint_ok(t, &all[i], p->block, &g)) {
			got = g;
			continue;
		}
		if (!first_check_ok(t, &all[i], p->block))
			continue;
		score = 4;
		if (want_era >= 0 && (int)all[i].era == want_era)
			score += 2;
		if (inst->debug_known && all[i].debug == inst->debug)
			score += 1;
		if (all[i].roundto == 16 || all[i].era < HW_QM_ERA_58)
			score += 0; /* default ROUNDTO preferred only by order */
		if (score > best_score) {
			best_score = score;
			best = all[i];
			ties = 1;
		} else if (score == best_score) {
			ties++;
		}
	}
	if (best_score < 0) {
		set_problem(p,
			    "no built-in q_malloc layout matches the block at 0x%" PRIx64
			    " (first fragment at block+%" PRIu64 "); try --layout or a debug file",
			    p->block, got);
		return;
	}
	p->qm = best;
	p->usable = true;
	note(p, "layout %s: block fingerprint first_frag-block=%u matches", best.name,
	     best.first_off);
	if (want_era >= 0)
		note(p, "version '%s' says era %s", inst->version,
		     hw_qm_era_name((enum hw_qm_era)want_era));
	if (inst->debug_known)
		note(p, "compile flags say %s", inst->debug ? "debug (DBG_SR_MEMORY)" : "non-debug");
	if (best.debug)
		note(p, "first fragment carries the start check pattern");
	if (ties > 1)
		note(p, "%d profiles fit equally; they share this layout's walk", ties);
}

static void find_root(const struct hw_target *t, struct hw_pool *p, bool *kamailio)
{
	static const char *const roots[] = {"_pkg_root", "_shm_root"};
	static const char *const vars[] = {"mem_block", "shm_block"};
	uint64_t addr, w;
	struct hw_error *err;

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
			set_problem(p, "%s has no memory block (not initialised yet?)", roots[p->kind]);
			return;
		}
		err = hw_target_read_string(t, mname, p->manager, sizeof(p->manager));
		if (err) {
			p->manager[0] = '\0';
			note(p, "manager name unreadable (%s)", err->message);
			hw_error_destroy(err);
		} else {
			note(p, "%s.mname = \"%s\"", roots[p->kind], p->manager);
		}
		return;
	}
	hw_error_destroy(err);
	err = hw_target_symbol(t, vars[p->kind], &addr, NULL);
	if (err) {
		hw_error_destroy(err);
		set_problem(p, "neither %s nor %s found in the executable's symbols", roots[p->kind],
			    vars[p->kind]);
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
	/* Before 4.4 exactly one manager is compiled in: its functions tell which. */
	if ((err = hw_target_symbol(t, "qm_malloc", &addr, NULL)) == NULL)
		snprintf(p->manager, sizeof(p->manager), "q_malloc");
	else if (hw_error_destroy(err), (err = hw_target_symbol(t, "fm_malloc", &addr, NULL)) == NULL)
		snprintf(p->manager, sizeof(p->manager), "f_malloc");
	else if (hw_error_destroy(err), (err = hw_target_symbol(t, "tlsf_malloc", &addr, NULL)) == NULL)
		snprintf(p->manager, sizeof(p->manager), "tlsf_malloc");
	hw_error_destroy(err);
	if (p->manager[0])
		note(p, "only %s functions in the executable", p->manager);
}

struct hw_error *hw_pools_discover(const struct hw_target *t, struct hw_dwarf *dw,
				   const struct hw_discover_opts *opts, struct hw_instance *inst,
				   struct hw_pool pools[HW_POOL_KIND_COUNT])
{
	static const char *const names[] = {"pkg", "shm"};
	struct hw_qm_layout dwl;
	bool have_dwarf = false, kamailio = false;
	char dwarf_problem[256] = "";

	read_instance(t, inst);
	if (dw && !opts->no_debuginfo && !opts->layout_name) {
		struct hw_error *err = hw_qm_layout_from_dwarf(dw, t->word_size, &dwl);
		if (!err)
			have_dwarf = true;
		else
			snprintf(dwarf_problem, sizeof(dwarf_problem), "%s", err->message);
		hw_error_destroy(err);
	}
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		struct hw_pool *p = &pools[k];
		memset(p, 0, sizeof(*p));
		p->kind = (enum hw_pool_kind)k;
		p->name = names[k];
		find_root(t, p, &kamailio);
		if (p->problem)
			continue;
		if (!p->manager[0] || !strcmp(p->manager, "q_malloc"))
			p->mgr = HW_MGR_QM;
		else if (!strcmp(p->manager, "f_malloc"))
			p->mgr = HW_MGR_FM;
		else if (!strcmp(p->manager, "tlsf_malloc"))
			p->mgr = HW_MGR_TLSF;
		if (p->mgr != HW_MGR_QM) {
			set_problem(p, "the %s pool uses %s; this heapwalk walks q_malloc only", p->name,
				    p->manager);
			continue;
		}
		if (opts->layout_name) {
			struct hw_error *err = hw_qm_profile_by_name(opts->layout_name, &p->qm);
			if (err) {
				set_problem(p, "%s", err->message);
				hw_error_destroy(err);
				continue;
			}
			p->usable = true;
			note(p, "layout %s given with --layout", p->qm.name);
			continue;
		}
		if (have_dwarf) {
			uint64_t got = 0;
			p->qm = dwl;
			p->usable = true;
			note(p, "layout from DWARF (%s)", hw_dwarf_path(dw));
			if (!fingerprint_ok(t, &p->qm, p->block, &got))
				note(p, "warning: block fingerprint %" PRIu64 " differs from DWARF's %u",
				     got, p->qm.first_off);
			continue;
		}
		if (dwarf_problem[0])
			note(p, "DWARF unusable: %s", dwarf_problem);
		choose_qm_profile(t, inst, p);
	}
	if (!kamailio)
		return hw_error_create(HW_ERR_LOOKUP,
				       "%s does not look like a Kamailio process: no _pkg_root, "
				       "_shm_root, mem_block or shm_block symbol",
				       t->exe_path ? t->exe_path : "the executable");
	return NULL;
}
