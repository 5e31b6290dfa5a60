// One component's counters as a JSON object (the counters' names, in WACTOR_COUNTERS order,
// then mailbox_depth and mailbox_high_water): --metrics-json and the control API share it.
#pragma once

#include <nlohmann/json.hpp>

#include "wactor/metrics.h"

namespace wactor {

[[nodiscard]] nlohmann::ordered_json stats_json(const ComponentStats& s);

}  // namespace wactor
