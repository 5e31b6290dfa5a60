;; Found by wactor-difffuzz on fuzz/hostile-modules.sh's names-c-syntax.wat: the interpreter
;; runs the module, the aot engine's C compiler fails on it (wasm2c copies the name into a C
;; comment; a name can inject code, issue 9, item 1).
(module
  (func (export "*/ #define x 1 /*") (result i32) (i32.const 1)))
