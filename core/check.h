// HALO_CHECK: invariants whose failure is a programming error (shape mismatches in kernels, ...).
// It prints the condition, place and message, then aborts. User input is never checked this way:
// bad input gets a Status.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace halo::core {

class CheckFailure {
 public:
  CheckFailure(const char* cond, const char* file, int line) {
    stream_ << file << ":" << line << ": check failed: " << cond << " ";
  }
  [[noreturn]] ~CheckFailure() {
    std::fprintf(stderr, "halo: fatal: %s\n", stream_.str().c_str());
    std::abort();
  }
  std::ostringstream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

}  // namespace halo::core

#define HALO_CHECK(cond) \
  if (cond) {            \
  } else                 \
    ::halo::core::CheckFailure(#cond, __FILE__, __LINE__).stream()
