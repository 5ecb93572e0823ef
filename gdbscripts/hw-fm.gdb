# hw-fm.gdb - f_malloc walkers for heapwalk.gdb (kamailio-memory.md §3).
#
# A fragment is a header (struct fm_frag) and its payload; the next header
# follows the payload (no trailer). The walk ends at the sentinel header
# last_frag (4.2 and later) or at last_frag + one header (up to 4.1, where
# the last fragment overlaps the sentinel). Used vs free: 4.4+ is_free,
# 4.2-4.3 prv_free, up to 4.1 no flag at all: u.nxt_free is set in every
# free fragment except the last of its list, so the list tails are
# collected first (hw-internal fm-tails). Free lists are NULL-terminated,
# one per hash bucket.
#
# $hw_fm_era: 0 SER 0.9/OpenSER, 1 3.0-4.1, 2 4.2-4.3, 3 4.4-5.7, 4 5.8+;
# OpenSIPS 5 2.4-3.3, 6 3.4+: free when prev (as 4.2's prv_free) is set.
# $hw_fm_ibase: the index of the heap's first fragment (0; hw-par.gdb walks
# several heaps as one).

if $_isvoid($hw_fm_ibase)
  set $hw_fm_ibase = (long long)0
end

define hw-internal dwarf-fm
  set $hw_mgr = 2
  set $hw_w = (int)sizeof(unsigned long)
  set $hw_fm_word = $hw_w
  set $hw_fm_frag_size = (int)sizeof(struct fm_frag)
  set $hw_fm_block_size = (int)sizeof(struct fm_block)
  set $hw_fm_lnk_size = (int)sizeof(struct fm_frag_lnk)
  set $hw_fm_f_size = (int)&((struct fm_frag *)0)->size
  set $hw_fm_b_size = (int)&((struct fm_block *)0)->size
  set $hw_fm_b_first_frag = (int)&((struct fm_block *)0)->first_frag
  set $hw_fm_b_last_frag = (int)&((struct fm_block *)0)->last_frag
  set $hw_fm_b_free_hash = (int)&((struct fm_block *)0)->free_hash
  set $hw_fm_l_first = (int)&((struct fm_frag_lnk *)0)->first
  set $hw_fm_l_no = (int)&((struct fm_frag_lnk *)0)->no
  set $hw_fm_hash_size = (int)(sizeof(((struct fm_block *)0)->free_hash) / $hw_fm_lnk_size)
  # the era from what always exists: where first_frag is, and the header size
  if $hw_fm_b_first_frag == 7 * $hw_w
    set $hw_fm_era = 4
  else
    if $hw_fm_b_first_frag == 6 * $hw_w
      set $hw_fm_era = $hw_fm_frag_size == 3 * $hw_w || $hw_fm_frag_size == 7 * $hw_w ? 2 : 3
    else
      set $hw_fm_era = $hw_fm_b_free_hash == $hw_fm_b_last_frag + $hw_w ? 0 : 1
    end
  end
  set $hw_fm_debug = $hw_fm_era == 4 ? $hw_fm_frag_size > 6 * $hw_w : $hw_fm_era == 3 ? $hw_fm_frag_size >= 9 * $hw_w : $hw_fm_era == 2 ? $hw_fm_frag_size >= 7 * $hw_w : $hw_fm_frag_size >= 6 * $hw_w
  set $hw_fm_stats = $hw_fm_era >= 2 || $hw_fm_b_first_frag == 4 * $hw_w
  set $hw_fm_f_u = -1
  set $hw_fm_f_prv_free = -1
  set $hw_fm_f_is_free = -1
  set $hw_fm_f_is_free_size = 0
  set $hw_fm_f_next_free = -1
  set $hw_fm_f_prev_free = -1
  set $hw_fm_f_file = -1
  set $hw_fm_f_func = -1
  set $hw_fm_f_mname = -1
  set $hw_fm_f_line = -1
  set $hw_fm_f_check = -1
  set $hw_fm_f_check_size = 0
  if $hw_fm_era >= 3
    set $hw_fm_f_is_free = (int)&((struct fm_frag *)0)->is_free
    set $hw_fm_f_is_free_size = (int)sizeof(((struct fm_frag *)0)->is_free)
    set $hw_fm_f_next_free = (int)&((struct fm_frag *)0)->next_free
    set $hw_fm_f_prev_free = (int)&((struct fm_frag *)0)->prev_free
    set $hw_fm_f_check = (int)&((struct fm_frag *)0)->check
    set $hw_fm_f_check_size = (int)sizeof(((struct fm_frag *)0)->check)
    set $hw_fm_f_link = $hw_fm_f_next_free
  else
    set $hw_fm_f_u = (int)&((struct fm_frag *)0)->u
    set $hw_fm_f_link = $hw_fm_f_u
    if $hw_fm_era == 2
      set $hw_fm_f_prv_free = (int)&((struct fm_frag *)0)->prv_free
    end
    if $hw_fm_debug
      set $hw_fm_f_check = (int)&((struct fm_frag *)0)->check
      set $hw_fm_f_check_size = (int)sizeof(((struct fm_frag *)0)->check)
    end
  end
  if $hw_fm_debug
    set $hw_fm_f_file = (int)&((struct fm_frag *)0)->file
    set $hw_fm_f_func = (int)&((struct fm_frag *)0)->func
    set $hw_fm_f_line = (int)&((struct fm_frag *)0)->line
    if $hw_fm_era >= 3
      set $hw_fm_f_mname = (int)&((struct fm_frag *)0)->mname
    end
  end
  set $hw_fm_b_type = -1
  set $hw_fm_b_used = -1
  set $hw_fm_b_real_used = -1
  set $hw_fm_b_max_real_used = -1
  set $hw_fm_b_ffrags = -1
  set $hw_fm_b_free_bitmap = -1
  set $hw_fm_bitmap_words = 0
  if $hw_fm_stats
    set $hw_fm_b_used = (int)&((struct fm_block *)0)->used
    set $hw_fm_b_real_used = (int)&((struct fm_block *)0)->real_used
    set $hw_fm_b_max_real_used = (int)&((struct fm_block *)0)->max_real_used
  end
  if $hw_fm_era >= 2
    set $hw_fm_b_type = (int)&((struct fm_block *)0)->type
    set $hw_fm_b_ffrags = (int)&((struct fm_block *)0)->ffrags
  end
  if $hw_fm_era >= 1
    set $hw_fm_b_free_bitmap = (int)&((struct fm_block *)0)->free_bitmap
    set $hw_fm_bitmap_words = (int)(sizeof(((struct fm_block *)0)->free_bitmap) / $hw_w)
  end
  # ROUNDTO and the optimize constants are macros: solve
  # hash_size = optimize / ROUNDTO + (bits - factor) + 1
  set $hw_fm_optimize = $hw_fm_era == 4 ? 32768 : 16384
  set $hw_fm_optimize_factor = $hw_fm_era == 4 ? 15 : 14
  set $hw_fm_roundto = 0
  set $hw_r = 4
  while $hw_r <= 16 && $hw_fm_roundto == 0
    if $hw_fm_optimize / $hw_r + 8 * $hw_w - $hw_fm_optimize_factor + 1 == $hw_fm_hash_size
      set $hw_fm_roundto = $hw_r
    end
    set $hw_r = $hw_r * 2
  end
  if $hw_fm_roundto == 0
    printf "hw: warning: %d hash buckets match no known ROUNDTO; assuming 8\n", $hw_fm_hash_size
    set $hw_fm_roundto = 8
  end
  set $hw_fm_first_off = ($hw_fm_block_size + $hw_fm_roundto - 1) / $hw_fm_roundto * $hw_fm_roundto
  set $hw_fm_init_headers = $hw_fm_era >= 2 ? 2 : 1
  set $hw_fm_b_large_space = -1
