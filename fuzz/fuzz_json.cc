// The JSON statement body (src/web/api.cc) and the whole request router: the first byte
// picks POST /api/v1/statements, POST /submit (urlencoded) or a GET of the input as a
// target. Runs the real App over a SQLite store in a temporary folder.
#include <unistd.h>

#include <cstdlib>
#include <future>
#include <memory>
#include <string>

#include <sodium.h>

#include "intake/sequencer.h"
#include "store/sqlite/sqlite_store.h"
#include "web/app.h"

using namespace tuidang;

namespace {
struct World {
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<Sequencer> sequencer;
  std::unique_ptr<intake::Intake> intake;
  std::unique_ptr<web::Catalog> catalog;
  std::unique_ptr<web::App> app;
};
World* Make() {
  if (sodium_init() < 0) std::abort();
  auto* w = new World;
  std::string dir = "/tmp/tuidang-fuzz-" + std::to_string(getpid());
  std::string mk = "mkdir -p " + dir;
  if (std::system(mk.c_str()) != 0) std::abort();
  auto store = SqliteStore::Open(dir + "/fuzz.db");
  if (!store) std::abort();
  w->store = std::move(*store);
  w->sequencer = std::make_unique<Sequencer>(w->store.get(), 1000, 100);
  w->intake = std::make_unique<intake::Intake>(w->sequencer.get(), nullptr, nullptr);
  const char* loc = std::getenv("TUIDANG_LOCALE_DIR");
  auto catalog = web::Catalog::Load(loc ? loc : web::Catalog::DefaultDir());
  if (!catalog) std::abort();
  w->catalog = std::make_unique<web::Catalog>(std::move(*catalog));
  web::AppEnv env{w->store.get(), w->sequencer.get(), w->catalog.get(), web::AppOptions{}};
  env.intake = w->intake.get();
  w->app = std::make_unique<web::App>(env);
  return w;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* w = Make();
  if (size == 0) return 0;
  std::string in(reinterpret_cast<const char*>(data) + 1, size - 1);
  web::Request req;
  req.version(11);
  switch (data[0] % 3) {
    case 0:
      req.method(web::http::verb::post);
      req.target("/api/v1/statements");
      req.set(web::http::field::content_type, "application/json");
      req.body() = in;
      break;
    case 1:
      req.method(web::http::verb::post);
      req.target("/en/submit");
      req.set(web::http::field::content_type, "application/x-www-form-urlencoded");
      req.body() = in;
      break;
    default:
      req.method(web::http::verb::get);
      if (in.find_first_of("\r\n ") != std::string::npos || in.empty() || in[0] != '/') return 0;
      req.target(in);
      break;
  }
  req.prepare_payload();
  std::promise<void> done;
  w->app->Handle(std::move(req), [&done](web::Response) { done.set_value(); });
  done.get_future().wait();
  return 0;
}
