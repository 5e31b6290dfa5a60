;; Bulk memory operations in a loop, to check that they are charged by size (a deadline
;; must stop them promptly). Payload "fill": 1000 x memory.fill of 64 MiB; "copy": 1000 x
;; memory.copy of 32 MiB; anything else returns at once.
(module
  (memory (export "memory") 1025)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "handle-message") (param $s i32) (param $sl i32) (param $p i32) (param $pl i32) (result i32)
    (local $i i32)
    (local $op i32)
    (local.set $op (i32.load8_u (local.get $p)))
    (if (i32.eqz (local.get $pl)) (then (return (i32.const 0))))
    (block $done
      (loop $again
        (br_if $done (i32.ge_u (local.get $i) (i32.const 1000)))
        (if (i32.eq (local.get $op) (i32.const 102))  ;; 'f'
          (then (memory.fill (i32.const 65536) (local.get $i) (i32.const 67108864))))
        (if (i32.eq (local.get $op) (i32.const 99))   ;; 'c'
          (then (memory.copy (i32.const 65536) (i32.const 33619968) (i32.const 33554432))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (i32.const 0)))
