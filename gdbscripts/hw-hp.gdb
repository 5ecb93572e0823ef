# hw-hp.gdb - OpenSIPS's hp_malloc walkers for heapwalk.gdb (opensips-memory.md).
#
# A fragment is a header (struct hp_frag) and its payload; the next header
# follows the payload. The walk ends at the sentinel header last_frag. A
# fragment is free when its prev (the link that points at it) is set. The
# free lists are NULL-terminated, HP_HASH_SIZE buckets and, for optimized
# sizes, extra buckets after them (the shm "shards").
#
# Layout variables ($hw_hp_*) come from a profile (profiles.gdb), from
# 'heapwalk layout --format gdb', or from gdb's debug info (below).

# From gdb's debug info: 3.0.0-3.0.2 kept nxt_free in a union u; 2.4's
# bucket heads count their fragments (no). ROUNDTO is 8, the optimize
# constants 16384 and 14; the buckets past HP_HASH_SIZE are the extra ones.
define hw-internal dwarf-hp
  set $hw_mgr = 4
  set $hw_hp_era = 0
  set $hw_hp_word = (int)sizeof(unsigned long)
  set $hw_hp_roundto = 8
  set $hw_hp_optimize = 16384
  set $hw_hp_optimize_factor = 14
  set $hw_hp_frag_size = (int)sizeof(struct hp_frag)
  set $hw_hp_block_size = (int)sizeof(struct hp_block)
  set $hw_hp_lnk_size = (int)sizeof(struct hp_frag_lnk)
  set $hw_hp_f_size = (int)&((struct hp_frag *)0)->size
  set $hw_hp_f_prev = (int)&((struct hp_frag *)0)->prev
  hw-internal member-off hp_frag nxt_free
  if $hw_mo < 0
    hw-internal member-off hp_frag u.nxt_free
  end
  set $hw_hp_f_nxt_free = $hw_mo
  hw-internal member-off hp_frag file
  set $hw_hp_f_file = $hw_mo
  set $hw_hp_debug = $hw_mo >= 0
  hw-internal member-off hp_frag func
  set $hw_hp_f_func = $hw_mo
  hw-internal member-off hp_frag line
  set $hw_hp_f_line = $hw_mo
  hw-internal member-off hp_frag statistic_index
  set $hw_hp_f_stat = $hw_mo
  set $hw_hp_b_size = (int)&((struct hp_block *)0)->size
  set $hw_hp_b_used = (int)&((struct hp_block *)0)->used
  set $hw_hp_b_real_used = (int)&((struct hp_block *)0)->real_used
  set $hw_hp_b_max_real_used = (int)&((struct hp_block *)0)->max_real_used
  set $hw_hp_b_frags = (int)&((struct hp_block *)0)->total_fragments
  set $hw_hp_b_first_frag = (int)&((struct hp_block *)0)->first_frag
  set $hw_hp_b_last_frag = (int)&((struct hp_block *)0)->last_frag
  set $hw_hp_b_free_hash = (int)&((struct hp_block *)0)->free_hash
  set $hw_hp_l_optimized = (int)&((struct hp_frag_lnk *)0)->is_optimized
  set $hw_hp_l_first = (int)&((struct hp_frag_lnk *)0)->first
  hw-internal member-off hp_frag_lnk no
  set $hw_hp_l_no = $hw_mo
  set $hw_hp_hash_size = 16384 / 8 + 8 * $hw_hp_word - 14 + 1
  set $hw_hp_extra_hash_size = (int)(sizeof(((struct hp_block *)0)->free_hash) / $hw_hp_lnk_size) - $hw_hp_hash_size
  set $hw_hp_first_off = ($hw_hp_block_size + 7) / 8 * 8
end
document hw-internal dwarf-hp
(internal) Read the hp_malloc layout from gdb's debug info.
end

