// Engine-level figures: the cost of calling into a guest, of a guest calling
// the host, and compute speed, on each engine through the one engine interface.
#include <benchmark/benchmark.h>

#include <climits>
#include <stdexcept>

#include "bench/scenarios.h"
#include "instrument/metering.h"
#include "wactor/engine.h"

namespace wactor::bench {
namespace {

using engine::Val;
using engine::ValType;

template <typename T> T must(Result<T> r, const std::string &what) {
  if (!r.ok())
    throw std::runtime_error(what + ": " + r.error().to_string());
  return std::move(r).value();
}

std::vector<engine::HostFunction> imports() {
  std::vector<engine::HostFunction> v;
  v.push_back(
      {"bench", "nop", {}, [](engine::CallerMemory &, const Val *, Val *) {
         return engine::HostOutcome::ok();
       }});
  // For the metered module: fuel in slices too large to run out.
  v.push_back({std::string(instrument::kInternalModule),
               std::string(instrument::kRefillImport),
               {{}, {ValType::kI64}},
               [](engine::CallerMemory &, const Val *, Val *r) {
                 r[0].i64 = INT64_MAX / 4;
                 return engine::HostOutcome::ok();
               }});
  return v;
}

struct Loaded {
  std::shared_ptr<const engine::Module> module;
  std::unique_ptr<engine::Instance> instance;
};

Loaded load(engine::Engine &e, const std::vector<std::uint8_t> &bytes,
            const std::vector<engine::HostFunction> &imp) {
  Loaded l;
  l.module = must(e.load(bytes, "bench_calls.wasm", {}), "load");
  // Only the imports this module has (the plain one lacks the refill import).
  std::vector<engine::HostFunction> wanted;
  for (const auto &i : imp) {
    for (const auto &mi : l.module->info().imports) {
      if (mi.module == i.module && mi.name == i.name)
        wanted.push_back(i);
    }
  }
  l.instance = must(l.module->instantiate(wanted), "instantiate");
  return l;
}

double call_ns(engine::Instance &inst, engine::ExportIndex f,
               std::span<const Val> args, int calls) {
  Val out[1];
  const auto t0 = Clock::now();
  for (int i = 0; i < calls; ++i) {
    if (!inst.call(f, args, std::span<Val>(out, 0)).ok())
      throw std::runtime_error("call failed");
  }
  return seconds_since(t0) * 1e9 / calls;
}

} // namespace

void engine_benchmarks(const std::string &name, const Settings &s,
                       const Baselines &b, std::vector<Row> &rows) {
  auto eng = must(engine::make_engine(name), "engine");
  const auto plain_bytes = read_guest("bench_calls.wasm");
  const auto metered_bytes = must(
      instrument::add_metering(plain_bytes, "bench_calls.wasm"), "metering");
  const auto imp = imports();
  Loaded plain = load(*eng, plain_bytes, imp);
  Loaded metered = load(*eng, metered_bytes, imp);
  if (auto g = metered.instance->find_i64_global(instrument::kFuelGlobal);
      g.ok()) {
    (void)metered.instance->set_i64_global(*g, INT64_MAX / 4);
  }

  const engine::Signature none{};
  const engine::Signature takes_i32{{ValType::kI32}, {}};
  const engine::Signature fib_sig{{ValType::kI32}, {ValType::kI32}};
  const int calls = s.quick ? 200'000 : 2'000'000;

  if (s.wants("calls")) {
    // Export call: an empty guest function called from the host.
    const auto nop = must(plain.instance->find_function("nop", none), "nop");
    const double export_ns = median_of(
        s.reps, [&] { return call_ns(*plain.instance, nop, {}, calls); });
    rows.push_back({"export call (host -> empty guest function)", name,
                    export_ns, "ns", "direct C++ call",
                    export_ns / b.direct_call_ns, "", ""});

    // Host call: a guest loop calling an empty import, minus the same loop
    // without the call.
    const auto call_host = must(
        plain.instance->find_function("call_host", takes_i32), "call_host");
    const auto spin =
        must(plain.instance->find_function("spin", takes_i32), "spin");
    const int loop_n = s.quick ? 1'000'000 : 10'000'000;
    const Val n_arg[1] = {Val{.i32 = loop_n}};
    const double host_ns = median_of(s.reps, [&] {
      const double with = call_ns(*plain.instance, call_host, n_arg, 1);
      const double without = call_ns(*plain.instance, spin, n_arg, 1);
      return (with - without) / loop_n;
    });
    rows.push_back({"host call (guest -> empty import)", name, host_ns, "ns",
                    "direct C++ call", host_ns / b.direct_call_ns,
                    name == "interp" ? "" : "<= 10 ns", ""});
  }
  if (!s.wants("compute"))
    return;
  // Compute: recursive fib, plain and as wactor runs it (metered).
  const Val fib_arg[1] = {Val{.i32 = s.fib_n}};
  const int expected = native_fib(s.fib_n);  // outside the timed call
  for (auto *l : {&plain, &metered}) {
    const auto fib = must(l->instance->find_function("fib", fib_sig), "fib");
    const double ms = median_of(s.reps, [&] {
      Val out[1];
      const auto t0 = Clock::now();
      if (!l->instance->call(fib, fib_arg, out).ok())
        throw std::runtime_error("fib failed");
      const double elapsed = seconds_since(t0) * 1e3;
      if (out[0].i32 != expected)
        throw std::runtime_error("fib: wrong result");
      return elapsed;
    });
    rows.push_back({std::string("compute: fib(") + std::to_string(s.fib_n) +
                        ")" +
                        (l == &metered ? ", metered (as run)" : ", unmetered"),
                    name, ms, "ms", "native C++", ms / b.fib_ms,
                    name == "interp" ? "" : "<= 1.3x native", ""});
  }
}

} // namespace wactor::bench
