/* cu_def.c - test input: definitions of the globals declared in shapes.h. */
#include "shapes.h"

sr_pkg_api_t _pkg_root;
sr_shm_api_t _shm_root;
sr_pkg_api_const_t pkg_const_root;
struct process_table *pt;
int process_no = 3;
struct qm_block *qm_main_block;
struct fm_block fm_main;
struct anon_holder anon;
struct with_flex *flex;
not_a_struct_t plain_int;

#ifdef EXTRA
struct extra_shared extra_shared_var;
#endif

static struct qm_frag_lnk def_static_lnk[3];

void *def_static_addr(void)
{
	def_static_lnk[1].no++;
	return def_static_lnk;
}
