#include "audit/audit.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "audit/state.h"
#include "core/leaf.h"
#include "tlog/builder.h"
#include "tlog/tile.h"

namespace tuidang::audit {
namespace {

using tlog::NoteSigner;
using tlog::TileId;

constexpr Day kDay = 20780;  // 2026-11-23

NoteSigner Signer(std::string_view name = "example.org/log", uint8_t seed_byte = 7) {
  tlog::Ed25519Seed seed{};
  seed.fill(seed_byte);
  return std::move(*NoteSigner::FromSeed(name, seed));
}

std::string StatementEntry(uint64_t i, Day day) {
  StatementLeaf leaf;
  leaf.day = day;
  leaf.persons = static_cast<uint16_t>(1 + i % 3);
  leaf.party = static_cast<uint16_t>(i % 2 == 0 ? leaf.persons : 1);
  leaf.league = static_cast<uint16_t>(i % 3 == 1 ? 1 : 0);
  leaf.pioneers = static_cast<uint16_t>(i % 5 == 0 ? 1 : 0);
  leaf.commitment.fill(static_cast<uint8_t>(i));
  leaf.commitment[0] = static_cast<uint8_t>(i >> 8);
  return EncodeLeaf(leaf);
}

std::string WithdrawalEntry(uint64_t cancelled, Day day = kDay + 5) {
  return EncodeLeaf(WithdrawalLeaf{day, WithdrawalReason::kFake, cancelled});
}

// A log built with the integrator's own TreeBuilder, served from memory as a site would
// serve it, with its totals counted here the simple way.
class TestLog {
 public:
  explicit TestLog(std::string_view origin = "example.org/log") : signer_(Signer(origin)) {}

  const tlog::NoteVerifier verifier() const { return signer_.Verifier(); }
  MemorySource& source() { return source_; }
  uint64_t size() const { return builder_.size(); }
  const std::vector<std::string>& entries() const { return entries_; }

  // Appends and publishes a checkpoint for the new size; returns it.
  std::string Append(const std::vector<std::string>& entries) {
    Result<tlog::AppendResult> result = builder_.Append(entries);
    EXPECT_TRUE(result.ok()) << result.error();
    for (const tlog::TileContent& tile : result->tiles) {
      source_.Put("log/" + tlog::TilePath(tile.id), tile.data);
    }
    entries_.insert(entries_.end(), entries.begin(), entries.end());
    return Publish(signer_);
  }

  // `count` statements over three days, the first `count / 10` of which are withdrawn.
  std::string AppendStatements(uint64_t count) {
    std::vector<std::string> batch;
    const uint64_t first = size();
    for (uint64_t i = first; i < first + count; ++i)
      batch.push_back(StatementEntry(i, kDay + i % 3));
    return Append(batch);
  }

  std::string Publish(const NoteSigner& signer) {
    tlog::Checkpoint c{signer.name(), builder_.size(), builder_.Root(), {}};
    std::string note = *tlog::SignCheckpoint(c, signer);
    source_.Put(std::string(kCheckpointPath), note);
    return note;
  }

  // The totals of entries_, counted without the auditor's code.
  Totals Expected() const {
    Totals t;
    std::vector<bool> withdrawn(entries_.size());
    for (const std::string& e : entries_) {
      ParsedLeaf leaf = *DecodeLeaf(e);
      if (leaf.withdrawal) withdrawn[leaf.withdrawal->cancelled] = true;
    }
    for (size_t i = 0; i < entries_.size(); ++i) {
      ParsedLeaf leaf = *DecodeLeaf(entries_[i]);
      if (!leaf.statement || withdrawn[i]) continue;
      t.statements += 1;
      t.persons += leaf.statement->persons;
      t.party += leaf.statement->party;
      t.league += leaf.statement->league;
      t.pioneers += leaf.statement->pioneers;
      t.by_day[leaf.statement->day].statements += 1;
      t.by_day[leaf.statement->day].persons += leaf.statement->persons;
    }
    return t;
  }

