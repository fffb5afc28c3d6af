#include "cli/stop_signals.h"

#include <pthread.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace tuidang::cli {

sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return signals;
}

StopOnSignal::StopOnSignal(sigset_t signals, web::Server* server) : signals_(signals) {
  waiter_ = std::thread([this, server] {
    int sig = 0;
    sigwait(&signals_, &sig);
    spdlog::info("stopping (signal {})", sig);
    server->Stop();
  });
}

StopOnSignal::~StopOnSignal() {
  // Wakes the waiter if the server ended by itself (a signal it is already past is
  // harmless: the thread exists until joined).
  pthread_kill(waiter_.native_handle(), SIGTERM);
  waiter_.join();
}

std::string ListenUrl(const std::string& host, uint16_t port) {
  return host.find(':') != std::string::npos ? fmt::format("http://[{}]:{}", host, port)
                                             : fmt::format("http://{}:{}", host, port);
}

}  // namespace tuidang::cli
