;; An inbox that runs past the end of memory (65000 + 1000 > 65536): refused at start.
(module
  (memory (export "memory") 1)
  (func (export "inbox") (result i64)
    (i64.or (i64.const 65000) (i64.shl (i64.const 1000) (i64.const 32))))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "handle-message") (param i32 i32 i32 i32) (result i32) (i32.const 0)))
