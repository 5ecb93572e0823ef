/* decompress.c - compressed core files (zstd, xz, lz4) streamed into an unlinked temporary file. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#ifdef HW_HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef HW_HAVE_LZMA
#include <lzma.h>
#endif
#ifdef HW_HAVE_LZ4
#include <lz4frame.h>
#endif

#include "heapwalk/error.h"
#include "decompress.h"

#define IN_CHUNK (128u << 10)
#define OUT_CHUNK (256u << 10)
/* The xz decoder may use this much memory (dictionary); more is refused as corrupt input. */
#define XZ_MEMLIMIT (1ull << 30)

static const uint8_t zstd_magic[] = {0x28, 0xb5, 0x2f, 0xfd};
static const uint8_t xz_magic[] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
static const uint8_t lz4_magic[] = {0x04, 0x22, 0x4d, 0x18};

/* The compressed input: read in chunks from an fd. */
struct source {
	int fd;
	const char *path;
	const char *format;
	uint8_t *buf;
	uint64_t consumed; /* compressed bytes read so far */
	uint64_t size;	   /* the compressed file's size */
};

/* The decompressed output: an fd written sequentially, zero chunks left as holes. */
struct sink {
	int fd;
	uint64_t total;
	uint64_t limit;
	const char *path;
	const char *format; /* the codec, for messages */
	const char *where;  /* what the fd is, for messages */
	uint8_t *buf;
	uint64_t room;	 /* bytes the temporary file's file system can take */
	uint64_t stored; /* bytes written (holes take none) */
	/* the first bytes, checked to be an ELF core before more is written */
	uint8_t head[EI_NIDENT + 2];
	size_t head_len;
	bool checked;
};

const char *hw_compressed_format(const uint8_t *head, size_t len)
{
	if (len >= sizeof(zstd_magic) && !memcmp(head, zstd_magic, sizeof(zstd_magic)))
		return "zstd";
	if (len >= sizeof(xz_magic) && !memcmp(head, xz_magic, sizeof(xz_magic)))
		return "xz";
	if (len >= sizeof(lz4_magic) && !memcmp(head, lz4_magic, sizeof(lz4_magic)))
		return "lz4";
	return NULL;
}

/* The first decompressed bytes (all of them when the output ends early): an ELF core? */
static struct hw_error *check_head(const struct sink *out)
{
	const uint8_t *h = out->head;
	unsigned type;

	if (out->head_len < SELFMAG || memcmp(h, ELFMAG, SELFMAG) != 0)
		return hw_error_create(HW_ERR_BAD_DATA,
				       "%s: the %s stream holds no ELF core (not an ELF file)",
				       out->path, out->format);
	if (out->head_len < sizeof(out->head))
		return hw_error_create(HW_ERR_BAD_DATA,
				       "%s: the %s stream ends within an ELF header", out->path,
				       out->format);
	type = h[EI_DATA] == ELFDATA2MSB ? (unsigned)(h[EI_NIDENT] << 8 | h[EI_NIDENT + 1])
					 : (unsigned)(h[EI_NIDENT] | h[EI_NIDENT + 1] << 8);
	if (type != ET_CORE)
		return hw_error_create(HW_ERR_BAD_DATA,
				       "%s: the %s stream holds an ELF file, but not a core",
				       out->path, out->format);
	return NULL;
}

/* The stream helpers below serve the decoders; a build with none has no use for them. */
#if defined(HW_HAVE_ZSTD) || defined(HW_HAVE_LZMA) || defined(HW_HAVE_LZ4)
#define HW_HAVE_DECODER 1

/* Read up to IN_CHUNK bytes into src->buf; *n_ret = 0 at the end of the file. */
static struct hw_error *source_read(struct source *src, size_t *n_ret)
{
	ssize_t n;

