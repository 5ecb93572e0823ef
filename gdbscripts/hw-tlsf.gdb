# hw-tlsf.gdb - TLSF walkers for heapwalk.gdb (kamailio-memory.md §4).
#
# The block is TLSF's control_t; the first block header sits one word
# before its end (its prev_phys word overlaps control_t's last word). A
# block's size word carries two flags (bit 0: this block is free, bit 1:
# the previous one is); the next header starts one word before the end of
# this block's payload. A size-0 header (the sentinel) ends the pool. Free
# lists: blocks[fl][sl], doubly linked through next_free/prev_free, with
# control_t's own block_null (at the control address) as the end mark.
#
# $hw_tlsf_era: 0 Kamailio 4.3, 1 4.4 and later.

define hw-internal dwarf-tlsf
  set $hw_mgr = 3
  set $hw_w = (int)sizeof(unsigned long)
  set $hw_tlsf_word = $hw_w
  set $hw_tlsf_hdr_size = (int)sizeof(block_header_t)
  set $hw_tlsf_h_prev_phys = (int)&((block_header_t *)0)->prev_phys_block
  set $hw_tlsf_h_size = (int)&((block_header_t *)0)->size
  set $hw_tlsf_h_next_free = (int)&((block_header_t *)0)->next_free
  set $hw_tlsf_h_prev_free = (int)&((block_header_t *)0)->prev_free
  set $hw_tlsf_debug = $hw_tlsf_hdr_size > 4 * $hw_w
  set $hw_tlsf_h_file = -1
  set $hw_tlsf_h_func = -1
  set $hw_tlsf_h_mname = -1
  set $hw_tlsf_h_line = -1
  set $hw_tlsf_h_line_size = 0
  set $hw_tlsf_era = 1
  if $hw_tlsf_debug
    set $hw_ai = (int)&((block_header_t *)0)->alloc_info
    set $hw_tlsf_h_file = $hw_ai + (int)&((alloc_info_t *)0)->file
    set $hw_tlsf_h_func = $hw_ai + (int)&((alloc_info_t *)0)->func
    set $hw_tlsf_h_line = $hw_ai + (int)&((alloc_info_t *)0)->line
    set $hw_tlsf_h_line_size = (int)sizeof(((alloc_info_t *)0)->line)
    # mname arrived in 4.4 and made alloc_info four words
    if sizeof(alloc_info_t) >= 4 * $hw_w
      set $hw_tlsf_h_mname = $hw_ai + (int)&((alloc_info_t *)0)->mname
    else
      set $hw_tlsf_era = 0
    end
  end
  set $hw_tlsf_start_offset = $hw_tlsf_h_size + $hw_w
  set $hw_tlsf_overhead = $hw_tlsf_start_offset - $hw_w
  set $hw_tlsf_size_min = $hw_tlsf_hdr_size - $hw_w
  set $hw_tlsf_control_size = (int)sizeof(control_t)
  set $hw_tlsf_c_total_size = (int)&((control_t *)0)->total_size
  set $hw_tlsf_c_allocated = (int)&((control_t *)0)->allocated
  set $hw_tlsf_c_real_used = (int)&((control_t *)0)->real_used
  set $hw_tlsf_c_max_used = (int)&((control_t *)0)->max_used
  set $hw_tlsf_c_fragments = (int)&((control_t *)0)->fragments
  set $hw_tlsf_c_max_fragments = (int)&((control_t *)0)->max_fragments
  set $hw_tlsf_c_fl_bitmap = (int)&((control_t *)0)->fl_bitmap
  set $hw_tlsf_c_sl_bitmap = (int)&((control_t *)0)->sl_bitmap
  set $hw_tlsf_c_blocks = (int)&((control_t *)0)->blocks
  set $hw_tlsf_fl_count = (int)(sizeof(((control_t *)0)->blocks) / sizeof(((control_t *)0)->blocks[0]))
  set $hw_tlsf_sl_count = (int)(sizeof(((control_t *)0)->blocks[0]) / $hw_w)
  set $hw_tlsf_align = $hw_w == 8 ? 8 : 4
  set $hw_tlsf_sl_log2 = 5
  set $hw_tlsf_fl_shift = $hw_tlsf_sl_log2 + ($hw_w == 8 ? 3 : 2)
  set $hw_tlsf_fl_max = $hw_tlsf_fl_count + $hw_tlsf_fl_shift - 1
