# Builds every file of the SDKs (sdk/<lang>/..., their templates included) into the binary
# for `wactor new` (src/cli/new.cpp, docs/CLI.md).
#
#   wactor_embed_sdks(<output.cpp>)
#
# globs sdk/*/ (re-globbed at build time: a new sdk/<lang>/template needs no code change)
# and generates <output.cpp> defining `wactor::cli::kSdkFiles` (src/cli/sdk_files.h): each
# file's path relative to sdk/ and its exact bytes. Build outputs (target/, node_modules/)
# are left out.
if(CMAKE_SCRIPT_MODE_FILE)
  # cmake -DROOT=<sdk dir> -DOUTPUT=... -P EmbedTree.cmake
  file(GLOB_RECURSE files LIST_DIRECTORIES false RELATIVE "${ROOT}" "${ROOT}/*")
  list(FILTER files EXCLUDE REGEX "(^|/)(target|node_modules)/")
  list(FILTER files EXCLUDE REGEX "(^|/)Cargo\\.lock$")
  list(SORT files)
  set(arrays "")
  set(table "")
  set(i 0)
  foreach(f IN LISTS files)
    file(READ "${ROOT}/${f}" hex HEX)
    string(LENGTH "${hex}" hex_len)
    math(EXPR size "${hex_len} / 2")
    string(REPEAT "[0-9a-f]" 48 line)
    string(REGEX REPLACE "(${line})" "\\1\n    " hex "${hex}")
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
    string(APPEND arrays "constexpr char kFile${i}[] = {\n    ${bytes}'\\0'};\n")
    string(APPEND table "    {\"${f}\", std::string_view{kFile${i}, ${size}}},\n")
    math(EXPR i "${i} + 1")
  endforeach()
  file(WRITE "${OUTPUT}.tmp"
    "// Generated from ${ROOT} by cmake/EmbedTree.cmake: do not edit.\n"
    "#include \"cli/sdk_files.h\"\n\n"
    "namespace wactor::cli {\nnamespace {\n${arrays}}  // namespace\n"
    "const std::vector<SdkFile> kSdkFiles{\n${table}};\n}  // namespace wactor::cli\n")
  file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
  file(REMOVE "${OUTPUT}.tmp")
  return()
endif()

set(WACTOR_EMBED_TREE_SCRIPT ${CMAKE_CURRENT_LIST_FILE})
function(wactor_embed_sdks out)
  file(GLOB_RECURSE inputs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/sdk/*)
  list(FILTER inputs EXCLUDE REGEX "/(target|node_modules)/")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DROOT=${CMAKE_SOURCE_DIR}/sdk -DOUTPUT=${out} -P ${WACTOR_EMBED_TREE_SCRIPT}
    DEPENDS ${inputs} ${WACTOR_EMBED_TREE_SCRIPT}
    COMMENT "embedding the SDKs and their templates"
    VERBATIM)
endfunction()
