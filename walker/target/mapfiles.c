/* mapfiles.c - the files a core names, each opened once (mapfiles.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "heapwalk/elfsym.h"
#include "heapwalk/error.h"
#include "core.h"
#include "mapfiles.h"

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
	struct hw_mapfile *f;
	struct hw_error *err;
	struct stat st;

	(void)sysroot;
	(void)raw;
	*elf_ret = NULL;
	if (stat(path, &st) != 0) {
		/* hw_elf_open_why tells why, as for any file */
		err = hw_elf_open_why(path, elf_ret, why_ret);
		hw_error_destroy(err);
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

void hw_mapfiles_free(struct hw_mapfiles *files)
{
	for (size_t i = 0; i < files->n; i++)
		hw_elf_close(files->v[i].elf);
	free(files->v);
	memset(files, 0, sizeof(*files));
}
