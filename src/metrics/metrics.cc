#include "metrics/metrics.h"

#include <array>
#include <chrono>
#include <sstream>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "core/vocabulary.h"

namespace tuidang::metrics {

namespace {

constexpr const char* kOutcomes[] = {"published", "accepted", "held", "duplicate", "failed"};
constexpr size_t kOutcomeCount = std::size(kOutcomes);
enum Outcome { kPublished, kAccepted, kHeld, kDuplicate, kFailed };
constexpr size_t kChannelCount = std::size(kChannelList);
constexpr const char* kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

size_t ChannelIndex(Channel c) {
  for (size_t i = 0; i < kChannelCount; ++i) {
    if (kChannelList[i] == c) return i;
  }
  return 0;
}

Outcome OutcomeOf(const Committed& c) {
  if (c.duplicate) return kDuplicate;
  switch (c.status) {
    case StatementStatus::kPublished: return kPublished;
    case StatementStatus::kAccepted: return kAccepted;
    default: return kHeld;
  }
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

prometheus::ClientMetric Sample(std::vector<prometheus::ClientMetric::Label> labels) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  return m;
}

// The families of the witnesses' (role "witness") or mirrors' ("mirror") outcomes, built at
// each scrape from the counts Cosigning and Mirroring keep: the peers are few and fixed by
// the configuration, and the counts live where the outcomes happen.
void AppendPeerFamilies(const std::string& role, const std::vector<PeerOutcomes>& peers,
                        std::vector<prometheus::MetricFamily>* out) {
  if (peers.empty()) return;
  prometheus::MetricFamily outcomes{
      "tuidang_" + role + "_outcomes_total",
      "Exchanges of the log with each " + role +
          ": cosigned, conflict (refused for good: a fork, a rollback, a 4xx), failed "
          "(429, 5xx, time-out or connection error, then backed off)",
      prometheus::MetricType::Counter,
      {}};
  prometheus::MetricFamily backing_off{
      "tuidang_" + role + "_backing_off",
      "1 while the " + role + "'s last exchange failed and the log waits to retry",
      prometheus::MetricType::Gauge,
      {}};
  prometheus::MetricFamily size{"tuidang_" + role + "_cosigned_tree_size",
                                "The largest tree the " + role + " cosigned since the start",
                                prometheus::MetricType::Gauge,
                                {}};
  for (const PeerOutcomes& p : peers) {
    const std::pair<const char*, uint64_t> counts[] = {
        {"cosigned", p.cosigned}, {"conflict", p.conflicts}, {"failed", p.failures}};
    for (const auto& [outcome, n] : counts) {
      auto m = Sample({{role, p.name}, {"outcome", outcome}});
      m.counter.value = static_cast<double>(n);
      outcomes.metric.push_back(std::move(m));
    }
    auto b = Sample({{role, p.name}});
    b.gauge.value = p.backing_off ? 1 : 0;
    backing_off.metric.push_back(std::move(b));
    if (p.cosigned_size) {
      auto s = Sample({{role, p.name}});
      s.gauge.value = static_cast<double>(*p.cosigned_size);
      size.metric.push_back(std::move(s));
    }
  }
  out->push_back(std::move(outcomes));
  out->push_back(std::move(backing_off));
  if (!size.metric.empty()) out->push_back(std::move(size));
}

}  // namespace

// Every family and the children made in advance (Family::Add takes a lock; the hot paths
// only touch atomics).
struct Metrics::Families {
  prometheus::Registry registry;
  std::array<std::array<prometheus::Counter*, kOutcomeCount>, kChannelCount> submissions{};
  prometheus::Counter* batches_failed = nullptr;
  prometheus::Histogram* batch_size = nullptr;
  prometheus::Histogram* batch_commit = nullptr;
  prometheus::Counter* checkpoints = nullptr;
  prometheus::Gauge* tree_size = nullptr;
  std::atomic<int64_t> last_checkpoint_ns{0};  // steady clock; 0 = none yet
  std::array<prometheus::Counter*, std::size(kClasses)> answers{};
  prometheus::Counter* rate_limited = nullptr;
  prometheus::Counter* overloaded = nullptr;
  prometheus::Gauge* checkpoint_age = nullptr;
  prometheus::Gauge* queue_depth = nullptr;
  prometheus::Gauge* open_connections = nullptr;
  prometheus::Gauge* integration_lag = nullptr;