define hw-internal hp-hdr
  hw-internal init
  set $hw_b = $hw_block
  set $hw_h_size = *(unsigned long *)($hw_b + $hw_hp_b_size)
  set $hw_h_used = *(unsigned long *)($hw_b + $hw_hp_b_used)
  set $hw_h_real = *(unsigned long *)($hw_b + $hw_hp_b_real_used)
  set $hw_h_max = *(unsigned long *)($hw_b + $hw_hp_b_max_real_used)
  set $hw_h_frags = *(unsigned long *)($hw_b + $hw_hp_b_frags)
  set $hw_first = *(unsigned long *)($hw_b + $hw_hp_b_first_frag)
  set $hw_lfe = *(unsigned long *)($hw_b + $hw_hp_b_last_frag)
  set $hw_lfe_ends = 1
  set $hw_end = $hw_lfe
  set $hw_hdr_ok = $hw_first > $hw_b && $hw_first <= $hw_lfe && $hw_lfe - $hw_b < $hw_h_size
  if !$hw_hdr_ok
    printf "hw: hp_malloc block 0x%lx is implausible: first_frag 0x%lx, last_frag 0x%lx, size %lu (wrong layout or pool?)\n", $hw_b, $hw_first, $hw_lfe, $hw_h_size
  end
end
document hw-internal hp-hdr
(internal) Read the selected hp_malloc block's header into $hw_h_* and $hw_first, $hw_lfe, $hw_end.
end

define hw-internal hp-verify
  if $hw_hp_word != $hw_ptr
    printf "hw: warning: layout %s is for %d-byte words, this target has %d\n", $hw_layout_name, $hw_hp_word, $hw_ptr
  end
  hw-internal hp-hdr
  if $hw_hdr_ok && $hw_first - $hw_b != $hw_hp_first_off
    printf "hw: warning: first_frag is at block + %lu, layout %s expects + %d: wrong layout?\n", $hw_first - $hw_b, $hw_layout_name, $hw_hp_first_off
  end
end
document hw-internal hp-verify
(internal) Warn when the selected layout does not fit the hp_malloc block.
end

define hw-internal hp-old-era
end
document hw-internal hp-old-era
(internal) Nothing: hp_malloc has one era.
end

# OpenSIPS's plain HP_MALLOC on a DBG_MALLOC build: the debug fields are never written.
define hw-internal hp-unfilled
  set $hw_hp_debug = 0
  set $hw_hp_f_file = -1
  set $hw_hp_f_func = -1
  set $hw_hp_f_line = -1
end
document hw-internal hp-unfilled
(internal) Walk an hp_malloc layout with debug fields that are never written as a non-debug one.
end

# hp_status's header; free is size - used, in an unsigned long (it wraps
# when hp's used passes size).
define hw-internal hp-stats
  hw-internal hp-hdr
  printf "hp_status (0x%lx, ROUNDTO=%d):\n", $hw_b, $hw_hp_roundto
  printf "        HP_HASH_SIZE : %d\n", $hw_hp_hash_size
  printf "  HP_EXTRA_HASH_SIZE : %d\n", $hw_hp_hash_size
  printf "       HP_TOTAL_SIZE : %d\n", $hw_hp_hash_size
  printf "          total_size : %lu\n", $hw_h_size
  printf "                used : %lu\n", $hw_h_used
  printf "       used+overhead : %lu\n", $hw_h_real
  printf "                free : %lu\n", (unsigned long)($hw_h_size - $hw_h_used)
  printf "max_used (+overhead) : %lu\n\n", $hw_h_max
end
document hw-internal hp-stats
(internal) hw-stats for hp_malloc: hp_status's header.
end

define hw-internal hp-setup
  set $hw_H = $hw_hp_frag_size
  set $hw_he = $hw_hp_frag_size
  set $hw_hsz = $hw_h_size
  set $hw_osz = 0
  set $hw_ou = $hw_hp_f_prev
  set $hw_ofile = $hw_hp_f_file
  set $hw_ofunc = $hw_hp_f_func
  set $hw_oline = $hw_hp_f_line
  set $hw_ock = -1
  set $hw_ckv = 0
  set $hw_nx = $hw_first
  set $hw_i = (long long)-1
  set $hw_fin = 0
  set $hw_bad = 0
  set $hw_stop = $hw_end
  set $hw_tn = (long long)0
  set $hw_ti = (long long)0
