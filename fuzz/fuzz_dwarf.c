/* fuzz_dwarf.c - fuzz harness: the DWARF layout reader over arbitrary bytes (as a debug file). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"
#include "fuzz.h"

/*
 * The input reaches heapwalk's reader unchanged: what libdwarf may see of
 * it (no range or location lists, sizes checked against the file) is the
 * reader's own business (walker/debuginfo/dwobj.c), not the harness's.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct hw_dwarf *dw = NULL;
	struct hw_error *err;
	int fd = hw_fuzz_memfd(data, size);

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
