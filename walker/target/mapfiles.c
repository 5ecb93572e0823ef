/* mapfiles.c - the files a core names: each opened once, resolved beneath the sysroot. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#endif

#include "heapwalk/elfsym.h"
#include "heapwalk/error.h"
#include "heapwalk/target.h"
#include "core.h"
#include "mapfiles.h"

/* As the kernel: how many symlinks one path may pass. */
#define MAX_LINKS 40

/*
 * @raw (absolute) resolved beneath @root as if @root were "/": an absolute
 * symlink starts again at @root and ".." stops there. *out gets @root and
 * the resolved components (no symlink left); false with errno if the walk
 * fails (ENOENT, ELOOP, ENAMETOOLONG...).
 */
static bool walk_beneath(const char *root, const char *raw, char *out, size_t cap)
{
	char todo[PATH_MAX], next[PATH_MAX], target[PATH_MAX];
	size_t rl = strlen(root), done;
	unsigned links = 0;

	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl + 1 >= cap || snprintf(todo, sizeof(todo), "%s", raw) >= (int)sizeof(todo)) {
		errno = ENAMETOOLONG;
		return false;
	}
	memcpy(out, root, rl);
	out[rl] = '\0';
	done = rl;
	for (char *p = todo;;) {
		char *comp;
		size_t len;
		struct stat st;
		ssize_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		comp = p;
		len = strcspn(p, "/");
		p += len;
		if (len == 1 && comp[0] == '.')
			continue;
		if (len == 2 && comp[0] == '.' && comp[1] == '.') {
			while (done > rl && out[done - 1] != '/')
				done--;
			if (done > rl)
				done--; /* the slash */
			out[done] = '\0';
			continue;
		}
		if (done + 1 + len >= cap) {
			errno = ENAMETOOLONG;
			return false;
		}
		out[done] = '/';
		memcpy(out + done + 1, comp, len);
		out[done + 1 + len] = '\0';
		if (lstat(out, &st) != 0)
			return false;
		if (!S_ISLNK(st.st_mode)) {
			/* as the kernel: nothing, not even "/" or "/.", may follow a file */
			if (!S_ISDIR(st.st_mode) && *p == '/') {
				errno = ENOTDIR;
				return false;
			}
			done += 1 + len;
			continue;
		}
		if (++links > MAX_LINKS) {
			errno = ELOOP;
			return false;
		}
		n = readlink(out, target, sizeof(target) - 1);
		if (n < 0)
			return false;
		target[n] = '\0';
		out[done] = '\0';
		if (target[0] == '/') {
			done = rl; /* an absolute link starts again at the root */
			out[done] = '\0';
		}
		/* the link's target, then what was left of the path (from its slash, if any) */
		if (snprintf(next, sizeof(next), "%s%s", target, p) >= (int)sizeof(next)) {
			errno = ENAMETOOLONG;
			return false;
		}
		memcpy(todo, next, strlen(next) + 1);
		p = todo;
	}
	return true;
}

/*
 * Where the kernel resolves beneath a root itself (openat2, Linux 5.6),
 * it checks the walk: the file it reaches must be the one at @resolved.
 * true if it agrees, or cannot tell.
 */
static bool kernel_agrees(const char *root, const char *raw, const struct stat *st)
{
#if defined(SYS_openat2) && defined(RESOLVE_IN_ROOT)
	struct open_how how;
	struct stat kst;
	int rfd, fd;
	bool same;

	rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return true;
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, rfd, raw, &how, sizeof(how));
	close(rfd);
	if (fd < 0)
		return errno == ENOSYS || errno == EPERM || errno == E2BIG || errno == EINVAL;
	same = fstat(fd, &kst) == 0 && kst.st_dev == st->st_dev && kst.st_ino == st->st_ino;
	close(fd);
	return same;
#else
	(void)root;
	(void)raw;
	(void)st;
	return true;
#endif
}

static struct hw_mapfile *find(struct hw_mapfiles *files, const struct stat *st)
{
	for (size_t i = 0; i < files->n; i++)
		if (files->v[i].dev == st->st_dev && files->v[i].ino == st->st_ino)
			return &files->v[i];
	return NULL;
}

