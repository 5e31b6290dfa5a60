;; A sink whose every message burns 12,000 fuel units (a loop of 12,000 iterations: more than
;; one fuel slice of 10,000), so the host knows it as slow (tests/e2e_help_test.cpp).
(module
  (memory (export "memory") 1)
  (global $sum (mut i32) (i32.const 0))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "handle-message") (param $s i32) (param $sl i32) (param $p i32) (param $pl i32) (result i32)
    (local $i i32)
    (block $done
      (loop $again
        (br_if $done (i32.ge_u (local.get $i) (i32.const 12000)))
        (global.set $sum (i32.add (global.get $sum) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (i32.const 0)))
