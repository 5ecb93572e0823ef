/* debuginfod.c - debug files by build-id from DEBUGINFOD_URLS (libdebuginfod). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HW_HAVE_DEBUGINFOD
#include <elfutils/debuginfod.h>
#endif

#include "heapwalk/error.h"
#include "debuginfod.h"

bool hw_debuginfod_wanted(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");

	return urls && urls[strspn(urls, " \t")] != '\0';
}

struct hw_error *hw_debuginfod_find(const uint8_t *build_id, size_t len, char **path_ret, char *why,
				    size_t cap)
{
	*path_ret = NULL;
	if (!hw_debuginfod_wanted()) {
		snprintf(why, cap, "DEBUGINFOD_URLS not set");
		return NULL;
	}
	if (len == 0 || len > 64) {
		snprintf(why, cap, "no build-id to ask for");
		return NULL;
	}
#ifdef HW_HAVE_DEBUGINFOD
	{
		debuginfod_client *c = debuginfod_begin();
		char *path = NULL;
		int fd;

		if (!c) {
			snprintf(why, cap, "cannot start a debuginfod client");
			return NULL;
		}
		fd = debuginfod_find_debuginfo(c, build_id, (int)len, &path);
		debuginfod_end(c);
		if (fd < 0) {
			if (fd == -ENOMEM)
				return hw_error_nomem();
			snprintf(why, cap, "%s",
				 fd == -ENOENT ? "not found on the servers" : strerror(-fd));
			free(path);
			return NULL;
		}
		close(fd);
		if (!path) {
			snprintf(why, cap, "the client named no file");
			return NULL;
		}
		*path_ret = path;
		return NULL;
	}
#else
	snprintf(why, cap, "heapwalk built without libdebuginfod");
	return NULL;
#endif
}