end
document hw-internal dwarf-fm
(internal) Read the f_malloc layout from gdb's debug info: struct offsets once; ROUNDTO from the hash size.
end

# OpenSIPS's f_malloc from gdb's debug info: free when prev is set; 3.4+ has
# pf; 2.4's debug build a check word (and an is_free char that is not the
# free state); 3.0.0's block large_space.
define hw-internal dwarf-fm-os
  set $hw_mgr = 2
  set $hw_w = (int)sizeof(unsigned long)
  set $hw_fm_word = $hw_w
  set $hw_fm_frag_size = (int)sizeof(struct fm_frag)
  set $hw_fm_block_size = (int)sizeof(struct fm_block)
  set $hw_fm_lnk_size = (int)sizeof(struct fm_frag_lnk)
  set $hw_fm_f_size = (int)&((struct fm_frag *)0)->size
  set $hw_fm_f_u = (int)&((struct fm_frag *)0)->u
  set $hw_fm_f_link = $hw_fm_f_u
  set $hw_fm_f_prv_free = (int)&((struct fm_frag *)0)->prev
  set $hw_fm_f_is_free = -1
  set $hw_fm_f_is_free_size = 0
  set $hw_fm_f_next_free = -1
  set $hw_fm_f_prev_free = -1
  set $hw_fm_f_mname = -1
  hw-internal member-off fm_frag pf
  set $hw_fm_era = $hw_mo >= 0 ? 6 : 5
  hw-internal member-off fm_frag file
  set $hw_fm_f_file = $hw_mo
  set $hw_fm_debug = $hw_mo >= 0
  hw-internal member-off fm_frag func
  set $hw_fm_f_func = $hw_mo
  hw-internal member-off fm_frag line
  set $hw_fm_f_line = $hw_mo
  hw-internal member-off fm_frag check
  set $hw_fm_f_check = $hw_mo
  set $hw_fm_f_check_size = 0
  if $hw_fm_f_check >= 0
    set $hw_fm_f_check_size = (int)sizeof(((struct fm_frag *)0)->check)
  end
  set $hw_fm_b_type = -1
  set $hw_fm_b_ffrags = -1
  set $hw_fm_b_free_bitmap = -1
  set $hw_fm_bitmap_words = 0
  set $hw_fm_b_size = (int)&((struct fm_block *)0)->size
  hw-internal member-off fm_block used
  set $hw_fm_b_used = $hw_mo
  set $hw_fm_stats = $hw_mo >= 0
  hw-internal member-off fm_block real_used
  set $hw_fm_b_real_used = $hw_mo
  hw-internal member-off fm_block max_real_used
  set $hw_fm_b_max_real_used = $hw_mo
  hw-internal member-off fm_block large_space
  set $hw_fm_b_large_space = $hw_mo
  set $hw_fm_b_first_frag = (int)&((struct fm_block *)0)->first_frag
  set $hw_fm_b_last_frag = (int)&((struct fm_block *)0)->last_frag
  set $hw_fm_b_free_hash = (int)&((struct fm_block *)0)->free_hash
  set $hw_fm_l_first = (int)&((struct fm_frag_lnk *)0)->first
  set $hw_fm_l_no = (int)&((struct fm_frag_lnk *)0)->no
  set $hw_fm_hash_size = (int)(sizeof(((struct fm_block *)0)->free_hash) / $hw_fm_lnk_size)
  # ROUNDTO is a macro: hash_size = 16384 / ROUNDTO + (bits - 14) + 1
  set $hw_fm_optimize = 16384
  set $hw_fm_optimize_factor = 14
  set $hw_fm_roundto = 0
  set $hw_r = 4
  while $hw_r <= 16 && $hw_fm_roundto == 0
    if 16384 / $hw_r + 8 * $hw_w - 14 + 1 == $hw_fm_hash_size
      set $hw_fm_roundto = $hw_r
    end
    set $hw_r = $hw_r * 2
  end
  if $hw_fm_roundto == 0
    printf "hw: warning: %d hash buckets match no known ROUNDTO; assuming the word\n", $hw_fm_hash_size
    set $hw_fm_roundto = $hw_w
  end
  set $hw_fm_first_off = ($hw_fm_block_size + $hw_fm_roundto - 1) / $hw_fm_roundto * $hw_fm_roundto
  set $hw_fm_init_headers = 2
