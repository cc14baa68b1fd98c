#include "job/log.hpp"

#include <cstdio>
#include <string>

#include "core/error.hpp"

namespace trellis::job {

LogLevel parse_log_level(const std::string& s) {
  if (s == "debug") return LogLevel::Debug;
  if (s == "info") return LogLevel::Info;
  if (s == "warn" || s == "warning") return LogLevel::Warn;
  throw JobError("unknown log level '" + s + "' (debug, info, warn)");
}

void Logger::emit(LogLevel l, const std::string& msg) const {
  if (rank_ != 0 || l < level_) return;
  std::string line = "trellis: " + msg + "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

void Logger::debug_all(const std::string& msg) const {
  if (level_ > LogLevel::Debug) return;
  std::string line = "trellis[rank " + std::to_string(rank_) + "]: " + msg + "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace trellis::job
