#include "cli/serve_metrics.h"

#include <spdlog/spdlog.h>

#include "cli/config.h"
#include "cli/stop_signals.h"

namespace tuidang::cli {

Result<std::unique_ptr<ServeMetrics>> ServeMetrics::Open(const std::string& listen) {
  std::unique_ptr<ServeMetrics> m(new ServeMetrics());
  if (listen.empty()) return m;
  if (Status s = ParseListen(listen, &m->options_.host, &m->options_.port); !s) {
    return Error{"metrics_listen: " + s.message()};
  }
  if (!metrics::IsLoopback(m->options_.host)) {
    return Error{"metrics_listen must be a loopback address (127.0.0.1:PORT or [::1]:PORT), not '" +
                 listen + "': the metrics move with each submission and must not be public"};
  }
  if (m->options_.host == "localhost") m->options_.host = "127.0.0.1";
  m->options_.threads = 1;
  m->options_.max_connections = 16;
  m->options_.max_connections_per_client = 0;
  m->on_ = true;
  return m;
}

ServeMetrics::~ServeMetrics() {
  if (server_) server_->Stop();
  if (thread_.joinable()) thread_.join();
}

BatchWriter* ServeMetrics::MeasuredWriter(BatchWriter* inner) {
  if (!on_) return inner;
  writer_ = metrics_.Measure(inner);
  return writer_.get();
}

LogStore* ServeMetrics::MeasuredLog(LogStore* inner) {
  if (!on_) return inner;
  log_ = metrics_.Measure(inner);
  return log_.get();
}

web::Handler* ServeMetrics::MeasuredPublic(web::Handler* inner) {
  if (!on_) return inner;
  public_ = metrics_.Measure(inner);
  return public_.get();
}

Status ServeMetrics::Start(metrics::Gauges gauges) {
  if (!on_) return Status::Ok();
  metrics_.set_gauges(std::move(gauges));
  handler_ = metrics_.Handler();
  server_ = std::make_unique<web::Server>(options_, handler_.get());
  if (Status s = server_->Listen(); !s) return Status::Fail("metrics_listen: " + s.message());
  spdlog::info("metrics on {}/metrics", ListenUrl(options_.host, server_->port()));
  thread_ = std::thread([this] { server_->Run(); });
  return Status::Ok();
}

}  // namespace tuidang::cli
