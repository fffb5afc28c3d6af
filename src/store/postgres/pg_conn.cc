#include "store/postgres/pg_conn.h"

#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace tuidang::pg {

namespace {

// libpq's messages end in a newline.
std::string Trimmed(const char* message) {
  std::string m = message ? message : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

// How long a connection attempt may take unless the conninfo says otherwise: a database
// that does not answer is an error after this, never a process that hangs.
constexpr const char* kConnectTimeoutSeconds = "10";

}  // namespace

Params& Params::Int(int64_t v) {
  values_.push_back(std::to_string(v));
  null_.push_back(false);
  formats_.push_back(0);
  return *this;
}

Params& Params::Text(std::string_view v) {
  if (v.find('\0') != std::string_view::npos && error_.empty()) {
    error_ = fmt::format("parameter ${} contains a NUL byte, which a text cannot hold",
                         values_.size() + 1);
  }
  values_.emplace_back(v);
  null_.push_back(false);
  formats_.push_back(0);
  return *this;
}

Params& Params::Bytes(std::string_view v) {
  values_.emplace_back(v);
  null_.push_back(false);
  formats_.push_back(1);
  return *this;
}

Params& Params::Null() {
  values_.emplace_back();
  null_.push_back(true);
  formats_.push_back(0);
  return *this;
}

Params& Params::IntArray(const std::vector<int64_t>& v) {
  std::string text = "{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) text += ',';
    text += std::to_string(v[i]);
  }
  text += '}';
  values_.push_back(std::move(text));
  null_.push_back(false);
  formats_.push_back(0);
  return *this;
}

namespace {

void PutInt32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

// The type OIDs of the array elements (pg_type.dat): the server checks that a binary
// array's element type is the one its parameter is cast to.
uint32_t ElementOid(Column::Type type) {
  switch (type) {
    case Column::Type::kBigint: return 20;  // int8
    case Column::Type::kText: return 25;    // text
    case Column::Type::kBytea: return 17;   // bytea
  }
  return 0;
}

}  // namespace

void Column::Element(Type type, std::string_view bytes) {
  if (type != type_ && error_.empty()) error_ = "an array value of the wrong type";
  PutInt32(&body_, static_cast<uint32_t>(bytes.size()));
  body_.append(bytes);
  ++count_;
}

Column& Column::Int(int64_t v) {
  char be[8];
  for (int i = 0; i < 8; ++i) be[i] = static_cast<char>(static_cast<uint64_t>(v) >> (56 - 8 * i));
  Element(Type::kBigint, std::string_view(be, 8));
  return *this;
}

Column& Column::Text(std::string_view v) {
  if (v.find('\0') != std::string_view::npos && error_.empty()) {
    error_ = "contains a NUL byte, which a text cannot hold";
  }
  Element(Type::kText, v);
  return *this;
}

Column& Column::Bytes(std::string_view v) {
  Element(Type::kBytea, v);
  return *this;
}

Column& Column::Null() {
  PutInt32(&body_, 0xFFFFFFFFu);  // length -1: NULL
  has_null_ = true;
  ++count_;
  return *this;
}

Params& Params::Array(const Column& column) {
  if (!column.error_.empty() && error_.empty()) {
    error_ = fmt::format("parameter ${} {}", values_.size() + 1, column.error_);
  }
  // array_recv's format: dimensions, has-null flag, element type, then per dimension its
  // size and lower bound, then the elements. No element: zero dimensions.
  std::string v;
  v.reserve(20 + column.body_.size());
  PutInt32(&v, column.count_ > 0 ? 1 : 0);
  PutInt32(&v, column.has_null_ ? 1 : 0);
  PutInt32(&v, ElementOid(column.type_));
  if (column.count_ > 0) {
    PutInt32(&v, static_cast<uint32_t>(column.count_));
    PutInt32(&v, 1);
  }
  v.append(column.body_);
  values_.push_back(std::move(v));
  null_.push_back(false);
  formats_.push_back(1);
  return *this;
}

int64_t Rows::Int(int row, int col) const {
  const char* v = PQgetvalue(r_.get(), row, col);
  const int n = PQgetlength(r_.get(), row, col);
  if (PQfformat(r_.get(), col) == 1) {  // big-endian two's complement, or a bool's one byte
    if (n == 1) return v[0] != 0;
    uint64_t u = 0;
    for (int i = 0; i < n; ++i) u = (u << 8) | static_cast<unsigned char>(v[i]);
    if (n < 8 && n > 0 && (static_cast<unsigned char>(v[0]) & 0x80)) u |= ~uint64_t{0} << (8 * n);
    return static_cast<int64_t>(u);
  }
  int64_t out = 0;
  std::from_chars(v, v + n, out);
  return out;
}

std::optional<int64_t> Rows::OptInt(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Int(row, col);
}

std::string Rows::Text(int row, int col) const {
  return std::string(PQgetvalue(r_.get(), row, col),
                     static_cast<size_t>(PQgetlength(r_.get(), row, col)));
}

