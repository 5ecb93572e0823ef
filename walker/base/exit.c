/* exit.c - which of two exit codes is the more urgent. */
#include "heapwalk/exit.h"

/* Urgency of codes 0..5: ok, damage, could not walk, leak, exhausted, fragmentation. */
static const int urgency[] = {0, 4, 5, 3, 2, 1};

static int rank(int code)
{
	return code >= 0 && code < (int)(sizeof(urgency) / sizeof(urgency[0])) ? urgency[code] : 6;
}

int hw_exit_worse(int a, int b)
{
	return rank(b) > rank(a) ? b : a;
}
