/* model.c - the report model's owned parts. */
#include <stdlib.h>

#include "heapwalk/classify.h"
#include "heapwalk/heapmap.h"
#include "heapwalk/model.h"
#include "heapwalk/tally.h"

void hw_pool_report_deinit(struct hw_pool_report *pr)
{
	free(pr->error);
	hw_check_deinit(&pr->check);
	hw_sites_deinit(&pr->sites);
	free(pr->rows);
	hw_groups_deinit(&pr->groups);
	free(pr->buckets);
	free(pr->frag);
	pr->frag = NULL;
	if (pr->tally) {
		hw_tally_deinit(pr->tally);
		free(pr->tally);
		pr->tally = NULL;
	}
	hw_classify_destroy(pr->classify);
	pr->classify = NULL;
	hw_stack_groups_destroy(pr->stacks);
	pr->stacks = NULL;
	if (pr->map) {
		hw_heapmap_deinit(pr->map);
		free(pr->map);
		pr->map = NULL;
	}
	pr->error = NULL;
	pr->rows = NULL;
	pr->buckets = NULL;
}
