//! What `export_component!` calls: allocation for the host, the inbox, and dispatch to
//! the component. Not a public API.
use core::any::Any;
use std::alloc::{alloc, dealloc, realloc, Layout};

use crate::request::take_continuation;
use crate::{Component, Message, Outcome, Reply, RequestId, Result};

/// Where small deliveries land without an allocation (docs/ABI.md, `inbox`).
pub const INBOX_SIZE: usize = 4096;
#[repr(align(16))]
struct Inbox([u8; INBOX_SIZE]);
static mut INBOX: Inbox = Inbox([0; INBOX_SIZE]);

// Buffers the host obtained with cabi_realloc during the current export: freed when it
// returns (the handler only borrows them).
static mut HOST_BUFFERS: Vec<(usize, Layout)> = Vec::new();

pub fn inbox() -> i64 {
    let p = unsafe { INBOX.0.as_ptr() } as usize as u64;
    (p | ((INBOX_SIZE as u64) << 32)) as i64
}

/// # Safety
/// Called by the host only, as docs/ABI.md says: `old_ptr` 0 or a block it got here.
pub unsafe fn cabi_realloc(old_ptr: *mut u8, old_size: usize, align: usize, new_size: usize) -> *mut u8 {
    let align = if align.is_power_of_two() { align } else { 1 };
    let layout = match Layout::from_size_align(new_size.max(1), align) {
        Ok(l) => l,
        Err(_) => return core::ptr::null_mut(),
    };
    let bufs = &mut *core::ptr::addr_of_mut!(HOST_BUFFERS);
    if !old_ptr.is_null() {
        if let Some(i) = bufs.iter().position(|(p, _)| *p == old_ptr as usize) {
            let (_, old) = bufs[i];
            let _ = old_size;
            let p = realloc(old_ptr, old, layout.size());
            if !p.is_null() {
                bufs[i] = (p as usize, Layout::from_size_align_unchecked(layout.size(), old.align()));
            }
            return p;
        }
    }
    let p = alloc(layout);
    if !p.is_null() {
        bufs.push((p as usize, layout));
    }
    p
}

fn release_host_buffers() {
    unsafe {
        let bufs = &mut *core::ptr::addr_of_mut!(HOST_BUFFERS);
        for (p, l) in bufs.drain(..) {
            dealloc(p as *mut u8, l);
        }
    }
}

static mut HOOKED: bool = false;

// Panics abort (a trap: the host handles it like any trap); the hook first logs the message.
fn hook() {
    unsafe {
        if HOOKED {
            return;
        }
        HOOKED = true;
    }
    std::panic::set_hook(Box::new(|info| crate::error(&format!("panic: {}", info))));
}

/// # Safety
/// `(ptr, len)` from the host: valid for this call.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 || ptr.is_null() {
        &[]
    } else {
        core::slice::from_raw_parts(ptr, len)
    }
}

fn code(r: Result<()>) -> i32 {
    release_host_buffers();
    match r {
        Ok(()) => 0,
        Err(e) => e.exit_code(),
    }
}

/// # Safety
/// Called from the export with the host's arguments.
pub unsafe fn handle_message<C: Component>(c: &mut C, sp: *const u8, sl: usize, pp: *const u8, pl: usize) -> i32 {
    hook();
    let msg = Message::new(bytes(sp, sl), bytes(pp, pl));
    code(c.on_message(&msg))
}

/// # Safety
/// Called from the export with the host's arguments.
pub unsafe fn handle_callback<C: Component>(c: &mut C, id: i64, status: i32, pp: *const u8, pl: usize) -> i32 {
    hook();
    let reply = Reply { id: RequestId(id), outcome: Outcome::from_status(status), payload: bytes(pp, pl) };
    let r = match take_continuation(id) {
        Some(f) => f(c as &mut dyn Any, reply),
        None => c.on_callback(reply),
    };
    code(r)
}

/// # Safety
/// Called from the export with the host's arguments.
pub unsafe fn init<C: Component>(c: &mut C, cp: *const u8, cl: usize) -> i32 {
    hook();
    code(c.init(bytes(cp, cl)))
}

