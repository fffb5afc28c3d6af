// The router's answers that need no storage (methods, bodies, queries, unknown paths),
// through App::Handle without a socket: what routes.h's table decides, end to end.
#include "web/app.h"

#include <gtest/gtest.h>

namespace tuidang::web {
namespace {

class AppRouting : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Catalog::Load(Catalog::DefaultDir());
    ASSERT_TRUE(c) << c.error();
    catalog_ = std::make_unique<Catalog>(std::move(*c));
    // No store, sequencer or console: every route tested here answers before needing one.
    app_ = std::make_unique<App>(AppEnv{nullptr, nullptr, catalog_.get(), AppOptions{}});
  }

  Response Ask(http::verb method, std::string_view target, std::string_view content_type = "",
               std::string_view accept_language = "") {
    Request req{method, target, 11};
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    if (!accept_language.empty()) req.set(http::field::accept_language, accept_language);
    std::optional<Response> out;
    app_->Handle(std::move(req), [&out](Response res) { out = std::move(res); });
    EXPECT_TRUE(out) << target << " was not answered at once";
    return out ? std::move(*out) : Response{};
  }

  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<App> app_;
};

int Status(const Response& r) { return static_cast<int>(r.result_int()); }
std::string Header(const Response& r, http::field f) { return std::string(r[f]); }

TEST_F(AppRouting, PlainRoutesAndHead) {
  Response r = Ask(http::verb::get, "/healthz");
  EXPECT_EQ(Status(r), 200);
  EXPECT_EQ(r.body(), "ok\n");
  r = Ask(http::verb::head, "/en/healthz");
  EXPECT_EQ(Status(r), 200);
  EXPECT_EQ(r.body(), "");
  EXPECT_EQ(Header(r, http::field::content_length), "0");
  EXPECT_EQ(Status(Ask(http::verb::delete_, "/healthz")), 200);
  r = Ask(http::verb::get, "/static/pow.js");
  EXPECT_EQ(Status(r), 200);
  EXPECT_EQ(Header(r, http::field::content_type), "text/javascript; charset=utf-8");
  // Style sheets are served whatever the query, but a wrong method reads the query first.
  EXPECT_EQ(Status(Ask(http::verb::get, "/static/site.css?%zz")), 200);
  EXPECT_EQ(Status(Ask(http::verb::post, "/static/site.css?%zz")), 400);
  r = Ask(http::verb::post, "/static/site.css");
  EXPECT_EQ(Status(r), 405);
  EXPECT_EQ(Header(r, http::field::allow), "GET, HEAD");
  r = Ask(http::verb::post, "/static/pow.js");
  EXPECT_EQ(Status(r), 405);
  EXPECT_EQ(Header(r, http::field::allow), "GET, HEAD");
}

TEST_F(AppRouting, TheLogAnswersInPlainTextAndOnlyWithoutPrefix) {
  Response r = Ask(http::verb::post, "/log/checkpoint?%zz");
  EXPECT_EQ(Status(r), 405);
  EXPECT_EQ(r.body(), "method not allowed\n");
  EXPECT_EQ(Header(r, http::field::allow), "");
  r = Ask(http::verb::get, "/en/log/checkpoint");
  EXPECT_EQ(Status(r), 404);
  EXPECT_NE(Header(r, http::field::content_type).find("text/html"), std::string::npos);
}