  void PutStats(const Totals& t, std::string_view extra = "") {
    std::string days;
    for (const auto& [day, d] : t.by_day) {
      if (!days.empty()) days += ",";
      days += fmt::format(R"({{"date":"{}","persons":{},"statements":{}}})", FormatDay(day),
                          d.persons, d.statements);
    }
    source_.Put("api/v1/stats",
                fmt::format(R"({{"total_persons":{},"total_statements":{},)"
                            R"("persons_by_organisation":{{"party":{},"league":{},"pioneers":{}}},)"
                            R"("by_day":[{}]{}}})",
                            t.persons, t.statements, t.party, t.league, t.pioneers, days, extra));
  }

  Result<AuditReport> Run(std::optional<std::string> previous = std::nullopt,
                          AuditOptions options = {}) {
    const tlog::NoteVerifier v = verifier();
    return Audit(source_, v, v.name(), std::move(previous), options);
  }

 private:
  NoteSigner signer_;
  tlog::TreeBuilder builder_;
  MemorySource source_;
  std::vector<std::string> entries_;
};

// Flips one bit of the file at `path` in `source`, at `offset` from its start.
void Flip(MemorySource& source, const std::string& path, size_t offset) {
  std::string* data = source.Find(path);
  ASSERT_NE(data, nullptr) << path;
  ASSERT_LT(offset, data->size()) << path;
  (*data)[offset] ^= 0x01;
}

TEST(AuditTest, GoodLogPassesWithTheRightTotals) {
  TestLog log;
  log.AppendStatements(500);
  log.Append({WithdrawalEntry(3), WithdrawalEntry(17)});
  log.AppendStatements(100);
  log.PutStats(log.Expected());

  AuditOptions options;
  int calls = 0;
  AuditProgress last;
  options.progress = [&](const AuditProgress& p) {
    ++calls;
    last = p;
  };
  options.batch_tiles = 1;
  Result<AuditReport> report = log.Run(std::nullopt, options);
  ASSERT_TRUE(report.ok()) << report.error();
  EXPECT_EQ(report->checkpoint.size, 602u);
  EXPECT_EQ(report->totals, log.Expected());
  EXPECT_EQ(report->totals.statements, 598u);
  EXPECT_EQ(report->totals.by_day.size(), 3u);
  EXPECT_EQ(report->withdrawals, 2u);
  EXPECT_EQ(report->stats_location, "memory:api/v1/stats");
  EXPECT_EQ(report->signed_checkpoint, *log.source().Find("log/checkpoint"));
  // 3 level-0 tiles, 3 bundles, 1 level-1 tile.
  EXPECT_EQ(report->tiles_fetched, 7u);
  // Leaves 3 and 17 read again: bundle 0 and, for the proof, level-0 tiles 0 and 2 and the
  // level-1 tile.
  EXPECT_EQ(report->tiles_refetched, 4u);
  EXPECT_EQ(last.entries_done, 602u);
  EXPECT_EQ(last.tiles_done, last.tiles_total);
  EXPECT_EQ(last.tiles_total, 7u);
  EXPECT_EQ(calls, 4);  // 3 level-0 batches, 1 level-1 batch

  const std::string line = SummaryLine(*report);
  EXPECT_TRUE(line.starts_with("audit ok: origin example.org/log, tree size 602, root ")) << line;
  EXPECT_NE(
      line.find(fmt::format("{} statements, {} persons (party {}, league {}, pioneers {}), "
                            "3 days, 2 withdrawals; totals match memory:api/v1/stats",
                            report->totals.statements, report->totals.persons, report->totals.party,
                            report->totals.league, report->totals.pioneers)),
      std::string::npos)
      << line;
}

TEST(AuditTest, EveryShapeOfTreeAndEveryConsistentPrefix) {
  // Sizes around tile boundaries at levels 0 and 1, each audited against every earlier one.
  TestLog log;
  std::vector<std::pair<uint64_t, std::string>> checkpoints = {{0, log.Append({})}};
  for (uint64_t size : {1, 2, 255, 256, 257, 511, 512, 700, 65535, 65536, 65537, 65536 + 300}) {
    checkpoints.emplace_back(size, log.AppendStatements(size - log.size()));
  }
  log.PutStats(log.Expected());
  for (const auto& [old_size, old_note] : checkpoints) {
    Result<AuditReport> report = log.Run(old_note);
    ASSERT_TRUE(report.ok()) << "from " << old_size << ": " << report.error();
    EXPECT_EQ(report->previous_size, old_size);
    EXPECT_EQ(report->totals, log.Expected());
    EXPECT_NE(SummaryLine(*report).find(
                  fmt::format("; consistent with the saved checkpoint of size {}", old_size)),
              std::string::npos);
  }
}

TEST(AuditTest, EmptyLog) {
  TestLog log;
  log.Append({});
  log.PutStats(Totals{});
  Result<AuditReport> report = log.Run();
  ASSERT_TRUE(report.ok()) << report.error();
  EXPECT_EQ(report->totals, Totals{});
  EXPECT_EQ(report->tiles_fetched, 0u);
}

TEST(AuditTest, TamperedEntryFails) {
  TestLog log;
  log.AppendStatements(300);
  log.PutStats(log.Expected());
  // Entry 5 of bundle 1 (leaf 261): each entry is 2 + 48 bytes; change its persons count.
  Flip(log.source(), "log/tile/entries/001.p/44", 5 * 50 + 2 + 9);
  Result<AuditReport> report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(report.error().starts_with(
      "tile mismatch at tile/0/001.p/44 (memory:log/tile/0/001.p/44): leaf 261, entry 5 of "
      "tile/entries/001.p/44, hashes to "))
      << report.error();
}

TEST(AuditTest, TamperedTilesFail) {
  {
    TestLog log;
    log.AppendStatements(600);
    Flip(log.source(), "log/tile/0/001", 32 * 7);
    Result<AuditReport> report = log.Run();
    ASSERT_FALSE(report.ok());
    EXPECT_TRUE(report.error().starts_with("tile mismatch at tile/0/001 ")) << report.error();
    EXPECT_NE(report.error().find("leaf 263, entry 7"), std::string::npos) << report.error();
  }
  {
    TestLog log;
    log.AppendStatements(600);
    Flip(log.source(), "log/tile/1/000.p/2", 32 + 3);
    Result<AuditReport> report = log.Run();
    ASSERT_FALSE(report.ok());
    EXPECT_TRUE(
        report.error().starts_with("tile mismatch at tile/1/000.p/2 "
                                   "(memory:log/tile/1/000.p/2): hash 1 is "))
        << report.error();
    EXPECT_NE(report.error().find("but level-0 tile tile/0/001 hashes to"), std::string::npos);
  }
  {
    // A rewritten log whose tiles agree with each other but not with the signed root.
    TestLog log;
    log.AppendStatements(300);
    TestLog forged;
    forged.AppendStatements(299);
    forged.Append({WithdrawalEntry(0)});
    for (const std::string& path : log.source().Paths()) {
      if (path.starts_with("log/tile/")) *log.source().Find(path) = *forged.source().Find(path);
    }
    Result<AuditReport> report = log.Run();
    ASSERT_FALSE(report.ok());
    EXPECT_TRUE(report.error().starts_with("tile mismatch: the tiles give root "))
        << report.error();
    EXPECT_NE(report.error().find("for tree size 300, the checkpoint says"), std::string::npos);
  }
}

TEST(AuditTest, MalformedBundleFails) {
  TestLog log;
  log.AppendStatements(10);
  log.source().Find("log/tile/entries/000.p/10")->pop_back();
  Result<AuditReport> report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error(), "memory:log/tile/entries/000.p/10: entry bundle: truncated entry");
}

TEST(AuditTest, WrongSignatureFails) {
  TestLog log;
  log.AppendStatements(10);
  // Same name, another key.
  log.Publish(Signer("example.org/log", 8));
  Result<AuditReport> report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(
      report.error().starts_with("bad signature: the checkpoint at memory:log/checkpoint "
                                 "is not signed by example.org/log+"))
      << report.error();

  // The right key, a forged size.
  log.Publish(Signer());
  std::string* note = log.source().Find("log/checkpoint");
  note->replace(note->find("\n10\n"), 4, "\n11\n");
  report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().find("note: invalid signature by example.org/log+"), std::string::npos)
      << report.error();
  EXPECT_TRUE(report.error().starts_with("bad signature: ")) << report.error();
}

