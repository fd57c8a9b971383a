// The one error type of the project and Result<T>, a small std::expected.
//
// Every fallible function returns Result<T>. An Error carries a code (what kind
// of failure, so the server can map it to an HTTP status), a message for people,
// and the source location where it was raised. RF_TRY passes an error up.
#pragma once

#include <cassert>

#include <fmt/format.h>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace rocmforge {

enum class ErrorCode {
  kInvalidArgument,  // a caller's input (flag, request field) is wrong
  kNotFound,         // a file, key, tensor or model is missing
  kIo,               // the operating system refused a read, write or map
  kParse,            // a file or text is malformed
  kUnsupported,      // valid, but not something this build handles
  kOutOfMemory,      // an allocation (host or device) failed or would not fit
  kDevice,           // a GPU runtime call failed
  kCapacity,         // a bounded resource (queue, KV blocks, context) is full
  kCancelled,        // the caller asked to stop
  kInternal,         // a bug: an invariant did not hold
};

std::string_view error_code_name(ErrorCode code);

// Where an error was raised. Our own rather than std::source_location, which
// some supported compilers (clang 14 with libstdc++ 12) lack; the builtins
// below exist in GCC, clang, nvcc and hipcc alike.
struct SourceLocation {
  const char* file = "";
  unsigned line = 0;

  static constexpr SourceLocation current(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE()) {
    return {file, line};
  }
};

class Error {
 public:
  Error(ErrorCode code, std::string message,
        SourceLocation where = SourceLocation::current())
      : code_(code), message_(std::move(message)), where_(where) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const SourceLocation& where() const { return where_; }

  // Prepends context ("loading model.gguf: ") while keeping code and origin.
  Error with_context(std::string_view context) && {
    message_.insert(0, std::string(context) + ": ");
    return std::move(*this);
  }

  // "parse: tensor 'x': offset ... (src/gguf/reader.cpp:120)"
  std::string to_string() const;

 private:
  ErrorCode code_;
  std::string message_;
  SourceLocation where_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  // Implicit, like std::expected, so `return value;` and `return error;` both work.
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}
  template <class U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Error> && !std::is_same_v<std::decay_t<U>, Result>)
  Result(U&& value) : state_(std::in_place_index<0>, T(std::forward<U>(value))) {}

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return checked_value(); }
  const T& value() const& { return const_cast<Result*>(this)->checked_value(); }
  T&& value() && { return std::move(checked_value()); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!has_value());
    return std::get<1>(state_);
  }
  Error&& error() && {
    assert(!has_value());
    return std::get<1>(std::move(state_));
  }

  T value_or(T fallback) const& { return has_value() ? std::get<0>(state_) : std::move(fallback); }

 private:
  T& checked_value() {
    assert(has_value());
    return std::get<0>(state_);
  }
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;

  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { assert(ok_); }
  void operator*() const { assert(ok_); }

  const Error& error() const& {
    assert(!ok_);
    return error_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_{ErrorCode::kInternal, ""};
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok() { return {}; }

}  // namespace rocmforge

// Evaluates a Result; on error returns the error from the enclosing function,
// otherwise yields the value: `auto file = RF_TRY(MappedFile::open(path));`.
#define RF_TRY(expr)                                                   \
  ({                                                                   \
    auto rf_try_result_ = (expr);                                      \
    if (!rf_try_result_) return std::move(rf_try_result_).error();     \
    std::move(rf_try_result_).value();                                 \
  })

// Builds an Error with a formatted message at the call site.
#define RF_ERROR(code, ...) ::rocmforge::Error(::rocmforge::ErrorCode::code, ::fmt::format(__VA_ARGS__))
