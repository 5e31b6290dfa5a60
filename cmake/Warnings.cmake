# One interface target carries the project's warning flags; WACTOR_WERROR turns them into errors (CI).
add_library(wactor_warnings INTERFACE)
target_compile_options(wactor_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
if(WACTOR_WERROR)
  target_compile_options(wactor_warnings INTERFACE -Werror)
endif()
