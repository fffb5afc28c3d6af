// The transparency log as served: checkpoint, tiles, entry bundles (docs/log-format.md),
// the /log page and the receipts' proofs.
#include <algorithm>
#include <charconv>

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
  auto latest = env.store->PublicCheckpoint();
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
  auto latest = env.store->PublicCheckpoint();
  std::optional<std::string> checkpoint;
  if (latest && latest->has_value()) checkpoint = (*latest)->second;
  const AppOptions& o = env.options;
  std::string html = LogHtml(ctx,
                             {o.log_origin, o.log_verifier_key, o.public_url, o.software_url,
                              o.log_witness_policy, o.log_mirrors},
                             checkpoint);
  return HtmlResponse(http::status::ok, std::move(html), Caching::kShort);
}

namespace {

// One <li> per witness of `policy` (names, keys and cosignatures checked: `check`): its name,
// its key's name, and on which day it cosigned (never a finer time: the page is public,
// DESIGN.md) or that it has not, followed by after[i] (HTML) when given. The witnesses' list
// and the mirrors' are both made here.
std::string CosignersHtml(const PageContext& ctx, std::string_view id, const tlog::Policy& policy,
                          const tlog::QuorumCheck& check, const std::vector<std::string>& after) {
  std::string b = "<ul id=\"" + std::string(id) + "\">";
  for (size_t i = 0; i < policy.witnesses().size(); ++i) {
    const tlog::PolicyWitness& w = policy.witnesses()[i];
    b += "<li><code>" + HtmlEscape(w.name) + "</code> (" + HtmlEscape(w.key.name()) + "): ";
    auto it = std::find(check.signed_by.begin(), check.signed_by.end(), w.name);
    if (it != check.signed_by.end()) {
      const uint64_t ts = check.timestamps[static_cast<size_t>(it - check.signed_by.begin())];
      b += HtmlEscape(
          ctx.Format("log.witness_cosigned", FormatDay(DayOfUnixTime(static_cast<int64_t>(ts)))));
    } else {
      b += ctx.TrHtml("log.witness_missing");
    }
    if (i < after.size()) b += after[i];
    b += "</li>";
  }
  return b + "</ul>";
}

std::optional<tlog::Note> ParsedNote(const std::optional<std::string>& checkpoint) {
  if (!checkpoint) return std::nullopt;
  auto parsed = tlog::ParseNote(*checkpoint);
  if (!parsed) return std::nullopt;
  return std::move(*parsed);
}

// Who cosigned `checkpoint` under `policy_text`, each on which day, whether the quorum is
// met, and the policy itself for auditors.
std::string WitnessesHtml(const PageContext& ctx, const std::string& policy_text,
                          const std::optional<tlog::Note>& note) {
  auto policy = tlog::Policy::Parse(policy_text);
  if (!policy || policy->witnesses().empty()) return {};
  std::string b = "<h2>" + ctx.TrHtml("log.witnesses") + "</h2><p>" +
                  ctx.TrHtml("log.witnesses_intro") + "</p>";
  if (note) {
    tlog::QuorumCheck check = policy->Check(*note);
    b += CosignersHtml(ctx, "witnesses", *policy, check, {});
    b += "<p id=\"quorum\">" + ctx.TrHtml(check.met ? "log.quorum_met" : "log.quorum_missing") +
         "</p>";
  }
  b += "<p>" + ctx.TrHtml("log.policy") + "</p><pre id=\"policy\">" + HtmlEscape(policy_text) +
       "</pre>";
  return b;
}

// Which mirrors cosigned `note` (a mirror cosigns only a tree it holds whole), each on which
// day, and where each one's copy can be read and audited. Their cosignatures are checked as
// a policy's witnesses' are, under a policy of the mirrors alone with no quorum.
std::string MirrorsHtml(const PageContext& ctx, const std::vector<LogMirror>& mirrors,
                        const std::optional<tlog::Note>& note) {
  if (mirrors.empty()) return {};
  std::string text;
  std::vector<std::string> copies;
  for (const LogMirror& m : mirrors) {
    text += "witness " + m.name + " " + m.key + "\n";
    copies.push_back(m.copy_url.empty() ? std::string()
                                        : ctx.TrHtml("log.mirror_copy") + " <code>" +
                                              HtmlEscape(m.copy_url) + "</code>");
  }
  auto policy = tlog::Policy::Parse(text + "quorum none\n");
  if (!policy) return {};  // the configuration checked names and keys
  std::string b = "<h2 id=\"mirrors-title\">" + ctx.TrHtml("log.mirrors") + "</h2><p>" +
                  ctx.TrHtml("log.mirrors_intro") + "</p>";
  if (note) b += CosignersHtml(ctx, "mirrors", *policy, policy->Check(*note), copies);
  return b;
}

}  // namespace

