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
  Error(ExitCode code, const std::string& msg) : std::runtime_error(msg), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
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
