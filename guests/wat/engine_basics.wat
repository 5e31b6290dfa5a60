;; Engine-level checks (not an ABI guest): arithmetic, traps, stack overflow, memory growth,
;; a host import.
(module
  (import "test" "host" (func $host (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "trap") unreachable)
  (func $recurse (export "recurse") (param i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "call_host") (param i32) (result i32) (call $host (local.get 0)))
  (func (export "i64_id") (param i64) (result i64) (local.get 0))
  ;; Exported globals (Instance::get_global) and the host import exported again.
  (global $counter (export "counter") (mut i32) (i32.const 7))
  (global (export "wide") i64 (i64.const -5))
  (global (export "half") f32 (f32.const 0.5))
  (global (export "third") f64 (f64.const 0.25))
  (func (export "bump") (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
  (export "host_again" (func $host)))
