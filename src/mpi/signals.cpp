#include "mpi/signals.hpp"

#include <atomic>
#include <csignal>

namespace trellis::mpi {

namespace {

std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the stop flag must be lock-free (async-signal-safe)");

constexpr int kSignals[] = {SIGTERM, SIGUSR1, SIGINT, SIGHUP};
constexpr int kNumSignals = sizeof kSignals / sizeof kSignals[0];
struct sigaction g_previous[kNumSignals];
struct sigaction g_previous_pipe;
bool g_installed = false;

extern "C" void on_stop_signal(int sig) {
  int expected = 0;
  if (!g_signal.compare_exchange_strong(expected, sig) && sig == SIGINT && expected == SIGINT) {
    // Second Ctrl-C: the default action (sigaction and raise are async-signal-safe).
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGINT, &dfl, nullptr);
    raise(SIGINT);
  }
}

std::string default_what(int sig) {
  return "stopped by " + signal_name(sig);
}

}  // namespace

StopRequested::StopRequested(int signal, const std::string& what)
    : Error(kExitIo, what.empty() ? default_what(signal) : what), signal_(signal) {}

void install_stop_handlers() {
  if (g_installed) return;
  for (int i = 0; i < kNumSignals; ++i) {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(kSignals[i], &sa, &g_previous[i]);
  }
  // A closed log stream (`trellis run job.yaml 2>&1 | head -1`) must not end the job: writes to it fail
  // with EPIPE instead, and are dropped.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &g_previous_pipe);
  g_installed = true;
}

void restore_stop_handlers() {
  if (!g_installed) return;
  for (int i = 0; i < kNumSignals; ++i) sigaction(kSignals[i], &g_previous[i], nullptr);
  sigaction(SIGPIPE, &g_previous_pipe, nullptr);
  g_installed = false;
}

int stop_signal() {
  return g_signal.load();
}

bool stop_requested() {
  return g_signal.load() != 0;
}

void request_stop(int sig) {
  int expected = 0;
  g_signal.compare_exchange_strong(expected, sig > 0 ? sig : SIGTERM);
}

void clear_stop() {
  g_signal.store(0);
}

std::string signal_name(int sig) {
  switch (sig) {
    case SIGTERM:
      return "SIGTERM";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGUSR2:
      return "SIGUSR2";
    case SIGINT:
      return "SIGINT";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal " + std::to_string(sig);
  }
}

}  // namespace trellis::mpi
