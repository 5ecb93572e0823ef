#!/usr/bin/env python3
"""gen_sites.py - writes the C source of the bench heap generator's allocation sites.

Usage: gen_sites.py OUT.c

Each site is one line of C that allocates through the fixture's shm API
(fx_shm_malloc), so it records its own file, function and __LINE__, with
the module name of a Kamailio module, as Kamailio's debug builds do. The
output is deterministic: the same script always writes the same file.
"""

import random
import sys

# module: (files, function names). Names are unique across the whole file
# (everything is one translation unit), as Kamailio's prefixes mostly make them.
MODULES = {
    "core": (
        ["core/parser/msg_parser.c", "core/parser/parse_via.c", "core/parser/parse_to.c",
         "core/usr_avp.c", "core/xavp.c", "core/dns_cache.c", "core/timer.c",
         "core/tcp_main.c", "core/cfg/cfg_struct.c", "core/rpc_lookup.c", "core/counters.c",
         "core/data_lump.c", "core/socket_info.c", "core/dset.c", "core/resolve.c"],
        ["parse_msg", "parse_via", "parse_to_param", "create_avp", "add_avp_galias",
         "xavp_new_value", "xavp_add_xavp_value", "dns_cache_mk_a_entry",
         "dns_cache_mk_srv_entry", "timer_alloc", "tcpconn_new", "tcpconn_add_alias",
         "cfg_clone_global", "cfg_update_local", "rpc_hash_add", "cnt_hash_add",
         "insert_new_lump_after", "anchor_lump", "new_sock_info", "append_branch",
         "shm_str_dup", "mk_ip_list"]),
    "tm": (
        ["h_table.c", "t_funcs.c", "t_lookup.c", "t_reply.c", "t_fwd.c", "t_msgbuilder.c",
         "uac.c", "t_serial.c", "dlg.c", "timer.c"],
        ["build_cell", "t_newtran", "new_t", "insert_into_hash_table_unsafe", "sip_msg_cloner",
         "t_reply_with_body", "store_reply", "add_uac", "prepare_new_uac",
         "build_local", "build_local_reorder", "t_uac_prepare", "t_load_contacts",
         "new_dlg_uac", "new_dlg_uas", "tm_set_fr", "fake_req", "t_buf_from_msg"]),
    "usrloc": (
        ["udomain.c", "urecord.c", "ucontact.c", "dlist.c", "ul_keepalive.c", "hslot.c"],
        ["new_urecord", "mem_insert_urecord", "new_ucontact", "mem_insert_ucontact",
         "ucontact_xavp_store", "get_all_ucontacts", "ul_ka_db_records", "register_udomain",
         "init_slot"]),
    "registrar": (
        ["save.c", "lookup.c", "reply.c", "sip_msg.c", "path.c"],
        ["pack_ci", "build_contact", "add_contacts", "update_contacts", "lookup_to_dset",
         "registered", "build_path_vector"]),
    "dialog": (
        ["dlg_hash.c", "dlg_var.c", "dlg_profile.c", "dlg_handlers.c", "dlg_timer.c",
         "dlg_dmq.c", "dlg_cb.c"],
        ["build_new_dlg", "link_dlg", "set_dlg_variable_unsafe", "set_dlg_profile",
         "link_dlg_profile", "dlg_new_dialog", "dlg_set_leg_info", "insert_dlg_timer",
         "dlg_dmq_send", "register_dlgcb", "dlg_add_profile"]),
    "htable": (
        ["ht_api.c", "ht_var.c", "ht_dmq.c", "htable.c"],
        ["ht_cell_new", "ht_set_cell", "ht_set_cell_ex", "ht_cell_value_add", "pv_parse_ht_name",
         "ht_dmq_replicate_action", "ht_add_table", "ht_table_spec"]),
    "pv": (
        ["pv_core.c", "pv_svar.c", "pv_shv.c", "pv_trans.c", "pv_xavp.c", "pv_branch.c"],
        ["set_var_value", "add_var", "set_shvar_value", "add_shvar", "tr_parse_string",
         "pv_xavp_fill_ni", "pv_set_xavp", "pv_parse_branchx_name"]),
    "sl": (
        ["sl_funcs.c", "sl_stats.c", "sl.c"],
        ["sl_reply_helper", "sl_startup", "init_sl_stats_child", "sl_register_callback"]),
    "presence": (
        ["presentity.c", "subscribe.c", "notify.c", "hash.c", "event_list.c", "publish.c"],
        ["new_shtable", "insert_shtable", "mem_copy_subs", "new_pres_event", "add_event",
         "insert_phtable", "update_presentity", "build_str_hdr", "send_notify_request",
         "ps_ptable_insert", "get_p_notify_body"]),
    "dispatcher": (
        ["dispatch.c", "ds_ht.c", "api.c"],
        ["add_dest2list", "ds_ht_init", "ds_add_cell", "ds_cell_new", "reindex_dests",
         "ds_set_attrs", "ds_select_dst_limit"]),
    "rtpengine": (
        ["rtpengine.c", "rtpengine_hash.c", "bencode.c"],
        ["add_rtpengine_socks", "rtpengine_hash_table_insert", "rtpengine_hash_table_init",
         "rtpp_function_call", "bencode_buffer_init", "select_rtpp_node_new"]),
    "tls": (
        ["tls_domain.c", "tls_server.c", "tls_cfg.c", "tls_ct_wrq.c", "tls_locking.c"],
        ["tls_new_domain", "tls_new_cfg", "tls_complete_init", "tls_h_tcpconn_init",
         "tls_ct_wq_add", "tls_dyn_lock_create", "ser_malloc"]),
    "acc": (
        ["acc.c", "acc_cdr.c", "acc_extra.c"],
        ["acc_log_request", "acc_db_init", "build_cdr", "parse_acc_extra", "acc_api_exec"]),
    "sqlops": (
        ["sql_api.c", "sql_var.c"],
        ["sql_connect", "sql_do_query", "sqlops_new_result", "sql_parse_param"]),
    "dmq": (
        ["dmq.c", "peer.c", "message.c", "dmqnode.c", "worker.c"],
        ["add_peer", "build_dmq_node", "add_dmq_node", "add_dmq_job", "dmq_send_message",
         "new_job_queue"]),
    "nathelper": (
        ["nathelper.c", "nhelpr_funcs.c"],
        ["fix_nated_contact_f", "add_rcv_param_f", "nh_timer", "create_rcv_uri"]),
    "siputils": (
        ["siputils.c", "contact_ops.c", "ring.c"],
        ["ring_insert_callid", "encode_contact", "decode_contact", "append_rpid_helper"]),
}

