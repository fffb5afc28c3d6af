// The transparency log as served: checkpoint, tiles, entry bundles (docs/log-format.md),
// the /log page and the receipts' proofs.
#include <algorithm>

#include "core/day.h"
#include "core/receipt.h"
#include "core/text.h"
#include "log/cosigning.h"
#include "log/tile_reader.h"
#include "tlog/checkpoint.h"
#include "tlog/policy.h"
#include "tlog/proof.h"
#include "web/guard_web.h"
#include "web/gzip.h"
#include "web/pages.h"

namespace tuidang::web {

namespace {

Response NotFound() {
  return TextResponse(http::status::not_found, "not found\n", "text/plain; charset=utf-8",
                      Caching::kNoStore);
}

// True if [(base) * 256^level, (base + 1) * 256^level) fits 64 bits; sets lo and hi.
bool SizeRange(uint64_t base, int level, uint64_t* lo, uint64_t* hi) {
  unsigned __int128 scale = 1;
  for (int i = 0; i < level; ++i) {
    scale *= tlog::kTileWidth;
    if (scale > (static_cast<unsigned __int128>(1) << 64)) return false;
  }
  unsigned __int128 l = static_cast<unsigned __int128>(base) * scale;
  unsigned __int128 h = static_cast<unsigned __int128>(base + 1) * scale;
  if (h > static_cast<unsigned __int128>(UINT64_MAX)) return false;
  *lo = static_cast<uint64_t>(l);
  *hi = static_cast<uint64_t>(h);
  return true;
}

}  // namespace

Response LogCheckpoint(const AppEnv& env) {
  // With the witnesses' cosignatures once the server collects them (log/cosigning.h).
  auto latest = PublicCheckpoint(env.store);
  if (!latest || !latest->has_value()) {
    return TextResponse(http::status::service_unavailable, "no checkpoint yet\n",
                        "text/plain; charset=utf-8", Caching::kNoStore);
  }
  Response res = TextResponse(http::status::ok, (*latest)->second, "text/plain; charset=utf-8",
                              Caching::kNoStore);
  res.set(http::field::cache_control, "public, max-age=2");
  return res;
}

Response TileResponse(const CachedBody& body, bool gzip) {
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, "application/octet-stream");
  res.set(http::field::cache_control, "public, max-age=31536000, immutable");
  if (gzip && body.gzip) {
    res.body() = *body.gzip;
    res.set(http::field::content_encoding, "gzip");
  } else {
    res.body() = body.plain;
  }
  res.set(http::field::vary, "Accept-Encoding");
  return res;
}

Response LogTile(const AppEnv& env, std::string_view path, bool gzip) {
  // A tile once served never changes (a partial tile of a published size is as final as a
  // full one), so the cache needs no invalidation; entry bundles are kept gzipped too,
  // compressed once when first served.
  std::string key(path);
  if (auto cached = env.tile_cache->Get(key, 0, std::chrono::seconds(0))) {
    return TileResponse(*cached, gzip);
  }
  auto id = tlog::ParseTilePath(path);
  if (!id) return NotFound();
  auto latest = env.store->LatestCheckpoint();
  if (!latest || !latest->has_value()) return NotFound();
  uint64_t tree_size = (*latest)->first;
  // The tile must belong to a tree size some checkpoint named: a full tile within the
  // latest tree, or a partial one of exactly a published size.
  int level = id->is_entry_bundle() ? 0 : id->level;
  if (id->index > (UINT64_MAX >> 8) - 1) return NotFound();
  uint64_t lo, hi;
  if (!SizeRange(id->index * tlog::kTileWidth + static_cast<uint64_t>(id->width), level, &lo,
                 &hi)) {
    return NotFound();
  }
  if (lo > tree_size) return NotFound();
  if (!id->is_full()) {
    auto published = env.store->PublishedSizeIn(lo, hi);
    if (!published || !*published) return NotFound();
  }
  std::string data;
  if (id->is_entry_bundle() || id->level == 0) {
    StoreTileReader reader(env.store);
    auto derived = reader.ReadTile(*id);
    if (!derived) return NotFound();
    data = std::move(*derived);
  } else {
    auto stored = env.store->ReadHashTile(id->level, id->index);
    if (!stored || !stored->has_value() || (*stored)->width < id->width) return NotFound();
    data = std::move((*stored)->data);
    data.resize(static_cast<size_t>(id->width) * 32);  // a partial tile is a prefix
  }
  auto body = std::make_shared<CachedBody>();
  if (id->is_entry_bundle()) {
    if (auto gz = Gzip(data); gz && gz->size() < data.size()) body->gzip = std::move(*gz);
  }
  body->plain = std::move(data);
  env.tile_cache->Put(key, 0, body);
  return TileResponse(*body, gzip);
}

