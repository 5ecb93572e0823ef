# hw-qm.gdb - q_malloc walkers for heapwalk.gdb (kamailio-memory.md §2).
#
# A fragment is header (struct qm_frag), payload (size bytes) and trailer
# (struct qm_frag_end); the next fragment follows the trailer. Fragments
# tile [first_frag, last_frag_end + trailer) exactly. A fragment is used
# when its u word (u.is_free / u.nxt_free) is 0. The free lists are
# circular, one per hash bucket, with the bucket's head inside the block.
#
# Layout variables ($hw_qm_*) come from a profile (profiles.gdb), from
# 'heapwalk layout --format gdb', or from gdb's debug info (below).

define hw-internal dwarf-qm
  set $hw_mgr = 1
  set $hw_qm_word = (int)sizeof(unsigned long)
  set $hw_qm_frag_size = (int)sizeof(struct qm_frag)
  set $hw_qm_end_size = (int)sizeof(struct qm_frag_end)
  set $hw_qm_block_size = (int)sizeof(struct qm_block)
  set $hw_qm_lnk_size = (int)sizeof(struct qm_frag_lnk)
  set $hw_qm_f_size = (int)&((struct qm_frag *)0)->size
  set $hw_qm_f_u = (int)&((struct qm_frag *)0)->u
  set $hw_qm_debug = $hw_qm_frag_size > 2 * $hw_qm_word
  set $hw_qm_f_file = -1
  set $hw_qm_f_func = -1
  set $hw_qm_f_mname = -1
  set $hw_qm_f_line = -1
  set $hw_qm_f_check = -1
  set $hw_qm_e_check1 = -1
  set $hw_qm_e_check2 = -1
  set $hw_qm_f_backtrace = -1
  set $hw_qm_bt_depth = 0
  if $hw_qm_debug
    set $hw_qm_f_file = (int)&((struct qm_frag *)0)->file
    set $hw_qm_f_func = (int)&((struct qm_frag *)0)->func
    set $hw_qm_f_line = (int)&((struct qm_frag *)0)->line
    set $hw_qm_f_check = (int)&((struct qm_frag *)0)->check
    set $hw_qm_e_check1 = (int)&((struct qm_frag_end *)0)->check1
    set $hw_qm_e_check2 = (int)&((struct qm_frag_end *)0)->check2
    # mname arrived in 4.4, which made the header 7 words or more
    if $hw_qm_frag_size >= 7 * $hw_qm_word
      set $hw_qm_f_mname = (int)&((struct qm_frag *)0)->mname
    end
    # master with MEMDBG_BACKTRACE: backtrace[9] makes the header 16 words
    if $hw_qm_frag_size == 16 * $hw_qm_word
      set $hw_qm_f_backtrace = (int)&((struct qm_frag *)0)->backtrace
      set $hw_qm_bt_depth = (int)(sizeof(((struct qm_frag *)0)->backtrace) / $hw_qm_word)
    end
  end
  set $hw_qm_e_size = (int)&((struct qm_frag_end *)0)->size
  set $hw_qm_e_prev_free = (int)&((struct qm_frag_end *)0)->prev_free
  set $hw_qm_b_size = (int)&((struct qm_block *)0)->size
  set $hw_qm_b_used = (int)&((struct qm_block *)0)->used
  set $hw_qm_b_real_used = (int)&((struct qm_block *)0)->real_used
  set $hw_qm_b_max_real_used = (int)&((struct qm_block *)0)->max_real_used
  set $hw_qm_b_first_frag = (int)&((struct qm_block *)0)->first_frag
  set $hw_qm_b_last_frag_end = (int)&((struct qm_block *)0)->last_frag_end
  set $hw_qm_b_free_hash = (int)&((struct qm_block *)0)->free_hash
  set $hw_qm_l_no = (int)&((struct qm_frag_lnk *)0)->no
  set $hw_qm_hash_size = (int)(sizeof(((struct qm_block *)0)->free_hash) / $hw_qm_lnk_size)
  # type and ffrags arrived in 4.2, which moved first_frag from word 4 to 6
  set $hw_qm_b_type = -1
  set $hw_qm_b_ffrags = -1
  if $hw_qm_b_first_frag == 6 * $hw_qm_word
    set $hw_qm_b_type = (int)&((struct qm_block *)0)->type
    set $hw_qm_b_ffrags = (int)&((struct qm_block *)0)->ffrags
  end
  # ROUNDTO and the optimize constants are macros: solve
  # hash_size = optimize / ROUNDTO + (bits - factor) + 1
  set $hw_qm_roundto = 0
  set $hw_r = 4
  while $hw_r <= 16 && $hw_qm_roundto == 0
    if 16384 / $hw_r + 8 * $hw_qm_word - 14 + 1 == $hw_qm_hash_size
      set $hw_qm_roundto = $hw_r
      set $hw_qm_optimize = 16384
      set $hw_qm_optimize_factor = 14
    end
    if $hw_qm_roundto == 0 && 32768 / $hw_r + 8 * $hw_qm_word - 15 + 1 == $hw_qm_hash_size
      set $hw_qm_roundto = $hw_r
      set $hw_qm_optimize = 32768
      set $hw_qm_optimize_factor = 15
    end
    set $hw_r = $hw_r * 2
  end
  if $hw_qm_roundto == 0
    printf "hw: warning: %d hash buckets match no known ROUNDTO; assuming 16\n", $hw_qm_hash_size
    set $hw_qm_roundto = 16
    set $hw_qm_optimize = 32768
    set $hw_qm_optimize_factor = 15
  end
  set $hw_qm_first_off = ($hw_qm_block_size + $hw_qm_roundto - 1) / $hw_qm_roundto * $hw_qm_roundto
  # era, for the record: 0 old, 1 4.2-4.3, 2 4.4-5.7, 3 5.8-6.1, 4 master, 5 master-bt
  set $hw_qm_era = $hw_qm_b_type < 0 ? 0 : $hw_qm_optimize == 32768 ? 3 : 2
  if $hw_qm_debug
    set $hw_qm_era = $hw_qm_f_mname < 0 ? ($hw_qm_b_type < 0 ? 0 : 1) : $hw_qm_frag_size == 16 * $hw_qm_word ? 5 : $hw_qm_f_check == 7 * $hw_qm_word ? 4 : $hw_qm_optimize == 32768 ? 3 : 2
  end