end
document hw-internal dwarf-fm-os
(internal) Read OpenSIPS's f_malloc layout from gdb's debug info.
end

define hw-internal fm-hdr
  hw-internal init
  set $hw_b = $hw_block
  set $hw_h_size = *(unsigned long *)($hw_b + $hw_fm_b_size)
  set $hw_h_counters = $hw_fm_b_used >= 0
  set $hw_h_used = (unsigned long)0
  set $hw_h_real = (unsigned long)0
  set $hw_h_max = (unsigned long)0
  if $hw_h_counters
    set $hw_h_used = *(unsigned long *)($hw_b + $hw_fm_b_used)
    set $hw_h_real = *(unsigned long *)($hw_b + $hw_fm_b_real_used)
    set $hw_h_max = *(unsigned long *)($hw_b + $hw_fm_b_max_real_used)
  end
  set $hw_h_ffrags = (long long)-1
  if $hw_fm_b_ffrags >= 0
    set $hw_h_ffrags = (long long)*(unsigned long *)($hw_b + $hw_fm_b_ffrags)
  end
  set $hw_first = *(unsigned long *)($hw_b + $hw_fm_b_first_frag)
  set $hw_lfe = *(unsigned long *)($hw_b + $hw_fm_b_last_frag)
  set $hw_lfe_ends = 1
  set $hw_end = $hw_fm_era >= 2 ? $hw_lfe : $hw_lfe + $hw_fm_frag_size
  set $hw_hdr_ok = $hw_first > $hw_b && $hw_first <= $hw_lfe && $hw_lfe - $hw_b < $hw_h_size
  if !$hw_hdr_ok
    printf "hw: f_malloc block 0x%lx is implausible: first_frag 0x%lx, last_frag 0x%lx, size %lu (wrong layout or pool?)\n", $hw_b, $hw_first, $hw_lfe, $hw_h_size
  end
