#include "job/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "core/error.hpp"

namespace trellis::job {

namespace {

LogFormat g_format = LogFormat::Text;
nlohmann::json& context() {
  static nlohmann::json c = nlohmann::json::object();
  return c;
}

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
  }
  return "info";
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

void put(const std::string& line) {
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace

LogLevel parse_log_level(const std::string& s) {
  if (s == "debug") return LogLevel::Debug;
  if (s == "info") return LogLevel::Info;
  if (s == "warn" || s == "warning") return LogLevel::Warn;
  throw JobError("unknown log level '" + s + "' (debug, info, warn)");
}

LogFormat parse_log_format(const std::string& s) {
  if (s == "text") return LogFormat::Text;
  if (s == "json" || s == "jsonl" || s == "json_lines") return LogFormat::Json;
  throw JobError("unknown log format '" + s + "' (text, json)");
}

void set_log_format(LogFormat f) {
  g_format = f;
}
LogFormat log_format() {
  return g_format;
}
void set_log_context(const std::string& key, const nlohmann::json& value) {
  context()[key] = value;
}
void clear_log_context() {
  context() = nlohmann::json::object();
}

std::string format_log_line(const std::string& level, int rank, const std::string& msg,
                            const nlohmann::json& fields) {
  if (g_format == LogFormat::Text) return "trellis: " + msg + "\n";
  nlohmann::ordered_json j = nlohmann::ordered_json::object();  // ts, level, rank, msg first
  j["ts"] = utc_now();
  j["level"] = level;
  j["rank"] = rank;
  j["msg"] = msg;
  for (const auto& [k, v] : context().items()) j[k] = v;
  if (fields.is_object())
    for (const auto& [k, v] : fields.items()) j[k] = v;
  // Invalid UTF-8 (a file name, say) is replaced rather than thrown about.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

void Logger::emit(LogLevel l, const std::string& msg, const nlohmann::json& fields) const {
  if (rank_ != 0 || l < level_) return;
  put(format_log_line(level_name(l), rank_, msg, fields));
}

void Logger::debug_all(const std::string& msg) const {
  if (level_ > LogLevel::Debug) return;
  if (g_format == LogFormat::Json) {
    put(format_log_line("debug", rank_, msg));
    return;
  }
  put("trellis[rank " + std::to_string(rank_) + "]: " + msg + "\n");
}

}  // namespace trellis::job
