/* array.c - growing arrays. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/array.h"

bool hw_grow(void *pv, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c = *cap ? *cap : first ? first : 1;
	void *v;

	if (n <= *cap)
		return true;
	while (c < n) {
		if (c > SIZE_MAX / 2)
			return false;
		c *= 2;
	}
	if (size && c > SIZE_MAX / size)
		return false;
	memcpy(&v, pv, sizeof(v));
	if (!(v = realloc(v, c * size)))
		return false;
	memcpy(pv, &v, sizeof(v));
	*cap = c;
	return true;
}