end
document hw-internal dwarf-qm
(internal) Read the q_malloc layout from gdb's debug info: struct offsets once; ROUNDTO from the hash size.
end

# OpenSIPS's q_malloc from gdb's debug info: its site in dbg[0] (3.4+; the
# history of QM_DBG_MALLOC_HIST) or in the fragment; patterns fill the word.
define hw-internal dwarf-qm-os
  set $hw_mgr = 1
  set $hw_qm_word = (int)sizeof(unsigned long)
  set $hw_qm_frag_size = (int)sizeof(struct qm_frag)
  set $hw_qm_end_size = (int)sizeof(struct qm_frag_end)
  set $hw_qm_block_size = (int)sizeof(struct qm_block)
  set $hw_qm_lnk_size = (int)sizeof(struct qm_frag_lnk)
  set $hw_qm_f_size = (int)&((struct qm_frag *)0)->size
  set $hw_qm_f_u = (int)&((struct qm_frag *)0)->u
  hw-internal member-off qm_frag check
  set $hw_qm_f_check = $hw_mo
  set $hw_qm_debug = $hw_qm_f_check >= 0
  hw-internal member-off qm_frag dbg[0].file
  if $hw_mo < 0
    hw-internal member-off qm_frag file
  end
  set $hw_qm_f_file = $hw_mo
  hw-internal member-off qm_frag dbg[0].func
  if $hw_mo < 0
    hw-internal member-off qm_frag func
  end
  set $hw_qm_f_func = $hw_mo
  hw-internal member-off qm_frag dbg[0].line
  if $hw_mo < 0
    hw-internal member-off qm_frag line
  end
  set $hw_qm_f_line = $hw_mo
  set $hw_qm_f_mname = -1
  set $hw_qm_f_backtrace = -1
  set $hw_qm_bt_depth = 0
  hw-internal member-off qm_frag_end check1
  set $hw_qm_e_check1 = $hw_mo
  hw-internal member-off qm_frag_end check2
  set $hw_qm_e_check2 = $hw_mo
  set $hw_qm_e_size = (int)&((struct qm_frag_end *)0)->size
  set $hw_qm_e_prev_free = (int)&((struct qm_frag_end *)0)->prev_free
  set $hw_qm_b_type = -1
  set $hw_qm_b_ffrags = -1
  set $hw_qm_b_size = (int)&((struct qm_block *)0)->size
  set $hw_qm_b_used = (int)&((struct qm_block *)0)->used
  set $hw_qm_b_real_used = (int)&((struct qm_block *)0)->real_used
  set $hw_qm_b_max_real_used = (int)&((struct qm_block *)0)->max_real_used
  set $hw_qm_b_first_frag = (int)&((struct qm_block *)0)->first_frag
  set $hw_qm_b_last_frag_end = (int)&((struct qm_block *)0)->last_frag_end
  set $hw_qm_b_free_hash = (int)&((struct qm_block *)0)->free_hash
  set $hw_qm_l_no = (int)&((struct qm_frag_lnk *)0)->no
  set $hw_qm_hash_size = (int)(sizeof(((struct qm_block *)0)->free_hash) / $hw_qm_lnk_size)
  # ROUNDTO is a macro: hash_size = 16384 / ROUNDTO + (bits - 14) + 1
  set $hw_qm_roundto = 0
  set $hw_qm_optimize = 16384
  set $hw_qm_optimize_factor = 14
  set $hw_r = 4
  while $hw_r <= 16 && $hw_qm_roundto == 0
    if 16384 / $hw_r + 8 * $hw_qm_word - 14 + 1 == $hw_qm_hash_size
      set $hw_qm_roundto = $hw_r
    end
    set $hw_r = $hw_r * 2
  end
  if $hw_qm_roundto == 0
    printf "hw: warning: %d hash buckets match no known ROUNDTO; assuming the word\n", $hw_qm_hash_size
    set $hw_qm_roundto = $hw_qm_word
  end
  set $hw_qm_first_off = ($hw_qm_block_size + $hw_qm_roundto - 1) / $hw_qm_roundto * $hw_qm_roundto
  set $hw_qm_era = 6
