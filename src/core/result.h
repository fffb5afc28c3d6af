// Result<T>: a value or an error message, for parsing, storage and crypto APIs
// (CONVENTIONS.md: no exceptions across these layers). Both are [[nodiscard]]: an error is
// handled, or dropped on purpose with IgnoreError and the reason why.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace tuidang {

struct Error {
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // REQUIRES: ok()
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // REQUIRES: !ok()
  const std::string& error() const { return std::get<1>(v_).message; }

 private:
  std::variant<T, Error> v_;
};

// Status: success or an error message.
class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Fail(std::string message) { return Status(std::move(message), true); }
  Status(Error e) : message_(std::move(e.message)), failed_(true) {}

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& message() const { return message_; }

 private:
  Status(std::string m, bool failed) : message_(std::move(m)), failed_(failed) {}
  std::string message_;
  bool failed_ = false;
};

// Drops `status` on purpose, where no caller could act on its error: a best-effort cleanup
// (a ROLLBACK after the failure that is already being returned), an optimisation. `why`
// says so at the call site; nothing is logged.
inline void IgnoreError(const Status& status, const char* why) {
  (void)status;
  (void)why;
}

}  // namespace tuidang
