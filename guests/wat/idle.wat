;; The smallest component the ABI allows: one page of memory, a bump allocator, a handler
;; that does nothing. Used by the benchmarks for spawn time and memory per idle component.
(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get 3)))
    (if (i32.gt_u (global.get $next) (i32.const 65536)) (then (global.set $next (i32.const 1024)) (local.set $p (i32.const 1024))))
    (local.get $p))
  (func (export "handle-message") (param i32 i32 i32 i32) (result i32)
    (global.set $next (i32.const 1024))
    (i32.const 0)))
