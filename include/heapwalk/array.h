/*
 * array.h - growing an array of elements: one place that doubles the
 * capacity and refuses a size that would overflow.
 */
#ifndef HEAPWALK_ARRAY_H
#define HEAPWALK_ARRAY_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Make room for @n elements of @size bytes in the array *@pv points to
 * (pv: the address of the array's pointer; *@cap: its capacity in
 * elements). The capacity doubles, from @first, until it holds @n. False
 * when memory runs out or the size would overflow; the array and *@cap
 * are then unchanged.
 */
bool hw_grow(void *pv, size_t *cap, size_t n, size_t size, size_t first);

#endif
