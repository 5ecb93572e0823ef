/* kamlog.c - pieces of the text Kamailio's managers log (qm_status, ...; ops.h). */
#include <inttypes.h>

#include "ops.h"

void hw_kam_ptr(struct hw_sbuf *sb, uint64_t p)
{
	if (p)
		hw_sbuf_printf(sb, "0x%" PRIx64, p);
	else
		hw_sbuf_puts(sb, "(nil)");
}

void hw_kam_status_header(struct hw_sbuf *sb, const struct hw_heap_header *h)
{
	hw_sbuf_putc(sb, '(');
	hw_kam_ptr(sb, h->block);
	hw_sbuf_puts(sb, "):\n");
	hw_sbuf_printf(sb, "heap size= %" PRIu64 "\n", h->size);
	hw_sbuf_printf(sb, "used= %" PRIu64 ", used+overhead=%" PRIu64 ", free=%" PRIu64 "\n",
		       h->used, h->real_used, h->size - h->real_used);
	hw_sbuf_printf(sb, "max used (+overhead)= %" PRIu64 "\n", h->max_real_used);
}

void hw_kam_sums_plain(struct hw_sbuf *sb, const struct hw_heap_header *h)
{
	(void)sb;
	(void)h;
}
