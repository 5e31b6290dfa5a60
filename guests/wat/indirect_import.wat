;; An imported host function in the guest's table, called through call_indirect (issue 9,
;; item 2), next to a direct call and a ref.func-made entry.
(module
  (import "test" "host" (func $host (param i32) (result i32)))
  (type $t (func (param i32) (result i32)))
  (table 3 funcref)
  (elem (i32.const 0) $host $inc)
  (elem declare func $host)
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  ;; call_indirect table[slot](x)
  (func (export "via_table") (param $slot i32) (param $x i32) (result i32)
    (call_indirect (type $t) (local.get $x) (local.get $slot)))
  (func (export "direct") (param i32) (result i32)
    (call $host (local.get 0)))
  ;; puts $host into slot 2 with ref.func, then calls it through the table
  (func (export "via_ref_func") (param i32) (result i32)
    (table.set 0 (i32.const 2) (ref.func $host))
    (call_indirect (type $t) (local.get 0) (i32.const 2))))
