;; Found by wactor-difffuzz on fuzz/hostile-modules.sh's tables.wat: the interpreter grew a
;; table by 0x7ffffff0 entries (gigabytes, ~45 s) where the aot engine refused (-1). Tables
;; need one limit on every engine (issue 9, item 10).
(module
  (table $t 1 funcref)
  (func (export "grow_huge") (result i32) (table.grow $t (ref.null func) (i32.const 0x7ffffff0))))