Response LogPage(const PageContext& ctx, const AppEnv& env) {
  auto latest = PublicCheckpoint(env.store);
  std::optional<std::string> checkpoint;
  if (latest && latest->has_value()) checkpoint = (*latest)->second;
  std::string html = LogHtml(ctx, env.options.log_origin, env.options.log_verifier_key, checkpoint,
                             env.options.log_witness_policy);
  return HtmlResponse(http::status::ok, std::move(html), Caching::kShort);
}

namespace {

// Who cosigned `checkpoint` under `policy_text`, each on which day (never a finer time: the
// page is public, DESIGN.md), whether the quorum is met, and the policy itself for auditors.
std::string WitnessesHtml(const PageContext& ctx, const std::string& policy_text,
                          const std::optional<std::string>& checkpoint) {
  auto policy = tlog::Policy::Parse(policy_text);
  if (!policy || policy->witnesses().empty()) return {};
  std::string b = "<h2>" + ctx.TrHtml("log.witnesses") + "</h2><p>" +
                  ctx.TrHtml("log.witnesses_intro") + "</p>";
  std::optional<tlog::Note> note;
  if (checkpoint) {
    if (auto parsed = tlog::ParseNote(*checkpoint)) note = std::move(*parsed);
  }
  if (note) {
    tlog::QuorumCheck check = policy->Check(*note);
    b += "<ul id=\"witnesses\">";
    for (const tlog::PolicyWitness& w : policy->witnesses()) {
      b += "<li><code>" + HtmlEscape(w.name) + "</code> (" + HtmlEscape(w.key.name()) + "): ";
      auto it = std::find(check.signed_by.begin(), check.signed_by.end(), w.name);
      if (it != check.signed_by.end()) {
        const uint64_t ts = check.timestamps[static_cast<size_t>(it - check.signed_by.begin())];
        b += HtmlEscape(
            ctx.Format("log.witness_cosigned", FormatDay(DayOfUnixTime(static_cast<int64_t>(ts)))));
      } else {
        b += ctx.TrHtml("log.witness_missing");
      }
      b += "</li>";
    }
    b += "</ul><p id=\"quorum\">" +
         ctx.TrHtml(check.met ? "log.quorum_met" : "log.quorum_missing") + "</p>";
  }
  b += "<p>" + ctx.TrHtml("log.policy") + "</p><pre id=\"policy\">" + HtmlEscape(policy_text) +
       "</pre>";
  return b;
}

}  // namespace

std::string LogHtml(const PageContext& ctx, std::string_view log_origin,
                    std::string_view verifier_key, const std::optional<std::string>& checkpoint,
                    const std::string& witness_policy) {
  std::string b = "<h1>" + ctx.TrHtml("log.title") + "</h1><p>" + ctx.TrHtml("log.intro") + "</p>";
  b += "<h2>" + ctx.TrHtml("log.key") + "</h2><p><code id=\"vkey\">" + HtmlEscape(verifier_key) +
       "</code></p>";
  if (checkpoint) {
    b += "<h2>" + ctx.TrHtml("log.checkpoint") + "</h2><pre id=\"checkpoint\">" +
         HtmlEscape(*checkpoint) + "</pre>";
  }
  b += "<p>" + ctx.TrHtml("log.audit") + "</p><pre>tuidang audit " +
       HtmlEscape(log_origin.substr(0, log_origin.rfind('/'))) + " --vkey " +
       HtmlEscape(verifier_key) + "</pre>";
  b += WitnessesHtml(ctx, witness_policy, checkpoint);
  b += "<p><a href=\"" + ctx.FileHref("/log/checkpoint") + "\">/log/checkpoint</a></p>";
  return Layout(ctx, ctx.Tr("log.title"), b, ctx.Tr("meta.log"));
}

Result<std::string> ProofText(const AppEnv& env, uint64_t index) {
  // The served checkpoint, so that the proof carries the witnesses' cosignatures.
  auto latest = PublicCheckpoint(env.store);
  if (!latest) return Error{latest.error()};
  if (!latest->has_value() || index >= (*latest)->first) return Error{"not yet in a checkpoint"};
  StoreTileReader tiles(env.store);
  tlog::TileHashReader reader(&tiles, (*latest)->first);
  // The entry rides along as the proof's "extra" data, so that the proof alone says what
  // was counted (`tuidang verify-proof` decodes it; it is checked against the leaf hash).
  auto entry = env.store->ReadLeaves(index, index + 1);
  if (!entry) return Error{entry.error()};
  auto proof = tlog::MakeTlogProof(reader, index, (*latest)->second, (*entry)[0]);
  if (!proof) return Error{proof.error()};
  return tlog::FormatTlogProof(*proof);
}

}  // namespace tuidang::web