TEST(AuditTest, WrongOriginAndMalformedCheckpointFail) {
  TestLog log("other.example/log");
  log.AppendStatements(3);
  const tlog::NoteVerifier v = log.verifier();
  Result<AuditReport> report = Audit(log.source(), v, "example.org/log", std::nullopt);
  ASSERT_FALSE(report.ok());
  // The key's name is the origin it signs for; another origin is not signed by it.
  EXPECT_EQ(report.error(),
            "bad checkpoint: the checkpoint at memory:log/checkpoint: checkpoint: origin "
            "\"other.example/log\", want \"example.org/log\"");

  log.source().Put("log/checkpoint", "<html>not a checkpoint</html>");
  report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(
      report.error().starts_with("malformed checkpoint: the checkpoint at "
                                 "memory:log/checkpoint is not a signed note (note: "))
      << report.error();
}

TEST(AuditTest, WithdrawalOfUnknownLeafFails) {
  TestLog log;
  log.AppendStatements(3);
  log.Append({WithdrawalEntry(99)});
  Result<AuditReport> report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error(),
            "leaf 3: withdraws leaf 99, which is not an earlier leaf (in "
            "memory:log/tile/entries/000.p/4)");
}

TEST(AuditTest, WithdrawalTwiceOrOfAWithdrawalFails) {
  {
    TestLog log;
    log.AppendStatements(3);
    log.Append({WithdrawalEntry(1), WithdrawalEntry(1)});
    Result<AuditReport> report = log.Run();
    ASSERT_FALSE(report.ok());
    EXPECT_TRUE(report.error().starts_with("leaf 4: withdraws leaf 1, which was already withdrawn"))
        << report.error();
  }
  {
    TestLog log;
    log.AppendStatements(3);
    log.Append({WithdrawalEntry(1), WithdrawalEntry(3)});
    Result<AuditReport> report = log.Run();
    ASSERT_FALSE(report.ok());
    EXPECT_TRUE(report.error().starts_with(
        "leaf 4: withdraws leaf 3, which is a withdrawal, not a statement"))
        << report.error();
  }
}

