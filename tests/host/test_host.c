/* test_host.c - the host view's parsers: meminfo and its verdict, slabinfo, Kamailio's -m/-M. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/error.h"
#include "heapwalk/host.h"

#define KIB 1024ull

static const char meminfo_text[] = "MemTotal:       16000000 kB\n"
				   "MemFree:         1000000 kB\n"
				   "MemAvailable:   12000000 kB\n"
				   "Buffers:          200000 kB\n"
				   "Cached:          9000000 kB\n"
				   "Shmem:            500000 kB\n"
				   "Slab:            1500000 kB\n"
				   "SReclaimable:    1200000 kB\n"
				   "SUnreclaim:       300000 kB\n"
				   "HugePages_Total:       0\n"
				   "garbage line without colon\n"
				   "Weird: not-a-number kB\n";

static void test_meminfo(void **state)
{
	struct hw_meminfo mi;
	struct hw_mem_verdict v;

	(void)state;
	assert_null(hw_meminfo_parse(meminfo_text, strlen(meminfo_text), &mi));
	assert_true(mi.have[HW_MI_MEMTOTAL]);
	assert_int_equal(mi.bytes[HW_MI_MEMTOTAL], 16000000 * KIB);
	assert_int_equal(mi.bytes[HW_MI_SRECLAIMABLE], 1200000 * KIB);
	assert_false(mi.have[HW_MI_SWAPTOTAL]);
	hw_meminfo_verdict(&mi, &v);
	assert_true(v.valid);
	assert_int_equal(v.used, 15000000 * KIB);
	/* buffers + (cached - shmem) + sreclaimable */
	assert_int_equal(v.reclaimable, (200000 + 8500000 + 1200000) * KIB);
	assert_int_equal(v.held, 4000000 * KIB);
	assert_true(v.mostly_reclaimable);
}

static void test_meminfo_held(void **state)
{
	static const char t[] = "MemTotal: 1000 kB\nMemFree: 100 kB\nCached: 300 kB\n"
				"Shmem: 250 kB\nBuffers: 10 kB\n";
	struct hw_meminfo mi;
	struct hw_mem_verdict v;

	(void)state;
	assert_null(hw_meminfo_parse(t, strlen(t), &mi));
	hw_meminfo_verdict(&mi, &v);
	assert_int_equal(v.used, 900 * KIB);
	assert_int_equal(v.reclaimable, 60 * KIB);
	/* no MemAvailable: held is what is not reclaimable */
	assert_int_equal(v.held, 840 * KIB);
	assert_false(v.mostly_reclaimable);
}

static void test_meminfo_bad(void **state)
{
	struct hw_meminfo mi;
	struct hw_mem_verdict v;
	struct hw_error *err;

	(void)state;
	err = hw_meminfo_parse("hello\nworld\n", 12, &mi);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_BAD_DATA);
	hw_error_destroy(err);
	/* free above total, reclaimable above used: nothing wraps */
	assert_null(hw_meminfo_parse("MemTotal: 10 kB\nMemFree: 20 kB\nCached: 99 kB\n", 44, &mi));
	hw_meminfo_verdict(&mi, &v);
	assert_int_equal(v.used, 0);
	assert_int_equal(v.reclaimable, 0);
	/* a value that overflows in bytes saturates */
	assert_null(hw_meminfo_parse("MemTotal: 18446744073709551615 kB\n", 34, &mi));
	assert_int_equal(mi.bytes[HW_MI_MEMTOTAL], UINT64_MAX);
}

static const char slab_text[] =
    "slabinfo - version: 2.1\n"
    "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : "
    "tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> "
    "<sharedavail>\n"
    "ext4_inode_cache   63266  63266   1128   29    8 : tunables    0    0    0 : slabdata   "
    "2182   2182      0\n"
    "dentry            115752 115815    192   21    1 : tunables    0    0    0 : slabdata   "
    "5515   5515      0\n"
    "kmalloc-8k            24     28   8192    4    8 : tunables    0    0    0 : slabdata      "
    "7      7      0\n"
    "empty_cache            0      0     64   64    1 : tunables    0    0    0 : slabdata      "
    "0      0      0\n"
    "broken line\n"
    "Acpi-State           102    102     80   51    1 : tunables    0    0    0 : slabdata      "
    "2      2      0\n";

