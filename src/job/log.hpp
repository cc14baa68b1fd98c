#pragma once
// Logging on stderr: progress and information from rank 0 only; errors are printed by the executor.
// Two formats, chosen once per process (the site configuration's log_format):
//   text   "trellis: <message>"
//   json   one JSON object per line, for log collectors:
//          {"ts":"2024-05-01T12:00:00.123Z","level":"info","rank":0,"msg":"...", <context>, <fields>}
//          where <context> holds the job name and the Slurm job/step ids when there are some, and
//          <fields> structured values of the event (step, op, done, total, ...).
#include <nlohmann/json.hpp>
#include <string>

namespace trellis::job {

enum class LogLevel { Debug = 0, Info = 1, Warn = 2 };
LogLevel parse_log_level(const std::string& s);  // throws JobError

enum class LogFormat { Text, Json };
LogFormat parse_log_format(const std::string& s);  // "text" or "json"; throws JobError

// Process-wide: the format of every line trellis prints on stderr, and fields added to each JSON line.
void set_log_format(LogFormat f);
LogFormat log_format();
void set_log_context(const std::string& key, const nlohmann::json& value);
void clear_log_context();

// One log line, with its '\n'. Text: "trellis: " + msg (rank prefix left to the caller); JSON: the
// object described above, with `level` ("debug", "info", "warn", "error") and `fields` merged in.
std::string format_log_line(const std::string& level, int rank, const std::string& msg,
                            const nlohmann::json& fields = nullptr);

class Logger {
 public:
  Logger(LogLevel level, int rank) : level_(level), rank_(rank) {}
  void debug(const std::string& msg, const nlohmann::json& fields = nullptr) const {
    emit(LogLevel::Debug, msg, fields);
  }
  void info(const std::string& msg, const nlohmann::json& fields = nullptr) const {
    emit(LogLevel::Info, msg, fields);
  }
  void warn(const std::string& msg, const nlohmann::json& fields = nullptr) const {
    emit(LogLevel::Warn, msg, fields);
  }
  // Printed whatever the rank (prefixed with it); for debugging per-rank behaviour.
  void debug_all(const std::string& msg) const;
  LogLevel level() const { return level_; }
  int rank() const { return rank_; }

 private:
  void emit(LogLevel l, const std::string& msg, const nlohmann::json& fields) const;
  LogLevel level_;
  int rank_;
};

}  // namespace trellis::job
