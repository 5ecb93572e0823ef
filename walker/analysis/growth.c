/* growth.c - each site's values over a series of samples, and which keep growing. */
#include <stdlib.h>
#include <string.h>

#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/growth.h"
#include "heapwalk/persist.h"

const char *hw_trend_name(enum hw_trend t)
{
	switch (t) {
	case HW_TREND_STATIC:
		return "static";
	case HW_TREND_GROWING:
		return "growing";
	case HW_TREND_LEVELLING:
		return "levelling off";
	case HW_TREND_TURNOVER:
		return "turning over";
	case HW_TREND_SHRINKING:
		return "shrinking";
	}
	return "?";
}

/* Growth from @from to @to above the minimum, absolute and relative? */
static bool grew_enough(uint64_t from, uint64_t to)
{
	return to > from && to - from >= HW_GROWTH_MIN_BYTES &&
	       (double)(to - from) >= HW_GROWTH_MIN_SHARE * (double)from;
}

enum hw_trend hw_trend_of(const uint64_t *count, const uint64_t *bytes, size_t n, double kept_share)
{
	bool mono = true;
	double mean;

	if (n < 2)
		return HW_TREND_STATIC;
	if (!grew_enough(bytes[0], bytes[n - 1]))
		return grew_enough(bytes[n - 1], bytes[0]) ? HW_TREND_SHRINKING : HW_TREND_STATIC;
	if (kept_share >= 0 && count[0] >= HW_GROWTH_KEPT_MIN_FRAGS && kept_share < HW_GROWTH_KEPT)
		return HW_TREND_TURNOVER;
	for (size_t j = 1; j < n; j++)
		if (bytes[j] < bytes[j - 1] || count[j] < count[j - 1])
			mono = false;
	if (!mono)
		return HW_TREND_LEVELLING;
	mean = ((double)bytes[n - 1] - (double)bytes[0]) / (double)(n - 1);
	if (n >= 3 && (double)(bytes[n - 1] - bytes[n - 2]) < HW_GROWTH_LEVEL * mean)
		return HW_TREND_LEVELLING;
	return HW_TREND_GROWING;
}

static int cmp_series(const void *x, const void *y)
{
	const struct hw_watch_series *a = x, *b = y;

	if (a->growing != b->growing)
		return a->growing ? -1 : 1;
	if (a->bytes_per_min != b->bytes_per_min)
		return a->bytes_per_min > b->bytes_per_min ? -1 : 1;
	return a->count_per_min > b->count_per_min ? -1 : a->count_per_min < b->count_per_min;
}

/* Series @w is site @s of @pool, with its values in @count and @bytes. */
static void series_init(struct hw_watch_series *w, const struct hw_diff_pool *pool,
			const struct hw_diff_site *s, uint64_t *count, uint64_t *bytes)
{
	w->pool = pool->name;
	w->pid = pool->pid;
	w->rank = pool->rank;
	w->desc = pool->desc;
	w->file = s->file;
	w->func = s->func;
	w->module = s->module;
	w->line = s->line;
	w->count = count;
	w->bytes = bytes;
}

/*
 * A series for every site of the last sample, with its values in every
 * sample (0 where the site or the process was absent). Growing: never
 * smaller than the sample before, and bigger at the end than at the start.
 */
struct hw_error *hw_watch_build(const struct hw_diff_side *samples, size_t n, const uint64_t *t_ns,
				struct hw_watch_store *st, size_t *ngrowing)
{
	const struct hw_diff_side *last = &samples[n - 1];
	double minutes = n > 1 ? ((double)t_ns[n - 1] - (double)t_ns[0]) / 60e9 : 0;
	size_t total = 0, k = 0;