end
document hw-internal hp-setup
(internal) Point the generic walk variables at the selected hp_malloc heap.
end

# hw-internal hp-list MODE: 0 all fragments, 1 used ones, 2 sites of used ones.
define hw-internal hp-list
  hw-internal hp-hdr
  set $hw_mode = $arg0
  if $hw_mode == 2 && !$hw_hp_debug
    printf "hw: allocation sites need a debug build (DBG_MALLOC and a _DBG flavour); this one records none\n"
    set $hw_mode = -1
  end
  if $hw_hdr_ok && $hw_mode >= 0
    hw-internal hp-setup
    hw-internal loop-frag-skip
    if $hw_mode == 0 && $hw_hp_debug
      hw-internal loop-word-all
    end
    if $hw_mode == 0 && !$hw_hp_debug
      hw-internal loop-word-all-nd
    end
    if $hw_mode == 1 && $hw_hp_debug
      hw-internal loop-word-used
    end
    if $hw_mode == 1 && !$hw_hp_debug
      hw-internal loop-word-used-nd
    end
    if $hw_mode == 2
      hw-internal loop-word-sums
    end
    hw-internal walk-end
  end
end
document hw-internal hp-list
(internal) hw-frags (0), hw-used (1), hw-sums (2) for hp_malloc, over $hw_from..$hw_to.
end

# The free lists as hp_status prints them: a line per non-empty bucket of
# the HP_HASH_SIZE ones; the total counts the extra buckets' fragments too.
define hw-internal hp-free
  hw-internal hp-hdr
  if $hw_hdr_ok
    set $hw_hash0 = $hw_b + $hw_hp_b_free_hash
    set $hw_nb = (long long)($hw_hp_hash_size + $hw_hp_extra_hash_size)
    set $hw_small = $hw_hp_optimize / $hw_hp_roundto
    set $hw_lim = (long long)(($hw_end - $hw_first) / $hw_hp_frag_size + 1)
    set $hw_tot = (long long)0
    set $hw_h = (long long)0
    while $hw_h < $hw_nb
      while $hw_h < $hw_nb ? *(unsigned long *)($hw_hash0 + $hw_h * $hw_hp_lnk_size + $hw_hp_l_first) == 0 && ($hw_h = $hw_h + 1) : 0
      end
      if $hw_h < $hw_nb
        set $hw_x = *(unsigned long *)($hw_hash0 + $hw_h * $hw_hp_lnk_size + $hw_hp_l_first)
        set $hw_c = (long long)0
        set $hw_lbad = 0
        while $hw_lim > 0 && $hw_x != 0 ? ($hw_x >= $hw_first && $hw_x < $hw_lfe ? ($hw_c = $hw_c + 1, $hw_lim = $hw_lim - 1, $hw_x = *(unsigned long *)($hw_x + $hw_hp_f_nxt_free), 1) : ($hw_lbad = 1, 0)) : 0
        end
        set $hw_tot = $hw_tot + $hw_c
        if $hw_h < $hw_hp_hash_size && $hw_c > 0
          if $hw_h > $hw_small
            set $hw_lo = (unsigned long long)1 << ($hw_h - $hw_small + $hw_hp_optimize_factor - 1)
            set $hw_hi = $hw_h == $hw_hp_hash_size - 1 ? $hw_lo : 2 * $hw_lo
            printf "[ %4d ][ %8d B -> %7d B ][ frags: %5d ]\n", (int)$hw_h, (int)$hw_lo, (int)$hw_hi - $hw_hp_roundto, (int)$hw_c
          else
            printf "[ %4d ][ %5d B ][ frags: %5d ]\n", (int)$hw_h, (int)($hw_h * $hw_hp_roundto), (int)$hw_c
          end
        end
        if $hw_lbad
          printf "hw: bucket %lld: link to 0x%lx outside the heap after %lld fragments; list not followed further\n", $hw_h, $hw_x, $hw_c
        end
        if !$hw_lbad && $hw_lim <= 0 && $hw_x != 0
          printf "hw: bucket %lld: the lists hold more fragments than the heap can (a cycle?)\n", $hw_h
        end
        set $hw_h = $hw_h + 1
      end
    end
    printf "TOTAL: %6d/%lu free fragments\n", (int)$hw_tot, $hw_h_frags
  end
