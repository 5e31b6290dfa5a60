;; ABI-valid in every other way, but imports a name reserved for the host's metering pass:
;; `wactor run` refuses it, and so must `wactor inspect`.
(module
  (import "wactor-internal" "fuel-refill" (func $refill (result i64)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "handle-message") (param i32 i32 i32 i32) (result i32) (i32.const 0)))
