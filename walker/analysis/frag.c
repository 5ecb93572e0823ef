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

static void end_run(struct hw_frag_stats *fs)
{
	if (fs->prev_free && fs->run_frags >= 2) {
		uint64_t merged = fs->run_end - fs->run_first_user;
		fs->join_runs++;
		fs->join_frags += fs->run_frags;
		if (merged > fs->join_largest)
			fs->join_largest = merged;
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
	fs->prev_free = true;
	fs->run_frags = 1;
	fs->run_first_user = f->user;
	fs->run_end = f->user + f->size;
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
	if (!p->usable)
		return 1;
	switch (p->mgr) {
	case HW_MGR_QM:
		return p->qm.roundto ? p->qm.roundto : 1;
	case HW_MGR_FM:
		return p->fm.roundto ? p->fm.roundto : 1;
	case HW_MGR_TLSF:
		return p->tlsf.align ? p->tlsf.align : 1;
	default:
		return 1;
	}
}
