// A load client for bench/render.sh: N GET requests over C keep-alive connections (one thread each)
// against a tile server, the paths taken in turn from a file (one per line, with their query string).
// Prints one line: requests, errors (transport failures and non-200 answers), seconds, requests/s,
// and the p50, p99 and maximum latency in milliseconds. Not part of the build: render.sh compiles it
// (c++ -O2 ... -lcpp-httplib) into the benchmark cache.
//   serve-load HOST PORT PATHS_FILE REQUESTS CONNECTIONS
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: serve-load HOST PORT PATHS_FILE REQUESTS CONNECTIONS\n");
    return 2;
  }
  const std::string host = argv[1];
  const int port = std::stoi(argv[2]);
  std::vector<std::string> paths;
  std::ifstream in(argv[3]);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) paths.push_back(line);
  const long total = std::stol(argv[4]);
  const int connections = std::stoi(argv[5]);
  if (paths.empty() || total < 1 || connections < 1) return 2;
  std::atomic<long> next{0}, errors{0};
  std::vector<std::vector<double>> latency(static_cast<std::size_t>(connections));
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c)
    threads.emplace_back([&, c] {
      httplib::Client client(host, port);
      client.set_keep_alive(true);
      client.set_read_timeout(30, 0);
      for (long i; (i = next++) < total;) {
        const auto a = std::chrono::steady_clock::now();
        const auto r = client.Get(paths[static_cast<std::size_t>(i) % paths.size()].c_str());
        const auto b = std::chrono::steady_clock::now();
        if (!r || r->status != 200) ++errors;
        latency[static_cast<std::size_t>(c)].push_back(
            std::chrono::duration<double, std::milli>(b - a).count());
      }
    });
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<double> all;
  for (const auto& l : latency) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto q = [&](double p) { return all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))]; };
  std::printf("requests %ld errors %ld seconds %.2f per_second %.0f p50_ms %.1f p99_ms %.1f max_ms %.1f\n",
              total, errors.load(), seconds, static_cast<double>(total) / seconds, q(0.50), q(0.99),
              all.back());
  return errors.load() ? 1 : 0;
}