end
document hw-internal dwarf-qm-os
(internal) Read OpenSIPS's q_malloc layout from gdb's debug info.
end

# Read the block header; $hw_hdr_ok = 0 (and a message) if it is implausible.
# OpenSIPS's check patterns fill the word; Kamailio's are 32-bit values.
define hw-internal qm-hdr
  hw-internal init
  set $hw_qm_st = $hw_qm_era == 6 && $hw_qm_word == 8 ? 0xf0f0f0f0f0f0f0f0 : 0xf0f0f0f0
  set $hw_qm_e1 = $hw_qm_era == 6 && $hw_qm_word == 8 ? 0xc0c0c0c0c0c0c0c0 : 0xc0c0c0c0
  set $hw_qm_e2 = $hw_qm_era == 6 && $hw_qm_word == 8 ? 0xabcdefedabcdefed : 0xabcdefed
  set $hw_b = $hw_block
  set $hw_h_size = *(unsigned long *)($hw_b + $hw_qm_b_size)
  set $hw_h_used = *(unsigned long *)($hw_b + $hw_qm_b_used)
  set $hw_h_real = *(unsigned long *)($hw_b + $hw_qm_b_real_used)
  set $hw_h_max = *(unsigned long *)($hw_b + $hw_qm_b_max_real_used)
  set $hw_h_ffrags = (long long)-1
  if $hw_qm_b_ffrags >= 0
    set $hw_h_ffrags = (long long)*(unsigned long *)($hw_b + $hw_qm_b_ffrags)
  end
  set $hw_first = *(unsigned long *)($hw_b + $hw_qm_b_first_frag)
  set $hw_lfe = *(unsigned long *)($hw_b + $hw_qm_b_last_frag_end)
  set $hw_lfe_ends = 1
  set $hw_end = $hw_lfe + $hw_qm_end_size
  set $hw_hdr_ok = $hw_first > $hw_b && $hw_first <= $hw_lfe && $hw_lfe - $hw_b < $hw_h_size
  if !$hw_hdr_ok
    printf "hw: q_malloc block 0x%lx is implausible: first_frag 0x%lx, last_frag_end 0x%lx, size %lu (wrong layout or pool?)\n", $hw_b, $hw_first, $hw_lfe, $hw_h_size
  end
end
document hw-internal qm-hdr
(internal) Read the selected q_malloc block's header into $hw_h_* and $hw_first, $hw_lfe, $hw_end.
end

define hw-internal qm-verify
  if $hw_qm_word != $hw_ptr
    printf "hw: warning: layout %s is for %d-byte words, this target has %d\n", $hw_layout_name, $hw_qm_word, $hw_ptr
  end
  hw-internal qm-hdr
  if $hw_hdr_ok && $hw_first - $hw_b != $hw_qm_first_off
    printf "hw: warning: first_frag is at block + %lu, layout %s expects + %d: wrong layout?\n", $hw_first - $hw_b, $hw_layout_name, $hw_qm_first_off
  end
end
document hw-internal qm-verify
(internal) Warn when the selected layout does not fit the q_malloc block.
end

