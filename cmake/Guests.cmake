# Building wasm guests from source: C with clang --target=wasm32 + lld, WAT with wat2wasm.
find_program(WACTOR_GUEST_CC NAMES clang-16 clang-15 clang-14 clang REQUIRED)
find_program(WACTOR_WAT2WASM wat2wasm REQUIRED)
set(WACTOR_SDK_DIR ${CMAKE_SOURCE_DIR}/sdk/c)
add_custom_target(wactor_guests ALL)

# wactor_c_guest(<output.wasm> <source.c>...)
function(wactor_c_guest out)
  set(srcs ${ARGN})
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${WACTOR_GUEST_CC} --target=wasm32 -O2 -nostdlib -fuse-ld=lld -ffreestanding
            -Wall -Wextra -Werror -Wno-unused-parameter
            -I${WACTOR_SDK_DIR} -Wl,--no-entry -o ${out} ${srcs}
    DEPENDS ${srcs} ${WACTOR_SDK_DIR}/wactor.h
    COMMENT "wasm guest ${out}"
    VERBATIM)
  string(MAKE_C_IDENTIFIER "${out}" tgt)
  add_custom_target(g_${tgt} DEPENDS ${out})
  add_dependencies(wactor_guests g_${tgt})
endfunction()

# wactor_wat_guest(<output.wasm> <source.wat>)
function(wactor_wat_guest out src)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${WACTOR_WAT2WASM} ${src} -o ${out}
    DEPENDS ${src}
    COMMENT "wasm guest ${out} (WAT)"
    VERBATIM)
  string(MAKE_C_IDENTIFIER "${out}" tgt)
  add_custom_target(g_${tgt} DEPENDS ${out})
  add_dependencies(wactor_guests g_${tgt})
endfunction()

include(${CMAKE_CURRENT_LIST_DIR}/RustGuests.cmake)
