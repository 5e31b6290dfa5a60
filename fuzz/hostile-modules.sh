#!/usr/bin/env bash
# Writes hostile but valid modules as .wat into DIR: the shapes that broke the engines once
# (issue 9). scripts/wactor-dev fuzz replays them through wactor-difffuzz (both engines
# must agree, and neither may crash) and seeds the module_load fuzzer with their binaries.
#   fuzz/hostile-modules.sh DIR
set -euo pipefail
dir=${1:?usage: fuzz/hostile-modules.sh DIR}
mkdir -p "$dir"

# Import and export names that are C syntax: wasm2c copies names into C comments.
cat > "$dir/names-c-syntax.wat" <<'EOF'
(module
  (import "env*/ int evil_import; /*" "log*/ #define X 1 /*" (func $log (param i32)))
  (memory (export "mem*/ #include <stdio.h> /*") 1)
  (global (export "g*/") (mut i32) (i32.const 7))
  (func (export "*/ __attribute__((constructor)) static void pwn(void) { __builtin_trap(); } /*") (result i32)
    (call $log (i32.const 1))
    (i32.const 42))
  (func (export "#define return exit(1);") (result i32) (i32.const 1))
  (func (export "\\\n#error newline\n//") (result i32) (i32.const 2))
  (func (export "??/ trigraph ??= \"quote\" 'q'") (result i32) (i32.const 3))
  (func (export "") (result i32) (i32.const 4))
  (func (export "\e2\80\ae unicode \f0\9f\92\a5") (result i32) (i32.const 5)))
EOF

# A huge frame: 20000 i64 locals, each used, in a function that recurses (deep enough to
# exhaust either engine's stack; the interpreter keeps every local in its value stack).
awk 'BEGIN {
  n = 20000
  print "(module"
  print "  (global $depth (mut i32) (i32.const 0))"
  print "  (func $big (param $seed i64) (result i64)"
  printf "    (local"; for (i = 0; i < n; i++) printf " i64"; print ")"
  print "    (local.set 1 (local.get $seed))"
  for (i = 2; i <= n; i++) printf "    (local.set %d (i64.add (local.get %d) (i64.const %d)))\n", i, i - 1, i
  print "    (if (i32.gt_u (global.get $depth) (i32.const 0))"
  print "      (then (global.set $depth (i32.sub (global.get $depth) (i32.const 1)))"
  printf "            (local.set %d (i64.add (local.get %d) (call $big (local.get 1))))))\n", n, n
  print "    (local.get " n "))"
  print "  (func (export \"once\") (result i64) (call $big (i64.const 3)))"
  print "  (func (export \"recurse\") (result i64)"
  print "    (global.set $depth (i32.const 100000)) (call $big (i64.const 5))))"
}' > "$dir/huge-frame.wat"

# A frame the C compiler cannot shrink: LIVE_FRAME_LOCALS i64 locals loaded from memory and
# live across a recursive call. Past 32768 (256 KiB: more than the aot engine's stack
# headroom, issue 9 item 3) gcc -O2 needs minutes for it (10000 locals: ~2 min), so the
# default keeps CI fast; try LIVE_FRAME_LOCALS=40000 by hand.
awk -v n="${LIVE_FRAME_LOCALS:-2000}" 'BEGIN {
  print "(module"
  printf "  (memory (export \"memory\") %d)\n", int(n * 8 / 65536) + 1
  print "  (global $depth (mut i32) (i32.const 0))"
  print "  (func $big (result i64)"
  printf "    (local"; for (i = 0; i < n; i++) printf " i64"; print ")"
  for (i = 1; i < n; i++) printf "    (local.set %d (i64.load (i32.const %d)))\n", i, 8 * i
  print "    (if (i32.gt_u (global.get $depth) (i32.const 0))"
  print "      (then (global.set $depth (i32.sub (global.get $depth) (i32.const 1)))"
  print "            (i64.store (i32.const 0) (call $big))))"
  for (i = 1; i < n; i++) printf "    (local.set 0 (i64.add (local.get 0) (local.get %d)))\n", i
  print "    (local.get 0))"
  print "  (func (export \"once\") (result i64) (call $big))"
  print "  (func (export \"recurse\") (result i64) (global.set $depth (i32.const 100000)) (call $big)))"
}' > "$dir/live-frame.wat"