# A block given by address belongs to a Kamailio before 4.4: non-debug
# 4.2-4.3 and 4.4+ share their layout, the era decides the status dump.
define hw-internal qm-old-era
  if !$hw_qm_debug && $hw_qm_era == 2
    if $hw_how == 3
      eval "hw-profile qm-4.2-4.3-nodbg-%s", $hw_ptr == 8 ? $hw_s_lp64 : $hw_s_ilp32
    end
    set $hw_qm_era = 1
  end
end
document hw-internal qm-old-era
(internal) Set the era of a q_malloc layout found for a block given by address.
end

define hw-internal qm-stats
  hw-internal qm-hdr
  if $hw_qm_era == 6
    printf "qm_status (0x%lx):\n", $hw_b
    printf " heap size= %lu\n", $hw_h_size
    printf " used= %lu, used+overhead=%lu, free=%lu\n", $hw_h_used, $hw_h_real, $hw_h_size - $hw_h_real
    printf " max used (+overhead)= %lu\n", $hw_h_max
  else
    printf "(0x%lx):\n", $hw_b
    printf "heap size= %lu\n", $hw_h_size
    printf "used= %lu, used+overhead=%lu, free=%lu\n", $hw_h_used, $hw_h_real, $hw_h_size - $hw_h_real
    printf "max used (+overhead)= %lu\n", $hw_h_max
  end
end
document hw-internal qm-stats
(internal) hw-stats for q_malloc: qm_status's first four lines.
end

# OpenSIPS's plain Q_MALLOC on a DBG_MALLOC build: the debug fields are never written.
define hw-internal qm-unfilled
  set $hw_qm_debug = 0
  set $hw_qm_f_file = -1
  set $hw_qm_f_func = -1
  set $hw_qm_f_line = -1
  set $hw_qm_f_check = -1
  set $hw_qm_e_check1 = -1
  set $hw_qm_e_check2 = -1
end
document hw-internal qm-unfilled
(internal) Walk a q_malloc layout with debug fields that are never written as a non-debug one.
end

# The generic walk variables for the loops of loops.gdb (see gen-gdb.c),
# starting at first_frag.
define hw-internal qm-setup
  set $hw_H = $hw_qm_frag_size
  set $hw_he = $hw_qm_frag_size + $hw_qm_end_size
  set $hw_hsz = $hw_h_size
  set $hw_osz = 0
  set $hw_ou = $hw_qm_f_u
  set $hw_ofile = $hw_qm_f_file
  set $hw_ofunc = $hw_qm_f_func
  set $hw_oline = $hw_qm_f_line
  set $hw_ock = $hw_qm_f_check
  set $hw_ckv = $hw_qm_st
  set $hw_nx = $hw_first
  set $hw_i = (long long)-1
  set $hw_fin = 0
  set $hw_bad = 0
  set $hw_stop = $hw_end
end
document hw-internal qm-setup
(internal) Point the generic walk variables at the selected q_malloc heap.
end

# hw-internal qm-list MODE: 0 all fragments, 1 used ones, 2 sites of used ones,
# for indices $hw_from..$hw_to.
define hw-internal qm-list
  hw-internal qm-hdr
  set $hw_mode = $arg0
  if $hw_mode == 2 && !$hw_qm_debug
    printf "hw: allocation sites need a debug build (DBG_SR_MEMORY); this one records none\n"
    set $hw_mode = -1
  end
  if $hw_hdr_ok && $hw_mode >= 0
    hw-internal qm-setup
    hw-internal loop-frag-skip
    if $hw_mode == 0
      if $hw_qm_debug
        hw-internal loop-word-all
      else
        hw-internal loop-word-all-nd
      end
    end
    if $hw_mode == 1
      if $hw_qm_debug
        hw-internal loop-word-used
      else
        hw-internal loop-word-used-nd
      end
    end
    if $hw_mode == 2
      hw-internal loop-word-sums
    end
    hw-internal walk-end
  end
end
document hw-internal qm-list
(internal) hw-frags (0), hw-used (1), hw-sums (2) for q_malloc, over $hw_from..$hw_to.
end