	for (size_t p = 0; p < last->npools; p++)
		total += last->pools[p].nsites;
	st->v = calloc(total ? total : 1, sizeof(*st->v));
	st->values = calloc((total ? total : 1) * 2 * n, sizeof(*st->values));
	if (!st->v || !st->values)
		return hw_error_nomem();
	*ngrowing = 0;
	for (size_t p = 0; p < last->npools; p++) {
		const struct hw_diff_pool *lp = &last->pools[p];
		for (size_t i = 0; i < lp->nsites; i++) {
			const struct hw_diff_site *s = &lp->sites[i];
			struct hw_watch_series *w = &st->v[k];
			uint64_t *count = st->values + k * 2 * n, *bytes = count + n;
			const struct hw_diff_pool *fp =
			    hw_diff_side_find(&samples[0], lp->name, lp->pid);
			const struct hw_diff_site *f0 = NULL;
			series_init(w, lp, s, count, bytes);
			for (size_t j = 0; j < n; j++) {
				const struct hw_diff_pool *sp =
				    hw_diff_side_find(&samples[j], lp->name, lp->pid);
				const struct hw_diff_site *x =
				    sp ? hw_diff_pool_find(sp, s->file, s->func, s->line, s->module)
				       : NULL;
				count[j] = x ? x->count : 0;
				bytes[j] = x ? x->bytes : 0;
				if (!j)
					f0 = x;
			}
			/* the share of the first sample's fragments still there at the end */
			w->kept_share = -1;
			if (n >= 2 && lp->kept_known && fp && fp->ids && !fp->ids->overflow)
				w->kept_share =
				    f0 && f0->count ? (double)s->kept / (double)f0->count : 1.0;
			w->trend = hw_trend_of(count, bytes, n, w->kept_share);
			w->growing = w->trend == HW_TREND_GROWING;
			if (minutes > 0) {
				w->bytes_per_min =
				    ((double)bytes[n - 1] - (double)bytes[0]) / minutes;
				w->count_per_min =
				    ((double)count[n - 1] - (double)count[0]) / minutes;
			}
			if (w->growing)
				(*ngrowing)++;
			k++;
		}
	}
	st->n = k;
	st->nsamples = n;
	qsort(st->v, st->n, sizeof(*st->v), cmp_series);
	return NULL;
}

void hw_watch_store_deinit(struct hw_watch_store *st)
{
	free(st->v);
	free(st->values);
	memset(st, 0, sizeof(*st));
}

static int by_growth(const void *x, const void *y)
{
	const struct hw_watch_series *a = x, *b = y;
	int64_t da = (int64_t)(a->bytes[1] - a->bytes[0]),
		db = (int64_t)(b->bytes[1] - b->bytes[0]);

	if (da != db)
		return da > db ? -1 : 1;
	da = (int64_t)(a->count[1] - a->count[0]);
	db = (int64_t)(b->count[1] - b->count[0]);
	return da > db ? -1 : da < db;
}

struct hw_error *hw_growth_from_diff(const struct hw_diff *d, const uint64_t t_ns[2],
				     struct hw_watch_series **ret, uint64_t **values_ret,
				     size_t *n_ret)
{
	double minutes = t_ns[0] && t_ns[1] > t_ns[0] ? (double)(t_ns[1] - t_ns[0]) / 60e9 : 0;
	struct hw_watch_series *v;
	uint64_t *values;
	size_t total = 0, k = 0;

	for (size_t i = 0; i < d->npairs; i++)
		total += d->pairs[i].nrows;
	v = calloc(total ? total : 1, sizeof(*v));
	values = calloc((total ? total : 1) * 4, sizeof(*values));
	if (!v || !values) {
		free(v);
		free(values);
		return hw_error_nomem();
	}
	for (size_t i = 0; i < d->npairs; i++) {
		const struct hw_diff_pair *pp = &d->pairs[i];
		if (!pp->a || !pp->b)
			continue; /* a pool on one side only has nothing to compare with */
		for (size_t j = 0; j < pp->nrows; j++) {
			const struct hw_diff_row *r = &pp->rows[j];
			const struct hw_diff_site *s = r->b ? r->b : r->a;
			struct hw_watch_series *w = &v[k];
			uint64_t *count = values + 4 * k, *bytes = count + 2;
			count[0] = r->a ? r->a->count : 0;
			bytes[0] = r->a ? r->a->bytes : 0;
			count[1] = r->b ? r->b->count : 0;
			bytes[1] = r->b ? r->b->bytes : 0;
			if (!(grew_enough(bytes[0], bytes[1]) && count[1] >= count[0]))
				continue;
			series_init(w, pp->b, s, count, bytes);
			w->growing = true;
			w->trend = HW_TREND_GROWING;
			w->kept_share = -1;
			if (minutes > 0) {
				w->bytes_per_min = (double)(bytes[1] - bytes[0]) / minutes;
				w->count_per_min = (double)(count[1] - count[0]) / minutes;
			}
			k++;
		}
	}
	qsort(v, k, sizeof(*v), by_growth);
	*ret = v;
	*values_ret = values;
	*n_ret = k;
	return NULL;
}