end
document hw-internal fm-hdr
(internal) Read the selected f_malloc block's header into $hw_h_* and $hw_first, $hw_lfe, $hw_end.
end

define hw-internal fm-verify
  if $hw_fm_word != $hw_ptr
    printf "hw: warning: layout %s is for %d-byte words, this target has %d\n", $hw_layout_name, $hw_fm_word, $hw_ptr
  end
  hw-internal fm-hdr
  if $hw_hdr_ok && $hw_first - $hw_b != $hw_fm_first_off
    printf "hw: warning: first_frag is at block + %lu, layout %s expects + %d: wrong layout?\n", $hw_first - $hw_b, $hw_layout_name, $hw_fm_first_off
  end
end
document hw-internal fm-verify
(internal) Warn when the selected layout does not fit the f_malloc block.
end

# f_malloc layouts that share a fingerprint share their era too: nothing to set.
define hw-internal fm-old-era
end
document hw-internal fm-old-era
(internal) Nothing: an f_malloc layout found for a block given by address keeps its era.
end

define hw-internal fm-stats
  hw-internal fm-hdr
  printf "fm_status (0x%lx):\n", $hw_b
  printf " heap size= %ld\n", $hw_h_size
  if $hw_h_counters
    # OpenSIPS counts free as size - used
    printf " used= %lu, used+overhead=%lu, free=%lu\n", $hw_h_used, $hw_h_real, $hw_h_size - ($hw_fm_era >= 5 ? $hw_h_used : $hw_h_real)
    printf " max used (+overhead)= %lu\n", $hw_h_max
  end
end
document hw-internal fm-stats
(internal) hw-stats for f_malloc: fm_status's first lines.
end

# OpenSIPS's plain F_MALLOC on a DBG_MALLOC build: the debug fields are never written.
define hw-internal fm-unfilled
  set $hw_fm_debug = 0
  set $hw_fm_f_file = -1
  set $hw_fm_f_func = -1
  set $hw_fm_f_line = -1
  set $hw_fm_f_check = -1
  set $hw_fm_f_check_size = 0
end
document hw-internal fm-unfilled
(internal) Walk an f_malloc layout with debug fields that are never written as a non-debug one.
end

# Up to 4.1: the last fragment of each free list, sorted by address, into
# $hw_tl[0..$hw_tn).
define hw-internal fm-tails
  hw-internal tails-array
  set $hw_tn = (long long)0
  set $hw_tover = (long long)0
  set $hw_ti = (long long)0
  set $hw_lim = (long long)(($hw_end - $hw_first) / $hw_fm_frag_size + 1)
  set $hw_hash0 = $hw_b + $hw_fm_b_free_hash
  set $hw_h = (long long)0
  while $hw_h < $hw_fm_hash_size
    while $hw_h < $hw_fm_hash_size ? *(unsigned long *)($hw_hash0 + $hw_h * $hw_fm_lnk_size + $hw_fm_l_first) == 0 && ($hw_h = $hw_h + 1) : 0
    end
    if $hw_h < $hw_fm_hash_size
      set $hw_x = *(unsigned long *)($hw_hash0 + $hw_h * $hw_fm_lnk_size + $hw_fm_l_first)
      set $hw_c = (long long)0
      while $hw_c < $hw_lim && $hw_x >= $hw_first && $hw_x < $hw_lfe ? (($hw_y = *(unsigned long *)($hw_x + $hw_fm_f_link)) != 0 ? ($hw_x = $hw_y, $hw_c = $hw_c + 1) : 0) : 0
      end
      if $hw_x >= $hw_first && $hw_x < $hw_lfe
        if $hw_tn < $hw_tcap
          set $hw_tl[$hw_tn] = $hw_x
          set $hw_tn = $hw_tn + 1
        else
          set $hw_tover = $hw_tover + 1
        end
      end
      set $hw_h = $hw_h + 1
    end
  end
  if $hw_tover
    printf "hw: %lld more free-list tails than hw-fm.gdb tracks (%lld): those fragments show as used\n", $hw_tover, $hw_tcap
  end
  # insertion sort: at most one tail per bucket
  set $hw_a = (long long)1
  while $hw_a < $hw_tn
    set $hw_key = $hw_tl[$hw_a]
    set $hw_z = $hw_a
    while $hw_z > 0 ? ($hw_tl[$hw_z - 1] > $hw_key ? ($hw_tl[$hw_z] = $hw_tl[$hw_z - 1], $hw_z = $hw_z - 1, 1) : 0) : 0
    end
    set $hw_tl[$hw_z] = $hw_key
    set $hw_a = $hw_a + 1
  end
