/*
 * commands.c - the command table: what each command is called, takes
 * (options, formats, operands, --all) and runs. Parsing and --help read
 * it; nothing asks which command it is.
 */
#include "cli.h"

#define TJ HW_FMTS_TEXT_JSON
#define ALL_FORMATS HW_FMTS_TABLE
#define ONE_PROCESS .one_process = true

const struct hw_command hw_commands[] = {
    {"info", "what the core is, which manager and layout each pool uses, and why",
     "--core FILE [target options] [--pool P] [--format text|json]",
     OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_LIVE, TJ, .run = hw_cmd_info,
     .walk_all = hw_cmd_info_all, .all_model = true},
    {"stats", "heap totals per pool: size, used, free, max used, fragments",
     "--core FILE [target options] [--pool P] [--format F]",
     OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_LIVE | OPT_DIAG, HW_FMTS_POOLS, .run = hw_cmd_stats,
     .walk_all = hw_cmd_stats_all, .all_model = true, .all_formats = TJ,
     .all_format_error = "--all gives stats as text or json"},
    {"summary", "used memory grouped by allocation site, module, file, function or size",
     "--core FILE [target options] [--pool P] [--format F] [--top N] [--sort bytes|count|site]\n"
     "                     [--by site|module|file|function|size] [--classify]",
     OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_SUMMARY | OPT_LIVE | OPT_CLASSIFY, HW_FMTS_POOLS,
     .run = hw_cmd_summary, .walk_all = hw_cmd_summary_all, .all_model = true, .all_formats = TJ,
     .all_format_error = "--all summarises as text or json"},
    {"frags", "the fragment list, with filters",
     "--core FILE [target options] [--pool P] [--format F] [--used|--free] [--from N] [--to N]\n"
     "                     [--min-size N] [--site TEXT] [--hexdump N] [--strings] [--backtrace]",
     OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_FRAGS | OPT_LIVE | OPT_CONTENT, ALL_FORMATS,
     .run = hw_cmd_frags, .walk_all = hw_cmd_frags_all,
     .all_formats = HW_FMT_BIT(HW_FMT_TEXT) | HW_FMT_BIT(HW_FMT_KAMAILIO),
     .all_format_error = "--all lists fragments as text or kamailio only; use --pid PID for one "
			 "process in %s"},
    {"snapshot", "stop a running server briefly and save it as a core file (gdb reads it too)",
     "--pid PID [--all] -o FILE [--no-stop] [--format text|json]",
     OPT_LIVE | OPT_OUTPUT | OPT_FORMAT, TJ, .run = hw_cmd_snapshot},
    {"diff", "which allocation sites grew between two snapshots, cores or JSON summaries",
     "A B [target options] [--pool P] [--top N] [--format text|json]",
     OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_SUMMARY, TJ, .run = hw_cmd_diff, .operands = 2,
     .operands_error = "needs two inputs: A B (cores, snapshots or summary JSON files)"},
    {"watch", "snapshot a running instance at intervals; report sites that keep growing",
     "--pid PID [--interval S] [--count N] [--duration S] [--pool P] [--top N]\n"
     "                     [--no-stop] [--format text|json]",
     OPT_LIVE | OPT_WATCH | OPT_POOL | OPT_FORMAT | OPT_SUMMARY, TJ, .run = hw_cmd_watch},
    {"diagnose", "one verdict per pool (too small, leak suspect, fragmentation, ok) and why",
     "--pid PID [--count N] [--interval S] | --core FILE [--baseline FILE] [--request N]\n"
     "                     [--pool P] [--format text|json]",
     OPT_TARGET | OPT_LIVE | OPT_WATCH | OPT_DIAG | OPT_POOL | OPT_FORMAT, TJ,
     .run = hw_cmd_diagnose},
    {"profiles", "list the built-in layout profiles", "", 0, 0, .run = hw_cmd_profiles},
    {"map", "the heap as a picture (SVG): fragments in address order, coloured by module",
     "--core FILE [target options] [--pool P] [-o FILE.svg] [--cells N]",
     OPT_TARGET | OPT_POOL | OPT_OUTPUT, 0, .run = hw_cmd_map},
    {"report", "everything in one self-contained HTML page: totals, maps, sites, findings, growth",
     "--core FILE [target options] [--pool P] [-o FILE.html] [--top N] [--cells N]\n"
     "                     | --pid PID --all [--watch SxN] [-o FILE.html] | A B [-o FILE.html]",
     OPT_TARGET | OPT_POOL | OPT_OUTPUT | OPT_SUMMARY | OPT_LIVE | OPT_GROWTH, 0,
     .run = hw_cmd_report, .operands = 2, .operands_optional = true},
    {"host", "this host's memory: kernel caches vs. programs, and each Kamailio's pools",
     "[--proc DIR] [--format text|json] | --slab [--sort KEY] [--top N] [--proc DIR]",
     OPT_HOST | OPT_SUMMARY | OPT_FORMAT, TJ, .run = hw_cmd_host},
    {"layout",
     "the layout (struct offsets, constants) detected per pool; gdb commands for heapwalk.gdb",
     "--core FILE [target options] [--pool P] [--format text|json|gdb]",
     OPT_TARGET | OPT_POOL | OPT_FORMAT, TJ | HW_FMT_BIT(HW_FMT_GDB), .run = hw_cmd_layout},
    {"gdb", "print the gdb 'source' line for heapwalk's gdb commands (hw-stats, hw-used, ...)", "",
     0, 0, .run = hw_cmd_gdb},
    {"check", "every integrity check of the heap; walks past damage and says where it is",
     "--core FILE | --pid PID [target options] [--pool P] [--format text|json]",
     OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_LIVE, TJ, .run = hw_cmd_check, ONE_PROCESS},
    {"addr", "the fragment holding ADDR: used or free, allocated or freed where, neighbours",
     "--core FILE | --pid PID [target options] [--pool P] [--format text|json] ADDR",
     OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_LIVE, TJ, .run = hw_cmd_addr, ONE_PROCESS,
     .operands = 1, .operands_error = "needs one address: ADDR (hex)"},
    {"refs", "who points into the fragment holding ADDR (globals, stacks, other fragments)",
     "--core FILE | --pid PID [target options] [--pool P] [--format text|json] ADDR",
     OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_LIVE, TJ, .run = hw_cmd_refs, ONE_PROCESS,
     .operands = 1, .operands_error = "needs one address: ADDR (hex)"},
    {"leaks", "used fragments nothing points to, by site: leak candidates (conservative)",
     "--core FILE | --pid PID [target options] [--pool P] [--format text|json] [--top N]",
     OPT_TARGET | OPT_POOL | OPT_FORMAT | OPT_SUMMARY | OPT_LIVE, TJ, .run = hw_cmd_leaks,
     ONE_PROCESS},
    {.name = NULL},
};
