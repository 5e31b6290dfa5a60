;; A sink slower than its sender: each message costs a loop of 400 iterations, so a sender
;; blasting at it builds a backlog unless it is held back (tests/backpressure_test.cpp).
(module
  (memory (export "memory") 1)
  (global $sum (mut i32) (i32.const 0))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "handle-message") (param $s i32) (param $sl i32) (param $p i32) (param $pl i32) (result i32)
    (local $i i32)
    (block $done
      (loop $again
        (br_if $done (i32.ge_u (local.get $i) (i32.const 400)))
        (global.set $sum (i32.add (global.get $sum) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (i32.const 0)))
