#include "web/server.h"

#include <array>
#include <iterator>
#include <sstream>

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

namespace tuidang::web {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

// True when a request's framing is not one that every HTTP parser reads alike (RFC 9112
// 6.1, 6.3): a Transfer-Encoding other than one final "chunked" coding ("gzip",
// "chunked, identity", "xchunked": Beast would read no body, and a front end that forwards
// it may read one, so its body would be parsed as a second request), Transfer-Encoding
// together with Content-Length, or Transfer-Encoding in HTTP/1.0. Answered 400, then closed.
bool AmbiguousFraming(const Request& req) {
  auto [first, last] = req.equal_range(http::field::transfer_encoding);
  if (first == last) return false;
  if (std::next(first) != last || req.count(http::field::content_length) > 0 ||
      req.version() < 11) {
    return true;
  }
  std::string_view v = first->value();
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return !beast::iequals(v, "chunked");
}

// One connection: read a request, hand it to the handler, write the answer, repeat while
// the client keeps the connection alive. Lifetime is held by shared_from_this() in every
// pending operation. Its slot (ConnectionSlots) says whether it waits on the client (it may
// then be evicted for a newcomer) or the application works on it.
class Session : public Evictable, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Handler* handler, const ServerOptions* options,
          std::shared_ptr<ConnectionSlots> slots, safety::PeerInfo peer = {})
      : stream_(std::move(socket)),
        handler_(handler),
        options_(options),
        slots_(std::move(slots)),
        peer_(std::move(peer)) {}
  ~Session() override { slots_->Close(id_); }

  void Start(ConnectionSlots::Id id) {
    id_ = id;
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::DoRead, shared_from_this()));
  }

  void Evict() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->DoClose(); });
  }

  // No slot: answer 503 without reading, best effort and without blocking, and close.
  void Refuse() {
    Response res = handler_->TransportError(http::status::service_unavailable, "", "");
    res.keep_alive(false);
    res.prepare_payload();
    std::ostringstream os;
    os << res;
    std::string raw = os.str();
    beast::error_code ignored;
    stream_.socket().non_blocking(true, ignored);
    stream_.socket().write_some(net::buffer(raw), ignored);
    stream_.socket().close(ignored);
  }

 private:
  void DoRead() {
    parser_.emplace();
    // The header is read first under the largest limit any request has (Beast checks a
    // Content-Length against the limit as soon as the header is complete); OnHeader then
    // applies the limit of this request.
    parser_->body_limit(kMaxUploadBytes);
    parser_->header_limit(kMaxHeaderBytes);
    // The header must arrive within header_timeout (an idle keep-alive connection too), the
    // whole request within request_timeout: a client that trickles bytes cannot hold the
    // connection longer.
    request_start_ = std::chrono::steady_clock::now();
    stream_.expires_after(std::min(options_->header_timeout, options_->request_timeout));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t n) {
    if (ec) return OnRead(ec, n);
    if (AmbiguousFraming(parser_->get())) return OnRead(http::error::bad_transfer_encoding, n);
    size_t limit = std::min(handler_->BodyLimit(parser_->get()), kMaxUploadBytes);
    if (auto length = parser_->content_length(); length && *length > limit) {
      return OnRead(http::error::body_limit, n);
    }
    parser_->body_limit(limit);  // chunked bodies are counted as they arrive
    stream_.expires_at(request_start_ + options_->request_timeout);
    if (limit > kMaxBodyBytes) {
      // Only a logged-in operator's upload is allowed more (Handler::BodyLimit): it may take
      // longer than a form (a minute per 4 MiB allowed, at least), and it keeps its slot.
      stream_.expires_after(
          std::max(options_->request_timeout, std::chrono::seconds(60 * (limit >> 22))));
      if (!slots_->Busy(id_)) return DoClose();
    }
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted) {
      return DoClose();
    }
    if (ec) {
      http::status status = http::status::bad_request;
      if (ec == http::error::body_limit) status = http::status::payload_too_large;
      if (ec == http::error::header_limit) status = http::status::request_header_fields_too_large;
      if (ec == http::error::partial_message || ec == net::error::eof) return DoClose();
      // The header is parsed even when the body limit refuses it (Beast checks the
      // Content-Length before it marks the header done), so its target and language serve.
      std::string target(parser_->get().target());
      std::string lang(parser_->get()[http::field::accept_language]);
      Response res = handler_->TransportError(status, target, lang);
      res.keep_alive(false);
      return Write(std::move(res));
    }
    // The request is complete: the application has it, and the slot is not evicted.
    if (!slots_->Busy(id_)) return DoClose();
    Request req = parser_->release();
    bool keep_alive = req.keep_alive();
    unsigned version = req.version();
    auto self = shared_from_this();
    std::optional<safety::ClientKey> client;
    if (options_->identify) {
      // Every occurrence of the header, in order, as one list (RFC 9110 5.3): a proxy that
      // adds its own line must not leave the client's line to be read first.
      std::string forwarded;
      auto [first, last] = req.equal_range(options_->identify->header());
      for (auto it = first; it != last; ++it) {
        if (!forwarded.empty()) forwarded += ", ";
        forwarded += it->value();
      }
      client = options_->identify->ForRequest(peer_, forwarded);
    }
    handler_->Handle(std::move(req), client, [self, keep_alive, version](Response res) {
      net::dispatch(self->stream_.get_executor(),
                    [self, keep_alive, version, res = std::move(res)]() mutable {
                      res.version(version);
                      if (!keep_alive) res.keep_alive(false);
                      self->Write(std::move(res));
                    });
    });
  }

  void Write(Response res) {
    res.prepare_payload();
    response_ = std::make_shared<Response>(std::move(res));
    // Waiting on the client again, until it has read the answer (a slow reader holds a
    // slot no longer than a slow sender).
    for (auto& other : slots_->Waiting(id_)) other->Evict();
    stream_.expires_after(options_->request_timeout);
    http::async_write(stream_, *response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    if (ec) return DoClose();
    bool close = !response_->keep_alive();
    response_.reset();
    if (close) return DoLingeringClose();
    for (auto& other : slots_->Waiting(id_)) other->Evict();  // its wait starts again
    DoRead();
  }

  // Closing a socket with unread input makes the kernel send a reset, which can destroy
  // the answer we just wrote (a 413 sent while the client is still uploading). So stop
  // sending, read and discard for a moment, then close.
  void DoLingeringClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(kLingerTime);
    DoDrain();
  }
  void DoDrain() {
    stream_.async_read_some(net::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->DoClose();
                              self->DoDrain();
                            });
  }
  static constexpr std::chrono::seconds kLingerTime{2};
  std::array<char, 4096> drain_;

  void DoClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Response> response_;
  Handler* handler_;
  const ServerOptions* options_;
  std::shared_ptr<ConnectionSlots> slots_;
  ConnectionSlots::Id id_ = 0;
  std::chrono::steady_clock::time_point request_start_;
  safety::PeerInfo peer_;  // the peer's keyed hash only, never its address
};