	do
		n = read(src->fd, src->buf, IN_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return hw_error_os(errno, "cannot read compressed core file %s", src->path);
	src->consumed += (uint64_t)n;
	*n_ret = (size_t)n;
	return NULL;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* Append @len bytes of sink->buf to the output. */
static struct hw_error *sink_write(struct sink *out, size_t len)
{
	const uint8_t *p = out->buf;
	struct hw_error *err;

	if (len == 0)
		return NULL;
	if (!out->checked) {
		/* a chunk that completes the header is checked before it is written */
		size_t take = sizeof(out->head) - out->head_len;
		if (take > len)
			take = len;
		memcpy(out->head + out->head_len, p, take);
		out->head_len += take;
		if (out->head_len == sizeof(out->head)) {
			if ((err = check_head(out)))
				return err;
			out->checked = true;
		}
	}
	if (len > out->limit || out->total > out->limit - len)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "%s decompresses to more than %" PRIu64
				       " bytes, the limit for compressed cores (raise it with "
				       "--max-core-size, or decompress the file yourself)",
				       out->path, out->limit);
	if (all_zero(p, len)) {
		/* A hole: cores are mostly zero pages that need no disk. */
		if (lseek(out->fd, (off_t)len, SEEK_CUR) < 0)
			return hw_error_os(errno, "cannot seek in %s", out->where);
		out->total += len;
		return NULL;
	}
	if (len > out->room || out->stored > out->room - len)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "%s decompresses to more than fits in %s "
				       "(%" PRIu64
				       " bytes, keeping a margin free); set TMPDIR to a "
				       "file system with room, or decompress the file yourself",
				       out->path, out->where, out->room);
	out->stored += len;
	while (len) {
		ssize_t n = write(out->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hw_error_os(
			    errno,
			    "cannot write the decompressed core of %s to %s (after %" PRIu64
			    " bytes; set TMPDIR to a file system with room)",
			    out->path, out->where, out->total);
		if (n == 0)
			return hw_error_create(HW_ERR_OS, "cannot write to %s", out->where);
		p += n;
		len -= (size_t)n;
		out->total += (uint64_t)n;
	}
	return NULL;
}

static struct hw_error *truncated(const struct source *src, const struct sink *out)
{
	return hw_error_create(HW_ERR_BAD_DATA,
			       "%s: %s stream truncated (ends after %" PRIu64
			       " compressed bytes, %" PRIu64 " bytes decompressed)",
			       src->path, src->format, src->consumed, out->total);
}

#if defined(HW_HAVE_ZSTD) || defined(HW_HAVE_LZ4)
/*
 * The next chunk for a decoder that tells the end of a frame (@hint 0):
 * *n_ret = 0 at the end of the file, which is an error within a frame.
 */
static struct hw_error *frame_chunk(struct source *src, const struct sink *out, size_t hint,
				    size_t *n_ret)
{
	struct hw_error *err = source_read(src, n_ret);

	if (!err && *n_ret == 0 && hint != 0)
		err = truncated(src, out);
	return err;
}
#endif

/* @unused: bytes read from the file but not yet taken by the decoder. */
static struct hw_error *corrupt(const struct source *src, const struct sink *out, size_t unused,
				const char *why)
{
	uint64_t at = src->consumed - (unused < src->consumed ? unused : src->consumed);

	return hw_error_create(HW_ERR_BAD_DATA,
			       "%s: corrupt %s stream at compressed byte %" PRIu64 " (%s; %" PRIu64
			       " bytes decompressed before it)",
			       src->path, src->format, at, why, out->total);
}
#endif /* a decoder */

#ifdef HW_HAVE_ZSTD
static struct hw_error *run_zstd(struct source *src, struct sink *out)
{
	struct hw_error *err = NULL;
	ZSTD_DStream *ds = ZSTD_createDStream();
	size_t hint = 1; /* 0 when the last frame ended */

	if (!ds)
		return hw_error_nomem();
	ZSTD_initDStream(ds);
	for (;;) {
		ZSTD_inBuffer in = {src->buf, 0, 0};
		ZSTD_outBuffer ob;
		size_t n;

		if ((err = frame_chunk(src, out, hint, &n)) || n == 0)
			break;
		in.size = n;
		do {
			ob = (ZSTD_outBuffer){out->buf, OUT_CHUNK, 0};
			hint = ZSTD_decompressStream(ds, &ob, &in);
			if (ZSTD_isError(hint)) {
				err = corrupt(src, out, in.size - in.pos, ZSTD_getErrorName(hint));
				break;
			}
			if ((err = sink_write(out, ob.pos)))
				break;
			/* a full buffer may hide more output, unless the frame just ended:
			 * calling again then would start reading the next frame's header */
		} while (in.pos < in.size || (ob.pos == ob.size && hint != 0));
		if (err)
			break;
	}
	ZSTD_freeDStream(ds);
	return err;
}
#endif

#ifdef HW_HAVE_LZMA
static const char *lzma_why(lzma_ret r)
{
	switch (r) {
	case LZMA_MEM_ERROR:
		return "out of memory";
	case LZMA_MEMLIMIT_ERROR:
		return "needs more than 1 GiB of decoder memory";
	case LZMA_FORMAT_ERROR:
		return "not an xz stream";
	case LZMA_OPTIONS_ERROR:
		return "unsupported options";
	case LZMA_DATA_ERROR:
		return "data error";
	default:
		return "decoder error";
	}
}

static struct hw_error *run_xz(struct source *src, struct sink *out)
{
	struct hw_error *err = NULL;
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_action action = LZMA_RUN;
	lzma_ret r;

