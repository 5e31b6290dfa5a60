#include "wactor/result.h"

namespace wactor {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kInvalidModule: return "invalid module";
    case ErrorCode::kAbiViolation: return "ABI violation";
    case ErrorCode::kTrap: return "trap";
    case ErrorCode::kGuestError: return "guest error";
    case ErrorCode::kResourceExhausted: return "resource exhausted";
    case ErrorCode::kManifest: return "manifest error";
    case ErrorCode::kIo: return "I/O error";
    case ErrorCode::kFailedPrecondition: return "failed precondition";
    case ErrorCode::kAlreadyExists: return "already exists";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

std::string Error::to_string() const { return std::string(error_code_name(code)) + ": " + message; }

}  // namespace wactor
