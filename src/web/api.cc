// The JSON API (docs/api.md).
#include <boost/json.hpp>

#include "core/receipt.h"
#include "core/text.h"
#include "web/guard_web.h"
#include "web/json_keys.h"
#include "web/pages.h"

namespace tuidang::web {

namespace json = boost::json;

namespace {

// Statements per API list call.
constexpr int kApiPageSize = 100;
// Nesting of a statement body: the body, "persons", a person, "organisations" is 4; the
// rest is room for a client's wrapping, far below a depth that costs anything.
constexpr size_t kMaxJsonDepth = 8;

Response JsonResponse(http::status status, const json::value& v, Caching caching) {
  return TextResponse(status, json::serialize(v), "application/json", caching);
}

struct ApiFieldError {
  std::string field;
  std::string code;
  std::string message_key;
};

Response ApiErrors(const Catalog& catalog, Language lang, http::status status,
                   const std::vector<ApiFieldError>& errors) {
  json::array list;
  for (const auto& e : errors) {
    json::object o;
    o["code"] = e.code;
    o["field"] = e.field.empty() ? json::value(nullptr) : json::value(e.field);
    o["message"] = catalog.Tr(lang, e.message_key);
    list.push_back(std::move(o));
  }
  json::object body;
  body["error"] = list.empty() ? json::value(nullptr) : list[0];
  body["errors"] = std::move(list);
  return JsonResponse(status, body, Caching::kNoStore);
}

json::array OrganisationsJson(uint8_t orgs) {
  json::array a;
  for (Organisation o : kOrganisationList) {
    if (orgs & o) a.emplace_back(OrganisationCode(o));
  }
  return a;
}

json::value NullableCode(std::string_view code) {
  return code.empty() ? json::value(nullptr) : json::value(code);
}

json::object StatementJson(const Statement& s) {
  json::object o;
  o["number"] = *s.number;
  o["date"] = FormatDay(s.day);
  o["name"] = s.persons[0].name;
  o["real_name"] = s.persons[0].real_name;
  o["organisations"] = OrganisationsJson(s.persons[0].organisations);
  o["region"] = NullableCode(RegionCode(s.region));
  o["occupation"] = NullableCode(OccupationCode(s.occupation));
  o["text"] = s.text;
  json::array persons;
  for (size_t i = 1; i < s.persons.size(); ++i) {
    json::object p;
    p["name"] = s.persons[i].name;
    p["real_name"] = s.persons[i].real_name;
    p["organisations"] = OrganisationsJson(s.persons[i].organisations);
    persons.push_back(std::move(p));
  }
  o["persons"] = std::move(persons);
  o["persons_count"] = s.persons.size();
  o["channel"] = ChannelCode(s.channel);
  o["language"] = LanguageCode(s.language);
  return o;
}

// Reads one person object; appends type errors under `prefix`.
void ReadPerson(const json::object& o, const std::string& prefix, PersonDraft* out,
                std::vector<ApiFieldError>* errors, bool declarant) {
  for (const auto& kv : o) {
    std::string_view k = kv.key();
    const json::value& v = kv.value();
    if (k == "name") {
      if (v.is_string()) out->name = std::string(v.get_string());
      else errors->push_back({prefix + "name", "invalid_type", "error.type"});
    } else if (k == "real_name") {
      if (v.is_bool()) out->real_name = v.get_bool();
      else errors->push_back({prefix + "real_name", "invalid_type", "error.type"});
    } else if (k == "organisations") {
      bool ok = v.is_array();
      if (ok) {
        for (const auto& item : v.get_array()) {
          if (!item.is_string()) {
            ok = false;
            break;
          }
          out->organisations.emplace_back(item.get_string());
        }
      }
      if (!ok) errors->push_back({prefix + "organisations", "invalid_type", "error.type"});
    } else if (!declarant || (k != "region" && k != "occupation" && k != "text" && k != "persons" &&
                              k != "language" && k != "contact" && k != "pow")) {
      errors->push_back({prefix + std::string(k), "unknown_field", "error.unknown_field"});
    }
  }
}

void ReadOptionalString(const json::object& o, std::string_view key, std::string* out,
                        std::vector<ApiFieldError>* errors) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return;
  if (it->value().is_string()) *out = std::string(it->value().get_string());
  else errors->push_back({std::string(key), "invalid_type", "error.type"});
}

}  // namespace

