;; Engine microbenchmarks: an empty export, a loop calling an empty host import, the same
;; loop without the call (its baseline), and recursive fib.
(module
  (import "bench" "nop" (func $host_nop))
  (memory (export "memory") 1)
  (func (export "nop"))
  (func (export "call_host") (param $n i32)
    (loop $l
      (call $host_nop)
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n))))
  (func (export "spin") (param $n i32)
    (loop $l
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n))))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2))))))))