  Families() {
    auto& subs = prometheus::BuildCounter()
                     .Name("tuidang_submissions_total")
                     .Help("Submissions the writer committed or failed, by channel and outcome")
                     .Register(registry);
    for (size_t c = 0; c < kChannelCount; ++c) {
      for (size_t o = 0; o < kOutcomeCount; ++o) {
        submissions[c][o] = &subs.Add(
            {{"channel", std::string(ChannelCode(kChannelList[c]))}, {"outcome", kOutcomes[o]}});
      }
    }
    batches_failed = &prometheus::BuildCounter()
                          .Name("tuidang_batches_failed_total")
                          .Help("Batches whose transaction failed (nothing of them stored)")
                          .Register(registry)
                          .Add({});
    batch_size = &prometheus::BuildHistogram()
                      .Name("tuidang_batch_size")
                      .Help("Submissions per committed batch")
                      .Register(registry)
                      .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 20, 50, 100,
                                                                       200, 500, 1000, 2000});
    batch_commit =
        &prometheus::BuildHistogram()
             .Name("tuidang_batch_commit_seconds")
             .Help("Time to commit one batch durably (fsync included)")
             .Register(registry)
             .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.002, 0.005, 0.01,
                                                              0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5});
    checkpoints = &prometheus::BuildCounter()
                       .Name("tuidang_checkpoints_total")
                       .Help("Signed checkpoints saved by this process")
                       .Register(registry)
                       .Add({});
    tree_size = &prometheus::BuildGauge()
                     .Name("tuidang_log_tree_size")
                     .Help("Leaves covered by the latest checkpoint")
                     .Register(registry)
                     .Add({});
    checkpoint_age = &prometheus::BuildGauge()
                          .Name("tuidang_checkpoint_age_seconds")
                          .Help("Seconds since this process saved the latest checkpoint")
                          .Register(registry)
                          .Add({});
    integration_lag = &prometheus::BuildGauge()
                           .Name("tuidang_integration_lag_leaves")
                           .Help("Leaves appended but not yet covered by a checkpoint")
                           .Register(registry)
                           .Add({});
    auto& answer_family = prometheus::BuildCounter()
                              .Name("tuidang_http_responses_total")
                              .Help("Answers on the public port, by status class")
                              .Register(registry);
    for (size_t i = 0; i < std::size(kClasses); ++i) {
      answers[i] = &answer_family.Add({{"class", kClasses[i]}});
    }
    rate_limited = &prometheus::BuildCounter()
                        .Name("tuidang_http_rate_limited_total")
                        .Help("Answers 429: a client over a limit")
                        .Register(registry)
                        .Add({});
    overloaded = &prometheus::BuildCounter()
                      .Name("tuidang_http_overloaded_total")
                      .Help("Answers 503: the server overloaded or unable to store")
                      .Register(registry)
                      .Add({});
    queue_depth = &prometheus::BuildGauge()
                       .Name("tuidang_intake_queue_depth")
                       .Help("Submissions waiting for the writer")
                       .Register(registry)
                       .Add({});
    open_connections = &prometheus::BuildGauge()
                            .Name("tuidang_http_open_connections")
                            .Help("Connections open on the public port")
                            .Register(registry)
                            .Add({});
  }
};