TEST_F(AppRouting, PagesMethodsBodiesAndQueries) {
  Response r = Ask(http::verb::put, "/submit");
  EXPECT_EQ(Status(r), 405);
  EXPECT_EQ(Header(r, http::field::allow), "GET, HEAD, POST");
  // An address of before (the code in the path) is answered by the way to the form.
  r = Ask(http::verb::put, "/receipt/1/withdraw");
  EXPECT_EQ(Status(r), 405);
  EXPECT_EQ(Header(r, http::field::allow), "GET, HEAD, POST");
  r = Ask(http::verb::get, "/receipt/123456789012345678901234");
  EXPECT_EQ(Status(r), 303);
  EXPECT_EQ(Header(r, http::field::location), "/receipt?old=1");
  EXPECT_EQ(Header(r, http::field::cache_control), "no-store");
  r = Ask(http::verb::put, "/receipt/withdraw");
  EXPECT_EQ(Status(r), 405);
  EXPECT_EQ(Header(r, http::field::allow), "GET, HEAD, POST");
  r = Ask(http::verb::post, "/nope");
  EXPECT_EQ(Status(r), 405);
  EXPECT_EQ(Header(r, http::field::allow), "GET, HEAD");
  EXPECT_EQ(Status(Ask(http::verb::get, "/nope")), 404);
  EXPECT_EQ(Status(Ask(http::verb::get, "/submit/")), 404);
  EXPECT_EQ(Status(Ask(http::verb::post, "/submit", "text/plain")), 415);
  EXPECT_EQ(Status(Ask(http::verb::post, "/receipt/1/withdraw", "multipart/form-data; boundary=x")),
            415);
  EXPECT_EQ(Status(Ask(http::verb::get, "/stats?%zz")), 400);
  EXPECT_EQ(Status(Ask(http::verb::get, "/nope?%zz")), 400);
}

TEST_F(AppRouting, HomeRedirectsToTheBrowsersLanguage) {
  Response r = Ask(http::verb::get, "/", "", "en-US,en;q=0.5");
  EXPECT_EQ(Status(r), 303);
  EXPECT_EQ(Header(r, http::field::location), "/en/");
  EXPECT_EQ(Header(r, http::field::vary), "Accept-Language");
  EXPECT_EQ(Status(Ask(http::verb::post, "/")), 405);
}

TEST_F(AppRouting, ApiErrorsAreJsonInTheBrowsersLanguage) {
  Response r = Ask(http::verb::get, "/api/v9/x");
  EXPECT_EQ(Status(r), 404);
  EXPECT_NE(r.body().find("\"not_found\""), std::string::npos);
  // Without an abuse gate there is no challenge.
  EXPECT_EQ(Status(Ask(http::verb::get, "/api/v1/challenge")), 404);
  EXPECT_EQ(Status(Ask(http::verb::get, "/api/v1/challenge?%zz")), 400);
  r = Ask(http::verb::post, "/api/v1/stats");
  EXPECT_EQ(Status(r), 405);
  EXPECT_EQ(Header(r, http::field::allow), "");
  EXPECT_NE(r.body().find("\"method_not_allowed\""), std::string::npos);
  r = Ask(http::verb::get, "/zh-hant/api/v1/stats?%zz", "", "en");
  EXPECT_EQ(Status(r), 400);
  EXPECT_NE(r.body().find("\"invalid_query\""), std::string::npos);
  // In English, as the browser asked, not in the prefix's language.
  EXPECT_NE(r.body().find(catalog_->Tr(Language::kEnglish, "error.query")), std::string::npos);
}

TEST_F(AppRouting, ConsoleChecksBeforeItsPages) {
  Response r = Ask(http::verb::put, "/ops/queue");
  EXPECT_EQ(Status(r), 405);
  EXPECT_EQ(Header(r, http::field::allow), "GET, HEAD, POST");
  EXPECT_EQ(Status(Ask(http::verb::post, "/ops/queue", "multipart/form-data; boundary=x")), 415);
  // Uploads are taken where the table says so; without a console, its pages do not exist.
  EXPECT_EQ(Status(Ask(http::verb::post, "/ops/import", "multipart/form-data; boundary=x")), 404);
  EXPECT_EQ(Status(Ask(http::verb::get, "/ops")), 404);
  Request upload{http::verb::post, "/ops/import", 11};
  upload.set(http::field::content_type, "multipart/form-data; boundary=x");
  EXPECT_EQ(app_->BodyLimit(upload), kMaxBodyBytes);  // no session table: no operator
}

TEST_F(AppRouting, TransportErrorsTakeTheirAreasForm) {
  Response r = app_->TransportError(http::status::payload_too_large, "/api/v1/statements", "");
  EXPECT_EQ(Status(r), 413);
  EXPECT_NE(r.body().find("\"too_large\""), std::string::npos);
  r = app_->TransportError(http::status::payload_too_large, "/en/submit", "");
  EXPECT_EQ(Status(r), 413);
  EXPECT_NE(Header(r, http::field::content_type).find("text/html"), std::string::npos);
}

}  // namespace
}  // namespace tuidang::web
