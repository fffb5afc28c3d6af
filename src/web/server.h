// The HTTP server: Boost.Beast over Asio, a few threads sharing one io_context, one strand
// per connection. It enforces the transport limits (body and header size, deadlines for the
// header and the whole request so a client sending one byte a second is cut off, a maximum
// number of connections, per client and in all, of which slow clients get only a share:
// web/connection_slots.h), refuses ambiguous framing (Transfer-Encoding) and never records
// a client's address.
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
#include "web/connection_slots.h"
#include "web/http.h"

namespace tuidang::web {

// Percent of max_connections that connections waiting on their client (slow to send a
// request or to read an answer, or idle) can never take: past the rest, the one that has
// waited longest is closed for the newcomer. A request that arrives at once then always finds
// a slot, however many slow connections a flood opens (docs/deploy-safety.md).
constexpr size_t kReservedConnectionsPercent = 10;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 2;
  size_t max_connections = 2000;
  // Connections one client (a peer told apart, not a trusted proxy) may hold; 0 = no cap.
  size_t max_connections_per_client = 64;
  std::chrono::seconds request_timeout{10};  // the whole request, header and body
  // The header, from the connection (or the previous answer) on: idle keep-alive included.
  std::chrono::seconds header_timeout{5};
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

  size_t open_connections() const { return slots_->open(); }

 private:
  void DoAccept();

  ServerOptions options_;
  Handler* handler_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<ConnectionSlots> slots_;
  uint16_t port_ = 0;
};

}  // namespace tuidang::web
