// Hostile values through every text field of both stores (SQL metacharacters, NUL bytes),
// and what only the PostgreSQL store has: several stores on one database numbering without
// gaps, its schema versions, and a database that cannot be reached.
#include <thread>

#include "core/text.h"
#include "store/open_store.h"
#include "store/store_contract.h"

namespace tuidang::test {

namespace {

// Values that would break SQL built from strings, and one no PostgreSQL text can hold.
const std::vector<std::string>& Metacharacters() {
  static const std::vector<std::string> v = {"'; DROP TABLE statements; --",
                                             "Robert'); DELETE FROM persons;--",
                                             "$1 $$ %s \\ \" ' ;", "\\x00 E'\\\\' /* */ -- ?"};
  return v;
}
const std::string kWithNul("before\0after", 12);

// Which text field of a submission carries the hostile value.
enum class Field { kName, kText, kConsent, kPlace, kHoldReason, kHoldGroup, kSealedField };
constexpr Field kFields[] = {Field::kName,       Field::kText,       Field::kConsent,
                             Field::kPlace,      Field::kHoldReason, Field::kHoldGroup,
                             Field::kSealedField};

Submission Hostile(Field f, const std::string& value) {
  Submission sub;
  sub.statement.persons.push_back({"甲", false, kParty});
  sub.statement.text = "退";
  sub.receipt_code = NewReceiptCode();
  sub.statement.channel = Channel::kPhone;
  switch (f) {
    case Field::kName: sub.statement.persons[0].name = value; break;
    case Field::kText: sub.statement.text = value; break;
    case Field::kConsent: sub.statement.consent = value; break;
    case Field::kPlace: sub.statement.place = value; break;
    case Field::kHoldReason: sub.hold_reason = value; break;
    case Field::kHoldGroup: sub.hold_reason = "flood", sub.hold_group = value; break;
    case Field::kSealedField: sub.sealed.emplace_back(value, value); break;
  }
  // Hold reasons and groups are kept for held statements only.
  sub.publish = f != Field::kHoldReason && f != Field::kHoldGroup;
  return sub;
}

// The field as read back from the store, for the submission stored under `receipt`.
std::string ReadBack(Store& store, Field f, const Committed& c) {
  if (f == Field::kHoldReason || f == Field::kHoldGroup) {
    auto groups = store.ListHeldGroups();
    for (const HeldGroup& g : *groups) {
      if (f == Field::kHoldGroup && store.HeldInGroup(g.group)->size() == 1) return g.group;
      if (f == Field::kHoldReason) return g.reason;
    }
    return "(none)";
  }
  if (f == Field::kSealedField) {
    auto sealed = store.ReadSealed(c.id);
    return sealed->empty() ? "(none)" : sealed->at(0).first + "|" + sealed->at(0).second;
  }
  auto s = store.GetPublished(*c.number);
  if (!s || !s->has_value()) return "(none)";
  switch (f) {
    case Field::kName: return (*s)->persons.at(0).name;
    case Field::kText: return (*s)->text;
    case Field::kConsent: return (*s)->consent;
    case Field::kPlace: return (*s)->place;
    default: return "";
  }
}

}  // namespace

// Every text field takes SQL metacharacters as plain text, and a NUL byte is either kept
// exactly (SQLite) or refused with an error that leaves nothing stored (PostgreSQL, whose
// text cannot hold one): never cut short, never a crash.
TEST_P(StoreContract, HostileTextIsStoredFaithfullyOrRefusedWhole) {
  for (Field f : kFields) {
    std::vector<std::string> values = Metacharacters();
    values.push_back(kWithNul);
    for (const std::string& value : values) {
      SCOPED_TRACE(testing::Message() << "field " << static_cast<int>(f) << " value " << value);
      // A fresh store for each, so that groups and reasons read back are this one's.
      SetUp();
      std::vector<Submission> batch{Hostile(f, value)};
      const std::string code = batch[0].receipt_code;
      std::vector<Committed> out;
      Status s = store_->CommitBatch(batch, &out);
      const bool nul = value.find('\0') != std::string::npos;
      if (!nul || !postgres()) {
        ASSERT_TRUE(s) << s.message();
        const std::string want = f == Field::kSealedField ? value + "|" + value : value;
        EXPECT_EQ(ReadBack(*store_, f, out.at(0)), want);
        if (f == Field::kName) {
          auto found = store_->SearchName(FoldName(value), std::nullopt, 0, 10);
          ASSERT_TRUE(found) << found.error();
          EXPECT_EQ(found->size(), 1u);
        }
      } else {
        ASSERT_FALSE(s);
        EXPECT_NE(s.message().find("NUL"), std::string::npos) << s.message();
        EXPECT_TRUE(out.empty());
        EXPECT_FALSE(store_->FindReceipt(HashReceiptCode(code))->has_value());
        EXPECT_EQ(store_->GetTotals()->statements, 0);
        EXPECT_EQ(*store_->LeafCount(), 0u);
        EXPECT_EQ(*store_->CountHeld({}, 10), 0);
      }
    }
  }
}

TEST_P(StoreContract, HostileTextInOperatorsSearchesAndGroups) {
  std::vector<std::string> values = Metacharacters();
  values.push_back(kWithNul);
  for (const std::string& value : values) {
    SCOPED_TRACE(value);
    const bool refused = postgres() && value.find('\0') != std::string::npos;
    Operator op;
    op.name = value;
    op.password_hash = value;
    auto id = store_->AddOperator(op);
    EXPECT_EQ(id.ok(), !refused) << (id ? "" : id.error());
    if (id) {
      auto found = store_->FindOperator(value);
      ASSERT_TRUE(found && found->has_value());
      EXPECT_EQ((*found)->name, value);
      EXPECT_EQ((*found)->password_hash, value);
      ASSERT_TRUE(store_->Audit(*id, value, value));
      EXPECT_EQ(store_->AuditTrail(1)->at(0).object, value);
    } else {
      EXPECT_FALSE(store_->FindOperator(value).ok());
      EXPECT_FALSE(store_->Audit(1, value, value).ok());
    }
    // Look-ups by a hostile value find nothing (or refuse it), and change nothing.
    auto search = store_->SearchName(value, std::nullopt, 0, 10);
    EXPECT_TRUE(refused ? !search.ok() : search->empty());
    EXPECT_EQ(store_->HeldInGroup(value).ok(), !refused);
    auto rejected = store_->RejectHeldGroup(value);
    EXPECT_TRUE(refused ? !rejected.ok() : *rejected == 0);
  }
  EXPECT_EQ(*store_->CountHeld({}, 10), 0);
  ASSERT_TRUE(store_->ListOperators());
}

// Several servers on one database: their batches queue on the coordination row, so the
// numbers are consecutive with no gap or duplicate across all of them, the leaves follow
// them, and each store's totals catch up with the others' commits at Refresh.
TEST(PostgresOnly, SeveralStoresNumberWithoutGapsOrDuplicates) {
  ASSERT_FALSE(TestPostgresUrl().empty())
      << "TUIDANG_TEST_POSTGRES is not set: run under scripts/pg-cluster.sh run";
  ASSERT_GE(sodium_init(), 0);
  PostgresSchema schema;
  ASSERT_TRUE(schema.error().empty()) << schema.error();
  constexpr int kServers = 3, kBatches = 15, kPerBatch = 7;
  std::vector<std::unique_ptr<PostgresStore>> stores;
  for (int i = 0; i < kServers; ++i) {
    auto s = PostgresStore::Open(schema.conninfo());
    ASSERT_TRUE(s) << s.error();
    stores.push_back(std::move(*s));
  }
  std::vector<std::vector<int64_t>> numbers(kServers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kServers; ++i) {
    threads.emplace_back([&, i] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Submission> batch;
        for (int k = 0; k < kPerBatch; ++k) {
          Submission sub;
          sub.statement.persons.push_back({"s" + std::to_string(i), false, kParty});
          sub.receipt_code = NewReceiptCode();
          sub.publish = k % 3 != 2;  // some held: they take no number
          batch.push_back(std::move(sub));
        }
        std::vector<Committed> out;
        Status s = stores[i]->CommitBatch(batch, &out);
        EXPECT_TRUE(s) << s.message();
        for (const Committed& c : out) {
          if (c.number) numbers[i].push_back(*c.number);
        }
        if (b == kBatches / 2 && i == 0) {
          EXPECT_TRUE(stores[i]->Withdraw(numbers[i].front(), WithdrawalReason::kFake));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<int64_t> all;
  for (const auto& n : numbers) all.insert(all.end(), n.begin(), n.end());
  std::sort(all.begin(), all.end());
  const int64_t published = kServers * kBatches * (kPerBatch - kPerBatch / 3);
  ASSERT_EQ(static_cast<int64_t>(all.size()), published);
  for (int64_t i = 0; i < published; ++i) ASSERT_EQ(all[i], i + 1) << "a gap or a duplicate";
  // One leaf per number and the withdrawal's, in commit order: leaf i's statement is i + 1.
  for (auto& s : stores) s->Refresh();
  for (auto& s : stores) {
    EXPECT_EQ(s->GetTotals()->statements, published - 1);
    EXPECT_EQ(s->GetTotals()->tree_size, static_cast<uint64_t>(published + 1));
    auto recount = s->RecountTotals();
    EXPECT_EQ(recount->persons, s->GetTotals()->persons);
  }
  auto leaves = stores[1]->ReadLeaves(0, published + 1);
  ASSERT_TRUE(leaves) << leaves.error();
  uint64_t last_leaf = 0;
  for (int64_t n = 1; n <= published; ++n) {
    auto opening = stores[2]->GetOpening(n);
    ASSERT_TRUE(opening) << opening.error();
    if (!opening->has_value()) continue;  // the withdrawn one
    if (n > 1) {
      EXPECT_GT((*opening)->leaf_index, last_leaf) << "leaf order is number order";
    }
    last_leaf = (*opening)->leaf_index;
  }
}

TEST(PostgresOnly, SchemaVersionsAreMigratedAndANewerOneRefused) {
  ASSERT_FALSE(TestPostgresUrl().empty())
      << "TUIDANG_TEST_POSTGRES is not set: run under scripts/pg-cluster.sh run";
  PostgresSchema schema;
  ASSERT_TRUE(schema.error().empty()) << schema.error();
  auto first = MigrateStore({schema.conninfo(), "", ""});
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(first->from, 0);
  EXPECT_EQ(first->to, PostgresStore::SchemaVersion());
  auto again = MigrateStore({schema.conninfo(), "", ""});
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->from, PostgresStore::SchemaVersion());
  auto c = pg::Conn::Connect(schema.conninfo());
  ASSERT_TRUE(c) << c.error();
  ASSERT_TRUE((*c)->Run("UPDATE meta SET value = '99' WHERE key = 'schema_version'"));
  auto refused = OpenStore({schema.conninfo(), "", ""});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("schema 99, made by a newer tuidang"), std::string::npos)
      << refused.error();
  EXPECT_FALSE(MigrateStore({schema.conninfo(), "", ""}));
}

TEST(PostgresOnly, BinaryResultsReadAsTheTextOnes) {
  ASSERT_FALSE(TestPostgresUrl().empty())
      << "TUIDANG_TEST_POSTGRES is not set: run under scripts/pg-cluster.sh run";
  PostgresSchema schema;
  ASSERT_TRUE(schema.error().empty()) << schema.error();
  auto c = pg::Conn::Connect(schema.conninfo());
  ASSERT_TRUE(c) << c.error();
  const std::string sql =
      "SELECT (-5)::int2, (-70000)::int4, (-5000000000)::int8, 9000000000000000000::int8,"
      " true, false, '\\x00ff27'::bytea, 'é'::text, NULL::bytea, 32767::int2";
  for (pg::Results form : {pg::Results::kText, pg::Results::kBinary}) {
    auto q = (*c)->Exec(sql, {}, form);
    ASSERT_TRUE(q) << q.error();
    EXPECT_EQ(q->Int(0, 0), -5);
    EXPECT_EQ(q->Int(0, 1), -70000);
    EXPECT_EQ(q->Int(0, 2), -5000000000);
    EXPECT_EQ(q->Int(0, 3), 9000000000000000000);
    EXPECT_EQ(q->Int(0, 9), 32767);
    EXPECT_EQ(q->Bytes(0, 6), std::string("\x00\xff'", 3));
    EXPECT_EQ(q->Text(0, 7), "é");
    EXPECT_TRUE(q->IsNull(0, 8));
    if (form == pg::Results::kBinary) {  // text booleans read as 't'/'f', not as integers
      EXPECT_EQ(q->Int(0, 4), 1);
      EXPECT_EQ(q->Int(0, 5), 0);
    }
  }
}

TEST(PostgresOnly, AnUnreachableOrMalformedDatabaseIsAClearError) {
  // A port nobody listens on (the test cluster's, plus a thousand, is free in practice).
  auto down = OpenStore({"postgresql://tuidang@127.0.0.1:1/tuidang?connect_timeout=2", "", ""});
  ASSERT_FALSE(down);
  EXPECT_NE(down.error().find("cannot connect to PostgreSQL"), std::string::npos) << down.error();
  auto malformed = OpenStore({"host=db port", "", ""});
  ASSERT_FALSE(malformed);
  EXPECT_NE(malformed.error().find("not a PostgreSQL connection string"), std::string::npos)
      << malformed.error();
  EXPECT_FALSE(CheckDatabaseSetting("postgresql://h:notaport/x?bogus=1"));
  EXPECT_TRUE(CheckDatabaseSetting(""));
  EXPECT_EQ(DescribeStore({"postgresql://u:secret@db.example:5433/center", "", ""}),
            "PostgreSQL database center on db.example:5433");
  // read_database: a replica of a PostgreSQL database, well formed, never beside SQLite.
  EXPECT_TRUE(CheckReadDatabaseSetting({"postgresql://db/center", "", ""}));
  EXPECT_TRUE(CheckReadDatabaseSetting({"postgresql://db/center", "", "host=replica"}));
  auto beside_sqlite = CheckReadDatabaseSetting({"", "tuidang.db", "host=replica"});
  ASSERT_FALSE(beside_sqlite);
  EXPECT_NE(beside_sqlite.message().find("database is unset (SQLite)"), std::string::npos)
      << beside_sqlite.message();
  auto bad = CheckReadDatabaseSetting({"postgresql://db/center", "", "host=replica port"});
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.message().starts_with("read_database: not a PostgreSQL connection string"))
      << bad.message();
  EXPECT_FALSE(OpenStore({"", "tuidang.db", "host=replica"}));
  EXPECT_EQ(DescribeStore({"postgresql://u:secret@db.example:5433/center", "",
                           "postgresql://u:secret@replica.example/center"}),
            "PostgreSQL database center on db.example:5433, public pages read from its replica "
            "PostgreSQL database center on replica.example");
}

TEST(StoreFactory, SqliteInTheDataFolderWhenNoDatabaseIsSet) {
  ASSERT_GE(sodium_init(), 0);
  TempDir dir;
  const StoreLocation loc{"", dir.File("tuidang.db"), ""};
  EXPECT_FALSE(UsesPostgres(loc));
  auto migrated = MigrateStore(loc);
  ASSERT_TRUE(migrated) << migrated.error();
  EXPECT_EQ(migrated->from, 0);
  EXPECT_GT(migrated->to, 0);
  auto store = OpenStore(loc);
  ASSERT_TRUE(store) << store.error();
  EXPECT_NE(dynamic_cast<SqliteStore*>(store->get()), nullptr);
  EXPECT_EQ(DescribeStore(loc), dir.File("tuidang.db"));
}

}  // namespace tuidang::test
