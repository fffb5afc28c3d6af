// How a long-running command (serve, witness serve) stops: SIGINT or SIGTERM, waited for on
// one thread with sigwait, stops the web server; what follows Run() then shuts down in order.
#pragma once

#include <signal.h>

#include <cstdint>
#include <string>
#include <thread>

#include "web/server.h"

namespace tuidang::cli {

// Blocks SIGINT and SIGTERM in the calling thread, and so in every thread it starts after
// this call (call it before starting any), and ignores SIGPIPE (a peer that closed its
// socket). Returns the set for StopOnSignal.
sigset_t BlockStopSignals();

// Waits on a thread of its own for one of `signals` (BlockStopSignals) and then stops
// `server`, which must outlive it. Its destruction, once server->Run() has returned, wakes
// and joins that thread whether a signal came or the server ended by itself.
class StopOnSignal {
 public:
  StopOnSignal(sigset_t signals, web::Server* server);
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  sigset_t signals_;
  std::thread waiter_;
};

// "http://HOST:PORT" for a log line, an IPv6 host in brackets.
std::string ListenUrl(const std::string& host, uint16_t port);

}  // namespace tuidang::cli
