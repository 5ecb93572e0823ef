/* test_decompress.c - compressed cores: magic detection, round trips, truncation, corruption, the
 * size limit, the ELF core header checked first, the free space of TMPDIR. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

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

#define PLAIN_SIZE (3u << 20)

static uint8_t *plain;

/* Compressible, not trivial: runs of zero pages (holes) and patterned data. */
static int setup(void **state)
{
	(void)state;
	plain = calloc(1, PLAIN_SIZE);
	if (!plain)
		return -1;
	/* an x86-64 core's ELF header, as far as the decompressor checks it */
	memcpy(plain, "\177ELF\2\1\1", 7);
	plain[16] = 4; /* ET_CORE */
	for (size_t i = 1 << 20; i < 2u << 20; i++)
		plain[i] = (uint8_t)(i * 7 + (i >> 9));
	plain[PLAIN_SIZE - 1] = 0x5a;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(plain);
	return 0;
}

/* An unlinked temporary file holding @len bytes of @data, opened read-only. */
static int temp_with(const void *data, size_t len)
{
	char path[] = "/tmp/hw-test-decompress-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* Compress @plain with @fmt into a new buffer; *len_ret its size. */
static uint8_t *compress(const char *fmt, size_t *len_ret)
{
	uint8_t *out = NULL;
	size_t cap = PLAIN_SIZE + (1 << 16), len = 0;

	out = malloc(cap);
	assert_non_null(out);
	if (!strcmp(fmt, "zstd")) {
#ifdef HW_HAVE_ZSTD
		/* with a checksum, as systemd-coredump writes them */
		ZSTD_CCtx *cc = ZSTD_createCCtx();
		assert_non_null(cc);
		assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)));
		len = ZSTD_compress2(cc, out, cap, plain, PLAIN_SIZE);
		assert_false(ZSTD_isError(len));
		ZSTD_freeCCtx(cc);
#endif
	} else if (!strcmp(fmt, "xz")) {
#ifdef HW_HAVE_LZMA
		assert_int_equal(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, plain,
							 PLAIN_SIZE, out, &len, cap),
				 LZMA_OK);
#endif
	} else {
#ifdef HW_HAVE_LZ4
		LZ4F_preferences_t prefs;

		memset(&prefs, 0, sizeof(prefs));
		prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
		len = LZ4F_compressFrame(out, cap, plain, PLAIN_SIZE, &prefs);
		assert_false(LZ4F_isError(len));
#endif
	}
	*len_ret = len;
	return out;
}

static struct hw_error *run(const void *data, size_t len, uint64_t limit, int *fd_ret,
			    const char **fmt_ret)
{
	struct stat st;
	struct hw_error *err;
	int fd = temp_with(data, len), orig = fd;

	assert_int_equal(fstat(fd, &st), 0);
	err = hw_core_uncompressed("test.core", &fd, &st, limit, fmt_ret);
	if (err) {
		assert_int_equal(fd, orig); /* unchanged, still the caller's */
		close(fd);
		return err;
	}
	*fd_ret = fd;
	if (fd != orig)
		assert_int_equal(st.st_size, PLAIN_SIZE);
	return NULL;
}

static void round_trip(const char *fmt)
{
	size_t len;
	uint8_t *z = compress(fmt, &len), *back;
	const char *got;
	struct hw_error *err;
	int fd;

	if (!len) {
		free(z);
		skip();
		return; /* skip() jumps out; gcc cannot tell and sees z used after free */
	}
	assert_string_equal(hw_compressed_format(z, len), fmt);
	assert_null(run(z, len, 0, &fd, &got));
	assert_string_equal(got, fmt);
	back = malloc(PLAIN_SIZE);
	assert_non_null(back);
	assert_int_equal(pread(fd, back, PLAIN_SIZE, 0), PLAIN_SIZE);
	assert_memory_equal(back, plain, PLAIN_SIZE);
	close(fd);
	free(back);

	/* cut in the middle: truncated */
	err = run(z, len / 2, 0, &fd, &got);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_BAD_DATA);
	assert_non_null(strstr(err->message, "truncated"));
	hw_error_destroy(err);

	/* flipped bytes inside the data: corrupt */
	for (size_t i = len / 3; i < len / 3 + 64 && i < len; i++)
		z[i] ^= 0xa5;
	err = run(z, len, 0, &fd, &got);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_BAD_DATA);
	assert_non_null(strstr(err->message, "corrupt"));
	hw_error_destroy(err);

	/* more than the limit: refused */
	for (size_t i = len / 3; i < len / 3 + 64 && i < len; i++)
		z[i] ^= 0xa5;
	err = run(z, len, PLAIN_SIZE - 1, &fd, &got);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_UNSUPPORTED);
	assert_non_null(strstr(err->message, "more than"));
	hw_error_destroy(err);
	free(z);
}

static void test_zstd(void **state)
{
	(void)state;
	round_trip("zstd");
}

static void test_xz(void **state)
{
	(void)state;
	round_trip("xz");
}

static void test_lz4(void **state)
{
	(void)state;
	round_trip("lz4");
}

