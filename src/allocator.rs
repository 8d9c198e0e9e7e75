//! The process's memory allocator: mimalloc, set up for a small interactive program.
//!
//! mimalloc rather than glibc's malloc: reading thousands of clients makes hundreds of thousands of
//! small allocations, where glibc spent most of the time consolidating its free lists (measured by
//! `cargo bench --bench inspect_scale`). Declared in the library so the binary, the tests and the
//! benchmarks use the same one.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay`, as numbered by the mimalloc (v3) this crate builds;
/// `libmimalloc-sys` names only the older (v2) options. A unit test holds the number to the option.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory a thread frees goes back to the system at once instead of after mimalloc's default
/// second. The check board runs on several threads, each with its own pages; with the delay, pages
/// one thread freed were still resident while the next took fresh ones, and the wizard's peak RSS
/// after the board was 16.5–16.9 MB instead of 15.1–15.5 (`cargo bench --bench wizard_memory`).
/// Set when the wizard starts (mimalloc reads the option each time it would purge). The other
/// commands keep the delay: `nbsso inspect` reads thousands of clients again on `r`, and pages
/// kept warm for it made the parse 1.4× faster (`cargo bench --bench inspect_scale`).
pub fn return_freed_memory_at_once() {
    #[allow(unsafe_code)]
    // SAFETY: mi_option_set only stores a number in mimalloc's option table (atomically, once
    // mimalloc is initialised, which its use as the global allocator guarantees on first call); it
    // has no pointer arguments and no precondition, and any value is valid for this option.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_number_is_mimallocs_purge_delay() {
        #[allow(unsafe_code)]
        // SAFETY: reads a number from mimalloc's option table.
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        // Its value is mimalloc's default (1000 ms, which no neighbouring option has) unless this
        // process set it, or MIMALLOC_PURGE_DELAY did.
        match std::env::var("MIMALLOC_PURGE_DELAY") {
            Ok(set) => assert_eq!(delay.to_string(), set),
            Err(_) => assert!(delay == 1000 || delay == 0, "option 15 is {delay}"),
        }
        return_freed_memory_at_once();
        #[allow(unsafe_code)]
        // SAFETY: as above.
        let after = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(after, 0);
    }
}