// The leaf a withdrawal cancels is read again from the source (nothing is kept per leaf):
// a source that serves another bundle the second time is caught by the inclusion proof.
TEST(AuditTest, ABundleChangedBeforeItsLeafIsReadAgainFails) {
  TestLog log;
  log.AppendStatements(300);
  log.Append({WithdrawalEntry(0)});
  std::string forged;
  for (size_t i = 0; i < 256; ++i) {
    tlog::AppendBundleEntry(&forged, i == 0 ? StatementEntry(1, kDay) : log.entries()[i]);
  }
  ASSERT_NE(forged, *log.source().Find("log/tile/entries/000"));
  AuditOptions options;
  options.batch_tiles = 1;
  options.progress = [&](const AuditProgress& p) {
    if (p.tiles_done == 2) log.source().Put("log/tile/entries/000", forged);
  };
  Result<AuditReport> report = log.Run(std::nullopt, options);
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(report.error().starts_with(
      "leaf 0, withdrawn later: read again from memory:log/tile/entries/000, it is not in the "
      "checkpoint's tree"))
      << report.error();
}

TEST(AuditTest, InvalidLeafFails) {
  TestLog log;
  log.AppendStatements(2);
  log.Append({std::string("\x02\x01junk", 6)});
  Result<AuditReport> report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error(),
            "leaf 2: unknown leaf format version (in memory:log/tile/entries/000.p/3)");
}