static const char *names(const struct hw_slabinfo *si, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (size_t i = 0; i < si->ncaches; i++) {
		strncat(buf, si->caches[i].name, cap - strlen(buf) - 2);
		strcat(buf, " ");
	}
	return buf;
}

static void test_slabinfo(void **state)
{
	struct hw_slabinfo si;
	const struct hw_slab_totals *t = &si.totals;
	char buf[256];

	(void)state;
	assert_null(hw_slabinfo_parse(slab_text, strlen(slab_text), 4096, &si));
	assert_string_equal(si.version, "2.1");
	assert_int_equal(si.ncaches, 5);
	assert_int_equal(si.caches[0].cache_size, 2182ull * 8 * 4096);
	assert_int_equal(t->ncaches, 5);
	assert_int_equal(t->active_caches, 4);
	assert_int_equal(t->num_objs, 63266 + 115815 + 28 + 102);
	assert_int_equal(t->active_objs, 63266 + 115752 + 24 + 102);
	assert_int_equal(t->num_slabs, 2182 + 5515 + 7 + 2);
	assert_int_equal(t->min_objsize, 80);
	assert_int_equal(t->max_objsize, 8192);
	assert_int_equal(t->total_size, 63266ull * 1128 + 115815ull * 192 + 28 * 8192 + 102 * 80);
	assert_int_equal(t->avg_objsize, t->total_size / t->num_objs);
	assert_int_equal(t->cache_size, (2182ull * 8 + 5515 + 7 * 8 + 2) * 4096);

	hw_slab_sort(&si, 'c');
	assert_string_equal(names(&si, buf, sizeof(buf)),
			    "ext4_inode_cache dentry kmalloc-8k Acpi-State empty_cache ");
	hw_slab_sort(&si, 'n');
	assert_string_equal(names(&si, buf, sizeof(buf)),
			    "Acpi-State dentry empty_cache ext4_inode_cache kmalloc-8k ");
	hw_slab_sort(&si, 'a');
	assert_string_equal(names(&si, buf, sizeof(buf)),
			    "dentry ext4_inode_cache Acpi-State kmalloc-8k empty_cache ");
	hw_slab_sort(&si, 'o');
	assert_string_equal(si.caches[0].name, "dentry");
	hw_slab_sort(&si, 'l');
	assert_string_equal(si.caches[0].name, "dentry");
	hw_slab_sort(&si, 's');
	assert_string_equal(si.caches[0].name, "kmalloc-8k");
	hw_slab_sort(&si, 'p');
	assert_string_equal(names(&si, buf, sizeof(buf)),
			    "empty_cache Acpi-State ext4_inode_cache dentry kmalloc-8k ");
	hw_slab_sort(&si, 'u');
	/* 100% first (by name), then 99.9% dentry, 85.7% kmalloc-8k, 0% */
	assert_string_equal(names(&si, buf, sizeof(buf)),
			    "Acpi-State ext4_inode_cache dentry kmalloc-8k empty_cache ");
	assert_true(hw_slab_sort_key_ok('u'));
	assert_false(hw_slab_sort_key_ok('x'));
	assert_false(hw_slab_sort_key_ok('\0'));
	hw_slabinfo_deinit(&si);
}

