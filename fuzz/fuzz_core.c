/* fuzz_core.c - fuzz harness: the ELF core reader (hw_target_open_core) over arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/pool.h"
#include "heapwalk/target.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct hw_target_opts opts = {
	    .core_path = path,
	    /* nothing the input names is opened from this machine */
	    .sysroot = "/nonexistent-heapwalk-fuzz-sysroot",
	    .max_core_size = 16u << 20,
	};
	struct hw_target *t = NULL;
	struct hw_error *err;
	int fd = hw_fuzz_memfd(data, size);

	if (fd < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = hw_target_open_core(&opts, &t);
	if (!err) {
		/* read a little of every segment, the way the walkers do */
		size_t n = hw_mem_segment_count(t->mem);
		struct hw_instance inst;
		struct hw_pool pools[HW_POOL_KIND_COUNT];
		struct hw_discover_opts dopts = {.block_kind = -1};

		for (size_t i = 0; i < n && i < 64; i++) {
			struct hw_mem_segment_info si;
			uint64_t w;
			char s[64];

			hw_mem_segment_get(t->mem, i, &si);
			hw_error_destroy(hw_target_read_word(t, si.start, &w));
			hw_error_destroy(hw_target_read_string(t, si.start, s, sizeof(s)));
			if (si.len > 8)
				hw_error_destroy(hw_target_read_word(t, si.start + si.len - 8, &w));
		}
		for (size_t i = 0; i < t->nmappings; i++)
			(void)hw_target_mapping_at(t, t->mappings[i].start);
		/* the pools may hold problem texts even when discovery fails: always deinit */
		memset(pools, 0, sizeof(pools));
		err = hw_pools_discover(t, NULL, &dopts, &inst, pools);
		for (int k = 0; k < HW_POOL_KIND_COUNT; k++)
			hw_pool_deinit(&pools[k]);
		hw_error_destroy(err);
		hw_target_destroy(t);
	} else {
		hw_error_destroy(err);
	}
	close(fd);
	return 0;
}
