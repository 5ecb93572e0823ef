/*
 * test_tables.c - the variant tables iterated: every allocator in
 * hw_allocators (each op present or deliberately absent, names unique,
 * lookups consistent) and every built-in profile of each (names unique,
 * each one found again by name, byte for byte).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/alloc.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"

#define CAP 256

static size_t nallocators(void)
{
	size_t n = 0;

	while (hw_allocators[n])
		n++;
	return n;
}

static void test_allocator_ops(void **state)
{
	size_t n = nallocators();

	(void)state;
	assert_true(n >= 3);
	for (size_t i = 0; i < n; i++) {
		const struct hw_allocator *a = hw_allocators[i];
		/* every allocator has these */
		assert_non_null(a->name);
		assert_non_null(a->key);
		assert_true(a->layout_size >= sizeof(struct hw_layout_head));
		assert_non_null(a->profiles);
		assert_non_null(a->profile_by_name);
		assert_non_null(a->era_name);
		assert_non_null(a->describe);
		assert_non_null(a->fields);
		assert_true(a->nfields > 0);
		assert_true(!a->nflags || a->flags);
		assert_non_null(a->fit);
		assert_non_null(a->era_of_version);
		assert_non_null(a->fit_text);
		assert_non_null(a->misfit_text);
		assert_non_null(a->got_label);
		assert_non_null(a->read_header);
		assert_non_null(a->walk);
		assert_non_null(a->walk_free);
		assert_non_null(a->heap_end);
		assert_non_null(a->kam.stats);
		assert_non_null(a->kam.sums_head);
		assert_non_null(a->kam.status_begin);
		assert_non_null(a->kam.status_frag);
		assert_non_null(a->kam.status_end);
		/*
		 * Deliberately optional (NULL says what the header says it means):
		 * layout_from_dwarf, prefer, dwarf_era, caveat, debug_evidence,
		 * pool_kind, split_points, check_counters, check_totals, free_flag,
		 * sym_pkg/sym_shm. A split walk needs the end-of-walk counter check.
		 */
		if (a->split_points)
			assert_non_null(a->check_counters);
		assert_true(!a->sym_shm || a->sym_pkg);
		/* the fields lie inside the layout, named once each */
		for (size_t f = 0; f < a->nfields; f++) {
			assert_non_null(a->fields[f].name);
			assert_true(a->fields[f].off + sizeof(uint32_t) <= a->layout_size);
			for (size_t g = 0; g < f; g++)
				assert_string_not_equal(a->fields[f].name, a->fields[g].name);
		}
		for (size_t f = 0; f < a->nflags; f++)
			assert_true(a->flags[f].off + sizeof(bool) <= a->layout_size);
		/* found by either name; names and gdb ids unique */
		assert_ptr_equal(hw_allocator_find(a->key), a);
		assert_ptr_equal(hw_allocator_find(a->name), a);
		for (size_t j = 0; j < i; j++) {
			const struct hw_allocator *b = hw_allocators[j];
			assert_ptr_not_equal(a, b);
			assert_string_not_equal(a->name, b->name);
			assert_string_not_equal(a->key, b->key);
			assert_true(!a->gdb_id || a->gdb_id != b->gdb_id);
		}
	}
	assert_null(hw_allocator_find("nonsense"));
}

static void test_profiles_round_trip(void **state)
{
	size_t n = nallocators(), total = 0;
	char(*names)[64] = calloc(CAP * 8, sizeof(*names));

	(void)state;
	assert_non_null(names);
	for (size_t i = 0; i < n; i++) {
		const struct hw_allocator *a = hw_allocators[i];
		char *all = calloc(CAP, a->layout_size);
		char *again = calloc(1, a->layout_size);
		size_t np;

		assert_non_null(all);
		assert_non_null(again);
		np = a->profiles(all, CAP);
		assert_true(np > 0 && np <= CAP);
		for (size_t k = 0; k < np; k++) {
			const struct hw_layout_head *l = (const void *)(all + k * a->layout_size);
			struct hw_layout_facts facts;
			const struct hw_allocator *got;
			char src[128];
			void *found;

			/* "<key>-...", its source, a known era, a sane word and roundto */
			assert_int_equal(strncmp(l->name, a->key, strlen(a->key)), 0);
			assert_int_equal(l->name[strlen(a->key)], '-');
			snprintf(src, sizeof(src), "profile:%s", l->name);
			assert_string_equal(l->source, src);
			assert_string_not_equal(a->era_name(l->era), "?");
			assert_true(l->word == 4 || l->word == 8);
			assert_true(l->roundto && !(l->roundto & (l->roundto - 1)));
			memset(&facts, 0, sizeof(facts));
			a->describe(l, &facts);
			assert_string_equal(facts.era, a->era_name(l->era));
			assert_int_equal(facts.word, l->word);
			assert_int_equal(facts.debug, l->debug);
			assert_true(facts.header[0] != '\0');
			/* lookup by name round-trips, through the allocator and the table */
			memset(again, 0, a->layout_size);
			assert_null(a->profile_by_name(l->name, again));
			assert_memory_equal(again, l, a->layout_size);
			assert_ptr_equal(hw_allocator_of_profile(l->name), a);
			assert_null(hw_profile_lookup(l->name, &got, &found));
			assert_ptr_equal(got, a);
			assert_memory_equal(found, l, a->layout_size);
			free(found);
			/* unique over every allocator */
			for (size_t j = 0; j < total; j++)
				assert_string_not_equal(names[j], l->name);
			assert_true(total < CAP * 8);
			snprintf(names[total++], sizeof(names[0]), "%s", l->name);
		}
		free(again);
		free(all);
	}
	{
		const struct hw_allocator *got;
		void *found;
		struct hw_error *err = hw_profile_lookup("nonsense", &got, &found);
		assert_non_null(err);
		assert_int_equal(err->code, HW_ERR_LOOKUP);
		hw_error_destroy(err);
	}
	free(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_allocator_ops),
	    cmocka_unit_test(test_profiles_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