std::string Rows::Bytes(int row, int col) const {
  if (PQfformat(r_.get(), col) == 1) return Text(row, col);  // the bytes themselves
  size_t n = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_.get(), row, col)), &n);
  if (!raw) return {};
  std::string out(reinterpret_cast<const char*>(raw), n);
  PQfreemem(raw);
  return out;
}

int64_t Rows::Affected() const {
  const char* t = r_ ? PQcmdTuples(r_.get()) : "";
  int64_t n = 0;
  std::from_chars(t, t + std::char_traits<char>::length(t), n);
  return n;
}

Result<std::unique_ptr<Conn>> Conn::Connect(const std::string& conninfo) {
  // The conninfo is expanded in the place of dbname: what it says overrides the default
  // timeout before it, and the application name after it is only a fallback.
  const char* keys[] = {"connect_timeout", "dbname", "fallback_application_name", nullptr};
  const char* values[] = {kConnectTimeoutSeconds, conninfo.c_str(), "tuidang", nullptr};
  PGconn* c = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!c) return Error{"PostgreSQL: out of memory"};
  std::unique_ptr<Conn> conn(new Conn(c));
  // The server's notices (a DROP's cascade, ...) are not errors; libpq would print them.
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  if (PQstatus(c) != CONNECTION_OK) {
    return Error{fmt::format("cannot connect to PostgreSQL: {}", Trimmed(PQerrorMessage(c)))};
  }
  // Acknowledged means durable: COMMIT returns only once its WAL is flushed, whatever the
  // server's or the role's default says. UTC and UTF-8 whatever the server's defaults.
  if (Status s = conn->Run(
          "SET synchronous_commit = on; SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'");
      !s) {
    return Error{"PostgreSQL session set-up: " + s.message()};
  }
  return conn;
}

Conn::~Conn() { PQfinish(conn_); }

Result<Rows> Conn::Check(PGresult* r) {
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    sqlstate_.clear();
    return Rows(r);
  }
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  sqlstate_ = state ? state : "";
  std::string message = Trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
  if (message.empty()) message = Trimmed(PQerrorMessage(conn_));
  if (r) PQclear(r);
  return Error{message.empty() ? "PostgreSQL: query failed" : message};
}

Result<Rows> Conn::Exec(std::string_view sql, const Params& params, Results results) {
  if (!params.error_.empty()) {
    sqlstate_ = "22021";  // character_not_in_repertoire
    return Error{params.error_};
  }
  std::string key(sql);
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size());
    auto made = Check(PQprepare(conn_, name.c_str(), key.c_str(), 0, nullptr));
    if (!made) return made;
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  const int n = params.size();
  std::vector<const char*> values(n);
  std::vector<int> lengths(n);
  for (int i = 0; i < n; ++i) {
    values[i] = params.null_[i] ? nullptr : params.values_[i].data();
    lengths[i] = static_cast<int>(params.values_[i].size());
  }
  return Check(PQexecPrepared(conn_, it->second.c_str(), n, values.data(), lengths.data(),
                              params.formats_.data(), results == Results::kBinary ? 1 : 0));
}

Status Conn::Run(std::string_view sql) {
  auto r = Check(PQexec(conn_, std::string(sql).c_str()));
  if (!r) return Status::Fail(r.error());
  return Status::Ok();
}

Result<std::string> Conn::Command(std::string_view sql) {
  PGresult* raw = PQexec(conn_, std::string(sql).c_str());
  std::string tag = raw ? PQcmdStatus(raw) : "";
  auto r = Check(raw);
  if (!r) return Error{r.error()};
  return tag;
}

Transaction::~Transaction() {
  if (!open_) return;
  if (!c_.healthy()) return;  // the server rolls back what a lost connection left open
  if (Status s = c_.Run("ROLLBACK"); !s) spdlog::warn("store: rollback failed: {}", s.message());
}

Status Transaction::Begin() {
  if (Status s = c_.Run("BEGIN ISOLATION LEVEL READ COMMITTED"); !s) return s;
  open_ = true;
  return Status::Ok();
}

Status Transaction::BeginRead() {
  if (Status s = c_.Run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !s) return s;
  open_ = true;
  return Status::Ok();
}

Status Transaction::Commit() {
  auto tag = c_.Command("COMMIT");
  // A failed COMMIT has ended the transaction (rolled back) or lost the connection: either
  // way there is nothing left to roll back. When the connection is lost during COMMIT its
  // outcome is unknown, and it is reported as a failure: nothing is acknowledged.
  open_ = false;
  if (!tag) return Status::Fail("commit: " + tag.error());
  // COMMIT of a transaction that had failed answers "ROLLBACK": nothing was committed.
  if (*tag != "COMMIT") return Status::Fail("commit: the transaction was rolled back");
  return Status::Ok();
}

}  // namespace tuidang::pg
