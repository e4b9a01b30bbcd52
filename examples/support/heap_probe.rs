//! A global allocator for the examples that measure heap work: the system allocator, which,
//! while [`measure`] runs a closure, also counts the allocations made, the bytes they keep
//! and the size of each.
//!
//! Outside [`measure`] it adds one relaxed load per call, so that timings taken beside it
//! (`examples/ratios.rs`) are not skewed against the functions that allocate most.

// Each example reads the part of the report it needs.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

/// The probing allocator; install it with `#[global_allocator]`.
pub struct HeapProbe;

/// What [`measure`] saw.
pub struct HeapReport {
    /// Calls to `alloc` and `realloc`, including blocks freed before the closure returned.
    pub allocations: usize,
    /// Bytes allocated and not freed by the time the closure returned: the heap its result
    /// keeps.
    pub kept: usize,
    /// The size of each allocation, in order (the first [`SIZES_KEPT`] of them).
    pub sizes: Vec<usize>,
}

/// How many allocation sizes a measurement records.
pub const SIZES_KEPT: usize = 4096;

static ARMED: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static FREED: AtomicUsize = AtomicUsize::new(0);
// A fixed table rather than a `Vec`: recording must not allocate.
static SIZES: [AtomicUsize; SIZES_KEPT] = [const { AtomicUsize::new(0) }; SIZES_KEPT];

fn allocated(size: usize) {
    if ARMED.load(Relaxed) {
        let index = ALLOCATIONS.fetch_add(1, Relaxed);
        if let Some(slot) = SIZES.get(index) {
            slot.store(size, Relaxed);
        }
        ALLOCATED.fetch_add(size, Relaxed);
    }
}

fn freed(size: usize) {
    if ARMED.load(Relaxed) {
        FREED.fetch_add(size, Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; the bookkeeping is the
// only addition. (The crate itself forbids unsafe code; a global allocator needs it.)
unsafe impl GlobalAlloc for HeapProbe {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        allocated(layout.size());
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        freed(layout.size());
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        freed(layout.size());
        allocated(new_size);
        System.realloc(ptr, layout, new_size)
    }
}

/// Runs `work` with the probe armed. Not reentrant, and meant for one thread: allocations
/// that other threads make meanwhile are counted too.
pub fn measure<T>(work: impl FnOnce() -> T) -> (T, HeapReport) {
    for counter in [&ALLOCATIONS, &ALLOCATED, &FREED] {
        counter.store(0, Relaxed);
    }
    ARMED.store(true, Relaxed);
    let result = work();
    ARMED.store(false, Relaxed);
    let allocations = ALLOCATIONS.load(Relaxed);
    let report = HeapReport {
        allocations,
        kept: ALLOCATED.load(Relaxed).saturating_sub(FREED.load(Relaxed)),
        sizes: SIZES[..allocations.min(SIZES_KEPT)]
            .iter()
            .map(|size| size.load(Relaxed))
            .collect(),
    };
    (result, report)
}
