//! Cache prefetch hints, for loops whose next items sit at scattered heap
//! addresses (a match's few hundred candidates): loading item `i + n` while
//! item `i` is worked on overlaps their cache misses instead of queueing them.

/// Bytes per cache line.
const LINE: usize = 64;

/// Hints the cache to load the `bytes` bytes from `start` (at most
/// `max_lines` lines). No effect off x86_64.
#[inline]
pub fn lines<T>(start: *const T, bytes: usize, max_lines: usize) {
    let start = start as *const u8;
    for line in 0..bytes.div_ceil(LINE).min(max_lines) {
        hint(start.wrapping_add(line * LINE));
    }
}

/// Hints the cache to load a slice's items (at most `max_lines` lines).
#[inline]
pub fn slice<T>(items: &[T], max_lines: usize) {
    lines(items.as_ptr(), std::mem::size_of_val(items), max_lines);
}

#[inline(always)]
fn hint(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint to the cache; it never faults, even on an
    // invalid address, and reads nothing into the program's state.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0)
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_never_read_so_any_address_is_safe() {
        let data = vec![7u64; 100];
        slice(&data, 4);
        lines(std::ptr::null::<u8>(), 1 << 20, 8);
        lines(usize::MAX as *const u8, 64 * 3, 8);
        assert_eq!(data.iter().sum::<u64>(), 700);
    }
}
