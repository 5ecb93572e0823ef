/* fuzz_util.c - helpers shared by the fuzz harnesses. */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

int hw_fuzz_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("heapwalk-fuzz", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	return fd;
}
