;; The start function traps: instantiation fails with a clear error.
(module
  (memory (export "memory") 1)
  (func $boom unreachable)
  (start $boom)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 16))
  (func (export "handle-message") (param i32 i32 i32 i32) (result i32) (i32.const 0)))