// The peer's keyed hash. The address is read here, hashed and forgotten.
safety::PeerInfo Identify(const safety::ClientIdentifier* identify, const tcp::socket& socket) {
  if (!identify || identify->mode() == safety::ClientKeyMode::kOff) return {};
  beast::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return {};
  auto address = endpoint.address();
  std::array<uint8_t, 16> bytes =
      address.is_v4() ? net::ip::make_address_v6(net::ip::v4_mapped, address.to_v4()).to_bytes()
                      : address.to_v6().to_bytes();
  safety::PeerInfo info = identify->AtAccept(bytes);
  bytes.fill(0);
  return info;
}

}  // namespace

Server::Server(ServerOptions options, Handler* handler)
    : options_(std::move(options)),
      handler_(handler),
      ioc_(options_.threads),
      acceptor_(net::make_strand(ioc_)),
      slots_(std::make_shared<ConnectionSlots>(ConnectionSlots::Options{
          options_.max_connections, options_.max_connections_per_client,
          options_.max_connections * kReservedConnectionsPercent / 100})) {}

Server::~Server() = default;

Status Server::Listen() {
  beast::error_code ec;
  auto address = net::ip::make_address(options_.host, ec);
  if (ec) return Status::Fail("invalid listen address '" + options_.host + "'");
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Fail("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                        ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  DoAccept();
  return Status::Ok();
}

void Server::DoAccept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (!ec) {
      safety::PeerInfo peer = Identify(options_.identify, socket);
      // Connections are capped per client only where the peer is the client: not for a
      // trusted proxy (it carries many) nor for clients not told apart.
      std::optional<safety::ClientKey> capped;
      if (peer.key && !peer.trusted_proxy) capped = peer.key;
      auto session = std::make_shared<Session>(std::move(socket), handler_, &options_, slots_,
                                               std::move(peer));
      ConnectionSlots::Opened opened = slots_->Open(capped, session);
      for (auto& other : opened.evict) other->Evict();
      if (opened.id == 0) {
        session->Refuse();
      } else {
        session->Start(opened.id);
      }
    } else if (ec == net::error::no_descriptors) {
      spdlog::warn("accept: out of file descriptors");
    }
    DoAccept();
  });
}

void Server::Run() {
  std::vector<std::thread> threads;
  for (int i = 1; i < options_.threads; ++i) threads.emplace_back([this] { ioc_.run(); });
  ioc_.run();
  for (auto& t : threads) t.join();
}

void Server::Stop() {
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
  ioc_.stop();
}

}  // namespace tuidang::web
