// The HTTP server: Boost.Beast over Asio, a few threads sharing one io_context, one strand
// per connection. It enforces the transport limits (body and header size, a deadline for
// each request so a client sending one byte a second is cut off, a maximum number of
// connections) and never records a client's address.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "core/result.h"
#include "safety/client_key.h"
#include "web/http.h"

namespace tuidang::web {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 2;
  size_t max_connections = 2000;
  std::chrono::seconds request_timeout{10};
  // Turns a peer address (and a trusted proxy's header) into a keyed hash; the address is
  // read for that only, never kept or logged. Null: clients are not told apart. Not owned.
  const safety::ClientIdentifier* identify = nullptr;
};

class Server {
 public:
  // `handler` must outlive the server.
  Server(ServerOptions options, Handler* handler);
  ~Server();

  // Binds and listens; returns an error (address in use, bad address) without starting.
  Status Listen();
  // The port actually bound (useful with port 0).
  uint16_t port() const { return port_; }
  // Runs the threads until Stop(); returns when they have ended.
  void Run();
  // Stops accepting and ends the threads. Thread-safe; may be called from a signal watcher.
  void Stop();

  size_t open_connections() const { return connections_->load(); }

 private:
  void DoAccept();

  ServerOptions options_;
  Handler* handler_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<std::atomic<size_t>> connections_;
  uint16_t port_ = 0;
};

}  // namespace tuidang::web
