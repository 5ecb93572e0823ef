/* options.c - the option table: parsing, every --help, the man page and the completion come from here. */
#include <getopt.h>
#include <stddef.h>

#include "cli.h"

/* The options: parsing, every --help, the man page and the completion come from here. */
const struct hw_option hw_options[] = {
	{{"core", required_argument, NULL, O_CORE}, OPT_TARGET, "FILE",
	 "the core file to read (gcore, systemd-coredump); zstd, xz\n"
	 "and lz4 compressed cores are read directly",
	 0, NULL},
	{{"exe", required_argument, NULL, O_EXE}, OPT_TARGET, "FILE",
	 "the Kamailio executable (default: the one the core names)",
	 0, NULL},
	{{"sysroot", required_argument, NULL, O_SYSROOT}, OPT_TARGET, "DIR",
	 "look up every file the core names under DIR",
	 0, NULL},
	{{"debug-file", required_argument, NULL, O_DEBUG_FILE}, OPT_TARGET, "FILE",
	 "read DWARF from FILE",
	 0, NULL},
	{{"no-debuginfo", no_argument, NULL, O_NO_DEBUGINFO}, OPT_TARGET, NULL,
	 "ignore DWARF; use the built-in layout profiles",
	 0, NULL},
	{{"layout", required_argument, NULL, O_LAYOUT}, OPT_TARGET, "NAME",
	 "force a built-in profile (see 'heapwalk profiles')",
	 0, NULL},
	{{"manager", required_argument, NULL, O_MANAGER}, OPT_TARGET, "M",
	 "the memory manager: qm, fm or tlsf (default: detect)",
	 0, "qm fm tlsf"},
	{{"block", required_argument, NULL, O_BLOCK}, OPT_TARGET, "ADDR",
	 "walk the manager block at ADDR (no symbols needed, e.g.\n"
	 "without the executable); the pool is pkg or shm as --pool\n"
	 "or the block says",
	 0, NULL},
	{{"pool", required_argument, NULL, O_POOL}, OPT_POOL, "P",
	 "pkg, shm or all: the pools to show (default all)",
	 0, "pkg shm all"},
	{{"format", required_argument, NULL, O_FORMAT}, OPT_FORMAT, "F",
	 "text (default), json, csv, kamailio (Kamailio's own log\n"
	 "lines), gdb or prometheus (textfile collector gauges),\n"
	 "as the command allows",
	 0, "text json csv kamailio gdb prometheus"},
	{{"top", required_argument, NULL, O_TOP}, OPT_SUMMARY, "N",
	 "only the N largest sites (default: 30 in text, all else);\n"
	 "host --slab: only the first N caches",
	 0, NULL},
	{{"sort", required_argument, NULL, O_SORT}, OPT_SUMMARY, "KEY",
	 "bytes (default), count or site (kamailio format: in\n"
	 "Kamailio's own order); host --slab: a active objects,\n"
	 "c cache size (default), l slabs, n name, o objects,\n"
	 "p objects per slab, s object size, u utilisation",
	 0, "bytes count site a c l n o p s u"},
	{{"used", no_argument, NULL, O_USED}, OPT_FRAGS, NULL,
	 "only used fragments",
	 0, NULL},
	{{"free", no_argument, NULL, O_FREE}, OPT_FRAGS, NULL,
	 "only free fragments",
	 0, NULL},
	{{"from", required_argument, NULL, O_FROM}, OPT_FRAGS, "N",
	 "the first fragment index, as Kamailio counts (from 0)",
	 0, NULL},
	{{"to", required_argument, NULL, O_TO}, OPT_FRAGS, "N",
	 "the last fragment index",
	 0, NULL},
	{{"min-size", required_argument, NULL, O_MIN_SIZE}, OPT_FRAGS, "N",
	 "only fragments of at least N bytes",
	 0, NULL},
	{{"site", required_argument, NULL, O_SITE}, OPT_FRAGS, "TEXT",
	 "only fragments whose file or function contains TEXT",
	 0, NULL},
	{{"output", required_argument, NULL, O_OUTPUT}, OPT_OUTPUT, "FILE",
	 "write to FILE (map: the SVG, report: the HTML page,\n"
	 "snapshot: the core)",
	 'o', NULL},
	{{"cells", required_argument, NULL, O_CELLS}, OPT_OUTPUT, "N",
	 "heap map cells (16 to 65536)",
	 0, NULL},
	{{"slab", no_argument, NULL, O_SLAB}, OPT_HOST, NULL,
	 "the kernel's slab caches (/proc/slabinfo, root only),\n"
	 "like slabtop",
	 0, NULL},
	{{"proc", required_argument, NULL, O_PROC}, OPT_HOST, "DIR",
	 "read a saved copy of /proc's files instead of /proc\n"
	 "(DIR/meminfo, DIR/slabinfo, DIR/PID/smaps...)",
	 0, NULL},
	{{"max-core-size", required_argument, NULL, O_MAX_CORE_SIZE}, OPT_TARGET, "SIZE",
	 "refuse compressed cores that decompress to more than\n"
	 "SIZE bytes (suffix K, M, G or T; default 32G)",
	 0, NULL},
	{{"color", required_argument, NULL, O_COLOR}, 0, "WHEN",
	 "auto (default: on a terminal, unless NO_COLOR is set),\n"
	 "always or never",
	 0, "auto always never"},
	{{"width", required_argument, NULL, O_WIDTH}, 0, "N",
	 "fold text output to N columns (default: 80 on a terminal,\n"
	 "none into a pipe; 0: never)",
	 0, NULL},
	{{"pid", required_argument, NULL, O_PID}, OPT_LIVE, "PID",
	 "a running Kamailio process: stopped for a few milliseconds\n"
	 "while its memory is copied (with --core: that process of\n"
	 "a snapshot file)",
	 0, NULL},
	{{"all", no_argument, NULL, O_ALL}, OPT_LIVE, NULL,
	 "every process of PID's instance: shm once, each\n"
	 "process's pkg",
	 0, NULL},
	{{"no-stop", no_argument, NULL, O_NO_STOP}, OPT_LIVE, NULL,
	 "copy without stopping (torn reads possible; findings may\n"
	 "be noise)",
	 0, NULL},
	{{"interval", required_argument, NULL, O_INTERVAL}, OPT_WATCH, "S",
	 "seconds between snapshots (watch: default 60; diagnose:\n"
	 "take a second snapshot after S seconds to see what grows)",
	 0, NULL},
	{{"count", required_argument, NULL, O_COUNT}, OPT_WATCH, "N",
	 "watch: the number of snapshots (default 10)",
	 0, NULL},
	{{"duration", required_argument, NULL, O_DURATION}, OPT_WATCH, "S",
	 "watch: stop after S seconds",
	 0, NULL},
	{{"baseline", required_argument, NULL, O_BASELINE}, OPT_WATCH, "FILE",
	 "diagnose: an earlier snapshot or summary JSON to compare\n"
	 "with",
	 0, NULL},
	{{"request", required_argument, NULL, O_REQUEST}, OPT_DIAG, "N",
	 "whether a request of N bytes would fit (default 64 KiB)",
	 0, NULL},
	{{"watch", required_argument, NULL, O_WATCH}, OPT_GROWTH, "SxN",
	 "N snapshots S seconds apart (60x10; S may be a fraction):\n"
	 "the page adds leak suspects and growth charts per site",
	 0, NULL},
	{{"hexdump", required_argument, NULL, O_HEXDUMP}, OPT_CONTENT, "N",
	 "frags: the first N bytes of each payload, as hexdump -C\n"
	 "shows them (json: a hex string)",
	 0, NULL},
	{{"strings", no_argument, NULL, O_STRINGS}, OPT_CONTENT, NULL,
	 "frags: the printable texts (4+ characters) in each payload,\n"
	 "as strings(1) finds them (the first 64 KiB)",
	 0, NULL},
	{{"classify", no_argument, NULL, O_CLASSIFY}, OPT_CLASSIFY, NULL,
	 "summary: what each site's fragments mostly hold (SIP\n"
	 "messages by start line, SIP URIs, str structs, zeroed\n"
	 "memory, text, binary)",
	 0, NULL},
	{{"help", no_argument, NULL, O_HELP}, 0, NULL,
	 "this help",
	 0, NULL},
};
const size_t hw_noptions = sizeof(hw_options) / sizeof(hw_options[0]);
_Static_assert(sizeof(hw_options) / sizeof(hw_options[0]) <= HW_CLI_MAX_OPTIONS,
	       "raise HW_CLI_MAX_OPTIONS");

/* Headings of a command's --help and of the man page; other groups go under "Options". */
const struct hw_option_group hw_option_groups[] = {
	{OPT_TARGET, "Target options"},
	{OPT_LIVE | OPT_GROWTH, "Live processes"},
	{OPT_POOL | OPT_FORMAT | OPT_OUTPUT, "Selection and output"},
	{OPT_HOST, "Host view"},
	{0, NULL},
};