struct hw_error *hw_mapfiles_open(struct hw_mapfiles *files, const char *sysroot, const char *raw,
				  const char *path, struct hw_elf **elf_ret, const char **why_ret)
{
	char resolved[PATH_MAX];
	struct hw_mapfile *f;
	struct hw_error *err;
	struct stat st;

	*elf_ret = NULL;
	if (sysroot && *sysroot) {
		if (!walk_beneath(sysroot, raw, resolved, sizeof(resolved))) {
			*why_ret =
			    errno == ENOENT || errno == ENOTDIR ? "not found" : "cannot open";
			return NULL;
		}
		path = resolved;
	}
	if (stat(path, &st) != 0) {
		/* hw_elf_open_why tells why, as for any file */
		err = hw_elf_open_why(path, elf_ret, why_ret);
		hw_error_destroy(err);
		return NULL;
	}
	if (sysroot && *sysroot && !kernel_agrees(sysroot, raw, &st)) {
		*why_ret = "path escapes the sysroot";
		return NULL;
	}
	if ((f = find(files, &st))) {
		*elf_ret = f->elf;
		*why_ret = f->why;
		return NULL;
	}
	if (files->n >= HW_MAPFILES_MAX) {
		*why_ret = "too many mapped files";
		return NULL;
	}
	if (files->n == files->cap) {
		size_t cap = files->cap ? files->cap * 2 : 16;
		struct hw_mapfile *v = realloc(files->v, cap * sizeof(*v));
		if (!v)
			return hw_error_nomem();
		files->v = v;
		files->cap = cap;
	}
	f = &files->v[files->n];
	memset(f, 0, sizeof(*f));
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	err = hw_elf_open_why(path, &f->elf, &f->why);
	if (err) {
		if (err->code == HW_ERR_NOMEM)
			return err;
		hw_error_destroy(err);
		f->elf = NULL;
	} else {
		f->why = "ok";
	}
	files->n++;
	*elf_ret = f->elf;
	*why_ret = f->why;
	return NULL;
}

char *hw_mapfiles_host_path(const char *raw, const char *sysroot, const char **why_ret)
{
	size_t rl = strlen(raw), sl;
	char *out;

	if (raw[0] != '/') {
		*why_ret = "not an absolute path";
		return NULL;
	}
	if (!sysroot || !*sysroot) {
		if (rl >= PATH_MAX) {
			*why_ret = "path too long";
			return NULL;
		}
		out = strdup(raw);
		if (!out)
			*why_ret = NULL;
		return out;
	}
	/* No ".." component may climb out of the sysroot. */
	for (const char *p = raw; *p;) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			*why_ret = "path escapes the sysroot";
			return NULL;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	sl = strlen(sysroot);
	while (sl > 1 && sysroot[sl - 1] == '/')
		sl--;
	if (sl + rl >= PATH_MAX) {
		*why_ret = "path too long";
		return NULL;
	}
	out = malloc(sl + rl + 1);
	if (!out) {
		*why_ret = NULL;
		return NULL;
	}
	memcpy(out, sysroot, sl);
	memcpy(out + sl, raw, rl + 1);
	return out;
}

struct hw_error *hw_mapfiles_preopen(struct hw_mapfiles *files, const char *sysroot,
				     const char *raw, struct hw_elf **elf_ret)
{
	const char *why = NULL;
	char *path = hw_mapfiles_host_path(raw, sysroot, &why);
	struct hw_error *err;

	*elf_ret = NULL;
	if (!path)
		return why ? NULL : hw_error_nomem();
	err = hw_mapfiles_open(files, sysroot, raw, path, elf_ret, &why);
	free(path);
	return err;
}

struct hw_target_files *hw_target_files_create(void)
{
	return calloc(1, sizeof(struct hw_target_files));
}

void hw_target_files_destroy(struct hw_target_files *f)
{
	if (!f)
		return;
	hw_mapfiles_free(&f->m);
	free(f);
}

void hw_mapfiles_free(struct hw_mapfiles *files)
{
	for (size_t i = 0; i < files->n; i++)
		hw_elf_close(files->v[i].elf);
	free(files->v);
	memset(files, 0, sizeof(*files));
}