end
document hw-internal fm-tails
(internal) f_malloc up to 4.1: collect the free-list tails, which carry no free mark.
end

define hw-internal fm-setup
  set $hw_H = $hw_fm_frag_size
  set $hw_he = $hw_fm_frag_size
  set $hw_hsz = $hw_h_size
  set $hw_osz = 0
  set $hw_ou = $hw_fm_era >= 5 || $hw_fm_era == 2 ? $hw_fm_f_prv_free : $hw_fm_era >= 3 ? $hw_fm_f_is_free : $hw_fm_f_u
  set $hw_ofile = $hw_fm_f_file
  set $hw_ofunc = $hw_fm_f_func
  set $hw_oline = $hw_fm_f_line
  set $hw_ock = $hw_fm_f_check
  set $hw_ckv = 0xf0f0f0f0
  set $hw_nx = $hw_first
  set $hw_i = (long long)$hw_fm_ibase - 1
  set $hw_fin = 0
  set $hw_bad = 0
  set $hw_stop = $hw_end
  # which loops.gdb flavour reads the free mark
  set $hw_flav = $hw_fm_era <= 1 ? 2 : $hw_fm_era == 3 && $hw_fm_f_is_free_size == 4 ? 1 : 0
  set $hw_tn = (long long)0
  set $hw_ti = (long long)0
  if $hw_flav == 2
    hw-internal fm-tails
  end
end
document hw-internal fm-setup
(internal) Point the generic walk variables at the selected f_malloc heap.
end

# hw-internal fm-list MODE: 0 all fragments, 1 used ones, 2 sites of used ones.
define hw-internal fm-list
  hw-internal fm-hdr
  set $hw_mode = $arg0
  if $hw_mode == 2 && !$hw_fm_debug
    printf "hw: allocation sites need a debug build (DBG_SR_MEMORY); this one records none\n"
    set $hw_mode = -1
  end
  if $hw_hdr_ok && $hw_mode >= 0
    hw-internal fm-setup
    hw-internal loop-frag-skip
    while $hw_ti < $hw_tn ? ($hw_tl[$hw_ti] < $hw_nx ? ($hw_ti = $hw_ti + 1) : 0) : 0
    end
    if $hw_flav == 0
      hw-internal fm-list-word
    end
    if $hw_flav == 1
      hw-internal fm-list-int
    end
    if $hw_flav == 2
      hw-internal fm-list-fmold
    end
    hw-internal walk-end
  end
end
document hw-internal fm-list
(internal) hw-frags (0), hw-used (1), hw-sums (2) for f_malloc, over $hw_from..$hw_to.
end

define hw-internal fm-list-word
  if $hw_mode == 0 && $hw_fm_debug
    hw-internal loop-word-all
  end
  if $hw_mode == 0 && !$hw_fm_debug
    hw-internal loop-word-all-nd
  end
  if $hw_mode == 1 && $hw_fm_debug
    hw-internal loop-word-used
  end
  if $hw_mode == 1 && !$hw_fm_debug
    hw-internal loop-word-used-nd
  end
  if $hw_mode == 2
    hw-internal loop-word-sums
  end
end
document hw-internal fm-list-word
(internal) fm-list with a word-sized free mark.
end

define hw-internal fm-list-int
  if $hw_mode == 0 && $hw_fm_debug
    hw-internal loop-int-all
  end
  if $hw_mode == 0 && !$hw_fm_debug
    hw-internal loop-int-all-nd
  end
  if $hw_mode == 1 && $hw_fm_debug
    hw-internal loop-int-used
  end
  if $hw_mode == 1 && !$hw_fm_debug
    hw-internal loop-int-used-nd
  end
  if $hw_mode == 2
    hw-internal loop-int-sums
  end
end
document hw-internal fm-list-int
(internal) fm-list with an unsigned int free mark (4.4-5.7).
end

define hw-internal fm-list-fmold
  if $hw_mode == 0 && $hw_fm_debug
    hw-internal loop-fmold-all
  end
  if $hw_mode == 0 && !$hw_fm_debug
    hw-internal loop-fmold-all-nd
  end
  if $hw_mode == 1 && $hw_fm_debug
    hw-internal loop-fmold-used
  end
  if $hw_mode == 1 && !$hw_fm_debug
    hw-internal loop-fmold-used-nd
  end
  if $hw_mode == 2
    hw-internal loop-fmold-sums
  end
end
document hw-internal fm-list-fmold
(internal) fm-list up to 4.1 (free = linked, or a list tail).
end

