// serve's metrics (metrics/metrics.h) when `metrics_listen` is set: the measured store roles
// and public handler to give the integrator, the sequencer and the public server, and a
// second web::Server on the loopback address that answers /metrics. When it is not set,
// every Measured* returns its argument and nothing listens.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "core/result.h"
#include "metrics/metrics.h"
#include "web/server.h"

namespace tuidang::cli {

class ServeMetrics {
 public:
  // `listen`: "" (off) or a loopback HOST:PORT; anything else is refused with a message.
  static Result<std::unique_ptr<ServeMetrics>> Open(const std::string& listen);
  // Stops the metrics server and joins its thread.
  ~ServeMetrics();
  ServeMetrics(const ServeMetrics&) = delete;
  ServeMetrics& operator=(const ServeMetrics&) = delete;

  // The role to use instead of `inner` (which must outlive this object).
  BatchWriter* MeasuredWriter(BatchWriter* inner);
  LogStore* MeasuredLog(LogStore* inner);
  web::Handler* MeasuredPublic(web::Handler* inner);

  // Binds the metrics address and serves it on a thread of its own, reading `gauges` at each
  // scrape (they must stay valid until this object is destroyed). No-op when off.
  Status Start(metrics::Gauges gauges);

 private:
  ServeMetrics() = default;
  bool on_ = false;
  web::ServerOptions options_;
  metrics::Metrics metrics_;
  std::unique_ptr<BatchWriter> writer_;
  std::unique_ptr<LogStore> log_;
  std::unique_ptr<web::Handler> public_;
  std::unique_ptr<web::Handler> handler_;
  std::unique_ptr<web::Server> server_;
  std::thread thread_;
};

}  // namespace tuidang::cli