end
document hw-internal dwarf-tlsf
(internal) Read the TLSF layout from gdb's debug info (block_header_t, alloc_info_t, control_t).
end

define hw-internal tlsf-hdr
  hw-internal init
  set $hw_b = $hw_block
  set $hw_h_size = *(unsigned long *)($hw_b + $hw_tlsf_c_total_size)
  set $hw_h_used = *(unsigned long *)($hw_b + $hw_tlsf_c_allocated)
  set $hw_h_real = *(unsigned long *)($hw_b + $hw_tlsf_c_real_used)
  set $hw_h_max = *(unsigned long *)($hw_b + $hw_tlsf_c_max_used)
  set $hw_h_ffrags = (long long)*(unsigned long *)($hw_b + $hw_tlsf_c_fragments)
  set $hw_h_maxfrags = *(unsigned long *)($hw_b + $hw_tlsf_c_max_fragments)
  set $hw_first = $hw_b + $hw_tlsf_control_size - $hw_tlsf_word
  # the sentinel: where the pool's one initial block ends
  set $hw_end = $hw_b + $hw_h_size + $hw_tlsf_start_offset - 2 * $hw_tlsf_word
  set $hw_lfe = $hw_end
  # only the size-0 sentinel ($hw_fin) says where the blocks end
  set $hw_lfe_ends = 0
  set $hw_hdr_ok = $hw_h_size > $hw_tlsf_control_size && $hw_end > $hw_first
  if !$hw_hdr_ok
    printf "hw: TLSF control block 0x%lx is implausible: total_size %lu (wrong layout or pool?)\n", $hw_b, $hw_h_size
  end
end
document hw-internal tlsf-hdr
(internal) Read the selected TLSF control block into $hw_h_*, $hw_first and $hw_end (the sentinel).
end

define hw-internal tlsf-verify
  if $hw_tlsf_word != $hw_ptr
    printf "hw: warning: layout %s is for %d-byte words, this target has %d\n", $hw_layout_name, $hw_tlsf_word, $hw_ptr
  end
  hw-internal tlsf-hdr
end
document hw-internal tlsf-verify
(internal) Warn when the selected layout does not fit the TLSF control block.
end

# A block given by address belongs to a Kamailio before 4.4: TLSF 4.3 and
# 4.4+ share their non-debug layout; 4.3's status dump is a block list,
# not the free-list matrix.
define hw-internal tlsf-old-era
  if !$hw_tlsf_debug && $hw_tlsf_era == 1
    if $hw_how == 3
      eval "hw-profile tlsf-4.3-nodbg-%s", $hw_ptr == 8 ? $hw_s_lp64 : $hw_s_ilp32
    end
    set $hw_tlsf_era = 0
  end
end
document hw-internal tlsf-old-era
(internal) Set the era of a TLSF layout found for a block given by address.
end

# tlsf_status: the counters, then (4.4+) the free-block matrix
define hw-internal tlsf-stats
  hw-internal tlsf-hdr
  printf "status of pool (0x%lx):\n", $hw_b
  printf "heap size= %lu\n", $hw_h_size
  printf "used= %lu, used+overhead=%lu, free=%lu, fragments=%llu\n", $hw_h_used, $hw_h_real, $hw_h_size - $hw_h_real, $hw_h_ffrags
  printf "max used (+overhead)=%lu, max fragments=%lu\n", $hw_h_max, $hw_h_maxfrags
  if $hw_tlsf_era >= 1 && $hw_hdr_ok
    hw-internal tlsf-matrix
  end