Response ApiError(const Catalog& catalog, Language lang, http::status status, std::string_view code,
                  std::string_view message_key) {
  return ApiErrors(catalog, lang, status, {{"", std::string(code), std::string(message_key)}});
}

void ApiPostStatement(const RequestContext& rq, Responder respond) {
  const AppEnv& env = rq.env;
  Language lang = rq.page.lang;
  const Request& req = rq.http;
  const std::optional<safety::ClientKey>& client = rq.client;
  const Catalog& cat = *env.catalog;
  std::string_view ct = req[http::field::content_type];
  std::string_view type = ct.substr(0, ct.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  bool charset_ok = ct.find("charset=") == std::string_view::npos ||
                    ct.find("charset=utf-8") != std::string_view::npos ||
                    ct.find("charset=UTF-8") != std::string_view::npos;
  if (type != "application/json" || !charset_ok) {
    return respond(ApiError(cat, lang, http::status::unsupported_media_type,
                            "unsupported_media_type", "error.media_type"));
  }
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  json::value v = json::parse(req.body(), ec, {}, options);
  if (ec || !v.is_object()) {
    return respond(
        ApiError(cat, lang, http::status::bad_request, "invalid_json", "error.invalid_json"));
  }
  // Boost.JSON keeps the last of two equal keys; the API, like the form, refuses the body.
  if (auto dup = FirstDuplicateKey(req.body(), kMaxJsonDepth)) {
    return respond(ApiErrors(cat, lang, http::status::bad_request,
                             {{*dup, "duplicate_key", "error.duplicate_key"}}));
  }
  const json::object& o = v.get_object();
  if (auto it = o.find("language"); it != o.end() && it->value().is_string()) {
    if (auto l = ParseLanguage(it->value().get_string())) lang = *l;
  }

  std::vector<ApiFieldError> errors;
  StatementDraft draft;
  ReadPerson(o, "", &draft.declarant, &errors, /*declarant=*/true);
  ReadOptionalString(o, "region", &draft.region, &errors);
  ReadOptionalString(o, "occupation", &draft.occupation, &errors);
  ReadOptionalString(o, "text", &draft.text, &errors);
  std::string language_code;
  ReadOptionalString(o, "language", &language_code, &errors);
  // Safety (guard_web.h): the sealed contact and the proof of work {"challenge", "nonce"}.
  std::string contact, pow_challenge, pow_nonce;
  ReadOptionalString(o, "contact", &contact, &errors);
  if (auto e = CheckContact(env, contact); !e.empty()) {
    errors.push_back({"contact", e.substr(e.rfind('.') + 1), e});
  }
  if (auto it = o.find("pow"); it != o.end() && !it->value().is_null()) {
    if (it->value().is_object()) {
      ReadOptionalString(it->value().get_object(), "challenge", &pow_challenge, &errors);
      ReadOptionalString(it->value().get_object(), "nonce", &pow_nonce, &errors);
    } else {
      errors.push_back({"pow", "invalid_type", "error.type"});
    }
  }
  if (!language_code.empty() && !ParseLanguage(language_code)) {
    errors.push_back({"language", "unknown_value", "error.language.unknown_value"});
  }
  if (auto it = o.find("persons"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_array()) {
      errors.push_back({"persons", "invalid_type", "error.type"});
    } else {
      size_t i = 0;
      for (const auto& p : it->value().get_array()) {
        std::string prefix = "persons[" + std::to_string(i++) + "].";
        draft.others.emplace_back();
        if (!p.is_object()) {
          errors.push_back({prefix.substr(0, prefix.size() - 1), "invalid_type", "error.type"});
          continue;
        }
        ReadPerson(p.get_object(), prefix, &draft.others.back(), &errors, false);
      }
    }
  }

  Submission sub;
  for (const auto& e : ValidateStatement(draft, &sub.statement)) {
    std::string field =
        e.person == 0 ? e.field : "persons[" + std::to_string(e.person - 1) + "]." + e.field;
    std::string code(ErrorCodeName(e.code));
    errors.push_back({field, code, "error." + e.field + "." + code});
  }
  if (!errors.empty()) return respond(ApiErrors(cat, lang, http::status::bad_request, errors));

  Language statement_language = language_code.empty() ? lang : *ParseLanguage(language_code);
  intake::Draft validated;
  validated.statement = std::move(sub.statement);
  validated.publish = env.options.publish_at_once;
  validated.batched = env.options.publication_interval_seconds > 0;

  const Catalog* catalog = env.catalog;
  int retry = env.options.retry_after_seconds;
  auto overloaded = [catalog, lang, retry]() {
    Response res = ApiError(*catalog, lang, http::status::service_unavailable, "overloaded",
                            "error.overloaded");
    res.set(http::field::retry_after, std::to_string(retry));
    return res;
  };
  auto shared_respond = std::make_shared<Responder>(std::move(respond));
  intake::Queueing q = env.intake->Submit(
      std::move(validated), Channel::kWeb, statement_language,
      intake::SafetyInput{pow_challenge, pow_nonce, contact}, client,
      [shared_respond, overloaded](const Status& status, const Submission& s, const Committed& c) {
        if (!status) return (*shared_respond)(overloaded());
        json::object body;
        body["receipt"] = s.receipt_code;
        body["status"] = StatusCode(c.status);
        body["number"] = c.number ? json::value(*c.number) : json::value(nullptr);
        (*shared_respond)(JsonResponse(http::status::created, body, Caching::kNoStore));
      });
  if (q.kind == intake::Queueing::Kind::kRefused) {
    return (*shared_respond)(Refused(env, lang, true, "/api/v1/statements", q.refusal));
  }
  if (!q.queued()) (*shared_respond)(overloaded());
}

Response ApiGetStatement(const RequestContext& rq) {
  const AppEnv& env = rq.env;
  Language lang = rq.page.lang;
  std::string_view number_text = rq.capture;
  auto number = ParseNumber(number_text);
  if (!number) {
    return ApiError(*env.catalog, lang, http::status::not_found, "not_found", "error.not_found");
  }
  auto found = env.store->GetPublished(*number);
  if (!found) {
    return ApiError(*env.catalog, lang, http::status::service_unavailable, "storage",
                    "error.storage");
  }
  if (!found->has_value()) {
    return ApiError(*env.catalog, lang, http::status::not_found, "not_found", "error.not_found");
  }
  json::object body = StatementJson(**found);
  // The opening: with it anyone recomputes the commitment, the leaf and its hash.
  auto opening = env.store->GetOpening(*number);
  if (opening && opening->has_value()) {
    body["leaf_index"] = (*opening)->leaf_index;
    body["salt"] = HexEncode((*opening)->salt);
    body["record"] = (*opening)->record;
  }
  return JsonResponse(http::status::ok, body, Caching::kShort);
}

Response ApiListStatements(const RequestContext& rq) {
  const AppEnv& env = rq.env;
  Language lang = rq.page.lang;
  const Form& query = rq.query;
  Day day = Today();
  if (auto d = query.Get("date")) {
    auto parsed = ParseDay(*d);
    if (!parsed) {
      return ApiErrors(*env.catalog, lang, http::status::bad_request,
                       {{"date", "invalid_date", "error.date"}});
    }
    day = *parsed;
  }
  int64_t cursor = 0;
  if (auto c = query.Get("cursor")) {
    auto parsed = ParseNumber(*c);
    if (!parsed) {
      return ApiErrors(*env.catalog, lang, http::status::bad_request,
                       {{"cursor", "invalid_cursor", "error.cursor"}});
    }
    cursor = *parsed;
  }
  auto list = env.store->ListDay(day, cursor, 0, kApiPageSize + 1);
  if (!list) {
    return ApiError(*env.catalog, lang, http::status::service_unavailable, "storage",
                    "error.storage");
  }
  bool more = list->size() > static_cast<size_t>(kApiPageSize);
  if (more) list->pop_back();
  json::array items;
  for (const Statement& s : *list) items.push_back(StatementJson(s));
  json::object body;
  body["date"] = FormatDay(day);
  body["statements"] = std::move(items);
  body["next_cursor"] = more ? json::value(*list->back().number) : json::value(nullptr);
  return JsonResponse(http::status::ok, body, Caching::kShort);
}

Response ApiGetReceipt(const RequestContext& rq) {
  const AppEnv& env = rq.env;
  Language lang = rq.page.lang;
  std::string_view code_text = rq.capture;
  const std::optional<safety::ClientKey>& client = rq.client;
  auto code = ReadReceiptCode(code_text);
  safety::ReceiptUse use = AdmitReceiptUse(env, client, code ? *code : code_text);
  if (!use.allowed()) return ReceiptRefused(env, lang, true, use.retry_after());
  auto found = env.store->FindReceipt(HashReceiptCode(code ? *code : code_text));
  if (!found) {
    use.NotLookedUp();
    return ApiError(*env.catalog, lang, http::status::service_unavailable, "storage",
                    "error.storage");
  }
  if (code && found->has_value()) use.Found();
  if (!code || !found->has_value()) {
    return ApiError(*env.catalog, lang, http::status::not_found, "not_found", "error.not_found");
  }
  json::object body;
  body["status"] = StatusCode((*found)->status);
  body["number"] = (*found)->number ? json::value(*(*found)->number) : json::value(nullptr);
  body["date"] = FormatDay((*found)->day);
  if ((*found)->leaf_index && (*found)->status == StatementStatus::kPublished) {
    body["leaf_index"] = *(*found)->leaf_index;
    auto proof = ProofText(env, **found);
    body["proof"] = proof ? json::value(*proof) : json::value(nullptr);
  }
  return JsonResponse(http::status::ok, body, Caching::kNoStore);
}

Response ApiStats(const RequestContext& rq) {
  const AppEnv& env = rq.env;
  auto totals = env.store->GetTotals();
  const Day today = Today();
  auto moderation = ReadModerationFigures(env.store, 0, today);
  if (!moderation) {
    return ApiError(*env.catalog, rq.page.lang, http::status::service_unavailable, "storage",
                    "error.storage");
  }
  return TextResponse(http::status::ok, StatsJson(*totals, today, *moderation), "application/json",
                      Caching::kNoStore);
}

namespace {

// {"through": "YYYY-MM-DD", "by_day": [{"date": ..., "held": {"no_pow": 3}, "rejected": {},
// "withdrawn": {}}]}: closed days with any count, ascending (docs/moderation-stats.md).
json::object ModerationJson(const ModerationFigures& f) {
  json::array days;
  for (const ModerationCount& c : f.counts) {
    if (c.day > f.through || c.statements <= 0) continue;
    const std::string date = FormatDay(c.day);
    if (days.empty() || days.back().as_object().at("date").as_string() != date) {
      days.push_back(json::object{{"date", date},
                                  {"held", json::object{}},
                                  {"rejected", json::object{}},
                                  {"withdrawn", json::object{}}});
    }
    json::object& day = days.back().as_object();
    day[ModerationEventCode(c.event)].as_object()[c.reason] = c.statements;
  }
  return json::object{{"through", FormatDay(f.through)}, {"by_day", std::move(days)}};
}

}  // namespace

std::string StatsJson(const Totals& t, Day day, const ModerationFigures& moderation) {
  json::object body;
  body["total_persons"] = t.persons;
  body["total_statements"] = t.statements;
  body["tree_size"] = t.tree_size;
  DayCount today = t.Of(day);
  body["today"] = json::object{
      {"date", FormatDay(today.day)}, {"persons", today.persons}, {"statements", today.statements}};
  body["persons_by_organisation"] =
      json::object{{"party", t.party}, {"league", t.league}, {"pioneers", t.pioneers}};
  json::array days;
  for (const DayCount& d : t.by_day) {
    days.push_back(json::object{
        {"date", FormatDay(d.day)}, {"persons", d.persons}, {"statements", d.statements}});
  }
  body["by_day"] = std::move(days);
  // By channel, region and occupation (docs/stats.md): {"web": {"persons": 5, "statements": 3}}.
  for (auto [name, category, counts] :
       {std::tuple{"by_channel", Category::kChannel, &t.by_channel},
        std::tuple{"by_region", Category::kRegion, &t.by_region},
        std::tuple{"by_occupation", Category::kOccupation, &t.by_occupation}}) {
    json::object o;
    for (const auto& [value, c] : *counts) {
      o[CategoryCode(category, value)] =
          json::object{{"persons", c.persons}, {"statements", c.statements}};
    }
    body[name] = std::move(o);
  }
  body["moderation"] = ModerationJson(moderation);
  return json::serialize(body);
}

}  // namespace tuidang::web