namespace {

// The checkpoint line by line in plain words (C2SP tlog-checkpoint): its name, its size, its
// root hash, then the signatures. Nothing here parses more than the lines the page shows.
std::string CheckpointExplainedHtml(const PageContext& ctx, std::string_view checkpoint) {
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < checkpoint.size() && lines.size() < 3;) {
    size_t end = checkpoint.find('\n', start);
    if (end == std::string_view::npos) end = checkpoint.size();
    lines.push_back(checkpoint.substr(start, end - start));
    start = end + 1;
  }
  if (lines.size() < 3) return {};
  return "<p>" + ctx.TrHtml("log.checkpoint_plain") + "</p><ol id=\"checkpoint-lines\"><li>" +
         HtmlEscape(ctx.Format("log.checkpoint_line1", lines[0])) + "</li><li>" +
         HtmlEscape(ctx.Format("log.checkpoint_line2", lines[1])) + "</li><li>" +
         HtmlEscape(ctx.Format("log.checkpoint_line3", lines[2])) + "</li><li>" +
         ctx.TrHtml("log.checkpoint_signatures") + "</li></ol><p>" +
         ctx.TrHtml("log.checkpoint_why") + "</p>";
}

// The address as the audit takes it: the site's root, without a trailing slash.
std::string SiteRoot(std::string_view url) {
  while (url.size() > 1 && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

}  // namespace

std::string LogHtml(const PageContext& ctx, const LogFacts& facts,
                    const std::optional<std::string>& checkpoint) {
  std::string b = "<h1>" + ctx.TrHtml("log.title") + "</h1><p>" + ctx.TrHtml("log.intro") + "</p>";
  b += "<h2>" + ctx.TrHtml("log.key") + "</h2><p><code id=\"vkey\">" +
       HtmlEscape(facts.verifier_key) + "</code></p>";
  if (checkpoint) {
    b += "<h2>" + ctx.TrHtml("log.checkpoint") + "</h2><pre id=\"checkpoint\">" +
         HtmlEscape(*checkpoint) + "</pre>";
    b += CheckpointExplainedHtml(ctx, *checkpoint);
  }
  // The command as it runs: the site's http(s) address (the audit refuses anything else as
  // "not a folder"), the key, and where the tool comes from.
  b += "<h2 id=\"verify\">" + ctx.TrHtml("log.verify") + "</h2><p>" + ctx.TrHtml("log.audit") +
       "</p><pre id=\"audit-command\">tuidang audit " + HtmlEscape(SiteRoot(facts.site_url)) +
       " --vkey " + HtmlEscape(facts.verifier_key) + " --state tuidang-audit.state</pre><p>" +
       ctx.TrHtml("log.audit_does") + "</p>";
  b += "<p id=\"get-tool\">" + ctx.TrHtml("log.get_tool") +
       "</p><pre id=\"install-package\">sudo apt install ./tuidang_*_amd64.deb</pre><p>" +
       ctx.TrHtml("log.get_source") +
       "</p><pre id=\"build-source\">scripts/setup.sh</pre><p id=\"software-url\">";
  if (!facts.software_url.empty()) {
    b += ctx.TrHtml("log.software_at") + " <code>" + HtmlEscape(facts.software_url) + "</code>";
  } else {
    b += ctx.TrHtml("log.software_ask") + " <a href=\"" + ctx.Href("/about") + "\">" +
         ctx.TrHtml("log.about_link") + "</a>";
  }
  b += "</p><p>" + ctx.TrHtml("log.proof") + "</p><pre id=\"proof-command\">tuidang verify-proof " +
       ctx.TrHtml("log.proof_file") + " --vkey " + HtmlEscape(facts.verifier_key) + "</pre>";
  const std::optional<tlog::Note> note = ParsedNote(checkpoint);
  b += WitnessesHtml(ctx, facts.witness_policy, note);
  b += MirrorsHtml(ctx, facts.mirrors, note);
  b += "<p><a href=\"" + ctx.FileHref("/log/checkpoint") + "\">/log/checkpoint</a></p>";
  return Layout(ctx, ctx.Tr("log.title"), b, ctx.Tr("meta.log"));
}

namespace {

// The tiles of a receipt's proof (issue 13): the tiles above level 0 (1/256 of the leaves,
// and read by every proof) and the partial tiles of the published sizes (the right edge,
// read by every proof and by the recent receipts' look-ups) come from the served tiles'
// cache, under the same key and with the same bytes as /log/tile/ (LogTile), so one read
// of the store serves both; they are immutable, so nothing is invalidated. The leaf's full
// level-0 tile came with the receipt (ReceiptStatus::leaf_tile) or is one row of the store,
// not cached: random receipts would cycle the bounded cache through n/256 of them and push
// out the shared tiles.
class ProofTiles : public tlog::TileReader {
 public:
  ProofTiles(const AppEnv& env, const ReceiptStatus& receipt)
      : env_(env), store_(env.store), receipt_(receipt) {}

  Result<std::string> ReadTile(const tlog::TileId& tile) override {
    if (tile.level == 0 && tile.is_full() && !tile.is_entry_bundle() && receipt_.leaf_index &&
        tile.index == *receipt_.leaf_index / tlog::kTileWidth &&
        receipt_.leaf_tile.size() == size_t{tlog::kTileWidth} * 32) {
      return receipt_.leaf_tile;
    }
    if (tile.is_entry_bundle() || (tile.level == 0 && tile.is_full())) {
      return store_.ReadTile(tile);
    }
    const std::string key = tlog::TilePath(tile);
    if (auto cached = env_.tile_cache->Get(key, 0, std::chrono::seconds(0))) return cached->plain;
    Result<std::string> data = store_.ReadTile(tile);
    if (!data) return data;
    data->resize(static_cast<size_t>(tile.width) * 32);  // a partial tile is a prefix
    auto body = std::make_shared<CachedBody>();
    body->plain = *data;
    env_.tile_cache->Put(key, 0, std::move(body));
    return data;
  }

 private:
  const AppEnv& env_;
  StoreTileReader store_;
  const ReceiptStatus& receipt_;
};

// How long a proof may use the served checkpoint read by an earlier look-up: about what
// /log/checkpoint's `max-age` already lets a reader's cache keep. A leaf the remembered
// checkpoint does not cover reads it afresh, so a new receipt's proof is never held back.
constexpr auto kProofCheckpointAge = std::chrono::seconds(1);
const std::string kProofCheckpointKey = "proof-checkpoint";  // no page's key has no slash

// The served checkpoint (size and note) for a proof of leaf `index`: the one remembered in
// the page cache (as "<size>\n<note>") if it covers the leaf and is fresh, else the store's
// (then remembered).
Result<std::optional<std::pair<uint64_t, std::string>>> ProofCheckpoint(const AppEnv& env,
                                                                        uint64_t index) {
  if (!env.cache) return env.store->PublicCheckpoint();
  if (auto cached = env.cache->Get(kProofCheckpointKey, -1, kProofCheckpointAge)) {
    const std::string_view text = cached->plain;
    const size_t eol = text.find('\n');
    uint64_t size = 0;
    if (eol != std::string_view::npos &&
        std::from_chars(text.data(), text.data() + eol, size).ptr == text.data() + eol &&
        index < size) {
      return std::optional<std::pair<uint64_t, std::string>>(
          {size, std::string(text.substr(eol + 1))});
    }
  }
  auto latest = env.store->PublicCheckpoint();
  if (latest && latest->has_value()) {
    auto body = std::make_shared<CachedBody>();
    body->plain = std::to_string((*latest)->first) + '\n' + (*latest)->second;
    env.cache->Put(kProofCheckpointKey, 0, std::move(body));
  }
  return latest;
}

}  // namespace

Result<std::string> ProofText(const AppEnv& env, const ReceiptStatus& receipt) {
  if (!receipt.leaf_index || receipt.leaf_entry.empty()) return Error{"not in the log"};
  const uint64_t index = *receipt.leaf_index;
  // The served checkpoint, so that the proof carries the witnesses' cosignatures.
  auto latest = ProofCheckpoint(env, index);
  if (!latest) return Error{latest.error()};
  if (!latest->has_value() || index >= (*latest)->first) return Error{"not yet in a checkpoint"};
  ProofTiles tiles(env, receipt);
  tlog::TileHashReader reader(&tiles, (*latest)->first, env.proof_nodes);
  // The entry rides along as the proof's "extra" data, so that the proof alone says what
  // was counted (`tuidang verify-proof` decodes it; it is checked against the leaf hash).
  auto proof = tlog::MakeTlogProof(reader, index, (*latest)->second, receipt.leaf_entry);
  if (!proof) return Error{proof.error()};
  return tlog::FormatTlogProof(*proof);
}

}  // namespace tuidang::web
