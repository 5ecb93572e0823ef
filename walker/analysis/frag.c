/* frag.c - fragmentation figures of a pool from one walk (see include/heapwalk/frag.h). */
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/frag.h"
#include "heapwalk/pool.h"

void hw_frag_stats_init(struct hw_frag_stats *fs)
{
	memset(fs, 0, sizeof(*fs));
}

static unsigned size_class(uint64_t size)
{
	unsigned k = 0;

	while (size > 1 && k < HW_FRAG_CLASSES - 1) {
		size >>= 1;
		k++;
	}
	return k;
}

uint64_t hw_frag_class_min(unsigned k)
{
	return k == 0 ? 0 : k >= 64 ? UINT64_MAX : (uint64_t)1 << k;
}

void hw_frag_stats_init_half(struct hw_frag_stats *fs)
{
	memset(fs, 0, sizeof(*fs));
	fs->half = true;
}

/* Count a finished run of @frags adjacent free fragments whose payloads span [first, end). */
static void count_run(struct hw_frag_stats *fs, uint64_t frags, uint64_t first, uint64_t end)
{
	if (frags >= 2) {
		uint64_t merged = end - first;
		fs->join_runs++;
		fs->join_frags += frags;
		if (merged > fs->join_largest)
			fs->join_largest = merged;
	}
}

static void end_run(struct hw_frag_stats *fs)
{
	if (fs->prev_free && fs->head_open) {
		/* a second half's leading run: the join decides */
		fs->head_open = false;
		fs->head_first_user = fs->run_first_user;
		fs->head_frags = fs->run_frags;
		fs->head_end = fs->run_end;
	} else if (fs->prev_free) {
		count_run(fs, fs->run_frags, fs->run_first_user, fs->run_end);
	}
	fs->prev_free = false;
	fs->run_frags = 0;
}

void hw_frag_stats_add(struct hw_frag_stats *fs, const struct hw_frag *f)
{
	/* A gap in the indices (a filtered or resynchronised walk) breaks adjacency. */
	bool adjacent = fs->prev_free && f->index == fs->prev_index + 1;

	fs->prev_index = f->index;
	if (f->used) {
		fs->used_frags++;
		end_run(fs);
		return;
	}
	fs->free_frags++;
	fs->free_bytes += f->size;
	if (f->size > fs->largest_free || fs->free_frags == 1) {
		fs->largest_free = f->size;
		fs->largest_free_addr = f->user;
	}
	{
		unsigned k = size_class(f->size);
		fs->class_count[k]++;
		fs->class_bytes[k] += f->size;
	}
	if (f->user > UINT64_MAX - f->size) {
		end_run(fs);
		return;
	}
	if (adjacent && f->user > fs->run_end) {
		/* The join gives back the header/trailer between the two payloads. */
		fs->join_gain += f->user - fs->run_end;
		fs->run_frags++;
		fs->run_end = f->user + f->size;
		return;
	}
	end_run(fs);
	if (fs->half && fs->free_frags + fs->used_frags == 1)
		fs->head_open = true; /* the half starts with a free fragment */
	fs->prev_free = true;
	fs->run_frags = 1;
	fs->run_first_user = f->user;
	fs->run_end = f->user + f->size;
}

void hw_frag_stats_join(struct hw_frag_stats *a, const struct hw_frag_stats *b)
{
	/* b's leading run: still open (b is one run) or finished */
	const bool b_head = b->head_open || b->head_frags;
	const uint64_t h_first = b->head_open ? b->run_first_user : b->head_first_user;
	const uint64_t h_frags = b->head_open ? b->run_frags : b->head_frags;
	const uint64_t h_end = b->head_open ? b->run_end : b->head_end;

	if (!b->free_frags && !b->used_frags)
		return;
	if (b->free_frags && (!a->free_frags || b->largest_free > a->largest_free)) {
		a->largest_free = b->largest_free;
		a->largest_free_addr = b->largest_free_addr;
	}
	a->free_frags += b->free_frags;
	a->free_bytes += b->free_bytes;
	a->used_frags += b->used_frags;
	for (unsigned k = 0; k < HW_FRAG_CLASSES; k++) {
		a->class_count[k] += b->class_count[k];
		a->class_bytes[k] += b->class_bytes[k];
	}
	a->join_runs += b->join_runs;
	a->join_frags += b->join_frags;
	a->join_gain += b->join_gain;
	if (b->join_largest > a->join_largest)
		a->join_largest = b->join_largest;
	if (b_head && a->prev_free && h_first > a->run_end) {
		/* a's last run goes on into b */
		a->join_gain += h_first - a->run_end;
		a->run_frags += h_frags;
		a->run_end = h_end;
	} else {
		end_run(a);
		if (b_head && !b->head_open) {
			count_run(a, h_frags, h_first, h_end);
		} else if (b_head) {
			a->prev_free = true;
			a->run_first_user = h_first;
			a->run_frags = h_frags;
			a->run_end = h_end;
		}
	}
	if (!b->head_open) {
		/* b's own last run (not its head) stays open */
		end_run(a);
		if (b->prev_free) {
			a->prev_free = true;
			a->run_first_user = b->run_first_user;
			a->run_frags = b->run_frags;
			a->run_end = b->run_end;
		}
	}
	a->prev_index += b->free_frags + b->used_frags;
}

void hw_frag_stats_finish(struct hw_frag_stats *fs)
{
	end_run(fs);
}

uint64_t hw_frag_round(uint64_t size, uint64_t roundto)
{
	uint64_t r;

	if (roundto <= 1)
		return size;
	r = size % roundto;
	if (!r)
		return size;
	if (size > UINT64_MAX - (roundto - r))
		return UINT64_MAX;
	return size + (roundto - r);
}

bool hw_frag_fits(const struct hw_frag_stats *fs, uint64_t size, uint64_t roundto)
{
	return fs->free_frags > 0 && fs->largest_free >= hw_frag_round(size, roundto);
}

double hw_frag_index(const struct hw_frag_stats *fs)
{
	if (!fs->free_bytes)
		return 0.0;
	return 1.0 - (double)fs->largest_free / (double)fs->free_bytes;
}

uint64_t hw_frag_pool_roundto(const struct hw_pool *p)
{
	if (!p->usable || !p->layout)
		return 1;
	return p->layout->roundto ? p->layout->roundto : 1;
}