TEST(AuditTest, InconsistentPreviousCheckpointFails) {
  TestLog log;
  log.AppendStatements(300);
  TestLog fork;  // the same key, another history
  fork.AppendStatements(299);
  const std::string forked = fork.Append({WithdrawalEntry(0)});
  log.AppendStatements(100);
  Result<AuditReport> report = log.Run(forked);
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(report.error().starts_with("inconsistent trees: the log's tiles give root "))
      << report.error();
  EXPECT_NE(report.error().find("for the saved checkpoint's tree size 300, which says "),
            std::string::npos)
      << report.error();

  // A fork of the same size.
  const std::string same_size = fork.AppendStatements(100);
  report = log.Run(same_size);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().find("for the saved checkpoint's tree size 400, which says "),
            std::string::npos)
      << report.error();

  // A saved checkpoint larger than the log's: a rollback.
  const std::string bigger = fork.AppendStatements(400);
  report = log.Run(bigger);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error(),
            "inconsistent trees: the saved checkpoint has tree size 800 but the log's "
            "checkpoint only 400: the log shrank");

  // A saved checkpoint of another key.
  TestLog stranger;
  report = log.Run(stranger.Publish(Signer("example.org/log", 9)));
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(report.error().starts_with("bad signature: the saved checkpoint is not signed by "))
      << report.error();
}

TEST(AuditTest, StatsThatDifferFail) {
  TestLog log;
  log.AppendStatements(40);
  log.Append({WithdrawalEntry(4)});
  const Totals right = log.Expected();

  Totals t = right;
  t.persons += 1;
  log.PutStats(t);
  Result<AuditReport> report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error(), fmt::format("totals differ: total_persons: the stats say {}, the log "
                                        "counts {} (stats from memory:api/v1/stats)",
                                        right.persons + 1, right.persons));

  t = right;
  t.league -= 1;
  log.PutStats(t);
  report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(report.error().starts_with(
      fmt::format("totals differ: persons_by_organisation.league: the stats say {}, the log "
                  "counts {}",
                  right.league - 1, right.league)))
      << report.error();

  t = right;
  t.by_day[kDay + 1].statements += 1;
  log.PutStats(t);
  report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(report.error().starts_with(
      fmt::format("totals differ: by_day 2026-11-24 statements: the stats say {}, the log counts "
                  "{}",
                  right.by_day.at(kDay + 1).statements + 1, right.by_day.at(kDay + 1).statements)))
      << report.error();

  t = right;
  t.by_day[kDay - 1] = DayTotals{2, 1};
  log.PutStats(t);
  report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_TRUE(report.error().starts_with(
      "totals differ: by_day 2026-11-22 statements: the stats say 1, the log counts 0"))
      << report.error();

  log.source().Put("api/v1/stats", "{\"total_persons\": -1}");
  report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error(),
            "stats: total_persons is not a non-negative integer (memory:api/v1/stats)");
}

TEST(AuditTest, StatsAreOptionalUnlessRequired) {
  TestLog log;
  log.AppendStatements(5);
  Result<AuditReport> report = log.Run();
  ASSERT_TRUE(report.ok()) << report.error();
  EXPECT_TRUE(report->stats_location.empty());
  EXPECT_NE(SummaryLine(*report).find("; no stats published, totals not compared"),
            std::string::npos);

  AuditOptions options;
  options.require_stats = true;
  report = log.Run(std::nullopt, options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error(), "no stats: memory:api/v1/stats: not found");

  // A mirror's static file.
  log.PutStats(log.Expected());
  log.source().Put("api/v1/stats.json", *log.source().Find("api/v1/stats"));
  log.source().Erase("api/v1/stats");
  report = log.Run(std::nullopt, options);
  ASSERT_TRUE(report.ok()) << report.error();
  EXPECT_EQ(report->stats_location, "memory:api/v1/stats.json");
}