# The free lists, as fm_status prints them, and the TOTAL line.
define hw-internal fm-free
  hw-internal fm-hdr
  if $hw_hdr_ok
    set $hw_hash0 = $hw_b + $hw_fm_b_free_hash
    set $hw_small = $hw_fm_optimize / $hw_fm_roundto
    set $hw_lim = (long long)(($hw_end - $hw_first) / $hw_fm_frag_size + 1)
    set $hw_tot = (long long)0
    set $hw_totb = (unsigned long long)0
    set $hw_h = (long long)0
    set $hw_y = (unsigned long)0
    set $hw_cb = (unsigned long long)0
    while $hw_h < $hw_fm_hash_size
      while $hw_h < $hw_fm_hash_size ? *(unsigned long *)($hw_hash0 + $hw_h * $hw_fm_lnk_size + $hw_fm_l_first) == 0 && ($hw_h = $hw_h + 1) : 0
      end
      if $hw_h < $hw_fm_hash_size
        set $hw_head = $hw_hash0 + $hw_h * $hw_fm_lnk_size
        set $hw_x = *(unsigned long *)($hw_head + $hw_fm_l_first)
        set $hw_fs = $hw_x >= $hw_first && $hw_x < $hw_lfe ? *(unsigned long *)$hw_x : 0
        set $hw_c = (long long)0
        set $hw_cb = (unsigned long long)0
        set $hw_lbad = 0
        while $hw_c < $hw_lim && $hw_x != 0 ? ($hw_x >= $hw_first && $hw_x < $hw_lfe ? ($hw_cb = $hw_cb + *(unsigned long *)$hw_x, $hw_c = $hw_c + 1, $hw_x = *(unsigned long *)($hw_x + $hw_fm_f_link), 1) : ($hw_lbad = 1, 0)) : 0
        end
        set $hw_lo = $hw_h <= $hw_small ? (unsigned long long)$hw_h * $hw_fm_roundto : (unsigned long long)1 << ($hw_h - $hw_small + $hw_fm_optimize_factor - 1)
        set $hw_hi = $hw_h <= $hw_small ? $hw_lo : 2 * $hw_lo
        printf "hash = %3lld fragments no.: %5lld, unused: %5d\n\t\t bucket size: %9llu - %9llu (first %9lu)\n", $hw_h, $hw_c, 0, $hw_lo, $hw_hi, $hw_fs
        set $hw_tot = $hw_tot + $hw_c
        set $hw_totb = $hw_totb + $hw_cb
        if $hw_lbad
          printf "hw: bucket %lld: link to 0x%lx outside the heap after %lld fragments; list not followed further\n", $hw_h, $hw_x, $hw_c
        end
        if !$hw_lbad && $hw_c >= $hw_lim
          printf "hw: bucket %lld: the list does not end within %lld steps (a cycle?)\n", $hw_h, $hw_lim
        end
        set $hw_h = $hw_h + 1
      end
    end
    printf "TOTAL: %6lld free fragments = %6llu free bytes\n", $hw_tot, $hw_totb
  end
end
document hw-internal fm-free
(internal) hw-free for f_malloc: fm_status's free lists and TOTAL line.
end

define hw-internal fm-status
  hw-internal fm-stats
  if $hw_hdr_ok
    printf "dumping free list:\n"
    hw-internal fm-free
    if $hw_fm_era >= 5
      # OpenSIPS 3.0.0: the free bytes in big fragments
      if $hw_fm_b_large_space >= 0
        printf "TOTAL: %lu large bytes\n", *(unsigned long *)($hw_b + $hw_fm_b_large_space)
      end
      printf "TOTAL: %u overhead\n", $hw_fm_frag_size
    end
    printf "-----------------------------\n"
  end
end
document hw-internal fm-status
(internal) hw-status for f_malloc: the fm_status body (fm_status lists no fragments).
end