class Metrics::MeasuredWriter : public BatchWriter {
 public:
  MeasuredWriter(BatchWriter* inner, Families* f) : inner_(inner), f_(f) {}
  Status CommitBatch(std::vector<Submission>& batch, std::vector<Committed>* out,
                     const AuditFor<BatchOutcome>& audit) override {
    // The channels are read before the call: CommitBatch may leave `batch` moved from.
    std::vector<size_t> channels;
    channels.reserve(batch.size());
    for (const Submission& s : batch) channels.push_back(ChannelIndex(s.statement.channel));
    auto start = std::chrono::steady_clock::now();
    Status status = inner_->CommitBatch(batch, out, audit);
    double seconds = Seconds(std::chrono::steady_clock::now() - start);
    if (!status) {
      f_->batches_failed->Increment();
      for (size_t c : channels) f_->submissions[c][kFailed]->Increment();
      return status;
    }
    f_->batch_commit->Observe(seconds);
    f_->batch_size->Observe(static_cast<double>(channels.size()));
    for (size_t i = 0; i < channels.size() && i < out->size(); ++i) {
      f_->submissions[channels[i]][OutcomeOf((*out)[i])]->Increment();
    }
    return status;
  }
  Status Withdraw(int64_t number, WithdrawalReason reason,
                  const AuditFor<int64_t>& audit) override {
    return inner_->Withdraw(number, reason, audit);
  }

 private:
  BatchWriter* inner_;
  Families* f_;
};

