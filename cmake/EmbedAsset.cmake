# Builds a file into the binary as a std::string_view (the dashboard page, docs/DASHBOARD.md).
#
#   wactor_embed_asset(<output.cpp> <input> <header> <namespace> <symbol>)
#
# generates <output.cpp> defining `const std::string_view <namespace>::<symbol>` (declared
# `extern` in <header>, which the generated file includes) with the input's exact bytes,
# NUL-terminated after the view's end. The generation runs at build time (this file in
# `cmake -P` mode), so editing the input rebuilds the binary without re-running CMake.
if(CMAKE_SCRIPT_MODE_FILE)
  # cmake -DINPUT=... -DOUTPUT=... -DHEADER=... -DNAMESPACE=... -DSYMBOL=... -P EmbedAsset.cmake
  file(READ "${INPUT}" hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR size "${hex_len} / 2")
  # 24 bytes per line, each as a character literal: '\x3c',
  string(REPEAT "[0-9a-f]" 48 line)
  string(REGEX REPLACE "(${line})" "\\1\n    " hex "${hex}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  file(WRITE "${OUTPUT}.tmp"
    "// Generated from ${INPUT} by cmake/EmbedAsset.cmake: do not edit.\n"
    "#include \"${HEADER}\"\n\n"
    "namespace ${NAMESPACE} {\n"
    "namespace {\n"
    "constexpr char kBytes[] = {\n    ${bytes}'\\0'};\n"
    "}  // namespace\n"
    "const std::string_view ${SYMBOL}{kBytes, ${size}};\n"
    "}  // namespace ${NAMESPACE}\n")
  file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
  file(REMOVE "${OUTPUT}.tmp")
  return()
endif()

set(WACTOR_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_FILE})
function(wactor_embed_asset out input header namespace symbol)
  get_filename_component(input ${input} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${out} -DHEADER=${header}
            -DNAMESPACE=${namespace} -DSYMBOL=${symbol} -P ${WACTOR_EMBED_SCRIPT}
    DEPENDS ${input} ${WACTOR_EMBED_SCRIPT}
    COMMENT "embedding ${input}"
    VERBATIM)
endfunction()