# Request size classes: (min, max, share of sites).
# Big classes are rare and their sites get little traffic (weight / damp):
# the mean request is about 100 bytes, as in a busy proxy's shm.
CLASSES = [((8, 64), 50, 1), ((24, 256), 34, 1), ((128, 1024), 11, 2), ((512, 4096), 4, 8),
           ((4096, 32768), 1, 50)]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_sites.py OUT.c")
    rnd = random.Random(20240601)
    out = []
    w = out.append
    w("/* bench_sites.c - generated by bench/gen_sites.py: allocation sites of the bench heaps. */")
    w('#include "bench_gen.h"')
    w("")
    table = []  # (function, case, min, max, free function)
    for mod, (files, funcs) in MODULES.items():
        frees = []
        for k in range(2):
            fname = "%s_free_%d" % (mod, k)
            frees.append(fname)
            w("static void %s(void *p)" % fname)
            w("{")
            w('\tfx_shm_free("%s", "%s", p);' % (mod, files[k % len(files)]))
            w("}")
            w("")
        for fn in funcs:
            nsites = rnd.choice([1, 1, 2, 2, 3, 4])
            w("static void *%s(unsigned int k, size_t s)" % fn)
            w("{")
            w("\tswitch (k) {")
            for k in range(nsites):
                f = rnd.choice(files)
                w('\tcase %d: return fx_shm_malloc("%s", "%s", s);' % (k, mod, f))
                r = rnd.randrange(100)
                for (lo, hi), share, damp in CLASSES:
                    if r < share:
                        break
                    r -= share
                table.append((fn, k, lo, hi, damp, rnd.choice(frees)))
            w("\t}")
            w("\treturn NULL;")
            w("}")
            w("")
    # Zipf-like popularity over a shuffled order: a few sites hold most fragments.
    order = list(range(len(table)))
    rnd.shuffle(order)
    weight = [0] * len(table)
    for rank, i in enumerate(order):
        weight[i] = max(1, int(100000 / (rank + 1) ** 0.9 / table[i][4]))
    w("const struct bench_site bench_sites[] = {")
    for i, (fn, k, lo, hi, _, fr) in enumerate(table):
        w("\t{%s, %d, %d, %d, %d, %s}," % (fn, k, lo, hi, weight[i], fr))
    w("};")
    w("const unsigned int bench_nsites = %d;" % len(table))
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