class Metrics::MeasuredLog : public LogStore {
 public:
  MeasuredLog(LogStore* inner, Families* f) : inner_(inner), f_(f) {}
  Result<uint64_t> LeafCount() override { return inner_->LeafCount(); }
  Result<std::vector<std::string>> ReadLeaves(uint64_t begin, uint64_t end) override {
    return inner_->ReadLeaves(begin, end);
  }
  Result<bool> SaveCheckpoint(const std::vector<StoredTile>& tiles, std::optional<uint64_t> after,
                              uint64_t size, const std::string& signed_checkpoint) override {
    auto s = inner_->SaveCheckpoint(tiles, after, size, signed_checkpoint);
    if (s && *s) {
      f_->checkpoints->Increment();
      f_->tree_size->Set(static_cast<double>(size));
      f_->last_checkpoint_ns.store(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    return s;
  }
  Result<std::optional<std::pair<uint64_t, std::string>>> LatestCheckpoint() override {
    return inner_->LatestCheckpoint();
  }
  Result<std::optional<StoredTile>> ReadHashTile(int level, uint64_t index) override {
    return inner_->ReadHashTile(level, index);
  }
  Result<bool> PublishedSizeIn(uint64_t lo, uint64_t hi) override {
    return inner_->PublishedSizeIn(lo, hi);
  }
  Status SaveServedCheckpoint(uint64_t size, const std::string& cosigned_checkpoint) override {
    return inner_->SaveServedCheckpoint(size, cosigned_checkpoint);
  }
  Result<std::optional<std::pair<uint64_t, std::string>>> ServedCheckpoint() override {
    return inner_->ServedCheckpoint();
  }
  Result<std::optional<std::pair<uint64_t, std::string>>> PublicCheckpoint() override {
    return inner_->PublicCheckpoint();
  }

 private:
  LogStore* inner_;
  Families* f_;
};

class Metrics::MeasuredHandler : public web::Handler {
 public:
  MeasuredHandler(web::Handler* inner, Families* f) : inner_(inner), f_(f) {}
  void Handle(web::Request req, web::Responder respond) override {
    inner_->Handle(std::move(req), Counting(std::move(respond)));
  }
  void Handle(web::Request req, std::optional<safety::ClientKey> client,
              web::Responder respond) override {
    inner_->Handle(std::move(req), std::move(client), Counting(std::move(respond)));
  }
  size_t BodyLimit(const web::Request& header) override { return inner_->BodyLimit(header); }
  web::Response TransportError(web::http::status status, std::string_view target,
                               std::string_view accept_language) override {
    web::Response res = inner_->TransportError(status, target, accept_language);
    Count(res.result_int());
    return res;
  }

 private:
  web::Responder Counting(web::Responder respond) {
    return [this, respond = std::move(respond)](web::Response res) {
      Count(res.result_int());
      respond(std::move(res));
    };
  }
  void Count(unsigned code) {
    size_t cls = code / 100;
    if (cls >= 1 && cls <= std::size(kClasses)) f_->answers[cls - 1]->Increment();
    if (code == 429) f_->rate_limited->Increment();
    if (code == 503) f_->overloaded->Increment();
  }

  web::Handler* inner_;
  Families* f_;
};

class Metrics::MetricsHandler : public web::Handler {
 public:
  explicit MetricsHandler(Metrics* metrics) : metrics_(metrics) {}
  void Handle(web::Request req, web::Responder respond) override {
    web::Response res;
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    if (req.target() != "/metrics" && req.target() != "/") {
      res.result(web::http::status::not_found);
      res.set(web::http::field::content_type, "text/plain; charset=utf-8");
      res.body() = "not found: the metrics are at /metrics\n";
    } else if (req.method() != web::http::verb::get && req.method() != web::http::verb::head) {
      res.result(web::http::status::method_not_allowed);
      res.set(web::http::field::allow, "GET, HEAD");
      res.set(web::http::field::content_type, "text/plain; charset=utf-8");
      res.body() = "method not allowed\n";
    } else {
      res.result(web::http::status::ok);
      res.set(web::http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.set(web::http::field::cache_control, "no-store");
      if (req.method() == web::http::verb::get) res.body() = metrics_->Render();
    }
    res.prepare_payload();
    respond(std::move(res));
  }
  web::Response TransportError(web::http::status status, std::string_view,
                               std::string_view) override {
    web::Response res{status, 11};
    res.set(web::http::field::content_type, "text/plain; charset=utf-8");
    res.body() = std::string(web::http::obsolete_reason(status)) + "\n";
    res.prepare_payload();
    return res;
  }

 private:
  Metrics* metrics_;
};

Metrics::Metrics() : f_(std::make_unique<Families>()) {}
Metrics::~Metrics() = default;

std::unique_ptr<BatchWriter> Metrics::Measure(BatchWriter* inner) {
  return std::make_unique<MeasuredWriter>(inner, f_.get());
}
std::unique_ptr<LogStore> Metrics::Measure(LogStore* inner) {
  return std::make_unique<MeasuredLog>(inner, f_.get());
}
std::unique_ptr<web::Handler> Metrics::Measure(web::Handler* inner) {
  return std::make_unique<MeasuredHandler>(inner, f_.get());
}
void Metrics::set_gauges(Gauges gauges) { gauges_ = std::move(gauges); }
std::unique_ptr<web::Handler> Metrics::Handler() { return std::make_unique<MetricsHandler>(this); }

std::string Metrics::Render() {
  int64_t last = f_->last_checkpoint_ns.load();
  if (last != 0) {
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    f_->checkpoint_age->Set(static_cast<double>(now - last) / 1e9);
  }
  if (gauges_.queue_depth) f_->queue_depth->Set(static_cast<double>(gauges_.queue_depth()));
  if (gauges_.open_connections) {
    f_->open_connections->Set(static_cast<double>(gauges_.open_connections()));
  }
  if (gauges_.leaf_count) {
    double leaves = static_cast<double>(gauges_.leaf_count());
    f_->integration_lag->Set(std::max(0.0, leaves - f_->tree_size->Value()));
  }
  std::vector<prometheus::MetricFamily> families = f_->registry.Collect();
  if (gauges_.witnesses) AppendPeerFamilies("witness", gauges_.witnesses(), &families);
  if (gauges_.mirrors) AppendPeerFamilies("mirror", gauges_.mirrors(), &families);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "[::1]" || host == "localhost";
}

}  // namespace tuidang::metrics
