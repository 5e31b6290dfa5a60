// Arbitrary bytes as a module: metering, loading, the ABI check and instantiation must
// return errors, never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <span>

#include "abi/abi_v1.h"
#include "instrument/metering.h"
#include "wactor/engine.h"

namespace {
class NullHost final : public wactor::abi::GuestHost {
 public:
  std::int32_t send(std::string_view, std::span<const std::uint8_t>) override { return 0; }
  std::int64_t request(std::string_view, std::span<const std::uint8_t>, std::int32_t) override { return 1; }
  std::int32_t respond(std::int64_t, bool, std::span<const std::uint8_t>) override { return 0; }
  std::int64_t current_request() override { return 0; }
  std::int32_t cancel(std::int64_t) override { return 0; }
  std::string_view self_id() override { return "fuzz"; }
  void log(std::int32_t, std::string_view) override {}
  void bad_log_call(std::string_view) override {}
  std::int64_t now_ms() override { return 0; }
  std::int32_t subscribe(std::string_view) override { return 0; }
  std::int32_t unsubscribe(std::string_view) override { return 0; }
  std::int32_t publish(std::string_view, std::span<const std::uint8_t>) override { return 0; }
  std::int32_t broadcast(std::span<const std::uint8_t>) override { return 0; }
  std::string_view current_topic() override { return {}; }
  std::int32_t spawn(std::string_view, std::string_view, std::string_view) override { return -1; }
  std::int32_t stop(std::string_view) override { return -1; }
  std::int64_t send_after(std::string_view, std::span<const std::uint8_t>, std::int32_t) override { return 1; }
  std::int32_t cancel_timer(std::int64_t) override { return -1; }
  std::int32_t monitor(std::string_view) override { return -1; }
  std::int32_t demonitor(std::string_view) override { return -1; }
  std::int32_t http_info(std::int64_t, std::int32_t, std::string_view, std::string&) override { return -1; }
  std::int32_t http_set_status(std::int64_t, std::int32_t) override { return -1; }
  std::int32_t http_set_header(std::int64_t, std::string_view, std::string_view) override { return -1; }
  void invalid_call(std::string_view) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto engine = std::move(wactor::engine::make_engine("interp")).value();
  std::span<const std::uint8_t> bytes(data, size);
  auto metered = wactor::instrument::add_metering(bytes, "fuzz.wasm");
  if (!metered.ok()) return 0;
  wactor::engine::LoadOptions options;
  options.max_memory_pages = 16;
  auto module = engine->load(*metered, "fuzz.wasm", options);
  if (!module.ok()) return 0;
  if (!wactor::abi::check_module((*module)->info(), "fuzz.wasm").ok()) return 0;
  NullHost host;
  auto imports = wactor::abi::make_imports(host);
  imports.push_back({std::string(wactor::instrument::kInternalModule), std::string(wactor::instrument::kRefillImport),
                     {{}, {wactor::engine::ValType::kI64}},
                     [](wactor::engine::CallerMemory&, const wactor::engine::Val*, wactor::engine::Val*) {
                       // Start functions get no fuel: a looping one stops at once.
                       return wactor::engine::HostOutcome::trapped("fuel");
                     }});
  auto instance = (*module)->instantiate(imports);
  (void)instance;
  return 0;
}