end
document hw-internal tlsf-stats
(internal) hw-stats for TLSF: tlsf_status's counters and, 4.4 and later, its free-block matrix.
end

# Count the free list whose head is $hw_head into $hw_c (at most $hw_lim
# steps; $hw_lbad = 1 on a link outside the heap).
define hw-internal tlsf-count
  set $hw_x = $hw_head
  set $hw_c = (long long)0
  set $hw_lbad = 0
  while $hw_c < $hw_lim && $hw_x != $hw_b ? ($hw_x >= $hw_first && $hw_x < $hw_end ? ($hw_c = $hw_c + 1, $hw_x = *(unsigned long *)($hw_x + $hw_tlsf_h_next_free), 1) : ($hw_lbad = 1, 0)) : 0
  end
end
document hw-internal tlsf-count
(internal) Count a TLSF free list.
end

define hw-internal tlsf-matrix
  set $hw_lim = (long long)(($hw_end - $hw_first) / $hw_tlsf_size_min + 1)
  printf "Free blocks matrix ('.': none, 'X': between 2^X and (2^(X+1)-1) free blocks, X=A..Z, A=0, B=1, ...)\n"
  printf "> first-level: %d block list arrays between 2^fl and 2^(fl+1) bytes (fl=%d..%d)\n", $hw_tlsf_fl_count, $hw_tlsf_fl_shift, $hw_tlsf_fl_max
  printf "v second-level: %d block lists between 2^fl+sl*2^(fl-%d) and 2^fl+(sl+1)*2^(fl-%d)-1 bytes (sl=0..%d)\n", $hw_tlsf_sl_count, $hw_tlsf_sl_log2, $hw_tlsf_sl_log2, $hw_tlsf_sl_count - 1
  # a char array gdb owns (a literal), cut to fl_count cells
  set $hw_row = "................................................................"
  set $hw_row[$hw_tlsf_fl_count < 64 ? $hw_tlsf_fl_count : 64] = 0
  set $hw_heads = $hw_b + $hw_tlsf_c_blocks
  set $hw_sl = 0
  while $hw_sl < $hw_tlsf_sl_count
    set $hw_fl = 0
    while $hw_fl < $hw_tlsf_fl_count && $hw_fl < 64
      while $hw_fl < $hw_tlsf_fl_count && $hw_fl < 64 ? (*(unsigned long *)($hw_heads + ($hw_fl * $hw_tlsf_sl_count + $hw_sl) * $hw_tlsf_word) == $hw_b ? ($hw_row[$hw_fl] = '.', $hw_fl = $hw_fl + 1, 1) : 0) : 0
      end
      if $hw_fl < $hw_tlsf_fl_count && $hw_fl < 64
        set $hw_head = *(unsigned long *)($hw_heads + ($hw_fl * $hw_tlsf_sl_count + $hw_sl) * $hw_tlsf_word)
        hw-internal tlsf-count
        set $hw_lg = 0
        while ($hw_c >> ($hw_lg + 1)) != 0 && ($hw_lg = $hw_lg + 1)
        end
        set $hw_row[$hw_fl] = 'A' + $hw_lg
        set $hw_fl = $hw_fl + 1
      end
    end
    printf "%2d|%s|\n", $hw_sl, $hw_row
    set $hw_sl = $hw_sl + 1
  end
end
document hw-internal tlsf-matrix
(internal) tlsf_status's free-block matrix: per second-level row, per first-level list, '.' or 'A' + log2(length).
end

define hw-internal tlsf-setup
  set $hw_H = $hw_tlsf_start_offset
  set $hw_he = $hw_tlsf_start_offset - $hw_tlsf_word
  set $hw_hsz = $hw_h_size
  set $hw_osz = $hw_tlsf_h_size
  set $hw_ou = $hw_tlsf_h_size
  set $hw_ofile = $hw_tlsf_h_file
  set $hw_ofunc = $hw_tlsf_h_func
  set $hw_oline = $hw_tlsf_h_line
  set $hw_ock = 0
  set $hw_nx = $hw_first
  set $hw_i = (long long)-1
  set $hw_fin = 0
  set $hw_bad = 0
  set $hw_stop = $hw_end
