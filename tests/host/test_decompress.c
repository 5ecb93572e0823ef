/* test_decompress.c - compressed cores: magic detection, round trips, truncation, corruption, the
 * size limit. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	memcpy(plain, "\177ELF", 4);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_zstd),       cmocka_unit_test(test_xz),
	    cmocka_unit_test(test_lz4),	       cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_magic_only),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
