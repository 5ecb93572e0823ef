/*
 * fuzz_snapshot.c - fuzz harness: heapwalk's snapshot file (hw_snapshot_load)
 * over arbitrary bytes, then every process it holds opened as a target
 * (hw_snapshot_open, files resolved in the harnesses' sysroot) and used as
 * fuzz_core uses a core.
 */
#include <stdio.h>
#include <unistd.h>

#include "heapwalk/error.h"
#include "heapwalk/snapshot.h"
#include "heapwalk/target.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct hw_target_opts opts = {.sysroot = HW_FUZZ_SYSROOT(), .max_core_size = 16u << 20};
	struct hw_snapshot *s = NULL;
	struct hw_error *err;
	int fd = hw_fuzz_memfd(data, size);

	if (fd < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = hw_snapshot_load(path, &s);
	if (!err) {
		for (size_t i = 0; i < s->nprocs; i++) {
			struct hw_target *t;
			err = hw_snapshot_open(s, i, &opts, &t);
			if (!err) {
				hw_fuzz_use_target(t);
				hw_target_destroy(t);
			}
			hw_error_destroy(err);
		}
		err = NULL;
		hw_snapshot_destroy(s);
	}
	hw_error_destroy(err);
	close(fd);
	return 0;
}