end
document hw-internal tlsf-setup
(internal) Point the generic walk variables at the selected TLSF pool.
end

# hw-internal tlsf-list MODE: 0 all blocks, 1 used ones, 2 sites of used ones.
define hw-internal tlsf-list
  hw-internal tlsf-hdr
  set $hw_mode = $arg0
  if $hw_mode == 2 && !$hw_tlsf_debug
    printf "hw: allocation sites need a debug build (DBG_SR_MEMORY); this one records none\n"
    set $hw_mode = -1
  end
  if $hw_hdr_ok && $hw_mode >= 0
    hw-internal tlsf-setup
    hw-internal loop-tlsf-skip
    if $hw_tlsf_h_line_size == 4
      if $hw_mode == 0 && $hw_tlsf_debug
        hw-internal loop-tlsf-all
      end
      if $hw_mode == 1 && $hw_tlsf_debug
        hw-internal loop-tlsf-used
      end
      if $hw_mode == 2
        hw-internal loop-tlsf-sums
      end
    else
      if $hw_mode == 0 && $hw_tlsf_debug
        hw-internal loop-tlsf43-all
      end
      if $hw_mode == 1 && $hw_tlsf_debug
        hw-internal loop-tlsf43-used
      end
      if $hw_mode == 2
        hw-internal loop-tlsf43-sums
      end
    end
    if $hw_mode == 0 && !$hw_tlsf_debug
      hw-internal loop-tlsf-all-nd
    end
    if $hw_mode == 1 && !$hw_tlsf_debug
      hw-internal loop-tlsf-used-nd
    end
    hw-internal walk-end
  end
end
document hw-internal tlsf-list
(internal) hw-frags (0), hw-used (1), hw-sums (2) for TLSF, over $hw_from..$hw_to.
end

# Free lists: one line per non-empty list.
define hw-internal tlsf-free
  hw-internal tlsf-hdr
  if $hw_hdr_ok
    set $hw_lim = (long long)(($hw_end - $hw_first) / $hw_tlsf_size_min + 1)
    set $hw_heads = $hw_b + $hw_tlsf_c_blocks
    set $hw_nl = $hw_tlsf_fl_count * $hw_tlsf_sl_count
    set $hw_h = (long long)0
    set $hw_tot = (long long)0
    while $hw_h < $hw_nl
      while $hw_h < $hw_nl ? (*(unsigned long *)($hw_heads + $hw_h * $hw_tlsf_word) == $hw_b ? ($hw_h = $hw_h + 1) : 0) : 0
      end
      if $hw_h < $hw_nl
        set $hw_head = *(unsigned long *)($hw_heads + $hw_h * $hw_tlsf_word)
        hw-internal tlsf-count
        set $hw_fl = $hw_h / $hw_tlsf_sl_count
        set $hw_sl = $hw_h % $hw_tlsf_sl_count
        # the list's size class (mapping_insert reversed)
        if $hw_fl == 0
          set $hw_lo = (unsigned long long)$hw_sl * (1 << $hw_tlsf_fl_shift) / $hw_tlsf_sl_count
          set $hw_hi = $hw_lo + (1 << $hw_tlsf_fl_shift) / $hw_tlsf_sl_count - 1
        else
          set $hw_e2 = $hw_fl + $hw_tlsf_fl_shift - 1
          set $hw_lo = ((unsigned long long)1 << $hw_e2) + ((unsigned long long)$hw_sl << ($hw_e2 - $hw_tlsf_sl_log2))
          set $hw_hi = $hw_lo + ((unsigned long long)1 << ($hw_e2 - $hw_tlsf_sl_log2)) - 1
        end
        set $hw_fs = $hw_head >= $hw_first && $hw_head < $hw_end ? *(unsigned long *)($hw_head + $hw_tlsf_h_size) & ~3 : 0
        printf "list %4lld (fl %2lld, sl %2lld): %5lld blocks of %llu - %llu bytes (first %lu)\n", $hw_h, $hw_fl, $hw_sl, $hw_c, $hw_lo, $hw_hi, $hw_fs
        set $hw_tot = $hw_tot + $hw_c
        if $hw_lbad
          printf "hw: list %lld: link to 0x%lx outside the pool after %lld blocks; not followed further\n", $hw_h, $hw_x, $hw_c
        end
        if !$hw_lbad && $hw_c >= $hw_lim
          printf "hw: list %lld: does not return to block_null within %lld steps (a cycle?)\n", $hw_h, $hw_lim
        end
        set $hw_h = $hw_h + 1
      end
    end
    printf "TOTAL: %lld free blocks (control block says %lld)\n", $hw_tot, $hw_h_ffrags
  end
