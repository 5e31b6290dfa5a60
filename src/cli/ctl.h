// `wactor ctl`: a client of a running wactor's /v1 control API (docs/CLI.md).
#pragma once

#include <iosfwd>
#include <string_view>
#include <vector>

namespace wactor::cli {

// args: everything after "ctl". Returns the exit status (0 ok, 1 refused or HTTP error, 2 bad
// command line).
int ctl_main(const std::vector<std::string_view>& args, std::ostream& out, std::ostream& err);

}  // namespace wactor::cli
