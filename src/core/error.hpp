#pragma once
// Error classes that map to trellis' exit statuses (job-format.md):
//   JobError   -> 2: the job, a parameter or an input is wrong; nothing was written.
//   IoError    -> 3: an input/output or runtime failure.
// Anything else is an internal error (exit 4).
#include <stdexcept>
#include <string>

namespace trellis {

enum ExitCode : int { kExitOk = 0, kExitJob = 2, kExitIo = 3, kExitInternal = 4 };

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& msg) : std::runtime_error(msg), code_(code), msg_(msg) {}
  ExitCode code() const { return code_; }
  const char* what() const noexcept override { return msg_.c_str(); }

  // True when the message already names its place in the job ("FILE:L:C: step 'x' (op): ..."), so
  // that the job executor does not name the step again.
  bool located() const { return located_; }
  Error& set_located() {
    located_ = true;
    return *this;
  }
  // Prefixes "<context>: " to the message and marks it located.
  void add_context(const std::string& context) {
    msg_ = context + ": " + msg_;
    located_ = true;
  }

 private:
  ExitCode code_;
  std::string msg_;
  bool located_ = false;
};

class JobError : public Error {
 public:
  explicit JobError(const std::string& msg) : Error(kExitJob, msg) {}
};

class IoError : public Error {
 public:
  explicit IoError(const std::string& msg) : Error(kExitIo, msg) {}
};

}  // namespace trellis
