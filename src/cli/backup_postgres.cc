// pg_dump and pg_restore for tuidang backup / restore (backup_postgres.h).
#include "cli/backup_postgres.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <vector>

#include <libpq-fe.h>

#include "store/postgres/pg_conn.h"

namespace tuidang::cli::pgbackup {
namespace {

// The connection settings of `conninfo` as libpq's environment variables (PGHOST, PGPORT,
// PGUSER, PGPASSWORD, PGDATABASE, PGOPTIONS, ...), for a child that reads them as psql does.
Result<std::vector<std::string>> ConnectionEnvironment(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
  if (!options) {
    std::string m = err ? err : "out of memory";
    PQfreemem(err);
    while (!m.empty() && m.back() == '\n') m.pop_back();
    return Error{"the database setting: " + m};
  }
  std::vector<std::string> env;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (o->val && *o->val && o->envvar) env.push_back(std::string(o->envvar) + "=" + o->val);
  }
  PQconninfoFree(options);
  return env;
}

// Runs `argv` (a program found on PATH) with `extra_env` added to this process's
// environment, and waits for it. The child dies with this process (PR_SET_PDEATHSIG), so
// that a killed backup leaves no pg_dump writing on.
Status RunChild(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  for (const auto& e : extra_env) env_strings.push_back(e);
  std::vector<char*> args, env;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env_strings) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0)
    return Status::Fail(std::string("cannot start ") + argv[0] + ": " + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execvpe(args[0], args.data(), env.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Status::Fail(std::string("cannot wait for ") + argv[0]);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    return Status::Fail(argv[0] +
                        std::string(" could not be run: install Debian's postgresql-client"));
  }
  return Status::Fail(argv[0] + std::string(" failed (") +
                      (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                         : "signal " + std::to_string(WTERMSIG(status))) +
                      "; its message is above)");
}

}  // namespace

Result<std::string> CurrentSchema(const std::string& conninfo) {
  auto conn = pg::Conn::Connect(conninfo);
  if (!conn) return Error{conn.error()};
  auto rows = (*conn)->Exec("SELECT current_schema()");
  if (!rows) return Error{rows.error()};
  if (rows->size() != 1 || rows->IsNull(0, 0)) {
    return Error{"the connection has no schema to write to (search_path)"};
  }
  return rows->Text(0, 0);
}

Status Dump(const std::string& conninfo, const std::string& schema, const std::string& out) {
  auto env = ConnectionEnvironment(conninfo);
  if (!env) return Status::Fail(env.error());
  // The file is made here, owner-only, before pg_dump writes into it.
  int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Fail("cannot create " + out + ": " + std::strerror(errno));
  ::close(fd);
  std::vector<std::string> argv = {"pg_dump", "--format=custom", "--no-password", "--file=" + out};
  if (schema != "public") argv.push_back("--schema=" + schema);
  return RunChild(argv, *env);
}

Status Restore(const std::string& dump, const std::string& schema, const std::string& conninfo) {
  auto env = ConnectionEnvironment(conninfo);
  if (!env) return Status::Fail(env.error());
  std::string database;  // the target's name, as a keyword/value conninfo for --dbname
  {
    auto conn = pg::Conn::Connect(conninfo);
    if (!conn) return Status::Fail(conn.error());
    auto tables = (*conn)->Exec("SELECT count(*) FROM pg_tables WHERE schemaname = $1",
                                pg::Params().Text(schema));
    if (!tables) return Status::Fail(tables.error());
    if (tables->Int(0, 0) > 0) {
      return Status::Fail("the target database holds tables in schema '" + schema +
                          "' already: restore into an empty database");
    }
    auto name = (*conn)->Exec("SELECT current_database()");
    if (!name) return Status::Fail(name.error());
    database = "dbname='";
    for (char c : name->Text(0, 0)) {
      if (c == '\'' || c == '\\') database.push_back('\\');
      database.push_back(c);
    }
    database += "'";
    if (schema != "public") {
      auto exists =
          (*conn)->Exec("SELECT 1 FROM pg_namespace WHERE nspname = $1", pg::Params().Text(schema));
      if (!exists) return Status::Fail(exists.error());
      if (!exists->empty()) {
        return Status::Fail("the target database has a schema '" + schema +
                            "' already (the backup creates it): restore into a database "
                            "without it");
      }
    }
  }
  // One transaction: a restore that fails half-way leaves the target as it was.
  return RunChild({"pg_restore", "--single-transaction", "--exit-on-error", "--no-owner",
                   "--no-privileges", "--no-password", "--dbname=" + database, dump},
                  *env);
}

std::string WithDatabase(const std::string& toml, const std::string& conninfo) {
  std::string escaped;
  for (char c : conninfo) {
    if (c == '"' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  const std::string line = "database = \"" + escaped + "\"";
  size_t pos = 0;
  while (pos < toml.size()) {
    size_t end = toml.find('\n', pos);
    if (end == std::string::npos) end = toml.size();
    std::string_view l(toml.data() + pos, end - pos);
    size_t first = l.find_first_not_of(" \t");
    if (first != std::string_view::npos) {
      std::string_view t = l.substr(first);
      if (t.front() == '[') break;  // the first table: top-level keys end here
      if (t.rfind("database", 0) == 0) {
        std::string_view rest = t.substr(8);
        size_t eq = rest.find_first_not_of(" \t");
        if (eq != std::string_view::npos && rest[eq] == '=') {
          return toml.substr(0, pos) + line + toml.substr(end);
        }
      }
    }
    pos = end + 1;
  }
  return line + "\n" + toml;
}

}  // namespace tuidang::cli::pgbackup
