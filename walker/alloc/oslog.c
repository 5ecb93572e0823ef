/* oslog.c - pieces of the text OpenSIPS's managers log for mem_pkg_dump / mem_shm_dump (ops.h). */
#include <inttypes.h>

#include "ops.h"

void hw_os_status_header(struct hw_sbuf *sb, const char *name, const struct hw_heap_header *h,
			 uint64_t free)
{
	hw_sbuf_printf(sb, "%s_status (", name);
	hw_kam_ptr(sb, h->block);
	hw_sbuf_puts(sb, "):\n");
	hw_sbuf_printf(sb, " heap size= %" PRIu64 "\n", h->size);
	hw_sbuf_printf(sb, " used= %" PRIu64 ", used+overhead=%" PRIu64 ", free=%" PRIu64 "\n",
		       h->used, h->real_used, free);
	hw_sbuf_printf(sb, " max used (+overhead)= %" PRIu64 "\n", h->max_real_used);
}

void hw_os_bucket(struct hw_sbuf *sb, bool qm, const struct hw_free_bucket *b, uint64_t lo,
		  bool linear)
{
	/* OpenSIPS never marks a fragment unused: the count is always 0 */
	if (qm)
		hw_sbuf_printf(sb, "hash= %3d. fragments no.: %5d, unused: %5d\n", (int)b->index,
			       (int)b->count, 0);
	else
		hw_sbuf_printf(sb, "hash = %3d fragments no.: %5d, unused: %5d\n", (int)b->index,
			       (int)b->count, 0);
	hw_sbuf_printf(sb, "\t\t bucket size: %9" PRIu64 " - %9" PRIu64 " (first %9" PRIu64 ")\n",
		       lo, (linear ? 1 : 2) * lo, b->first_size);
}