end
document hw-internal tlsf-free
(internal) hw-free for TLSF: the non-empty blocks[fl][sl] lists.
end

# tlsf_status: 4.4+ counters and matrix; 4.3 counters and every block.
define hw-internal tlsf-status
  hw-internal tlsf-stats
  if $hw_tlsf_era == 0 && $hw_hdr_ok
    printf "dumping all fragments:\n"
    hw-internal tlsf-setup
    set $hw_to = (long long)0x7fffffffffffffff
    if $hw_tlsf_debug
      while $hw_bad == 0 && $hw_fin == 0 && (($hw_sz = *(unsigned long *)(($hw_f = $hw_nx) + $hw_osz) & ~3) != 0 ? ($hw_i = $hw_i + 1, $hw_sz < $hw_hsz && ($hw_nx = $hw_f + $hw_he + $hw_sz) <= $hw_end ? ($hw_p = (*(unsigned long *)($hw_f + $hw_osz) & 1) == 0, $hw_u = $hw_f + $hw_H, $hw_fi = *(char **)($hw_f + $hw_ofile), $hw_fu = *(char **)($hw_f + $hw_ofunc), $hw_ln = *(unsigned long *)($hw_f + $hw_oline), 1) : ($hw_bad = 1, 0)) : ($hw_fin = 1, 0))
        if $hw_strings
          if $hw_p
            printf "(0x%lx): used=true size=%lu was alloc'd from %s: %s(%ld)\n", $hw_u, $hw_sz, $hw_fi, $hw_fu, $hw_ln
          else
            printf "(0x%lx): used=false size=%lu was free'd from %s: %s(%ld)\n", $hw_u, $hw_sz, $hw_fi, $hw_fu, $hw_ln
          end
        else
          printf "(0x%lx): used=%s size=%lu was %s from 0x%lx: 0x%lx(%ld)\n", $hw_u, $hw_p ? $hw_s_true : $hw_s_false, $hw_sz, $hw_p ? $hw_s_allocd : $hw_s_freed2, $hw_fi, $hw_fu, $hw_ln
        end
      end
    else
      while $hw_bad == 0 && $hw_fin == 0 && (($hw_sz = *(unsigned long *)(($hw_f = $hw_nx) + $hw_osz) & ~3) != 0 ? ($hw_i = $hw_i + 1, $hw_sz < $hw_hsz && ($hw_nx = $hw_f + $hw_he + $hw_sz) <= $hw_end ? ($hw_p = (*(unsigned long *)($hw_f + $hw_osz) & 1) == 0, $hw_u = $hw_f + $hw_H, 1) : ($hw_bad = 1, 0)) : ($hw_fin = 1, 0))
        if $hw_p
          printf "(0x%lx): used=true size=%lu\n", $hw_u, $hw_sz
        else
          printf "(0x%lx): used=false size=%lu\n", $hw_u, $hw_sz
        end
      end
    end
    hw-internal walk-end
  end
end
document hw-internal tlsf-status
(internal) hw-status for TLSF: the tlsf_status body.
end

