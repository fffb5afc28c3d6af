#include "web/server.h"

#include <array>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <spdlog/spdlog.h>

namespace tuidang::web {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

// One connection: read a request, hand it to the handler, write the answer, repeat while
// the client keeps the connection alive. Lifetime is held by shared_from_this() in every
// pending operation.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Handler* handler, std::chrono::seconds timeout,
          std::shared_ptr<std::atomic<size_t>> connections,
          const safety::ClientIdentifier* identify = nullptr, safety::PeerInfo peer = {})
      : stream_(std::move(socket)),
        handler_(handler),
        timeout_(timeout),
        connections_(std::move(connections)),
        identify_(identify),
        peer_(std::move(peer)) {}
  ~Session() { connections_->fetch_sub(1); }

  void Start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::DoRead, shared_from_this()));
  }

 private:
  void DoRead() {
    parser_.emplace();
    // The header is read first under the largest limit any request has (Beast checks a
    // Content-Length against the limit as soon as the header is complete); OnHeader then
    // applies the limit of this request.
    parser_->body_limit(kMaxUploadBytes);
    parser_->header_limit(kMaxHeaderBytes);
    // One deadline for the whole request, headers and body: a client that trickles bytes
    // cannot hold the connection longer than this.
    stream_.expires_after(timeout_);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t n) {
    if (ec) return OnRead(ec, n);
    size_t limit = std::min(handler_->BodyLimit(parser_->get()), kMaxUploadBytes);
    if (auto length = parser_->content_length(); length && *length > limit) {
      return OnRead(http::error::body_limit, n);
    }
    parser_->body_limit(limit);  // chunked bodies are counted as they arrive
    // An upload may take longer than a form: a minute per 4 MiB allowed, at least.
    if (limit > kMaxBodyBytes) {
      stream_.expires_after(std::max(timeout_, std::chrono::seconds(60 * (limit >> 22))));
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
    Request req = parser_->release();
    bool keep_alive = req.keep_alive();
    unsigned version = req.version();
    auto self = shared_from_this();
    std::optional<safety::ClientKey> client;
    if (identify_) client = identify_->ForRequest(peer_, req[identify_->header()]);
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
    stream_.expires_after(timeout_);
    http::async_write(stream_, *response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    if (ec) return DoClose();
    bool close = !response_->keep_alive();
    response_.reset();
    if (close) return DoLingeringClose();
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
  std::chrono::seconds timeout_;
  std::shared_ptr<std::atomic<size_t>> connections_;
  const safety::ClientIdentifier* identify_;
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
      connections_(std::make_shared<std::atomic<size_t>>(0)) {}

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
    return Status::Fail("cannot listen on " + options_.host + ":" +
                        std::to_string(options_.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  DoAccept();
  return Status::Ok();
}

void Server::DoAccept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (!ec) {
      if (connections_->fetch_add(1) >= options_.max_connections) {
        connections_->fetch_sub(1);
        // Over the limit: answer 503 without reading, best effort and without blocking.
        Response res = handler_->TransportError(http::status::service_unavailable, "", "");
        res.keep_alive(false);
        res.prepare_payload();
        std::ostringstream os;
        os << res;
        std::string raw = os.str();
        beast::error_code ignored;
        socket.non_blocking(true, ignored);
        socket.write_some(net::buffer(raw), ignored);
        socket.close(ignored);
      } else {
        safety::PeerInfo peer = Identify(options_.identify, socket);
        std::make_shared<Session>(std::move(socket), handler_, options_.request_timeout,
                                  connections_, options_.identify, std::move(peer))
            ->Start();
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