# qm_status: the stats lines, the fragments (used ones, or all with
# $hw_status_all), the free list stats.
define hw-internal qm-status
  hw-internal qm-stats
  if $hw_hdr_ok && $hw_qm_era == 6
    printf " dumping free list stats :\n"
    hw-internal qm-free
    printf "-----------------------------\n"
  end
  if $hw_hdr_ok && $hw_qm_era != 6
    printf "dumping all alloc'ed. fragments:\n"
    set $hw_to = (long long)0x7fffffffffffffff
    hw-internal qm-setup
    if $hw_qm_debug
      while $hw_bad == 0 && $hw_nx < $hw_lfe && ($hw_f = $hw_nx, $hw_i = $hw_i + 1, $hw_sz = *(unsigned long *)$hw_f, $hw_lfe - $hw_f >= $hw_qm_frag_size && $hw_sz <= $hw_lfe - $hw_f - $hw_qm_frag_size ? ($hw_nx = $hw_f + $hw_qm_frag_size + $hw_sz + $hw_qm_end_size, $hw_p = *(unsigned long *)($hw_f + $hw_qm_f_u) == 0, $hw_u = $hw_f + $hw_qm_frag_size, $hw_fi = *(char **)($hw_f + $hw_qm_f_file), $hw_fu = *(char **)($hw_f + $hw_qm_f_func), $hw_ln = *(long *)($hw_f + $hw_qm_f_line), $hw_ck = *(unsigned long *)($hw_f + $hw_qm_f_check), $hw_c1 = *(unsigned long *)($hw_u + $hw_sz + $hw_qm_e_check1), $hw_c2 = *(unsigned long *)($hw_u + $hw_sz + $hw_qm_e_check2), $hw_ow = ($hw_ck != $hw_qm_st) + 2 * ($hw_c1 != $hw_qm_e1 || $hw_c2 != $hw_qm_e2), 1) : ($hw_bad = 1, 0))
        if $hw_p || $hw_status_all
          if $hw_strings
            printf "   %3lld. %c  address=0x%lx frag=0x%lx size=%lu used=1\n          %s from %s: %s(%ld)\n         start check=%lx, end check= %lx, %lx\n", $hw_i, $hw_p ? 'N' : 'A', $hw_u, $hw_f, $hw_sz, $hw_p ? $hw_s_allocd : $hw_s_freed, $hw_fi, $hw_fu, $hw_ln, $hw_ck, $hw_c1, $hw_c2
          else
            printf "   %3lld. %c  address=0x%lx frag=0x%lx size=%lu used=1\n          %s from 0x%lx: 0x%lx(%ld)\n         start check=%lx, end check= %lx, %lx\n", $hw_i, $hw_p ? 'N' : 'A', $hw_u, $hw_f, $hw_sz, $hw_p ? $hw_s_allocd : $hw_s_freed, $hw_fi, $hw_fu, $hw_ln, $hw_ck, $hw_c1, $hw_c2
          end
        end
        if $hw_ow && ($hw_p || $hw_status_all)
          if $hw_ow & 1
            printf "         * beginning overwritten(%lx)!\n", $hw_ck
          end
          if $hw_ow & 2
            printf "         * end overwritten(%lx, %lx)!\n", $hw_c1, $hw_c2
          end
        end
      end
    else
      while $hw_bad == 0 && $hw_nx < $hw_lfe && ($hw_f = $hw_nx, $hw_i = $hw_i + 1, $hw_sz = *(unsigned long *)$hw_f, $hw_lfe - $hw_f >= $hw_qm_frag_size && $hw_sz <= $hw_lfe - $hw_f - $hw_qm_frag_size ? ($hw_nx = $hw_f + $hw_qm_frag_size + $hw_sz + $hw_qm_end_size, $hw_p = *(unsigned long *)($hw_f + $hw_qm_f_u) == 0, $hw_u = $hw_f + $hw_qm_frag_size, 1) : ($hw_bad = 1, 0))
        if $hw_p
          printf "   %3lld. N  address=0x%lx frag=0x%lx size=%lu used=1\n", $hw_i, $hw_u, $hw_f, $hw_sz
        else
          if $hw_status_all
            printf "   %3lld. A  address=0x%lx frag=0x%lx size=%lu used=1\n", $hw_i, $hw_u, $hw_f, $hw_sz
          end
        end
      end
    end
    hw-internal walk-end
    printf "dumping free list stats :\n"
    hw-internal qm-free
    printf "-----------------------------\n"
  end
end
document hw-internal qm-status
(internal) hw-status for q_malloc: the qm_status body.
end

