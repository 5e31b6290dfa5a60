// Errors as values: one error enum with a message per code, and a [[nodiscard]] Result<T>.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace wactor {

// System-level failures seen by the embedder (not the statuses a guest sees; those are in abi.h).
enum class ErrorCode {
  kInvalidArgument,     // a caller passed something malformed (bad id, bad option)
  kNotFound,            // a named thing (file, component, export) does not exist
  kInvalidModule,       // bytes are not a valid WebAssembly module
  kAbiViolation,        // a valid module that does not satisfy the guest ABI
  kTrap,                // a guest trapped; the call failed, the host is intact
  kGuestError,          // a guest export returned a failure status
  kResourceExhausted,   // a limit was reached (memory, queue, instances)
  kManifest,            // a manifest could not be parsed or is inconsistent
  kIo,                  // reading or writing a file failed
  kFailedPrecondition,  // the call is not valid in the current state
  kAlreadyExists,       // a name (component id) is already in use
  kInternal,            // a bug in wactor
};

std::string_view error_code_name(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;

  // "invalid module: foo.wasm: ..." style one-liner.
  [[nodiscard]] std::string to_string() const;
};

[[nodiscard]] inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }
  Error&& take_error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  [[nodiscard]] bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }
  Error&& take_error() && { assert(!ok_); return std::move(error_); }

 private:
  Error error_{ErrorCode::kInternal, {}};
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace wactor

// Propagate an error from an expression returning Result<...>.
#define WACTOR_TRY(expr)                                   \
  do {                                                     \
    auto wactor_try_r_ = (expr);                           \
    if (!wactor_try_r_.ok()) return std::move(wactor_try_r_).take_error(); \
  } while (0)
