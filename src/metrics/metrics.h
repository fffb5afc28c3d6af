// Metrics for the administrator's Prometheus (issue 17, docs/deploy.md "Metrics"): the
// registry and text format are prometheus-cpp's (Debian's prometheus-cpp-dev), served by a
// second web::Server on `metrics_listen` (loopback only, off by default), never on the
// public port.
//
// What is measured is gathered without touching the code it measures: decorators of the
// store roles the sequencer and the integrator write through (batch sizes, commit times,
// outcomes by channel; the tree size and when it last grew), a decorator of the public
// handler (answers by status class), and gauges read at each scrape (queue depth, open
// connections, leaves not yet integrated). No label can tell clients apart: the labels are
// channels, outcomes and status classes, and nothing about a request is kept.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "store/batch_writer.h"
#include "store/log_store.h"
#include "web/http.h"

namespace tuidang::metrics {

// The gauges read at each scrape, from the live server; a null function is not shown.
struct Gauges {
  std::function<size_t()> queue_depth;       // submissions waiting for the writer
  std::function<size_t()> open_connections;  // on the public port
  std::function<uint64_t()> leaf_count;      // leaves appended (integrated or not)
};

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // `inner` with its batches measured: size, commit time, and each submission's outcome
  // by channel. `inner` must outlive the result, which must outlive every use of it.
  std::unique_ptr<BatchWriter> Measure(BatchWriter* inner);
  // `inner` with its checkpoints measured: tree size, and when the last one was saved.
  std::unique_ptr<LogStore> Measure(LogStore* inner);
  // `inner` (the public application) with its answers counted by status class, 429s and
  // 503s apart. `inner` must outlive the result.
  std::unique_ptr<web::Handler> Measure(web::Handler* inner);

  // Set before the metrics server starts (not synchronised with Render).
  void set_gauges(Gauges gauges);

  // Everything, in Prometheus' text format (version 0.0.4).
  std::string Render();

  // The handler of the metrics port: GET /metrics (and /), 404 for the rest.
  std::unique_ptr<web::Handler> Handler();

 private:
  struct Families;
  class MeasuredWriter;
  class MeasuredLog;
  class MeasuredHandler;
  class MetricsHandler;
  std::unique_ptr<Families> f_;
  Gauges gauges_;
};

// Whether `host` (of `metrics_listen`) is a loopback address: the only kind the metrics may
// listen on, since the counters move with each submission and must never be readable from
// the public side.
bool IsLoopback(const std::string& host);

}  // namespace tuidang::metrics