# Free lists: each non-empty bucket's list is followed until it returns to
# its head, at most as many steps as the heap can hold fragments, and only
# through links that point into the heap.
define hw-internal qm-free
  hw-internal qm-hdr
  if $hw_hdr_ok
    set $hw_hash0 = $hw_b + $hw_qm_b_free_hash
    set $hw_small = $hw_qm_optimize / $hw_qm_roundto
    set $hw_lim = (long long)($hw_h_size / ($hw_qm_frag_size + $hw_qm_end_size) + 1)
    set $hw_h = (long long)0
    while $hw_h < $hw_qm_hash_size
      while $hw_h < $hw_qm_hash_size && ($hw_head = $hw_hash0 + $hw_h * $hw_qm_lnk_size, *(unsigned long *)($hw_head + $hw_qm_f_u) == $hw_head) && ($hw_h = $hw_h + 1)
      end
      if $hw_h < $hw_qm_hash_size
        set $hw_x = $hw_head
        set $hw_c = (long long)0
        set $hw_lbad = 0
        while $hw_c < $hw_lim && ($hw_x = *(unsigned long *)($hw_x + $hw_qm_f_u)) != $hw_head && ($hw_x >= $hw_first && $hw_x < $hw_lfe ? ($hw_c = $hw_c + 1) : ($hw_lbad = 1, 0))
        end
        set $hw_x1 = *(unsigned long *)($hw_head + $hw_qm_f_u)
        set $hw_fs = 0
        if $hw_x1 >= $hw_first && $hw_x1 < $hw_lfe
          set $hw_fs = *(unsigned long *)$hw_x1
        end
        set $hw_lo = $hw_h <= $hw_small ? (unsigned long long)$hw_h * $hw_qm_roundto : (unsigned long long)1 << ($hw_h - $hw_small + $hw_qm_optimize_factor - 1)
        set $hw_hi = $hw_h <= $hw_small ? $hw_lo : 2 * $hw_lo
        printf "hash= %3lld. fragments no.: %5lld, unused: %5d\n\t\t bucket size: %9llu - %9lld (first %9lu)\n", $hw_h, $hw_c, 0, $hw_lo, $hw_hi, $hw_fs
        if $hw_lbad
          printf "hw: bucket %lld: link to 0x%lx outside the heap after %lld fragments; list not followed further\n", $hw_h, $hw_x, $hw_c
        else
          if $hw_c >= $hw_lim
            printf "hw: bucket %lld: the list does not return to its head within %lld steps (a cycle?)\n", $hw_h, $hw_lim
          else
            if $hw_c != *(unsigned long *)($hw_head + $hw_qm_l_no)
              printf "hw: bucket %lld: %lld fragments in the list, its counter says %lu\n", $hw_h, $hw_c, *(unsigned long *)($hw_head + $hw_qm_l_no)
            end
          end
        end
        set $hw_h = $hw_h + 1
      end
    end
  end
end
document hw-internal qm-free
(internal) hw-free for q_malloc: qm_status's free list stats.
end

# hw-internal qm-show: print the fragment at $hw_sf (index $hw_si) in full.
define hw-internal qm-show
  set $hw_ssz = *(unsigned long *)$hw_sf
  set $hw_sused = *(unsigned long *)($hw_sf + $hw_qm_f_u) == 0
  set $hw_sok = $hw_lfe - $hw_sf >= $hw_qm_frag_size && $hw_ssz <= $hw_lfe - $hw_sf - $hw_qm_frag_size
  printf "  fragment %lld at 0x%lx: user pointer 0x%lx, size %lu, %s\n", $hw_si, $hw_sf, $hw_sf + $hw_qm_frag_size, $hw_ssz, $hw_sused ? $hw_s_used : $hw_s_free
  if $hw_qm_debug
    if *(unsigned long *)($hw_sf + $hw_qm_f_check) != $hw_qm_st
      printf "    the header is damaged: its site is not read"
    else
      if $hw_strings
        printf "    %s from %s: %s(%ld)", $hw_sused ? $hw_s_allocd : $hw_s_freed, *(char **)($hw_sf + $hw_qm_f_file), *(char **)($hw_sf + $hw_qm_f_func), *(long *)($hw_sf + $hw_qm_f_line)
        if $hw_qm_f_mname >= 0
          printf ", module %s", *(char **)($hw_sf + $hw_qm_f_mname)
        end
      else
        printf "    %s from 0x%lx: 0x%lx(%ld)", $hw_sused ? $hw_s_allocd : $hw_s_freed, *(unsigned long *)($hw_sf + $hw_qm_f_file), *(unsigned long *)($hw_sf + $hw_qm_f_func), *(long *)($hw_sf + $hw_qm_f_line)
      end
    end
    printf "\n    start check %lx", *(unsigned long *)($hw_sf + $hw_qm_f_check)
  else
    printf "   "
  end
  if $hw_sok
    set $hw_se = $hw_sf + $hw_qm_frag_size + $hw_ssz
    if $hw_qm_debug
      printf ", end check %lx, %lx", *(unsigned long *)($hw_se + $hw_qm_e_check1), *(unsigned long *)($hw_se + $hw_qm_e_check2)
    end
    printf ", trailer size %lu\n", *(unsigned long *)($hw_se + $hw_qm_e_size)
  else
    printf ", no trailer inside the heap\n"
  end
  hw-internal qm-stack
