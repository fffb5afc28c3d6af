// Metrics for the administrator's Prometheus (issue 17, docs/deploy.md "Metrics"): the
// registry and text format are prometheus-cpp's (Debian's prometheus-cpp-dev), served by a
// second web::Server on `metrics_listen` (loopback only, off by default), never on the
// public port.
//
// What is measured is gathered without touching the code it measures: decorators of the
// store roles the sequencer and the integrator write through (batch sizes, commit times,
// outcomes by channel; the tree size and when it last grew), a decorator of the public
// handler (answers by status class), and gauges read at each scrape (queue depth, open
// connections, leaves not yet integrated, the witnesses' and mirrors' outcomes). No label can
// tell clients apart: the labels are channels, outcomes, status classes and the names of the
// witnesses and mirrors in tuidang.toml, and nothing about a request is kept.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/batch_writer.h"
#include "store/log_store.h"
#include "web/http.h"

namespace tuidang::metrics {

// What the log's exchanges with one witness or mirror came to since the server started
// (log/cosigning.h, log/mirroring.h count them; they are rendered as counters).
struct PeerOutcomes {
  std::string name;                       // its name in tuidang.toml
  uint64_t cosigned = 0;                  // exchanges that brought its verified cosignature
  uint64_t conflicts = 0;                 // refusals for good: a fork, a rollback, a 4xx
  uint64_t failures = 0;                  // 429, 5xx, time-outs, connection errors
  bool backing_off = false;               // its last exchange failed: waiting to retry
  std::optional<uint64_t> cosigned_size;  // the largest tree it cosigned
};

// The gauges read at each scrape, from the live server; a null function is not shown.
struct Gauges {
  std::function<size_t()> queue_depth;                   // submissions waiting for the writer
  std::function<size_t()> open_connections;              // on the public port
  std::function<uint64_t()> leaf_count;                  // leaves appended (integrated or not)
  std::function<std::vector<PeerOutcomes>()> witnesses;  // in configuration order
  std::function<std::vector<PeerOutcomes>()> mirrors;
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