# hw-internal tlsf-show: the block at $hw_sf (index $hw_si) in full.
define hw-internal tlsf-show
  set $hw_sraw = *(unsigned long *)($hw_sf + $hw_tlsf_h_size)
  printf "  block %lld at 0x%lx: user pointer 0x%lx, size %lu, %s, previous block %s\n", $hw_si, $hw_sf, $hw_sf + $hw_tlsf_start_offset, $hw_sraw & ~3, $hw_sraw & 1 ? $hw_s_free : $hw_s_used, $hw_sraw & 2 ? $hw_s_free : $hw_s_used
  if $hw_tlsf_debug && !$hw_strings
    printf "    site 0x%lx: 0x%lx(%ld)\n", *(unsigned long *)($hw_sf + $hw_tlsf_h_file), *(unsigned long *)($hw_sf + $hw_tlsf_h_func), $hw_tlsf_h_line_size == 4 ? (long)*(unsigned int *)($hw_sf + $hw_tlsf_h_line) : *(long *)($hw_sf + $hw_tlsf_h_line)
  end
  if $hw_tlsf_debug && $hw_strings
    printf "    site %s: %s(%ld)", *(char **)($hw_sf + $hw_tlsf_h_file), *(char **)($hw_sf + $hw_tlsf_h_func), $hw_tlsf_h_line_size == 4 ? (long)*(unsigned int *)($hw_sf + $hw_tlsf_h_line) : *(long *)($hw_sf + $hw_tlsf_h_line)
    # a free block's mname can be stale: TLSF does not set it when trimming
    if $hw_tlsf_h_mname >= 0 && ($hw_sraw & 1) == 0
      printf ", module %s", *(char **)($hw_sf + $hw_tlsf_h_mname)
    end
    printf "\n"
  end
end
document hw-internal tlsf-show
(internal) Describe the TLSF block at $hw_sf (index $hw_si) in full.
end

define hw-internal tlsf-check
  hw-internal tlsf-hdr
  if $hw_hdr_ok
    hw-internal tlsf-setup
    set $hw_f = 0
    set $hw_pf = 0
    set $hw_nu = (long long)0
    set $hw_nf = (long long)0
    set $hw_bu = (unsigned long long)0
    set $hw_bf = (unsigned long long)0
    set $hw_raw = (unsigned long)0
    set $hw_pfree = 0
    # 1: size leaves the pool, 2: size not a multiple of ALIGN_SIZE or below
    # three words (a trimmed free remainder can be below block_size_min),
    # 3: prev-free bit wrong, 4: two free blocks in a row, 5: the next
    # block's prev_phys does not point back to this free block
    while $hw_bad == 0 && $hw_fin == 0 && ($hw_pf = $hw_f, $hw_f = $hw_nx, $hw_raw = *(unsigned long *)($hw_f + $hw_tlsf_h_size), $hw_sz = $hw_raw & ~3, ($hw_raw & 2) != 0 != $hw_pfree ? ($hw_bad = 3, 0) : $hw_sz == 0 ? ($hw_fin = 1, 0) : ($hw_i = $hw_i + 1, $hw_sz % $hw_tlsf_align != 0 || $hw_sz < 3 * $hw_tlsf_word ? ($hw_bad = 2, 0) : $hw_sz >= $hw_hsz || ($hw_nx = $hw_f + $hw_he + $hw_sz) > $hw_end ? ($hw_bad = 1, 0) : ($hw_raw & 1) && $hw_pfree ? ($hw_bad = 4, 0) : ($hw_raw & 1) && *(unsigned long *)($hw_nx + $hw_tlsf_h_prev_phys) != $hw_f ? ($hw_bad = 5, 0) : ($hw_pfree = ($hw_raw & 1) != 0, $hw_pfree ? ($hw_nf = $hw_nf + 1, $hw_bf = $hw_bf + $hw_sz) : ($hw_nu = $hw_nu + 1, $hw_bu = $hw_bu + $hw_sz), 1)))
    end
    if $hw_bad
      printf "hw-check: BAD block %lld at 0x%lx: ", $hw_i, $hw_f
      if $hw_bad == 1
        printf "size %lu runs past the end of the pool 0x%lx\n", $hw_sz, $hw_end
      end
      if $hw_bad == 2
        printf "size %lu is not a multiple of %d or below %d\n", $hw_sz, $hw_tlsf_align, 3 * $hw_tlsf_word
      end
      if $hw_bad == 3
        printf "its prev-free bit says the previous block is %s, but it is not\n", ($hw_raw & 2) ? $hw_s_free : $hw_s_used
      end
      if $hw_bad == 4
        printf "free, and so is the previous block (TLSF always merges them)\n"
      end
      if $hw_bad == 5
        printf "free, but the next block's prev_phys_block is 0x%lx\n", *(unsigned long *)($hw_nx + $hw_tlsf_h_prev_phys)
      end
      if $hw_pf
        printf "previous:\n"
        set $hw_sf = $hw_pf
        set $hw_si = $hw_i - 1
        hw-internal tlsf-show
      end
      printf "this one:\n"
      set $hw_sf = $hw_f
      set $hw_si = $hw_i
      hw-internal tlsf-show
      printf "hw-check: %lld blocks before it were good (%lld used, %lld free)\n", $hw_i, $hw_nu, $hw_nf
    else
      if $hw_f != $hw_end
        printf "hw-check: BAD: the size-0 sentinel is at 0x%lx; total_size puts it at 0x%lx\n", $hw_f, $hw_end
      else
        printf "hw-check: %lld blocks OK (%lld used, %lld free), sentinel at 0x%lx as expected\n", $hw_i + 1, $hw_nu, $hw_nf, $hw_f
      end
      printf "hw-check: used bytes %llu (control block says %lu), free bytes %llu\n", $hw_bu, $hw_h_used, $hw_bf
      if $hw_h_ffrags != $hw_nf
        printf "hw-check: BAD: %lld free blocks, the control block's fragments says %lld\n", $hw_nf, $hw_h_ffrags
      end
    end
  end