end
document hw-internal qm-show
(internal) Describe the q_malloc fragment at $hw_sf (index $hw_si) in full.
end

# hw-internal qm-stack: the return addresses a master build with
# MEMDBG_BACKTRACE stored in the fragment at $hw_sf (innermost first, up to
# the first 0), as gdb symbolises them; nothing for other builds.
define hw-internal qm-stack
  if $hw_qm_f_backtrace >= 0 && $hw_lfe - $hw_sf >= $hw_qm_frag_size
    if $hw_sused
      printf "    stack (where allocated):"
    else
      printf "    stack (where freed):"
    end
    set $hw_bi = 0
    while $hw_bi < $hw_qm_bt_depth && *(unsigned long *)($hw_sf + $hw_qm_f_backtrace + $hw_bi * $hw_qm_word) != 0
      printf "\n      #%d ", $hw_bi
      output/a *(void **)($hw_sf + $hw_qm_f_backtrace + $hw_bi * $hw_qm_word)
      set $hw_bi = $hw_bi + 1
    end
    if $hw_bi == 0
      printf " none stored"
    end
    printf "\n"
  end
end
document hw-internal qm-stack
(internal) The stack stored in the q_malloc fragment at $hw_sf (master, MEMDBG_BACKTRACE).
end

define hw-internal qm-check
  hw-internal qm-hdr
  if $hw_hdr_ok
    set $hw_f = 0
    set $hw_nx = $hw_first
    set $hw_i = (long long)-1
    set $hw_bad = 0
    set $hw_nu = (long long)0
    set $hw_nf = (long long)0
    set $hw_bu = (unsigned long long)0
    set $hw_bf = (unsigned long long)0
    if $hw_qm_debug
      while $hw_nx < $hw_lfe && ($hw_pf = $hw_f, $hw_f = $hw_nx, $hw_i = $hw_i + 1, $hw_sz = *(unsigned long *)$hw_f, $hw_bad = !($hw_lfe - $hw_f >= $hw_qm_frag_size && $hw_sz <= $hw_lfe - $hw_f - $hw_qm_frag_size) ? 1 : *(unsigned long *)($hw_f + $hw_qm_f_check) != $hw_qm_st ? 2 : *(unsigned long *)($hw_f + $hw_qm_frag_size + $hw_sz + $hw_qm_e_size) != $hw_sz ? 3 : *(unsigned long *)($hw_f + $hw_qm_frag_size + $hw_sz + $hw_qm_e_check1) != $hw_qm_e1 || *(unsigned long *)($hw_f + $hw_qm_frag_size + $hw_sz + $hw_qm_e_check2) != $hw_qm_e2 ? 4 : 0, $hw_bad == 0) && ($hw_nx = $hw_f + $hw_qm_frag_size + $hw_sz + $hw_qm_end_size, *(unsigned long *)($hw_f + $hw_qm_f_u) == 0 ? ($hw_nu = $hw_nu + 1, $hw_bu = $hw_bu + $hw_sz) : ($hw_nf = $hw_nf + 1, $hw_bf = $hw_bf + $hw_sz), 1)
      end
    else
      while $hw_nx < $hw_lfe && ($hw_pf = $hw_f, $hw_f = $hw_nx, $hw_i = $hw_i + 1, $hw_sz = *(unsigned long *)$hw_f, $hw_bad = !($hw_lfe - $hw_f >= $hw_qm_frag_size && $hw_sz <= $hw_lfe - $hw_f - $hw_qm_frag_size) ? 1 : *(unsigned long *)($hw_f + $hw_qm_frag_size + $hw_sz + $hw_qm_e_size) != $hw_sz ? 3 : 0, $hw_bad == 0) && ($hw_nx = $hw_f + $hw_qm_frag_size + $hw_sz + $hw_qm_end_size, *(unsigned long *)($hw_f + $hw_qm_f_u) == 0 ? ($hw_nu = $hw_nu + 1, $hw_bu = $hw_bu + $hw_sz) : ($hw_nf = $hw_nf + 1, $hw_bf = $hw_bf + $hw_sz), 1)
      end
    end
    if $hw_bad
      printf "hw-check: BAD fragment %lld at 0x%lx: ", $hw_i, $hw_f
      if $hw_bad == 1
        printf "size %lu runs past the heap end 0x%lx\n", $hw_sz, $hw_end
      end
      if $hw_bad == 2
        printf "start pattern %lx, expected %lx (beginning overwritten)\n", *(unsigned long *)($hw_f + $hw_qm_f_check), $hw_qm_st
      end
      if $hw_bad == 3
        printf "trailer size %lu differs from the header size %lu\n", *(unsigned long *)($hw_f + $hw_qm_frag_size + $hw_sz + $hw_qm_e_size), $hw_sz
      end
      if $hw_bad == 4
        printf "end patterns %lx, %lx, expected %lx, %lx (end overwritten)\n", *(unsigned long *)($hw_f + $hw_qm_frag_size + $hw_sz + $hw_qm_e_check1), *(unsigned long *)($hw_f + $hw_qm_frag_size + $hw_sz + $hw_qm_e_check2), $hw_qm_e1, $hw_qm_e2
      end
      if $hw_pf
        printf "previous:\n"
        set $hw_sf = $hw_pf
        set $hw_si = $hw_i - 1
        hw-internal qm-show
      end
      printf "this one:\n"
      set $hw_sf = $hw_f
      set $hw_si = $hw_i
      hw-internal qm-show
      if $hw_bad != 1 && $hw_f + $hw_qm_frag_size + $hw_sz + $hw_qm_end_size < $hw_lfe
        printf "next:\n"
        set $hw_sf = $hw_f + $hw_qm_frag_size + $hw_sz + $hw_qm_end_size
        set $hw_si = $hw_i + 1
        hw-internal qm-show
      end
      printf "hw-check: %lld fragments before it were good (%lld used, %lld free)\n", $hw_i, $hw_nu, $hw_nf
    else
      if $hw_nx != $hw_end
        printf "hw-check: BAD: the fragments end at 0x%lx, the heap at 0x%lx\n", $hw_nx, $hw_end
      else
        printf "hw-check: %lld fragments OK (%lld used, %lld free), tiling exactly 0x%lx..0x%lx\n", $hw_i + 1, $hw_nu, $hw_nf, $hw_first, $hw_end
      end
      printf "hw-check: used bytes %llu (block says %lu), free bytes %llu (size - used+overhead = %lu)\n", $hw_bu, $hw_h_used, $hw_bf, $hw_h_size - $hw_h_real
      if $hw_bu != $hw_h_used && $hw_qm_era != 6
        printf "hw-check: note: used differs by %lld (Kamailio before 5.8.8/6.0.6 leaves it too high after an in-place shrinking realloc)\n", (long long)($hw_h_used - $hw_bu)
      end
      if $hw_h_ffrags >= 0 && $hw_h_ffrags != $hw_nf
        printf "hw-check: BAD: %lld free fragments, the block's ffrags says %lld\n", $hw_nf, $hw_h_ffrags
      end
    end
  end
