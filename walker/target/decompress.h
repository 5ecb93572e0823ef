/*
 * decompress.h - internal to walker/target: core files compressed with
 * zstd, xz or lz4 (as systemd-coredump stores them), recognised by their
 * magic bytes and streamed into an unlinked temporary file.
 *
 * Which codecs exist depends on the libraries found at build time
 * (HW_HAVE_ZSTD, HW_HAVE_LZMA, HW_HAVE_LZ4); a file in a codec that is not
 * built in is an error that says so.
 */
#ifndef HEAPWALK_TARGET_DECOMPRESS_H
#define HEAPWALK_TARGET_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct hw_error;

/* Decompressed cores larger than this are refused unless a larger limit is given. */
#define HW_DECOMPRESS_DEFAULT_LIMIT (32ull << 30)

/*
 * The codec whose magic @head (@len bytes from the start of a file) begins
 * with: "zstd", "xz", "lz4", or NULL if none.
 */
const char *hw_compressed_format(const uint8_t *head, size_t len);

/*
 * If the regular file open read-only at *@fd (described by *@st, read from
 * @path, used in messages) is compressed, decompress it whole into a new
 * unlinked file (O_TMPFILE or mkstemp+unlink under $TMPDIR, else /tmp; an
 * anonymous memory file if neither is writable), close *@fd and replace
 * *@fd and *@st with the new file's. *@format_ret (may be NULL) is the
 * codec name, or NULL for a file left as it was.
 *
 * The first decompressed bytes must be an ELF core's header: anything
 * else is refused (HW_ERR_BAD_DATA) before the rest is expanded. Output
 * beyond @limit bytes (0: HW_DECOMPRESS_DEFAULT_LIMIT) is refused, as is
 * more data than the temporary file's file system has free, less a margin
 * (tmpfs is memory), and truncated and corrupt streams (HW_ERR_BAD_DATA).
 * On error *@fd and *@st are unchanged (still open and owned by the caller).
 */
struct hw_error *hw_core_uncompressed(const char *path, int *fd, struct stat *st, uint64_t limit,
				      const char **format_ret);

#endif
