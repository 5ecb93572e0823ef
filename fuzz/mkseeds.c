/*
 * mkseeds.c - writes the walker harness's seed corpus into a directory:
 * for each manager, a handful of built-in profiles laid out by the unit
 * tests' heap builders (small free-hash tables, see walkimage.h), intact
 * and with one damage each, and each intact one forced through the other
 * managers and another profile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/layout.h"
#include "../tests/unit/alloc/fmheap.h"
#include "../tests/unit/alloc/qmheap.h"
#include "../tests/unit/alloc/tlsfheap.h"
#include "walkimage.h"

static int nseeds;

static void put_u64le(uint8_t *p, uint64_t v, uint32_t w)
{
	for (uint32_t i = 0; i < w; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int write_seed(const char *dir, uint8_t mgr, uint8_t prof, uint8_t flags, const uint8_t *img,
		      uint64_t len)
{
	char path[4096];
	FILE *fp;
	uint8_t hdr[HW_FUZZ_HDR] = {mgr, prof, flags};

	snprintf(path, sizeof(path), "%s/seed-%d-%u-%u-%02x", dir, nseeds++, mgr, prof, flags);
	fp = fopen(path, "wb");
	if (!fp || fwrite(hdr, 1, sizeof(hdr), fp) != sizeof(hdr) ||
	    fwrite(img, 1, len, fp) != len) {
		perror(path);
		if (fp)
			fclose(fp);
		return -1;
	}
	return fclose(fp) ? -1 : 0;
}

/*
 * The intact image of manager @mgr walked as each manager (HW_FUZZ_FORCE):
 * the other two, and its own with the next profile.
 */
static int forced_seeds(const char *dir, uint8_t mgr, uint8_t prof, const uint8_t *img,
			uint64_t len)
{
	for (uint8_t as = 0; as < 3; as++)
		if (write_seed(dir, (uint8_t)(mgr + 3 * as), as == mgr ? prof + 1 : prof,
			       HW_FUZZ_FORCE | HW_FUZZ_FIX_HEADER | HW_FUZZ_DEEP, img, len))
			return -1;
	return 0;
}

#define NF 12

static int qm_seeds(const char *dir)
{
	struct hw_qm_layout all[64];
	size_t n = hw_qm_profiles(all, 64);

	for (size_t i = 0; i < n && i < 64; i += 5) {
		struct hw_qm_layout l = all[i];
		struct heap_frag f[NF];
		struct qmheap h;
		uint64_t len;

		if (l.product != HW_PRODUCT_KAMAILIO) /* the heap builder lays out Kamailio's */
			continue;
		hw_fuzz_small_qm(&l);
		memset(f, 0, sizeof(f));
		len = l.first_off;
		for (size_t k = 0; k < NF; k++) {
			f[k].size = l.roundto * (1 + k % 4);
			f[k].used = k % 3 != 2;
			f[k].line = k;
			len += l.frag_size + f[k].size + l.end_size;
		}
		memset(&h, 0, sizeof(h));
		qmh_build(&h, &l, f, NF, len);
		if (write_seed(dir, 0, (uint8_t)i, HW_FUZZ_DEEP | HW_FUZZ_CONTENT, h.buf, h.len))
			return -1;
		if (forced_seeds(dir, 0, (uint8_t)i, h.buf, h.len))
			return -1;
		/* damaged: a size word and a free link */
		put_u64le(h.buf + (qmh_frag_addr(&h, 4) - h.base) + l.f_size, 0, l.word);
		if (write_seed(dir, 0, (uint8_t)i, HW_FUZZ_DEEP | HW_FUZZ_FIX_HEADER, h.buf, h.len))
			return -1;
		qmh_free(&h);
	}
	return 0;
}

static int fm_seeds(const char *dir)
{
	struct hw_fm_layout all[64];
	size_t n = hw_fm_profiles(all, 64);

	for (size_t i = 0; i < n && i < 64; i += 4) {
		struct hw_fm_layout l = all[i];
		struct heap_frag f[NF];
		struct fmheap h;
		uint64_t len;

		if (l.product != HW_PRODUCT_KAMAILIO) /* the heap builder lays out Kamailio's */
			continue;
		hw_fuzz_small_fm(&l);
		memset(f, 0, sizeof(f));
		len = l.first_off + (uint64_t)l.init_headers * l.frag_size;
		for (size_t k = 0; k < NF; k++) {
			f[k].size = l.roundto * (1 + k % 4);
			f[k].used = k % 3 != 2;
			f[k].line = k;
			len += l.frag_size + f[k].size;
		}
		fmh_init(&h, &l, len);
		fmh_build(&h, f, NF);
		if (write_seed(dir, 1, (uint8_t)i, HW_FUZZ_DEEP | HW_FUZZ_CONTENT, h.buf, h.len))
			return -1;
		if (forced_seeds(dir, 1, (uint8_t)i, h.buf, h.len))
			return -1;
		put_u64le(h.buf + (fmh_frag_addr(&h, 5) - h.base) + l.f_size, 0x7777, l.word);
		if (write_seed(dir, 1, (uint8_t)i, HW_FUZZ_DEEP | HW_FUZZ_FIX_HEADER, h.buf, h.len))
			return -1;
		himg_free(&h.img);
	}
	return 0;
}

static int tlsf_seeds(const char *dir)
{
	struct hw_tlsf_layout all[16];
	size_t n = hw_tlsf_profiles(all, 16);

	for (size_t i = 0; i < n && i < 16; i++) {
		struct hw_tlsf_layout l = all[i];
		struct heap_frag b[NF];
		struct tlsfheap h;

		memset(b, 0, sizeof(b));
		for (size_t k = 0; k < NF; k++) {
			b[k].size = (uint64_t)l.align * (l.size_min / l.align + k % 5);
			b[k].used = k % 3 != 2;
			b[k].line = k;
		}
		tlsfh_init(&h, &l, l.control_size + 4096);
		tlsfh_build(&h, b, NF);
		if (write_seed(dir, 2, (uint8_t)i, HW_FUZZ_DEEP | HW_FUZZ_CONTENT, h.buf, h.len))
			return -1;
		if (forced_seeds(dir, 2, (uint8_t)i, h.buf, h.len))
			return -1;
		himg_free(&h.img);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 64;
	}
	if (qm_seeds(argv[1]) || fm_seeds(argv[1]) || tlsf_seeds(argv[1]))
		return 1;
	printf("%d seeds\n", nseeds);
	return 0;
}
