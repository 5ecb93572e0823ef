/* debuginfod.c - debug files by build-id from DEBUGINFOD_URLS (libdebuginfod). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HW_HAVE_DEBUGINFOD
#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#endif

#include "heapwalk/error.h"
#include "debuginfod.h"

bool hw_debuginfod_wanted(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");

	return urls && urls[strspn(urls, " \t")] != '\0';
}

#ifdef HW_HAVE_DEBUGINFOD
/*
 * libdebuginfod is loaded when a lookup is wanted, not linked: it brings
 * curl, TLS and Kerberos, whose loading and initialisation cost every run
 * milliseconds (as much as walking a million fragments). Never unloaded:
 * the library may keep state of its own. What dlopen holds is the loader's,
 * not ours, so there is no global state here.
 */
struct dfd_api {
	debuginfod_client *(*begin)(void);
	int (*find)(debuginfod_client *c, const unsigned char *id, int len, char **path);
	void (*end)(debuginfod_client *c);
};

static bool dfd_load(struct dfd_api *api, char *why, size_t cap)
{
	static const char lib[] = "libdebuginfod.so.1";
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		const char *e = dlerror();
		snprintf(why, cap, "cannot load %s: %s", lib, e ? e : "not found");
		return false;
	}
	/* POSIX: a function pointer is read from dlsym's object pointer this way */
	*(void **)&api->begin = dlsym(h, "debuginfod_begin");
	*(void **)&api->find = dlsym(h, "debuginfod_find_debuginfo");
	*(void **)&api->end = dlsym(h, "debuginfod_end");
	if (!api->begin || !api->find || !api->end) {
		snprintf(why, cap, "%s lacks the debuginfod client functions", lib);
		return false;
	}
	return true;
}
#endif

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
		struct dfd_api api;
		debuginfod_client *c;
		char *path = NULL;
		int fd;

		if (!dfd_load(&api, why, cap))
			return NULL;
		c = api.begin();
		if (!c) {
			snprintf(why, cap, "cannot start a debuginfod client");
			return NULL;
		}
		fd = api.find(c, build_id, (int)len, &path);
		api.end(c);
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
	(void)build_id;
	snprintf(why, cap, "heapwalk built without libdebuginfod");
	return NULL;
#endif
}
