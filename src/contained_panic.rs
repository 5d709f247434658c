//! Dependencies that panic on hostile input (promql-parser on some
//! expressions, polars on damaged Parquet; both found by fuzzing) run
//! through [`catch`], which turns the panic into `None` for the caller to
//! report as an error. [`install_hook`] keeps Rust's "thread panicked at"
//! message and backtrace of such a panic off the terminal: the user sees
//! the error that names the file, not a crash report above it. A panic
//! anywhere else is still printed, as a bug should be.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};

thread_local! {
    /// How many [`catch`] calls this thread is inside.
    static CATCHING: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f` on this thread; `None` if it panicked.
///
/// Only a panic on the calling thread is quiet: work `f` hands to other
/// threads (a rayon pool) is not, so callers keep it on one thread.
pub fn catch<T>(f: impl FnOnce() -> T) -> Option<T> {
    struct Depth;
    impl Drop for Depth {
        fn drop(&mut self) {
            CATCHING.with(|c| c.set(c.get() - 1));
        }
    }
    CATCHING.with(|c| c.set(c.get() + 1));
    let _depth = Depth;
    // Whatever `f` touched is dropped or reported as failed by the caller,
    // never used half-changed, so asserting unwind safety is sound here.
    panic::catch_unwind(AssertUnwindSafe(f)).ok()
}

/// Whether this thread is inside [`catch`].
fn is_catching() -> bool {
    CATCHING.with(|c| c.get() > 0)
}

/// Makes the process's panic hook quiet for panics [`catch`] contains and
/// leaves it as it was for every other. For the binary's `main`: a panic
/// hook belongs to the whole process, which a library must not decide.
pub fn install_hook() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !is_catching() {
            previous(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_none_and_the_depth_unwinds() {
        assert!(!is_catching());
        let inner = catch(|| {
            assert!(is_catching());
            catch(|| panic!("contained")).is_none()
        });
        assert_eq!(inner, Some(true));
        assert!(!is_catching());
        assert_eq!(catch(|| 7), Some(7));
    }
}
