// The metering pass's refill import for tests that call metered guests through the engine
// interface: one slice of `slice` units per refill, `max_slices` of them, then a trap.
#pragma once

#include <cstdint>
#include <string>

#include "instrument/metering.h"
#include "wactor/engine.h"

namespace wactor::test {

struct FuelSlices {
  std::int64_t slice = 1000;
  std::int64_t max_slices = 1'000'000;
  std::int64_t granted = 0;
  std::int64_t refills = 0;

  engine::HostFunction refill_import() {
    return {std::string(instrument::kInternalModule), std::string(instrument::kRefillImport),
            {{}, {engine::ValType::kI64}},
            [this](engine::CallerMemory&, const engine::Val*, engine::Val* r) {
              ++refills;
              if (granted == max_slices) return engine::HostOutcome::trapped("fuel exhausted");
              ++granted;
              r[0].i64 = slice;
              return engine::HostOutcome::ok();
            }};
  }
};

}  // namespace wactor::test
