;; Imports from a module other than wactor: refused at load.
(module
  (import "env" "printf" (func (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 16))
  (func (export "handle-message") (param i32 i32 i32 i32) (result i32) (i32.const 0)))