pub fn health<C: Component>(c: &mut C) -> i32 {
    hook();
    code(c.health())
}

pub fn shutdown<C: Component>(c: &mut C) -> i32 {
    hook();
    code(c.shutdown())
}

// The last snapshot, kept until the next one (the host copies it out at once).
static mut SNAPSHOT: Vec<u8> = Vec::new();

pub fn snapshot<C: Component>(c: &mut C) -> i64 {
    hook();
    let state = c.snapshot();
    release_host_buffers();
    unsafe {
        let s = &mut *core::ptr::addr_of_mut!(SNAPSHOT);
        *s = state;
        if s.is_empty() {
            return 0;
        }
        (s.as_ptr() as usize as u64 | ((s.len() as u64) << 32)) as i64
    }
}

/// # Safety
/// Called from the export with the host's arguments.
pub unsafe fn restore<C: Component>(c: &mut C, sp: *const u8, sl: usize) -> i32 {
    hook();
    code(c.restore(bytes(sp, sl)))
}

/// The component instance of the module: made with `Default` at the first export call.
/// # Safety
/// Single-threaded guest; the host never calls two exports of an instance at once.
pub unsafe fn instance<C: Component>(slot: *mut Option<C>) -> &'static mut C {
    (*slot).get_or_insert_with(C::default)
}

/// Exports the ABI for a [`Component`] type: `memory` (the linker's), `cabi_realloc`,
/// `inbox`, `init`, `handle-message`, `handle-callback`, `shutdown`; add `health` and/or
/// `upgrade` (`snapshot` + `restore`): `export_component!(MyType, health, upgrade)`.
#[macro_export]
macro_rules! export_component {
    ($t:ty $(, $extra:ident)* $(,)?) => {
        const _: () = {
            static mut WACTOR_INSTANCE: Option<$t> = None;
            fn wactor_instance() -> &'static mut $t {
                unsafe { $crate::rt::instance::<$t>(core::ptr::addr_of_mut!(WACTOR_INSTANCE)) }
            }
            #[export_name = "cabi_realloc"]
            pub unsafe extern "C" fn wactor_cabi_realloc(p: *mut u8, old: usize, align: usize, new: usize) -> *mut u8 {
                $crate::rt::cabi_realloc(p, old, align, new)
            }
            #[export_name = "inbox"]
            pub extern "C" fn wactor_inbox() -> i64 {
                $crate::rt::inbox()
            }
            #[export_name = "init"]
            pub unsafe extern "C" fn wactor_init(p: *const u8, n: usize) -> i32 {
                $crate::rt::init(wactor_instance(), p, n)
            }
            #[export_name = "handle-message"]
            pub unsafe extern "C" fn wactor_handle_message(sp: *const u8, sl: usize, pp: *const u8, pl: usize) -> i32 {
                $crate::rt::handle_message(wactor_instance(), sp, sl, pp, pl)
            }
            #[export_name = "handle-callback"]
            pub unsafe extern "C" fn wactor_handle_callback(id: i64, status: i32, p: *const u8, n: usize) -> i32 {
                $crate::rt::handle_callback(wactor_instance(), id, status, p, n)
            }
            #[export_name = "shutdown"]
            pub extern "C" fn wactor_shutdown() -> i32 {
                $crate::rt::shutdown(wactor_instance())
            }
            $( $crate::__wactor_extra_export!($extra, $t, wactor_instance); )*
        };
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __wactor_extra_export {
    (health, $t:ty, $inst:ident) => {
        #[export_name = "health"]
        pub extern "C" fn wactor_health() -> i32 {
            $crate::rt::health($inst())
        }
    };
    (upgrade, $t:ty, $inst:ident) => {
        #[export_name = "snapshot"]
        pub extern "C" fn wactor_snapshot() -> i64 {
            $crate::rt::snapshot($inst())
        }
        #[export_name = "restore"]
        pub unsafe extern "C" fn wactor_restore(p: *const u8, n: usize) -> i32 {
            $crate::rt::restore($inst(), p, n)
        }
    };
}