	r = lzma_stream_decoder(&s, XZ_MEMLIMIT, LZMA_CONCATENATED);
	if (r != LZMA_OK)
		return r == LZMA_MEM_ERROR ? hw_error_nomem() : corrupt(src, out, 0, lzma_why(r));
	for (;;) {
		if (s.avail_in == 0 && action == LZMA_RUN) {
			size_t n;
			if ((err = source_read(src, &n)))
				break;
			s.next_in = src->buf;
			s.avail_in = n;
			if (n == 0)
				action = LZMA_FINISH;
		}
		s.next_out = out->buf;
		s.avail_out = OUT_CHUNK;
		r = lzma_code(&s, action);
		if ((err = sink_write(out, OUT_CHUNK - s.avail_out)))
			break;
		if (r == LZMA_STREAM_END)
			break;
		if (r == LZMA_BUF_ERROR) {
			/* no progress possible: only at the end of the input */
			err = truncated(src, out);
			break;
		}
		if (r != LZMA_OK) {
			err = r == LZMA_MEM_ERROR ? hw_error_nomem()
						  : corrupt(src, out, s.avail_in, lzma_why(r));
			break;
		}
	}
	lzma_end(&s);
	return err;
}
#endif

#ifdef HW_HAVE_LZ4
static struct hw_error *run_lz4(struct source *src, struct sink *out)
{
	struct hw_error *err = NULL;
	LZ4F_dctx *dc = NULL;
	size_t hint = 1; /* 0 when the last frame ended */

	if (LZ4F_isError(LZ4F_createDecompressionContext(&dc, LZ4F_VERSION)))
		return hw_error_nomem();
	for (;;) {
		size_t n, pos = 0;

		if ((err = frame_chunk(src, out, hint, &n)) || n == 0)
			break;
		/* until the chunk is consumed and nothing more comes out */
		for (;;) {
			size_t srcsz = n - pos, dstsz = OUT_CHUNK;

			hint = LZ4F_decompress(dc, out->buf, &dstsz, src->buf + pos, &srcsz, NULL);
			if (LZ4F_isError(hint)) {
				err = corrupt(src, out, n - pos, LZ4F_getErrorName(hint));
				break;
			}
			pos += srcsz;
			if ((err = sink_write(out, dstsz)))
				break;
			if (pos == n && (dstsz < OUT_CHUNK || hint == 0))
				break;
			if (srcsz == 0 && dstsz == 0) {
				err = corrupt(src, out, n - pos, "decoder made no progress");
				break;
			}
		}
		if (err)
			break;
	}
	LZ4F_freeDecompressionContext(dc);
	return err;
}
#endif

/*
 * What the output @fd may store: the free space of its file system (of
 * memory, for a memory file), less a margin for everyone else of 16 MiB
 * and a sixteenth of the whole. TMPDIR on tmpfs is memory too.
 */
static uint64_t room_for(int fd, bool in_memory)
{
	struct statvfs vfs;
	uint64_t avail, whole, margin;

	if (!in_memory && fstatvfs(fd, &vfs) == 0 && vfs.f_frsize) {
		avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
		whole = (uint64_t)vfs.f_blocks * vfs.f_frsize;
	} else {
		long page = sysconf(_SC_PAGESIZE), free_pages = sysconf(_SC_AVPHYS_PAGES),
		     all_pages = sysconf(_SC_PHYS_PAGES);
		if (page <= 0 || free_pages < 0 || all_pages < 0)
			return UINT64_MAX; /* unknown: the limit alone */
		avail = (uint64_t)free_pages * (uint64_t)page;
		whole = (uint64_t)all_pages * (uint64_t)page;
	}
	margin = (16ull << 20) + whole / 16;
	return avail > margin ? avail - margin : 0;
}

/* An unlinked read-write file for the output; *where_ret says where (static or @dirbuf). */
static struct hw_error *make_temp(int *fd_ret, const char **where_ret, char *dirbuf, size_t cap,
				  bool *in_memory_ret)
{
	const char *dir = getenv("TMPDIR");
	char *tpl = NULL;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(dirbuf, cap, "a temporary file in %s", dir);
	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && asprintf(&tpl, "%s/heapwalk-core-XXXXXX", dir) >= 0) {
		fd = mkostemp(tpl, O_CLOEXEC);
		if (fd >= 0)
			unlink(tpl);
		free(tpl);
	}
	*in_memory_ret = fd < 0;
	if (fd < 0) {
		fd = memfd_create("heapwalk-core", MFD_CLOEXEC);
		snprintf(dirbuf, cap, "memory (%s is not writable)", dir);
	}
	if (fd < 0)
		return hw_error_os(errno, "cannot create a temporary file in %s or in memory", dir);
	*fd_ret = fd;
	*where_ret = dirbuf;
	return NULL;
}

