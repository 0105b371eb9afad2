//! The process allocator, wrapped to count live bytes.
//!
//! INFO `used_memory` and `maxmemory` enforcement need an honest, cheap figure. Like Redis's
//! zmalloc we add the allocator's usable size of every block on allocation and subtract it on
//! free, so the counter tracks what jemalloc really hands out, not what we asked for.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

#[cfg(feature = "jemalloc")]
type Inner = tikv_jemallocator::Jemalloc;
#[cfg(not(feature = "jemalloc"))]
type Inner = std::alloc::System;

#[cfg(feature = "jemalloc")]
const INNER: Inner = tikv_jemallocator::Jemalloc;
#[cfg(not(feature = "jemalloc"))]
const INNER: Inner = std::alloc::System;

/// Global allocator that counts bytes in use.
pub struct CountingAlloc;

#[cfg(feature = "jemalloc")]
fn block_size(ptr: *mut u8, _layout: Layout) -> usize {
    // SAFETY: `ptr` was returned by jemalloc and is live.
    unsafe { tikv_jemallocator::usable_size(ptr) }
}

#[cfg(not(feature = "jemalloc"))]
fn block_size(_ptr: *mut u8, layout: Layout) -> usize {
    layout.size()
}

// SAFETY: every method forwards to the inner allocator unchanged and only adds bookkeeping.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { INNER.alloc(layout) };
        if !p.is_null() {
            ALLOCATED.fetch_add(block_size(p, layout), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { INNER.alloc_zeroed(layout) };
        if !p.is_null() {
            ALLOCATED.fetch_add(block_size(p, layout), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALLOCATED.fetch_sub(block_size(ptr, layout), Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { INNER.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = block_size(ptr, layout);
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { INNER.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // SAFETY: the new layout is valid because realloc succeeded with it.
            let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            ALLOCATED.fetch_sub(old, Ordering::Relaxed);
            ALLOCATED.fetch_add(block_size(p, new_layout), Ordering::Relaxed);
        }
        p
    }
}

/// Bytes currently allocated by the process through the global allocator.
pub fn allocated() -> usize {
    ALLOCATED.load(Ordering::Relaxed)
}

/// Name of the allocator for INFO `mem_allocator`.
pub fn allocator_name() -> &'static str {
    if cfg!(feature = "jemalloc") {
        "jemalloc-5.3.0"
    } else {
        "libc"
    }
}