# hw-internal fm-show: the fragment at $hw_sf (index $hw_si) in full.
define hw-internal fm-show
  set $hw_ssz = *(unsigned long *)$hw_sf
  printf "  fragment %lld at 0x%lx: user pointer 0x%lx, size %lu", $hw_si, $hw_sf, $hw_sf + $hw_fm_frag_size, $hw_ssz
  if $hw_fm_f_is_free >= 0
    printf ", is_free %lu", $hw_fm_f_is_free_size == 4 ? *(unsigned int *)($hw_sf + $hw_fm_f_is_free) : *(unsigned long *)($hw_sf + $hw_fm_f_is_free)
  end
  if $hw_fm_f_prv_free >= 0 && $hw_fm_era < 5
    printf ", prv_free 0x%lx", *(unsigned long *)($hw_sf + $hw_fm_f_prv_free)
  end
  if $hw_fm_f_prv_free >= 0 && $hw_fm_era >= 5
    printf ", %s, prev 0x%lx", *(unsigned long *)($hw_sf + $hw_fm_f_prv_free) == 0 ? $hw_s_used : $hw_s_free, *(unsigned long *)($hw_sf + $hw_fm_f_prv_free)
  end
  if $hw_fm_f_u >= 0
    printf ", nxt_free 0x%lx", *(unsigned long *)($hw_sf + $hw_fm_f_u)
  end
  printf "\n"
  set $hw_sgood = 1
  if $hw_fm_f_check >= 0
    set $hw_sgood = ($hw_fm_f_check_size == 4 ? *(unsigned int *)($hw_sf + $hw_fm_f_check) : *(unsigned long *)($hw_sf + $hw_fm_f_check)) == 0xf0f0f0f0
  end
  if $hw_fm_debug && !$hw_sgood
    printf "    the header is damaged (no start pattern): its site is not read\n"
  end
  if $hw_fm_debug && $hw_strings && $hw_sgood
    printf "    site %s: %s(%ld)", *(char **)($hw_sf + $hw_fm_f_file), *(char **)($hw_sf + $hw_fm_f_func), *(long *)($hw_sf + $hw_fm_f_line)
    if $hw_fm_f_mname >= 0
      printf ", module %s", *(char **)($hw_sf + $hw_fm_f_mname)
    end
    printf "\n"
  end
  if $hw_fm_debug && !$hw_strings && $hw_sgood
    printf "    site 0x%lx: 0x%lx(%ld)\n", *(unsigned long *)($hw_sf + $hw_fm_f_file), *(unsigned long *)($hw_sf + $hw_fm_f_func), *(long *)($hw_sf + $hw_fm_f_line)
  end
  if $hw_fm_f_check >= 0
    printf "    check %lx\n", $hw_fm_f_check_size == 4 ? *(unsigned int *)($hw_sf + $hw_fm_f_check) : *(unsigned long *)($hw_sf + $hw_fm_f_check)
  end
end
document hw-internal fm-show
(internal) Describe the f_malloc fragment at $hw_sf (index $hw_si) in full.
end