end
document hw-internal hp-free
(internal) hw-free for hp_malloc: hp_status's free fragment lines and TOTAL line.
end

define hw-internal hp-status
  hw-internal hp-stats
  if $hw_hdr_ok
    printf "Dumping free fragments:\n"
    hw-internal hp-free
    printf "Fragment overhead: %d\n", $hw_hp_frag_size
    printf "-----------------------------\n"
  end
end
document hw-internal hp-status
(internal) hw-status for hp_malloc: hp_status without its site summary.
end

# hw-internal hp-show: the fragment at $hw_sf (index $hw_si) in full.
define hw-internal hp-show
  set $hw_ssz = *(unsigned long *)$hw_sf
  set $hw_sprev = *(unsigned long *)($hw_sf + $hw_hp_f_prev)
  printf "  fragment %lld at 0x%lx: user pointer 0x%lx, size %lu, %s, prev 0x%lx, nxt_free 0x%lx\n", $hw_si, $hw_sf, $hw_sf + $hw_hp_frag_size, $hw_ssz, $hw_sprev == 0 ? $hw_s_used : $hw_s_free, $hw_sprev, *(unsigned long *)($hw_sf + $hw_hp_f_nxt_free)
  if $hw_hp_debug && $hw_strings
    printf "    site %s: %s(%ld)\n", *(char **)($hw_sf + $hw_hp_f_file), *(char **)($hw_sf + $hw_hp_f_func), *(long *)($hw_sf + $hw_hp_f_line)
  end
  if $hw_hp_debug && !$hw_strings
    printf "    site 0x%lx: 0x%lx(%ld)\n", *(unsigned long *)($hw_sf + $hw_hp_f_file), *(unsigned long *)($hw_sf + $hw_hp_f_func), *(long *)($hw_sf + $hw_hp_f_line)
  end
end
document hw-internal hp-show
(internal) Describe the hp_malloc fragment at $hw_sf (index $hw_si) in full.
end

