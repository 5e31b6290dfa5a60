# Guests written with the C++ and AssemblyScript SDKs (docs/SDK-CPP.md, docs/SDK-ASSEMBLYSCRIPT.md).
# C++: clang++ --target=wasm32, freestanding, or with Debian's wasm32 libc++ when installed
# (libc++-16-dev-wasm32; wasi-libc's libc.a supplies strlen/memcmp, no WASI import).
# AssemblyScript: sdk/assemblyscript/node_modules (npm ci --prefix sdk/assemblyscript, done by
# scripts/wactor-dev); without it the AssemblyScript guests and their tests are skipped.
find_program(WACTOR_GUEST_CXX NAMES clang++-16 clang++-15 clang++-14 clang++ REQUIRED)
set(WACTOR_CPP_SDK_DIR ${CMAKE_SOURCE_DIR}/sdk/cpp)
set(WACTOR_AS_SDK_DIR ${CMAKE_SOURCE_DIR}/sdk/assemblyscript)
set(WACTOR_LIBCXX_WASM /usr/lib/llvm-16/include/wasm32-wasi/c++/v1)
if(EXISTS ${WACTOR_LIBCXX_WASM}/span AND EXISTS /usr/lib/wasm32-wasi/libc.a)
  set(WACTOR_HAVE_LIBCXX_WASM ON)
else()
  set(WACTOR_HAVE_LIBCXX_WASM OFF)
  message(STATUS "wactor: no wasm32 libc++ (libc++-16-dev-wasm32): C++ guests build freestanding")
endif()
find_program(WACTOR_NODE NAMES node nodejs)
if(WACTOR_NODE AND EXISTS ${WACTOR_AS_SDK_DIR}/node_modules/assemblyscript/bin/asc.js)
  set(WACTOR_HAVE_AS ON)
else()
  set(WACTOR_HAVE_AS OFF)
  message(STATUS "wactor: no AssemblyScript (npm ci --prefix sdk/assemblyscript): its guests are skipped")
endif()
set(WACTOR_CPP_FLAGS --target=wasm32 -std=c++20 -O2 -nostdlib -fno-exceptions -fno-rtti -mbulk-memory
    -fuse-ld=lld -Wall -Wextra -Werror -Wl,--no-entry -Wl,--strip-debug -I${WACTOR_CPP_SDK_DIR})

# wactor_cpp_guest(<output.wasm> <source.cpp> [FREESTANDING]): with libc++ when installed,
# unless FREESTANDING (no C++ standard library).
function(wactor_cpp_guest out src)
  cmake_parse_arguments(ARG "FREESTANDING" "" "" ${ARGN})
  if(ARG_FREESTANDING OR NOT WACTOR_HAVE_LIBCXX_WASM)
    set(mode -ffreestanding)
    set(libs)
  else()
    set(mode --target=wasm32-wasi -isystem ${WACTOR_LIBCXX_WASM})
    set(libs -lc)
  endif()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${WACTOR_GUEST_CXX} ${WACTOR_CPP_FLAGS} ${mode} -o ${out} ${src} ${libs}
    DEPENDS ${src} ${WACTOR_CPP_SDK_DIR}/wactor.hpp
    COMMENT "wasm guest ${out} (C++)"
    VERBATIM)
  string(MAKE_C_IDENTIFIER "${out}" tgt)
  add_custom_target(g_${tgt} DEPENDS ${out})
  add_dependencies(wactor_guests g_${tgt})
endfunction()

# wactor_as_guest(<output.wasm> <source.ts>): nothing without AssemblyScript.
function(wactor_as_guest out src)
  if(NOT WACTOR_HAVE_AS)
    return()
  endif()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${WACTOR_NODE} ${WACTOR_AS_SDK_DIR}/node_modules/assemblyscript/bin/asc.js ${src} -O3
            --runtime incremental --use abort= --transform ${WACTOR_AS_SDK_DIR}/transform.mjs -o ${out}
    WORKING_DIRECTORY ${WACTOR_AS_SDK_DIR}
    DEPENDS ${src} ${WACTOR_AS_SDK_DIR}/assembly/index.ts ${WACTOR_AS_SDK_DIR}/assembly/exports.ts
            ${WACTOR_AS_SDK_DIR}/transform.mjs ${WACTOR_AS_SDK_DIR}/package-lock.json
    COMMENT "wasm guest ${out} (AssemblyScript)"
    VERBATIM)
  string(MAKE_C_IDENTIFIER "${out}" tgt)
  add_custom_target(g_${tgt} DEPENDS ${out})
  add_dependencies(wactor_guests g_${tgt})
endfunction()