define hw-internal fm-check
  hw-internal fm-hdr
  if $hw_hdr_ok
    hw-internal fm-setup
    set $hw_f = 0
    set $hw_pf = 0
    set $hw_nu = (long long)0
    set $hw_nf = (long long)0
    set $hw_bu = (unsigned long long)0
    set $hw_bf = (unsigned long long)0
    set $hw_ck4 = $hw_fm_f_check >= 0 && $hw_fm_f_check_size == 4
    set $hw_ck8 = $hw_fm_f_check >= 0 && $hw_fm_f_check_size != 4
    set $hw_isfree = 0
    # sizes are multiples of gcd(ROUNDTO, header size)
    set $hw_ga = $hw_fm_roundto
    set $hw_gb = $hw_fm_frag_size
    while $hw_gb != 0 && ($hw_gt = $hw_ga % $hw_gb, $hw_ga = $hw_gb, $hw_gb = $hw_gt, 1)
    end
    set $hw_grain = $hw_ga
    # 1: size leaves the heap, 2: size not a multiple of the grain, 3: start pattern
    while $hw_nx < $hw_lfe && ($hw_pf = $hw_f, $hw_f = $hw_nx, $hw_i = $hw_i + 1, $hw_sz = *(unsigned long *)$hw_f, $hw_bad = ($hw_end - $hw_f < $hw_fm_frag_size || $hw_sz > $hw_end - $hw_f - $hw_fm_frag_size) ? 1 : $hw_sz % $hw_grain != 0 ? 2 : $hw_ck4 && *(unsigned int *)($hw_f + $hw_fm_f_check) != 0xf0f0f0f0 ? 3 : $hw_ck8 && *(unsigned long *)($hw_f + $hw_fm_f_check) != 0xf0f0f0f0 ? 3 : 0, $hw_bad == 0) && ($hw_nx = $hw_f + $hw_fm_frag_size + $hw_sz, $hw_isfree = $hw_flav == 1 ? *(unsigned int *)($hw_f + $hw_ou) != 0 : $hw_flav == 0 ? *(unsigned long *)($hw_f + $hw_ou) != 0 : *(unsigned long *)($hw_f + $hw_ou) != 0 ? 1 : $hw_ti < $hw_tn ? ($hw_tl[$hw_ti] == $hw_f ? ($hw_ti = $hw_ti + 1, 1) : 0) : 0, $hw_isfree ? ($hw_nf = $hw_nf + 1, $hw_bf = $hw_bf + $hw_sz) : ($hw_nu = $hw_nu + 1, $hw_bu = $hw_bu + $hw_sz), 1)
    end
    if $hw_bad
      printf "hw-check: BAD fragment %lld at 0x%lx: ", $hw_i, $hw_f
      if $hw_bad == 1
        printf "size %lu runs past the heap end 0x%lx\n", $hw_sz, $hw_end
      end
      if $hw_bad == 2
        printf "size %lu is not a multiple of the allocation grain %d\n", $hw_sz, $hw_grain
      end
      if $hw_bad == 3
        printf "start pattern overwritten (expected f0f0f0f0)\n"
      end
      if $hw_pf
        printf "previous:\n"
        set $hw_sf = $hw_pf
        set $hw_si = $hw_i - 1
        hw-internal fm-show
      end
      printf "this one:\n"
      set $hw_sf = $hw_f
      set $hw_si = $hw_i
      hw-internal fm-show
      if $hw_bad != 1 && $hw_f + $hw_fm_frag_size + $hw_sz < $hw_lfe
        printf "next:\n"
        set $hw_sf = $hw_f + $hw_fm_frag_size + $hw_sz
        set $hw_si = $hw_i + 1
        hw-internal fm-show
      end
      printf "hw-check: %lld fragments before it were good (%lld used, %lld free)\n", $hw_i, $hw_nu, $hw_nf
    else
      if $hw_nx != $hw_end
        printf "hw-check: BAD: the fragments end at 0x%lx, the heap at 0x%lx\n", $hw_nx, $hw_end
      else
        printf "hw-check: %lld fragments OK (%lld used, %lld free), tiling exactly 0x%lx..0x%lx\n", $hw_i + 1 - $hw_fm_ibase, $hw_nu, $hw_nf, $hw_first, $hw_end
      end
      if $hw_fm_era >= 2 && *(unsigned long *)$hw_lfe != 0
        printf "hw-check: BAD: the sentinel at 0x%lx has size %lu, not 0\n", $hw_lfe, *(unsigned long *)$hw_lfe
      end
      if $hw_h_counters
        printf "hw-check: used bytes %llu (block says %lu), free bytes %llu (size - used+overhead = %lu)\n", $hw_bu, $hw_h_used, $hw_bf, $hw_h_size - $hw_h_real
      else
        printf "hw-check: used bytes %llu, free bytes %llu (this build keeps no counters)\n", $hw_bu, $hw_bf
      end
      if $hw_h_ffrags >= 0 && $hw_h_ffrags != $hw_nf
        printf "hw-check: BAD: %lld free fragments, the block's ffrags says %lld\n", $hw_nf, $hw_h_ffrags
      end
    end
  end
end
document hw-internal fm-check
(internal) hw-check for f_malloc.
end

define hw-internal fm-addr
  hw-internal fm-hdr
  if $hw_hdr_ok
    if $hw_a < $hw_first || $hw_a >= $hw_end
      if $hw_a >= $hw_b && $hw_a < $hw_first
        printf "hw: 0x%lx is inside the f_malloc block header (0x%lx..0x%lx, free list heads from 0x%lx)\n", $hw_a, $hw_b, $hw_first, $hw_b + $hw_fm_b_free_hash
      else
        printf "hw: 0x%lx is not in this pool's heap (0x%lx..0x%lx)\n", $hw_a, $hw_first, $hw_end
      end
    else
      hw-internal fm-setup
      while $hw_nx <= $hw_a && $hw_nx < $hw_lfe && ($hw_f = $hw_nx, $hw_i = $hw_i + 1, $hw_sz = *(unsigned long *)$hw_f, $hw_end - $hw_f >= $hw_fm_frag_size && $hw_sz <= $hw_end - $hw_f - $hw_fm_frag_size ? ($hw_nx = $hw_f + $hw_fm_frag_size + $hw_sz, 1) : ($hw_bad = 1, 0))
      end
      if $hw_bad
        hw-internal walk-end
      else
        if $hw_a >= $hw_nx
          printf "hw: 0x%lx lies after the last fragment\n", $hw_a
        else
          set $hw_sf = $hw_f
          set $hw_si = $hw_i
          printf "hw: 0x%lx is in the %s of fragment %lld:\n", $hw_a, $hw_a < $hw_f + $hw_fm_frag_size ? $hw_s_header : $hw_s_payload, $hw_i
          hw-internal fm-show
        end
      end
    end
  end
end
document hw-internal fm-addr
(internal) hw-addr for f_malloc: the fragment holding $hw_a.
end
