;; Names that would be C if copied into wasm2c's output (issue 9, item 1): each one closes a
;; comment and defines a constructor that aborts. The module must load and run normally.
(module
  (import "*/ __attribute__((constructor)) static void m(void){abort();} /*"
          "*/ __attribute__((constructor)) static void n(void){abort();} /*"
          (func $host (param i32) (result i32)))
  (import "test" "host" (func $plain (param i32) (result i32)))
  (memory (export "*/ #error injected /*") 1)
  (func (export "*/ __attribute__((constructor)) static void x(void){abort();} /*") (param i32) (result i32)
    (call $host (local.get 0)))
  (func (export "") (param i32) (result i32)
    (call $plain (local.get 0)))
  (func (export "\e2\82\ac \\ \" \0a #define Z_mZ_e0 abort()") (result i32)
    (i32.const 7)))
