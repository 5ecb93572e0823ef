/* toy_layout.c - the test-only toy allocator's one built-in profile (toy_layout.h). */
#include <string.h>

#include "heapwalk/error.h"
#include "heapwalk/toy_layout.h"

const char *hw_toy_era_name(int era)
{
	return era == 1 ? "1" : "?";
}

/* The one profile: 64-bit words, 16-byte rounding, no allocation sites. */
static void toy_profile(struct hw_toy_layout *l)
{
	static const struct hw_toy_layout profile = {
	    .name = "toy-1-lp64",
	    .source = "profile:toy-1-lp64",
	    .era = 1,
	    .word = 8,
	    .roundto = 16,
	    .block_size = 64,
	    .b_magic = 0,
	    .b_size = 8,
	    .b_used = 16,
	    .b_real_used = 24,
	    .b_max_real_used = 32,
	    .b_free_head = 40,
	    .b_nfree = 48,
	    .frag_size = 32,
	    .f_size = 0,
	    .f_state = 8,
	    .f_next_free = 16,
	};

	memcpy(l, &profile, sizeof(*l));
}

size_t hw_toy_profiles(struct hw_toy_layout *out, size_t cap)
{
	if (cap >= 1)
		toy_profile(&out[0]);
	return 1;
}

struct hw_error *hw_toy_profile_by_name(const char *name, struct hw_toy_layout *ret)
{
	struct hw_toy_layout l;

	toy_profile(&l);
	if (strcmp(name, l.name))
		return hw_error_create(HW_ERR_LOOKUP, "no toy layout named '%s'", name);
	*ret = l;
	return NULL;
}
