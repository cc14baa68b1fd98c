#pragma once
// A real S3-compatible server for the S3 tests: npm's s3rver (cmake/s3rver.cmake) on a free loopback
// port, with one bucket, its objects kept as plain files under a temporary folder (the tests read them
// there, by a path that does not go through GDAL). While it runs, the environment points GDAL (in this
// process and in the trellis processes it starts) at it: AWS_S3_ENDPOINT and friends.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include "util/test_util.hpp"

namespace trellis::test {

class S3Server {
 public:
  static constexpr const char* kBucket = "trellis-test";

  // Why the server cannot run here ("" when it can): s3rver or Node.js missing.
  static std::string unavailable() {
    if (std::string(TRELLIS_S3RVER_JS).empty() || !fs::exists(TRELLIS_S3RVER_JS))
      return "s3rver is not installed (npm could not install it at configure time; see cmake/s3rver.cmake)";
    if (!fs::exists(TRELLIS_NODE)) return "Node.js (node) is not installed";
    return "";
  }

  S3Server() {
    fs::create_directories(dir_ / "data");
    const fs::path log = dir_ / "s3rver.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      std::freopen(log.c_str(), "w", stdout);
      std::freopen(log.c_str(), "a", stderr);
      ::execl(TRELLIS_NODE, "node", TRELLIS_S3RVER_JS, "-d", (dir_ / "data").c_str(), "-a", "127.0.0.1", "-p",
              "0", "--silent", "--configure-bucket", kBucket, static_cast<char*>(nullptr));
      ::_exit(127);
    }
    static const std::regex re("listening on 127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 300 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::smatch m;
      const std::string text = fs::exists(log) ? read_file(log) : "";
      if (std::regex_search(text, m, re)) port_ = std::stoi(m[1]);
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
    }
    if (port_ == 0) return;
    const std::map<std::string, std::string> env = {{"AWS_S3_ENDPOINT", "127.0.0.1:" + std::to_string(port_)},
                                                    {"AWS_HTTPS", "NO"},
                                                    {"AWS_VIRTUAL_HOSTING", "FALSE"},
                                                    {"AWS_ACCESS_KEY_ID", "S3RVER"},
                                                    {"AWS_SECRET_ACCESS_KEY", "S3RVER"},
                                                    {"AWS_REGION", "us-east-1"}};
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
  }
  ~S3Server() {
    stop();
    for (const char* k : {"AWS_S3_ENDPOINT", "AWS_HTTPS", "AWS_VIRTUAL_HOSTING", "AWS_ACCESS_KEY_ID",
                          "AWS_SECRET_ACCESS_KEY", "AWS_REGION"})
      ::unsetenv(k);
  }
  S3Server(const S3Server&) = delete;
  S3Server& operator=(const S3Server&) = delete;

  int port() const { return port_; }
  std::string log() const { return read_file(dir_ / "s3rver.log"); }
  // Stops the server (the store then cannot be reached).
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // Every object of the bucket under `prefix` (key relative to it -> bytes), read from s3rver's files.
  std::map<std::string, std::string> objects(const std::string& prefix) const {
    static const std::string kSuffix = "._S3rver_object";
    std::map<std::string, std::string> out;
    const fs::path root = dir_ / "data" / kBucket / prefix;
    if (!fs::exists(root)) return out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      const std::string p = fs::relative(e.path(), root).string();
      if (e.is_regular_file() && p.ends_with(kSuffix))
        out[p.substr(0, p.size() - kSuffix.size())] = read_file(e.path());
    }
    return out;
  }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

#define TRELLIS_REQUIRE_S3(server)                                                                         \
  if (const std::string why = ::trellis::test::S3Server::unavailable(); !why.empty()) GTEST_SKIP() << why; \
  ::trellis::test::S3Server server;                                                                        \
  ASSERT_GT(server.port(), 0) << "s3rver did not start: " << server.log()

}  // namespace trellis::test