end
document hw-internal qm-check
(internal) hw-check for q_malloc.
end

define hw-internal qm-addr
  hw-internal qm-hdr
  if $hw_hdr_ok
    if $hw_a < $hw_first || $hw_a >= $hw_end
      if $hw_a >= $hw_b && $hw_a < $hw_first
        printf "hw: 0x%lx is inside the q_malloc block header (0x%lx..0x%lx, free list heads from 0x%lx)\n", $hw_a, $hw_b, $hw_first, $hw_b + $hw_qm_b_free_hash
      else
        printf "hw: 0x%lx is not in this pool's heap (0x%lx..0x%lx)\n", $hw_a, $hw_first, $hw_end
      end
    else
      set $hw_nx = $hw_first
      set $hw_i = (long long)-1
      set $hw_bad = 0
      while $hw_nx <= $hw_a && $hw_nx < $hw_lfe && ($hw_f = $hw_nx, $hw_i = $hw_i + 1, $hw_sz = *(unsigned long *)$hw_f, $hw_lfe - $hw_f >= $hw_qm_frag_size && $hw_sz <= $hw_lfe - $hw_f - $hw_qm_frag_size ? ($hw_nx = $hw_f + $hw_qm_frag_size + $hw_sz + $hw_qm_end_size, 1) : ($hw_bad = 1, 0))
      end
      if $hw_bad
        hw-internal walk-end
      else
        if $hw_a >= $hw_nx
          printf "hw: 0x%lx lies after the last fragment\n", $hw_a
        else
          set $hw_sf = $hw_f
          set $hw_si = $hw_i
          printf "hw: 0x%lx is in the %s of fragment %lld:\n", $hw_a, $hw_a < $hw_f + $hw_qm_frag_size ? $hw_s_header : $hw_a < $hw_f + $hw_qm_frag_size + $hw_sz ? $hw_s_payload : $hw_s_trailer, $hw_i
          hw-internal qm-show
        end
      end
    end
  end
end
document hw-internal qm-addr
(internal) hw-addr for q_malloc: the fragment holding $hw_a.
end