static void test_plain(void **state)
{
	static const uint8_t elf[] = "\177ELF\2\1\1\0\0\0\0\0\0\0\0\0";
	const char *got = "x";
	int fd;

	(void)state;
	assert_null(hw_compressed_format(elf, sizeof(elf)));
	assert_null(hw_compressed_format((const uint8_t *)"\x28\xb5\x2f", 3));
	/* not compressed: the same fd back, untouched */
	assert_null(run(elf, sizeof(elf), 0, &fd, &got));
	assert_null(got);
	close(fd);
	/* an empty file is not compressed either */
	assert_null(run("", 0, 0, &fd, &got));
	close(fd);
}

static void test_magic_only(void **state)
{
	static const uint8_t z[] = {0x28, 0xb5, 0x2f, 0xfd};
	const char *got;
	struct hw_error *err;
	int fd;

	(void)state;
	err = run(z, sizeof(z), 0, &fd, &got);
	assert_non_null(err);
	assert_int_equal(err->code,
#ifdef HW_HAVE_ZSTD
			 HW_ERR_BAD_DATA
#else
			 HW_ERR_UNSUPPORTED
#endif
	);
	hw_error_destroy(err);
}

/* Streams that are no ELF core are refused from their first bytes. */
static void test_not_a_core(void **state)
{
	static const struct {
		size_t at;
		uint8_t byte;
		const char *why;
	} edits[] = {{3, 'G', "not an ELF file"}, {16, 2 /* ET_EXEC */, "not a core"}};
	static const char *const fmts[] = {"zstd", "xz", "lz4"};

	(void)state;
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++)
		for (size_t e = 0; e < sizeof(edits) / sizeof(edits[0]); e++) {
			uint8_t was = plain[edits[e].at];
			const char *got;
			struct hw_error *err;
			size_t len;
			uint8_t *z;
			int fd;

			plain[edits[e].at] = edits[e].byte;
			z = compress(fmts[f], &len);
			plain[edits[e].at] = was;
			if (!len) {
				free(z);
				continue; /* codec not built in */
			}
			err = run(z, len, 0, &fd, &got);
			free(z);
			assert_non_null(err);
			assert_int_equal(err->code, HW_ERR_BAD_DATA);
			assert_non_null(strstr(err->message, edits[e].why));
			hw_error_destroy(err);
		}
}

#ifdef HW_HAVE_ZSTD
/* @mib MiB of a core with no zero page, zstd-compressed into a read-only fd. */
static int zstd_core_fd(size_t mib)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	uint8_t *chunk = malloc(1u << 20), *z;
	size_t cap = ZSTD_compressBound(1u << 20) + 4096, len = 0;
	int fd;

	assert_non_null(cc);
	assert_non_null(chunk);
	z = malloc(cap * mib);
	assert_non_null(z);
	for (size_t i = 0; i < mib; i++) {
		ZSTD_inBuffer in;
		ZSTD_outBuffer ob = {z, cap * mib, len};
		for (size_t k = 0; k < (1u << 20); k++)
			chunk[k] = (uint8_t)(k * 13 + i + 1) | 1;
		if (i == 0)
			memcpy(chunk, plain, 64);
		in = (ZSTD_inBuffer){chunk, 1u << 20, 0};
		assert_false(ZSTD_isError(ZSTD_compressStream2(
		    cc, &ob, &in, i + 1 == mib ? ZSTD_e_end : ZSTD_e_continue)));
		assert_int_equal(in.pos, in.size);
		len = ob.pos;
	}
	ZSTD_freeCCtx(cc);
	free(chunk);
	fd = temp_with(z, len);
	free(z);
	return fd;
}

/* In a child: TMPDIR on a 32 MiB tmpfs; 77 when it cannot mount one (not root). */
static int child_small_tmpdir(void)
{
	char dir[] = "/tmp/hw-test-room-XXXXXX";
	struct hw_error *err;
	struct stat st;
	int fd = zstd_core_fd(48), orig = fd, rc;

	if (!mkdtemp(dir))
		return 1;
	if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("none", dir, "tmpfs", 0, "size=32m") != 0) {
		rmdir(dir);
		return 77;
	}
	setenv("TMPDIR", dir, 1);
	if (fstat(fd, &st) != 0)
		return 1;
	err = hw_core_uncompressed("room.core.zst", &fd, &st, 0, NULL);
	rc = err && err->code == HW_ERR_UNSUPPORTED && strstr(err->message, "more than fits in") &&
		     !strchr(err->message, '\n') && fd == orig
		 ? 0
		 : 1;
	fprintf(stderr, "%s\n", err ? err->message : "decompressed in full");
	hw_error_destroy(err);
	umount(dir);
	rmdir(dir);
	return rc;
}
#endif

/* 48 MiB that do not fit a 32 MiB TMPDIR are refused before they fill it. */
static void test_room(void **state)
{
	(void)state;
#ifdef HW_HAVE_ZSTD
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_small_tmpdir());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
#else
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_zstd),       cmocka_unit_test(test_xz),
	    cmocka_unit_test(test_lz4),	       cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_magic_only), cmocka_unit_test(test_not_a_core),
	    cmocka_unit_test(test_room),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