# Deep nesting: 5000 blocks, 5000 loops (each a metering point), 5000 ifs.
awk 'BEGIN {
  n = 5000
  print "(module (memory (export \"memory\") 1)"
  print "  (func (export \"blocks\") (result i32)"
  for (i = 0; i < n; i++) print "(block"
  print "(br " n - 1 ")"
  for (i = 0; i < n; i++) printf ")"
  print "(i32.const 1))"
  print "  (func (export \"loops\") (result i32) (local i32)"
  for (i = 0; i < n; i++) print "(loop"
  print "(local.set 0 (i32.add (local.get 0) (i32.const 1)))"
  for (i = 0; i < n; i++) printf ")"
  print "(local.get 0))"
  print "  (func (export \"ifs\") (result i32)"
  for (i = 0; i < n; i++) print "(if (i32.const 1) (then"
  print "(i32.store (i32.const 0) (i32.const 99))"
  for (i = 0; i < n; i++) printf "))"
  print "(i32.load (i32.const 0))))"
}' > "$dir/deep-nesting.wat"

# Tables: a large one, growth (small, large, refused), and table bulk operations.
cat > "$dir/tables.wat" <<'EOF'
(module
  (type $i (func (result i32)))
  (table $t 100000 funcref)
  (table $u 10 1000 funcref)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (elem (table $t) (i32.const 99990) func $one $two)
  (elem $passive func $two $one $two)
  (func (export "size") (result i32) (table.size $t))
  (func (export "call_last") (result i32) (call_indirect $t (type $i) (i32.const 99991)))
  (func (export "call_null") (result i32) (call_indirect $t (type $i) (i32.const 5)))
  (func (export "call_oob") (result i32) (call_indirect $t (type $i) (i32.const 100000)))
  (func (export "grow_small") (result i32) (table.grow $u (ref.null func) (i32.const 100)))
  (func (export "grow_past_max") (result i32) (table.grow $u (ref.null func) (i32.const 1000)))
  (func (export "grow_huge") (result i32) (table.grow $t (ref.null func) (i32.const 0x7ffffff0)))
  (func (export "grow_max") (result i32) (table.grow $t (ref.null func) (i32.const 0xfffffff0)))
  (func (export "init") (result i32)
    (table.init $u $passive (i32.const 0) (i32.const 0) (i32.const 3))
    (call_indirect $u (type $i) (i32.const 1)))
  (func (export "init_oob") (table.init $u $passive (i32.const 9) (i32.const 0) (i32.const 3)))
  (func (export "drop_then_init") (elem.drop $passive) (table.init $u $passive (i32.const 0) (i32.const 0) (i32.const 1)))
  (func (export "copy") (result i32)
    (table.copy $t $t (i32.const 0) (i32.const 99990) (i32.const 2))
    (call_indirect $t (type $i) (i32.const 1)))
  (func (export "copy_oob") (table.copy $t $u (i32.const 99999) (i32.const 0) (i32.const 5)))
  (func (export "fill") (result i32)
    (table.fill $t (i32.const 10) (table.get $t (i32.const 99991)) (i32.const 1000))
    (call_indirect $t (type $i) (i32.const 1009)))
  (func (export "fill_oob") (table.fill $t (i32.const 99999) (ref.null func) (i32.const 2))))
EOF

# Bulk memory: fills and copies (large, overlapping, out of bounds), passive data.
cat > "$dir/bulk-memory.wat" <<'EOF'
(module
  (memory (export "memory") 2 64)
  (data $d "hostile bulk data segment")
  (func (export "fill_all") (memory.fill (i32.const 0) (i32.const 0xab) (i32.mul (memory.size) (i32.const 65536))))
  (func (export "fill_oob") (memory.fill (i32.const 65530) (i32.const 1) (i32.const 0x7fffffff)))
  (func (export "fill_wrap") (memory.fill (i32.const 0xffffffff) (i32.const 1) (i32.const 2)))
  (func (export "copy_overlap_up") (memory.copy (i32.const 1) (i32.const 0) (i32.const 70000)))
  (func (export "copy_overlap_down") (memory.copy (i32.const 0) (i32.const 3) (i32.const 70000)))
  (func (export "copy_oob") (memory.copy (i32.const 131000) (i32.const 0) (i32.const 1000)))
  (func (export "init") (memory.init $d (i32.const 100) (i32.const 0) (i32.const 25)))
  (func (export "init_oob") (memory.init $d (i32.const 100) (i32.const 20) (i32.const 10)))
  (func (export "drop") (data.drop $d))
  (func (export "init_after_drop") (memory.init $d (i32.const 100) (i32.const 0) (i32.const 1)))
  (func (export "grow_then_fill") (result i32)
    (drop (memory.grow (i32.const 62)))
    (memory.fill (i32.const 0) (i32.const 0x5a) (i32.mul (memory.size) (i32.const 65536)))
    (memory.size))
  (func (export "grow_refused") (result i32) (memory.grow (i32.const 1)))
  (func (export "loop_fill") (local i32)
    (loop $l
      (memory.fill (i32.const 0) (local.get 0) (i32.const 4194304))
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 0) (i32.const 1000))))))
EOF
