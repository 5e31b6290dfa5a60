// Runnables for the scheduler's own tests.
#pragma once

#include <functional>
#include <utility>

#include "actor/scheduler.h"

namespace wactor::actor::test {

// Runs `body` as its batch (its result: run again).
class Fn : public Runnable {
 public:
  explicit Fn(std::function<bool()> body) : body_(std::move(body)) {}
  bool run_batch() override { return body_(); }

 private:
  std::function<bool()> body_;
};

}  // namespace wactor::actor::test