static void test_slabinfo_bad(void **state)
{
	static const char v1[] = "slabinfo - version: 1.1\nfoo 1 2 3\n";
	static const char none[] = "slabinfo - version: 2.1\nonly garbage here\n";
	static const char odd[] = "slabinfo - version: 2.1\n"
				  "we\x1b[31mird 1 1 8 1 1 : tunables 0 0 0 : slabdata 1 1 0\n"
				  "huge 1 1 8 1 18446744073709551615 : tunables 0 0 0 : slabdata 1 "
				  "18446744073709551615 0\n";
	struct hw_slabinfo si;
	struct hw_error *err;

	(void)state;
	err = hw_slabinfo_parse(v1, strlen(v1), 4096, &si);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_UNSUPPORTED);
	hw_error_destroy(err);
	err = hw_slabinfo_parse("hello", 5, 4096, &si);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_BAD_DATA);
	hw_error_destroy(err);
	err = hw_slabinfo_parse(none, strlen(none), 4096, &si);
	assert_non_null(err);
	hw_error_destroy(err);
	/* names are sanitised; sizes saturate instead of wrapping */
	assert_null(hw_slabinfo_parse(odd, strlen(odd), 4096, &si));
	assert_int_equal(si.ncaches, 2);
	assert_string_equal(si.caches[0].name, "we\\x1b[31mird");
	assert_int_equal(si.caches[1].cache_size, UINT64_MAX);
	assert_int_equal(si.totals.cache_size, UINT64_MAX);
	hw_slabinfo_deinit(&si);
}

/* @args: arguments separated by '|' (turned into NULs); -m and -M in MB as Kamailio reads them. */
static void mem_args(const char *args, uint64_t want_shm, uint64_t want_pkg)
{
	char buf[512];
	size_t len = strlen(args);
	uint64_t shm, pkg;

	assert_true(len < sizeof(buf));
	for (size_t i = 0; i <= len; i++)
		buf[i] = args[i] == '|' ? '\0' : args[i];
	hw_kamailio_mem_args(buf, len + 1, &shm, &pkg);
	if (shm != want_shm || pkg != want_pkg)
		print_message("%s: -m %" PRIu64 " -M %" PRIu64 "\n", args, shm, pkg);
	assert_int_equal(shm, want_shm);
	assert_int_equal(pkg, want_pkg);
}

static void test_kamailio_args(void **state)
{
	uint64_t shm, pkg;

	(void)state;
	mem_args("/usr/sbin/kamailio|-f|/etc/k.cfg|-m|64|-M|16", 64, 16);
	mem_args("kamailio|-m128|-M8", 128, 8);
	/* clustered flags; the last one wins */
	mem_args("kamailio|-DDEm|32|-m|48", 48, 0);
	/* values of other options are not options */
	mem_args("kamailio|-A|-m 5|-f|-M|--alias|-m|--modparam=x:-m:i:1", 0, 0);
	/* not numbers, a missing value, "--" */
	mem_args("kamailio|-m|lots|-M", 0, 0);
	mem_args("kamailio|--|-m|64", 0, 0);
	mem_args("kamailio|-m|99999999999999999999", 0, 0);
	/* no terminating NUL */
	hw_kamailio_mem_args("k\0-M\0"
			     "12",
			     7, &shm, &pkg);
	assert_int_equal(pkg, 12);
}

static void test_host_read_missing(void **state)
{
	struct hw_host_opts o = {.proc_dir = "/nonexistent-heapwalk", .meminfo = true};
	struct hw_host h;
	struct hw_error *err;

	(void)state;
	err = hw_host_read(&o, &h);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_OS);
	hw_error_destroy(err);
	/* a directory without the files: no error, notes say what was missing */
	o.proc_dir = "/";
	o.slab = true;
	assert_null(hw_host_read(&o, &h));
	assert_false(h.have_meminfo);
	assert_false(h.have_slab);
	assert_int_equal(h.nnotes, 2);
	assert_non_null(strstr(h.notes[0], "cannot read //meminfo"));
	hw_host_deinit(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_meminfo),	      cmocka_unit_test(test_meminfo_held),
	    cmocka_unit_test(test_meminfo_bad),	      cmocka_unit_test(test_slabinfo),
	    cmocka_unit_test(test_slabinfo_bad),      cmocka_unit_test(test_kamailio_args),
	    cmocka_unit_test(test_host_read_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