end
document hw-internal tlsf-check
(internal) hw-check for TLSF.
end

define hw-internal tlsf-addr
  hw-internal tlsf-hdr
  if $hw_hdr_ok
    if $hw_a < $hw_first || $hw_a >= $hw_end
      if $hw_a >= $hw_b && $hw_a < $hw_first
        printf "hw: 0x%lx is inside the TLSF control block (0x%lx..0x%lx)\n", $hw_a, $hw_b, $hw_first
      else
        printf "hw: 0x%lx is not in this pool (0x%lx..0x%lx)\n", $hw_a, $hw_first, $hw_end
      end
    else
      hw-internal tlsf-setup
      while $hw_bad == 0 && $hw_fin == 0 && $hw_nx <= $hw_a && (($hw_sz = *(unsigned long *)(($hw_f = $hw_nx) + $hw_osz) & ~3) != 0 ? ($hw_i = $hw_i + 1, $hw_sz < $hw_hsz && ($hw_nx = $hw_f + $hw_he + $hw_sz) <= $hw_end ? 1 : ($hw_bad = 1, 0)) : ($hw_fin = 1, 0))
      end
      if $hw_bad
        hw-internal walk-end
      else
        if $hw_fin || $hw_a >= $hw_nx + $hw_tlsf_word
          printf "hw: 0x%lx lies after the last block\n", $hw_a
        else
          set $hw_sf = $hw_f
          set $hw_si = $hw_i
          printf "hw: 0x%lx is in the %s of block %lld:\n", $hw_a, $hw_a < $hw_f + $hw_tlsf_start_offset ? $hw_s_header : $hw_s_payload, $hw_i
          hw-internal tlsf-show
        end
      end
    end
  end
end
document hw-internal tlsf-addr
(internal) hw-addr for TLSF: the block holding $hw_a.
end

# TLSF is Kamailio's only: no OpenSIPS flavour leaves its fields unwritten.
define hw-internal tlsf-unfilled
end
document hw-internal tlsf-unfilled
(internal) Nothing: no TLSF build has debug fields that stay unwritten.
end