define hw-internal hp-check
  hw-internal hp-hdr
  if $hw_hdr_ok
    hw-internal hp-setup
    set $hw_f = 0
    set $hw_pf = 0
    set $hw_nu = (long long)0
    set $hw_nf = (long long)0
    set $hw_bu = (unsigned long long)0
    set $hw_bf = (unsigned long long)0
    # sizes are multiples of gcd(ROUNDTO, header size)
    set $hw_ga = $hw_hp_roundto
    set $hw_gb = $hw_hp_frag_size
    while $hw_gb != 0 && ($hw_gt = $hw_ga % $hw_gb, $hw_ga = $hw_gb, $hw_gb = $hw_gt, 1)
    end
    set $hw_grain = $hw_ga
    # 1: size leaves the heap, 2: size not a multiple of the grain
    while $hw_nx < $hw_lfe && ($hw_pf = $hw_f, $hw_f = $hw_nx, $hw_i = $hw_i + 1, $hw_sz = *(unsigned long *)$hw_f, $hw_bad = ($hw_end - $hw_f < $hw_hp_frag_size || $hw_sz > $hw_end - $hw_f - $hw_hp_frag_size) ? 1 : $hw_sz % $hw_grain != 0 ? 2 : 0, $hw_bad == 0) && ($hw_nx = $hw_f + $hw_hp_frag_size + $hw_sz, *(unsigned long *)($hw_f + $hw_hp_f_prev) != 0 ? ($hw_nf = $hw_nf + 1, $hw_bf = $hw_bf + $hw_sz) : ($hw_nu = $hw_nu + 1, $hw_bu = $hw_bu + $hw_sz), 1)
    end
    if $hw_bad
      printf "hw-check: BAD fragment %lld at 0x%lx: ", $hw_i, $hw_f
      if $hw_bad == 1
        printf "size %lu runs past the heap end 0x%lx\n", $hw_sz, $hw_end
      end
      if $hw_bad == 2
        printf "size %lu is not a multiple of the allocation grain %d\n", $hw_sz, $hw_grain
      end
      if $hw_pf
        printf "previous:\n"
        set $hw_sf = $hw_pf
        set $hw_si = $hw_i - 1
        hw-internal hp-show
      end
      printf "this one:\n"
      set $hw_sf = $hw_f
      set $hw_si = $hw_i
      hw-internal hp-show
      printf "hw-check: %lld fragments before it were good (%lld used, %lld free)\n", $hw_i, $hw_nu, $hw_nf
    else
      if $hw_nx != $hw_end
        printf "hw-check: BAD: the fragments end at 0x%lx, the heap at 0x%lx\n", $hw_nx, $hw_end
      else
        printf "hw-check: %lld fragments OK (%lld used, %lld free), tiling exactly 0x%lx..0x%lx\n", $hw_i + 1, $hw_nu, $hw_nf, $hw_first, $hw_end
      end
      if *(unsigned long *)$hw_lfe != 0
        printf "hw-check: BAD: the sentinel at 0x%lx has size %lu, not 0\n", $hw_lfe, *(unsigned long *)$hw_lfe
      end
      printf "hw-check: used bytes %llu (the block says %lu; hp_malloc does not keep it exact), free bytes %llu\n", $hw_bu, $hw_h_used, $hw_bf
    end
  end
end
document hw-internal hp-check
(internal) hw-check for hp_malloc.
end

define hw-internal hp-addr
  hw-internal hp-hdr
  if $hw_hdr_ok
    if $hw_a < $hw_first || $hw_a >= $hw_end
      if $hw_a >= $hw_b && $hw_a < $hw_first
        printf "hw: 0x%lx is inside the hp_malloc block header (0x%lx..0x%lx, free list heads from 0x%lx)\n", $hw_a, $hw_b, $hw_first, $hw_b + $hw_hp_b_free_hash
      else
        printf "hw: 0x%lx is not in this pool's heap (0x%lx..0x%lx)\n", $hw_a, $hw_first, $hw_end
      end
    else
      hw-internal hp-setup
      while $hw_nx <= $hw_a && $hw_nx < $hw_lfe && ($hw_f = $hw_nx, $hw_i = $hw_i + 1, $hw_sz = *(unsigned long *)$hw_f, $hw_end - $hw_f >= $hw_hp_frag_size && $hw_sz <= $hw_end - $hw_f - $hw_hp_frag_size ? ($hw_nx = $hw_f + $hw_hp_frag_size + $hw_sz, 1) : ($hw_bad = 1, 0))
      end
      if $hw_bad
        hw-internal walk-end
      else
        if $hw_a >= $hw_nx
          printf "hw: 0x%lx lies after the last fragment\n", $hw_a
        else
          set $hw_sf = $hw_f
          set $hw_si = $hw_i
          printf "hw: 0x%lx is in the %s of fragment %lld:\n", $hw_a, $hw_a < $hw_f + $hw_hp_frag_size ? $hw_s_header : $hw_s_payload, $hw_i
          hw-internal hp-show
        end
      end
    end
  end
end
document hw-internal hp-addr
(internal) hw-addr for hp_malloc: the fragment holding $hw_a.
end
