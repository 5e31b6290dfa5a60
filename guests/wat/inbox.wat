;; A guest with a 64-byte inbox at 1024 that records what the host did: how often it called
;; cabi_realloc, the byte sum of the last payload, and whether the payload followed the
;; sender's id in one buffer.
(module
  (memory (export "memory") 1)
  (global $reallocs (mut i32) (i32.const 0))
  (global $sum (mut i32) (i32.const 0))
  (global $adjacent (mut i32) (i32.const 0))
  (func (export "inbox") (result i64)
    (i64.or (i64.const 1024) (i64.shl (i64.const 64) (i64.const 32))))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (global.set $reallocs (i32.add (global.get $reallocs) (i32.const 1)))
    (i32.const 4096))
  (func (export "handle-message") (param $sp i32) (param $sl i32) (param $pp i32) (param $pl i32) (result i32)
    (local $i i32) (local $s i32)
    (global.set $adjacent (i32.eq (i32.add (local.get $sp) (local.get $sl)) (local.get $pp)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $pl)))
        (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $pp) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (global.set $sum (local.get $s))
    (i32.const 0))
  (func (export "reallocs") (result i32) (global.get $reallocs))
  (func (export "sum") (result i32) (global.get $sum))
  (func (export "adjacent") (result i32) (global.get $adjacent)))
