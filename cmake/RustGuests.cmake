# Rust guests (sdk/rust, docs/SDK-RUST.md): every cdylib "example" of guests/rust/Cargo.toml
# (the examples' Rust components, the test and bench guests) in one offline cargo build
# with Debian's rustc (its wasm32 std comes from libstd-rust-dev-wasm32; a rustup rustc
# first on PATH may lack the target, so both are looked up in /usr/bin first).
find_program(WACTOR_CARGO cargo HINTS /usr/bin NO_CACHE REQUIRED)
find_program(WACTOR_RUSTC rustc HINTS /usr/bin NO_CACHE REQUIRED)
set(WACTOR_RUST_TARGET_DIR ${CMAKE_BINARY_DIR}/rust-target)
set(WACTOR_RUST_OUT ${WACTOR_RUST_TARGET_DIR}/wasm32-unknown-unknown/release/examples)
set(WACTOR_RUST_STAMP ${WACTOR_RUST_TARGET_DIR}/guests.stamp)
file(GLOB_RECURSE WACTOR_RUST_SOURCES CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/sdk/rust/src/*.rs ${CMAKE_SOURCE_DIR}/guests/rust/*.rs ${CMAKE_SOURCE_DIR}/examples/*/rust/*.rs)
add_custom_command(
  OUTPUT ${WACTOR_RUST_STAMP}
  COMMAND ${CMAKE_COMMAND} -E env RUSTC=${WACTOR_RUSTC} CARGO_TARGET_DIR=${WACTOR_RUST_TARGET_DIR}
          ${WACTOR_CARGO} build --quiet --offline --locked --release --target wasm32-unknown-unknown --examples
          --manifest-path ${CMAKE_SOURCE_DIR}/guests/rust/Cargo.toml
  COMMAND ${CMAKE_COMMAND} -E touch ${WACTOR_RUST_STAMP}
  DEPENDS ${WACTOR_RUST_SOURCES} ${CMAKE_SOURCE_DIR}/guests/rust/Cargo.toml ${CMAKE_SOURCE_DIR}/guests/rust/Cargo.lock
          ${CMAKE_SOURCE_DIR}/sdk/rust/Cargo.toml ${CMAKE_SOURCE_DIR}/guests/rust/.cargo/config.toml
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/guests/rust
  COMMENT "cargo: the Rust guests"
  VERBATIM)
add_custom_target(wactor_rust_guests DEPENDS ${WACTOR_RUST_STAMP})

# wactor_rust_guest(<output.wasm> <example name in guests/rust/Cargo.toml>)
function(wactor_rust_guest out name)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E copy ${WACTOR_RUST_OUT}/${name}.wasm ${out}
    DEPENDS ${WACTOR_RUST_STAMP}
    VERBATIM)
  string(MAKE_C_IDENTIFIER "${out}" tgt)
  add_custom_target(g_${tgt} DEPENDS ${out})
  add_dependencies(g_${tgt} wactor_rust_guests)
  add_dependencies(wactor_guests g_${tgt})
endfunction()