TEST(AuditTest, StatsOfAnEarlierTreeSizeAreComparedAtThatSize) {
  TestLog log;
  log.AppendStatements(30);
  const Totals at30 = log.Expected();
  log.Append({WithdrawalEntry(2)});
  log.AppendStatements(20);
  log.PutStats(at30, ",\"tree_size\":30");
  Result<AuditReport> report = log.Run();
  ASSERT_TRUE(report.ok()) << report.error();
  EXPECT_EQ(report->totals, log.Expected());
  EXPECT_EQ(report->stats_tree_size, 30u);

  log.PutStats(log.Expected(), ",\"tree_size\":30");
  report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().find("(stats from memory:api/v1/stats, at tree size 30)"),
            std::string::npos)
      << report.error();

  log.PutStats(log.Expected(), ",\"tree_size\":52");
  report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error(),
            "the stats at memory:api/v1/stats describe a tree of size 52, larger "
            "than the checkpoint's 51");
}

TEST(AuditTest, MissingTileFails) {
  TestLog log;
  log.AppendStatements(600);
  log.source().Erase("log/tile/0/001");
  Result<AuditReport> report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error(), "memory:log/tile/0/001: not found");
}

TEST(AuditTest, MissingPartialTileIsReadFromTheFullOne) {
  TestLog log;
  const std::string at300 = log.AppendStatements(300);
  log.AppendStatements(300);
  log.source().Put("log/checkpoint", at300);
  log.source().Erase("log/tile/0/001.p/44");
  log.source().Erase("log/tile/entries/001.p/44");
  Result<AuditReport> report = log.Run();
  ASSERT_TRUE(report.ok()) << report.error();
  EXPECT_EQ(report->checkpoint.size, 300u);

  log.source().Erase("log/tile/0/001");
  report = log.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error(), "memory:log/tile/0/001.p/44: not found");
}

// A mirror folder, written as a static site would hold it.
TEST(AuditTest, FolderMirror) {
  TestLog log;
  log.AppendStatements(300);
  log.Append({WithdrawalEntry(10)});
  log.PutStats(log.Expected());
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("audit_test_{}", ::getpid());
  std::filesystem::remove_all(dir);
  for (const std::string& path : log.source().Paths()) {
    std::filesystem::path file = dir / path;
    if (path == "api/v1/stats") file = dir / "api/v1/stats.json";
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << *log.source().Find(path);
  }
  FolderSource folder(dir.string() + "/");
  const tlog::NoteVerifier v = log.verifier();
  Result<AuditReport> report = Audit(folder, v, v.name(), std::nullopt);
  ASSERT_TRUE(report.ok()) << report.error();
  EXPECT_EQ(report->totals, log.Expected());
  EXPECT_EQ(report->stats_location, (dir / "api/v1/stats.json").string());

  std::filesystem::remove(dir / "log/tile/entries/001.p/45");
  report = Audit(folder, v, v.name(), std::nullopt);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error(),
            fmt::format("missing file {}", (dir / "log/tile/entries/001.p/45").string()));
  std::filesystem::remove_all(dir);
}

TEST(StateTest, SavesAndLoadsAtomically) {
  const std::string path =
      (std::filesystem::temp_directory_path() / fmt::format("audit_state_{}", ::getpid())).string();
  std::filesystem::remove(path);
  Result<std::optional<std::string>> loaded = LoadState(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_FALSE(loaded->has_value());

  ASSERT_TRUE(SaveState(path, "first\n").ok());
  ASSERT_TRUE(SaveState(path, "second\n").ok());
  loaded = LoadState(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(**loaded, "second\n");
  EXPECT_FALSE(std::filesystem::exists(fmt::format("{}.tmp.{}", path, ::getpid())));
  std::filesystem::remove(path);

  Status s = SaveState("/nonexistent-folder/state", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.message().starts_with("state file /nonexistent-folder/state.tmp.")) << s.message();
}

}  // namespace
}  // namespace tuidang::audit