struct hw_error *hw_core_uncompressed(const char *path, int *fd, struct stat *st, uint64_t limit,
				      const char **format_ret)
{
	struct hw_error *(*run)(struct source *, struct sink *) = NULL;
	struct hw_error *err = NULL;
	const char *lib;
	struct source src = {.fd = *fd, .path = path};
	struct sink out = {
	    .fd = -1, .path = path, .limit = limit ? limit : HW_DECOMPRESS_DEFAULT_LIMIT};
	bool in_memory;
	uint8_t head[8];
	char where[300];
	struct stat nst;
	ssize_t n;

	if (format_ret)
		*format_ret = NULL;
	do
		n = pread(*fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return hw_error_os(errno, "cannot read %s", path);
	src.format = hw_compressed_format(head, (size_t)n);
	if (!src.format)
		return NULL;
	src.size = (uint64_t)st->st_size;
	out.format = src.format;
	if (!strcmp(src.format, "zstd")) {
		lib = "libzstd";
#ifdef HW_HAVE_ZSTD
		run = run_zstd;
#endif
	} else if (!strcmp(src.format, "xz")) {
		lib = "liblzma";
#ifdef HW_HAVE_LZMA
		run = run_xz;
#endif
	} else {
		lib = "liblz4";
#ifdef HW_HAVE_LZ4
		run = run_lz4;
#endif
	}
	if (!run)
		return hw_error_create(
		    HW_ERR_UNSUPPORTED,
		    "%s is %s-compressed, but this heapwalk was built without %s; "
		    "decompress it first (%s -d)",
		    path, src.format, lib, src.format);

	if (lseek(*fd, 0, SEEK_SET) < 0)
		return hw_error_os(errno, "cannot seek in %s", path);
	src.buf = malloc(IN_CHUNK);
	out.buf = malloc(OUT_CHUNK);
	if (!src.buf || !out.buf) {
		err = hw_error_nomem();
		goto out;
	}
	if ((err = make_temp(&out.fd, &out.where, where, sizeof(where), &in_memory)))
		goto out;
	out.room = room_for(out.fd, in_memory);
	err = run(&src, &out);
	if (!err && out.total == 0)
		err = hw_error_create(HW_ERR_BAD_DATA, "%s: the %s stream holds no data", path,
				      src.format);
	if (!err && !out.checked)
		err = check_head(&out);
	/* trailing holes: the size comes from the logical total, not the last write */
	if (!err && ftruncate(out.fd, (off_t)out.total) != 0)
		err = hw_error_os(errno, "cannot size the decompressed core in %s", out.where);
	if (!err && fstat(out.fd, &nst) != 0)
		err = hw_error_os(errno, "cannot stat the decompressed core");
	if (err)
		goto out;
	close(*fd);
	*fd = out.fd;
	*st = nst;
	out.fd = -1;
	if (format_ret)
		*format_ret = src.format;
out:
	if (out.fd >= 0)
		close(out.fd);
	free(src.buf);
	free(out.buf);
	return err;
}
