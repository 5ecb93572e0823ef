/* cmd_profiles.c - 'heapwalk profiles': the built-in layouts of every manager. */
#include <stdio.h>

#include "cli.h"
#include "heapwalk/layout.h"

#define MAX_PROFILES 64

static void row(const char *name, const char *mgr, const char *era, bool debug, uint32_t word,
		uint32_t roundto, const char *header, uint32_t first)
{
	printf("%-30s %-5s %-9s %-5s %-4u %7u %-9s %9u\n", name, mgr, era, debug ? "yes" : "no",
	       word * 8, roundto, header, first);
}

int hw_cmd_profiles(struct hw_cli *cli)
{
	static struct hw_qm_layout qm[MAX_PROFILES];
	static struct hw_fm_layout fm[MAX_PROFILES];
	static struct hw_tlsf_layout tlsf[MAX_PROFILES];
	size_t n;
	char hdr[24];

	(void)cli;
	printf("%-30s %-5s %-9s %-5s %-4s %7s %-9s %9s\n", "name", "mgr", "era", "debug", "bits",
	       "ROUNDTO", "header", "first_off");
	n = hw_qm_profiles(qm, MAX_PROFILES);
	for (size_t i = 0; i < n && i < MAX_PROFILES; i++) {
		snprintf(hdr, sizeof(hdr), "%u+%u", qm[i].frag_size, qm[i].end_size);
		row(qm[i].name, "qm", hw_qm_era_name(qm[i].era), qm[i].debug, qm[i].word,
		    qm[i].roundto, hdr, qm[i].first_off);
	}
	n = hw_fm_profiles(fm, MAX_PROFILES);
	for (size_t i = 0; i < n && i < MAX_PROFILES; i++) {
		snprintf(hdr, sizeof(hdr), "%u", fm[i].frag_size);
		row(fm[i].name, "fm", hw_fm_era_name(fm[i].era), fm[i].debug, fm[i].word,
		    fm[i].roundto, hdr, fm[i].first_off);
	}
	/* TLSF: the first block header lies in the control structure's last word */
	n = hw_tlsf_profiles(tlsf, MAX_PROFILES);
	for (size_t i = 0; i < n && i < MAX_PROFILES; i++) {
		snprintf(hdr, sizeof(hdr), "%u", tlsf[i].hdr_size);
		row(tlsf[i].name, "tlsf", hw_tlsf_era_name(tlsf[i].era), tlsf[i].debug,
		    tlsf[i].word, tlsf[i].align, hdr, tlsf[i].control_size - tlsf[i].word);
	}
	return HW_EXIT_OK;
}
