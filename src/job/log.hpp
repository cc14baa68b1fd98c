#pragma once
// Logging on stderr: progress and information from rank 0 only; errors are printed by the executor.
#include <string>

namespace trellis::job {

enum class LogLevel { Debug = 0, Info = 1, Warn = 2 };
LogLevel parse_log_level(const std::string& s);  // throws JobError

class Logger {
 public:
  Logger(LogLevel level, int rank) : level_(level), rank_(rank) {}
  void debug(const std::string& msg) const { emit(LogLevel::Debug, msg); }
  void info(const std::string& msg) const { emit(LogLevel::Info, msg); }
  void warn(const std::string& msg) const { emit(LogLevel::Warn, msg); }
  // Printed whatever the rank (prefixed with it); for debugging per-rank behaviour.
  void debug_all(const std::string& msg) const;
  LogLevel level() const { return level_; }
  int rank() const { return rank_; }

 private:
  void emit(LogLevel l, const std::string& msg) const;
  LogLevel level_;
  int rank_;
};

}  // namespace trellis::job
