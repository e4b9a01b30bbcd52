//! The system allocator, counting the heap each thread holds, and the heap the whole
//! process holds with the most it held: for the tests that measure what a call keeps or
//! takes at its peak. Include it once per test binary; it installs itself as the global
//! allocator.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

thread_local! {
    // Const-initialised: reading it never allocates, so the allocator can use it.
    static THREAD_HELD: Cell<isize> = const { Cell::new(0) };
}

static HELD: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn count(bytes: isize) {
    // `try_with`: a thread being torn down may still free memory after its locals are gone.
    let _ = THREAD_HELD.try_with(|held| held.set(held.get() + bytes));
    let held = HELD.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(held, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator; the count is the only
// addition. (The crate itself forbids unsafe code; a global allocator needs it.)
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The heap `work` keeps on this thread after it returns (its result dropped inside).
pub fn heap_kept(work: impl FnOnce()) -> isize {
    let before = THREAD_HELD.with(Cell::get);
    work();
    THREAD_HELD.with(Cell::get) - before
}

/// How much more than it held before the process held at most while `work` ran (on any
/// thread: run nothing else meanwhile).
pub fn peak_above_now(work: impl FnOnce()) -> usize {
    let before = HELD.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    work();
    (PEAK.load(Ordering::SeqCst) - before).max(0) as usize
}
