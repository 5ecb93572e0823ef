/*
 * cu_main.c - test input: prints what the compiler knows about shapes.h, one
 * fact per line, for the test to compare with what the DWARF says:
 *   S <type> <sizeof>
 *   M <type> <member path> <offsetof> <member size> <element count or 0>
 *   V <variable> <link-time address>
 */
#define _GNU_SOURCE
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shapes.h"

#define SZ(type, path) sizeof(((type *)0)->path)
#define S(name, type) printf("S %s %zu\n", name, sizeof(type))
#define M(name, type, path)                                                                        \
	printf("M %s %s %zu %zu 0\n", name, #path, offsetof(type, path), SZ(type, path))
#define A(name, type, path)                                                                        \
	printf("M %s %s %zu %zu %zu\n", name, #path, offsetof(type, path), SZ(type, path),         \
	       SZ(type, path) / SZ(type, path[0]))
/* A multi-dimensional array: the count is reported only for 1-D arrays. */
#define A2(name, type, path)                                                                       \
	printf("M %s %s %zu %zu 0\n", name, #path, offsetof(type, path), SZ(type, path))
#define V(name, addr) printf("V %s %llu\n", name, (unsigned long long)((uintptr_t)(addr)-bias))

static uintptr_t bias;

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	bias = info->dlpi_addr;
	return 1; /* the main program comes first */
}

int main(void)
{
	dl_iterate_phdr(first_object, NULL);

	S("qm_frag", struct qm_frag);
	M("qm_frag", struct qm_frag, size);
	M("qm_frag", struct qm_frag, u);
	M("qm_frag", struct qm_frag, u.nxt_free);
	M("qm_frag", struct qm_frag, u.is_free);
	M("qm_frag", struct qm_frag, file);
	M("qm_frag", struct qm_frag, func);
	M("qm_frag", struct qm_frag, mname);
	M("qm_frag", struct qm_frag, line);
	M("qm_frag", struct qm_frag, check);

	S("qm_frag_end", struct qm_frag_end);
	M("qm_frag_end", struct qm_frag_end, check1);
	M("qm_frag_end", struct qm_frag_end, size);
	M("qm_frag_end", struct qm_frag_end, prev_free);

	S("qm_frag_lnk", struct qm_frag_lnk);
	M("qm_frag_lnk", struct qm_frag_lnk, head);
	M("qm_frag_lnk", struct qm_frag_lnk, head.size);
	M("qm_frag_lnk", struct qm_frag_lnk, head.u.nxt_free);
	M("qm_frag_lnk", struct qm_frag_lnk, tail);
	M("qm_frag_lnk", struct qm_frag_lnk, tail.prev_free);
	M("qm_frag_lnk", struct qm_frag_lnk, no);

	S("qm_block", struct qm_block);
	M("qm_block", struct qm_block, type);
	M("qm_block", struct qm_block, size);
	M("qm_block", struct qm_block, used);
	M("qm_block", struct qm_block, real_used);
	M("qm_block", struct qm_block, max_real_used);
	M("qm_block", struct qm_block, ffrags);
	M("qm_block", struct qm_block, first_frag);
	M("qm_block", struct qm_block, last_frag_end);
	A("qm_block", struct qm_block, free_hash);

	S("fm_frag", struct fm_frag);
	M("fm_frag", struct fm_frag, u.nxt_free);
	M("fm_frag", struct fm_frag, prv_free);
	M("fm_frag", struct fm_frag, line);
	M("fm_frag", struct fm_frag, check);

	S("fm_block", struct fm_block);
	S("fm_block_t", struct fm_block);
	M("fm_block", struct fm_block, first_frag);
	M("fm_block", struct fm_block, last_frag);
	A("fm_block", struct fm_block, free_bitmap);
	A("fm_block", struct fm_block, free_hash);
	A2("fm_block", struct fm_block, matrix);
	A("fm_block", struct fm_block, qualified);
	M("fm_block_t", struct fm_block, last_frag);
	A("fm_block_t", struct fm_block, free_hash);

	S("sr_pkg_api_t", sr_pkg_api_t);
	M("sr_pkg_api_t", sr_pkg_api_t, mname);
	M("sr_pkg_api_t", sr_pkg_api_t, mem_block);
	M("sr_pkg_api_t", sr_pkg_api_t, xmalloc);
	M("sr_pkg_api_t", sr_pkg_api_t, xfree);
	M("sr_pkg_api_t", sr_pkg_api_t, xstatus);
	S("sr_pkg_api_const_t", sr_pkg_api_const_t);
	M("sr_pkg_api_const_t", sr_pkg_api_const_t, xstatus);

	S("sr_shm_api_t", sr_shm_api_t);
	S("sr_shm_api", struct sr_shm_api);
	M("sr_shm_api_t", sr_shm_api_t, xmalloc_unsafe);
	M("sr_shm_api", struct sr_shm_api, xfree);

	S("process_table", struct process_table);
	M("process_table", struct process_table, pid);
	M("process_table", struct process_table, rank);
	A("process_table", struct process_table, desc);

	S("anon_holder", struct anon_holder);
	M("anon_holder", struct anon_holder, kind);
	M("anon_holder", struct anon_holder, l);
	M("anon_holder", struct anon_holder, pair);
	M("anon_holder", struct anon_holder, pair.b);
	M("anon_holder", struct anon_holder, y);

	/* A flexible array member has no size and no count. */
	S("with_flex", struct with_flex);
	M("with_flex", struct with_flex, n);
	printf("M with_flex data %zu 0 0\n", offsetof(struct with_flex, data));

	V("_pkg_root", &_pkg_root);
	V("_shm_root", &_shm_root);
	V("pkg_const_root", &pkg_const_root);
	V("pt", &pt);
	V("process_no", &process_no);
	V("qm_main_block", &qm_main_block);
	V("fm_main", &fm_main);
	V("anon", &anon);
	V("flex", &flex);
	V("plain_int", &plain_int);
	V("def_static_lnk", def_static_addr());
	V("decl_static_counter", decl_static_addr());
	return 0;
}
