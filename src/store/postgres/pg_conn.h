// A thin RAII layer over libpq for PostgresStore: a connection whose queries are prepared
// once per connection (by their SQL text) and always run with bound parameters, the rows
// of a result, and a transaction that rolls back unless committed. No SQL is ever built
// from a value: values travel only as parameters (text, or binary for bytea), and a text
// value holding a NUL byte (which PostgreSQL's text cannot hold, and libpq would cut short)
// is refused with an error before anything is sent.
//
// Internal to store/postgres. Not thread-safe: a Conn (and its Rows) is used by one thread
// at a time (PostgresStore leases them from its pool).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace tuidang::pg {

// One array parameter, filled a value at a time: a column of a batch's rows, for one
// multi-row statement such as
//   INSERT INTO t(a, b) SELECT * FROM unnest($1::bigint[], $2::text[])
// so that a batch takes one round trip per table instead of one per row. Sent in
// PostgreSQL's binary array format (the element's bytes with their length, any byte
// allowed): values are data on the wire, never SQL text. A text value holding a NUL byte
// makes the query fail, as with Params::Text.
class Column {
 public:
  enum class Type { kBigint, kText, kBytea };
  explicit Column(Type type) : type_(type) {}
  Column& Int(int64_t v);  // kBigint
  Column& OptInt(std::optional<int64_t> v) { return v ? Int(*v) : Null(); }
  Column& Text(std::string_view v);   // kText
  Column& Bytes(std::string_view v);  // kBytea
  Column& Null();
  size_t size() const { return count_; }

 private:
  friend class Params;
  void Element(Type type, std::string_view bytes);
  Type type_;
  std::string body_;  // each element: its length (4 bytes, big-endian) and its bytes
  size_t count_ = 0;
  bool has_null_ = false;
  std::string error_;
};

// The parameters of one query, $1, $2, ... in the order added.
class Params {
 public:
  Params& Int(int64_t v);
  Params& OptInt(std::optional<int64_t> v) { return v ? Int(*v) : Null(); }
  // Text (UTF-8). A NUL byte makes the query fail ("... contains a NUL byte").
  Params& Text(std::string_view v);
  // Raw bytes, for a bytea parameter (sent in binary: any byte, NUL included).
  Params& Bytes(std::string_view v);
  Params& Null();
  // An array of integers (a bigint[] parameter, written as its text form "{1,2,3}").
  Params& IntArray(const std::vector<int64_t>& v);
  // An array of `column`'s type (bigint[], text[], bytea[]), in binary.
  Params& Array(const Column& column);

  int size() const { return static_cast<int>(values_.size()); }
  const std::string& error() const { return error_; }

 private:
  friend class Conn;
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<int> formats_;
  std::string error_;
};

// The rows of one result (or the count of rows a command changed). Columns are read in
// text form; Bytes() decodes a bytea column.
// The form PostgreSQL sends a query's results in. Binary spares the hex of bytea columns
// (twice the bytes, encoded by the backend and decoded here): the form of the queries that
// read tiles, entries and a receipt's proof material. Rows reads either form.
enum class Results { kText, kBinary };

class Rows {
 public:
  Rows() = default;
  explicit Rows(PGresult* r) : r_(r) {}
  int size() const { return r_ ? PQntuples(r_.get()) : 0; }
  bool empty() const { return size() == 0; }
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  // An integer or boolean column (int2, int4, int8, bool).
  int64_t Int(int row, int col) const;
  std::optional<int64_t> OptInt(int row, int col) const;
  std::string Text(int row, int col) const;
  std::string Bytes(int row, int col) const;
  // Rows an INSERT, UPDATE or DELETE changed.
  int64_t Affected() const;

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> r_;
};

// SQLSTATE codes the store acts on.
constexpr std::string_view kUniqueViolation = "23505";

class Conn {
 public:
  // Connects with `conninfo` (a libpq connection string or postgresql:// URI; what it leaves
  // out comes from the PG* environment variables, as for psql) and sets the session up for
  // the store: UTF-8, synchronous_commit on. The error names the server, never a password.
  static Result<std::unique_ptr<Conn>> Connect(const std::string& conninfo);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Runs `sql` (prepared on this connection the first time it is seen) with `params`.
  // On error returns PostgreSQL's message; sqlstate() then holds its SQLSTATE.
  Result<Rows> Exec(std::string_view sql, const Params& params = {},
                    Results results = Results::kText);
  // Runs `sql`, which has no parameters and may hold several statements (schema steps,
  // BEGIN, COMMIT), as a simple query.
  Status Run(std::string_view sql);
  // Like Run, and returns the command tag of the last statement ("COMMIT", "ROLLBACK").
  Result<std::string> Command(std::string_view sql);
  // The SQLSTATE of the last failed query ("" after success).
  const std::string& sqlstate() const { return sqlstate_; }

  // False once the connection is lost: the pool drops it and connects anew.
  bool healthy() const { return PQstatus(conn_) == CONNECTION_OK; }
  // True outside a transaction (the state a connection goes back to the pool in).
  bool idle() const { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }
  // The libpq connection, for what this class does not wrap (COPY, pg_from_sqlite.cc).
  PGconn* raw() { return conn_; }

 private:
  explicit Conn(PGconn* c) : conn_(c) {}
  Result<Rows> Check(PGresult* r);
  PGconn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text → statement name
  std::string sqlstate_;
};

// A transaction on one connection: Begin() (read committed, for writes; what must be
// serialised takes a row lock) or BeginRead() (one read-only snapshot), Commit(), and
// ROLLBACK in the destructor unless committed. COMMIT returns once the commit is durable
// (synchronous_commit = on, set by Conn::Connect).
class Transaction {
 public:
  explicit Transaction(Conn& c) : c_(c) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Status Begin();
  Status BeginRead();
  Status Commit();

 private:
  Conn& c_;
  bool open_ = false;
};

}  // namespace tuidang::pg
