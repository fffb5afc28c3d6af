#include "web/guard_web.h"

#include <boost/json.hpp>

#include <algorithm>

#include "core/text.h"
#include "safety/guard.h"
#include "safety/seal.h"
#include "web/pages.h"

namespace tuidang::web {

Response Refused(const AppEnv& env, Language lang, bool api, std::string_view path,
                 const safety::Admission& a) {
  bool busy = a.status == 503;
  std::string_view key = busy ? "error.overloaded" : "error.rate_limited";
  http::status status = busy ? http::status::service_unavailable : http::status::too_many_requests;
  Response res;
  if (api) {
    res = ApiError(*env.catalog, lang, status, busy ? "overloaded" : "rate_limited", key);
  } else {
    PageContext ctx{*env.catalog, lang, std::string(path)};
    res = ErrorPage(ctx, status, key);
  }
  res.set(http::field::retry_after, std::to_string(a.retry_after > 0 ? a.retry_after : 1));
  return res;
}

safety::ReceiptUse AdmitReceiptUse(const AppEnv& env,
                                   const std::optional<safety::ClientKey>& client,
                                   std::string_view code) {
  if (!env.guard) return {};
  return env.guard->receipts().Admit(client, code);
}

Response ReceiptRefused(const AppEnv& env, Language lang, bool api, int64_t retry_after) {
  Response res;
  if (api) {
    res = ApiError(*env.catalog, lang, http::status::too_many_requests, "rate_limited",
                   "error.receipt_busy");
  } else {
    // The language links must not repeat the code that was tried.
    PageContext plain{*env.catalog, lang, "/"};
    res = ErrorPage(plain, http::status::too_many_requests, "error.receipt_busy");
  }
  res.set(http::field::retry_after, std::to_string(retry_after > 0 ? retry_after : 1));
  return res;
}

bool GateRequest(const AppEnv& env, const Request& req, const RouteMatch& match,
                 std::string_view path, Language lang,
                 const std::optional<safety::ClientKey>& client, Responder& respond) {
  const Route& route = *match.route;
  if (route.id == RouteId::kPowScript && match.method_allowed) {
    respond(TextResponse(http::status::ok, std::string(PowScript()),
                         "text/javascript; charset=utf-8", Caching::kShort));
    return true;
  }
  if (!env.guard) return false;
  safety::Guard& guard = *env.guard;
  if (route.id == RouteId::kChallenge && match.method_allowed) {
    boost::json::object o;
    std::string challenge = guard.IssueChallenge();
    o["challenge"] = challenge;
    o["bits"] = std::stoi(challenge.substr(challenge.find('.', 2) + 1));
    o["algorithm"] = "sha256(challenge \":\" nonce) has `bits` leading zero bits";
    respond(TextResponse(http::status::ok, boost::json::serialize(o), "application/json",
                         Caching::kNoStore));
    return true;
  }
  bool post = req.method() == http::verb::post;
  if (post && route.admission == Admission::kSubmit) {
    safety::Admission a = guard.AdmitSubmit(client);
    if (!a.allowed) {
      respond(Refused(env, lang, route.area == Area::kApi, path, a));
      return true;
    }
  }
  // Receipt codes (Admission::kReceiptCode) are limited where they are looked up
  // (AdmitReceiptUse): the limits there depend on whether the code exists. Operators'
  // actions (kOperatorAction) once their session is known (ops_router.cc).
  return false;
}

std::string SubmitSafetyFields(const PageContext& ctx, const AppEnv& env, std::string_view contact,
                               std::string_view contact_error) {
  std::string b;
  if (env.guard && env.guard->options().office_key) {
    b += "<div class=\"field\"><label for=\"contact\">" + ctx.TrHtml("form.contact") + "</label>";
    if (!contact_error.empty()) {
      b += "<p class=\"error\" id=\"error-contact\">" + HtmlEscape(contact_error) + "</p>";
    }
    b += "<input type=\"text\" id=\"contact\" name=\"contact\" maxlength=\"200\" "
         "autocomplete=\"off\"" +
         std::string(contact_error.empty()
                         ? ""
                         : " aria-invalid=\"true\" aria-describedby=\"error-contact\"") +
         " value=\"" + (IsValidUtf8(contact) ? HtmlEscape(contact) : std::string()) +
         "\"><p class=\"hint\">" + ctx.TrHtml("form.contact_hint") + "</p></div>";
  }
  if (env.guard && env.guard->options().pow_hold) {
    // Without script the preview's token stands for the proof of work (docs/preview.md).
    b += "<noscript><p class=\"hint\">" + ctx.TrHtml("form.no_script") + "</p></noscript>";
  }
  if (env.guard) {
    // The no-script token is issued with the form, so that its delay runs while the
    // declarant fills it in and the preview travels: the preview carries it on (as it
    // carries a solution), and a declarant who sends at once from the preview is not asked
    // to wait over a slow link (docs/preview.md). pow.js replaces it by a solution.
    b += "<input type=\"hidden\" name=\"pow_challenge\" value=\"" +
         HtmlEscape(env.guard->IssueFormToken()) +
         "\"><input type=\"hidden\" name=\"pow_nonce\" value=\"0\">";
    b += "<script src=\"" + ctx.AssetHref("pow.js") + "\" defer></script>";
  }
  return b;
}

std::string PreviewSafetyFields(const PageContext& ctx, const AppEnv& env,
                                std::string_view pow_challenge, std::string_view pow_nonce) {
  if (!env.guard) return {};
  auto hidden = [](std::string_view name, std::string_view value) {
    std::string h = "<input type=\"hidden\" name=\"" + std::string(name) + "\" value=\"";
    if (IsValidUtf8(value)) AppendHtmlEscaped(&h, value);
    return h + "\">";
  };
  std::string script = "<script src=\"" + ctx.AssetHref("pow.js") + "\" defer></script>";
  // A solution pow.js found on the form (or the form's token) is carried on: it is spent
  // only when the statement is sent. A token means pow.js had not finished on the form (the
  // preview was asked for at once, or there is no script): with script it solves here and
  // replaces the token, so that a send within the token's delay is not asked to wait.
  if (!pow_challenge.empty() && !pow_nonce.empty()) {
    std::string b = hidden("pow_challenge", pow_challenge) + hidden("pow_nonce", pow_nonce);
    if (safety::PowIssuer::TokenValidFrom(pow_challenge)) b += script;
    return b;
  }
  std::string b = hidden("pow_challenge", env.guard->IssueFormToken()) + hidden("pow_nonce", "0");
  if (env.guard->options().pow_hold) {
    b += "<noscript><p class=\"hint\" id=\"token-note\">" +
         HtmlEscape(ctx.Format("preview.token_note", safety::Guard::kFormTokenDelaySeconds)) +
         "</p></noscript>";
  }
  return b + script;
}

int64_t FormTokenWait(std::string_view pow_challenge) {
  auto from = safety::PowIssuer::TokenValidFrom(pow_challenge);
  if (!from) return 0;
  return std::max<int64_t>(0, *from - safety::SystemClock()());
}

std::string CheckContact(const AppEnv& env, std::string_view contact) {
  if (contact.empty()) return {};
  if (!IsValidUtf8(contact)) return "error.contact.invalid_characters";
  if (!env.guard || !env.guard->options().office_key) return "error.contact.unavailable";
  if (HasForbiddenCharacter(contact, TextKind::kSingleLine)) {
    return "error.contact.invalid_characters";
  }
  if (CountCodePoints(contact) > kMaxContactChars) return "error.contact.too_long";
  return {};
}

std::string_view PowScript() {
  // Solves the challenge of /api/v1/challenge and adds pow_challenge and pow_nonce to the
  // form. The search runs in a Web Worker started from this same file (no second download:
  // the versioned file is cached), so the page's main thread stays free while it runs
  // (Lighthouse's Total Blocking Time, tests/test_lighthouse.py: on a slow phone a search on
  // the main thread cost seconds of blocked input). Where workers are missing or refused, it
  // runs on the main thread in slices of at most kSlice ms. Without it the statement is
  // held for review, never refused. SHA-256 is written out because crypto.subtle is missing
  // on plain-HTTP origins (a mirror, a LAN) and too slow per call for a search.
  return R"js("use strict";(function(){
var K=[],H=[],i,n=2,kSlice=6;
function frac(x){return (x-Math.floor(x))*4294967296|0}
for(i=0;i<64;n++){var p=true;for(var d=2;d*d<=n;d++)if(n%d==0){p=false;break}
if(p){if(i<8)H[i]=frac(Math.sqrt(n));K[i++]=frac(Math.cbrt(n))}}
function sha(s){var b=[],l,w=new Array(64),j,t;for(j=0;j<s.length;j++)b.push(s.charCodeAt(j)&255);
l=b.length*8;b.push(128);while(b.length%64!=56)b.push(0);
for(j=7;j>=0;j--)b.push(j>3?0:(l>>>(j*8))&255);
var h=H.slice();for(var o=0;o<b.length;o+=64){
for(j=0;j<16;j++)w[j]=b[o+4*j]<<24|b[o+4*j+1]<<16|b[o+4*j+2]<<8|b[o+4*j+3];
for(j=16;j<64;j++){var x=w[j-15],y=w[j-2];
w[j]=(((x>>>7|x<<25)^(x>>>18|x<<14)^x>>>3)+w[j-16]+((y>>>17|y<<15)^(y>>>19|y<<13)^y>>>10)+w[j-7])|0}
var a=h[0],c=h[1],e=h[2],g=h[3],k=h[4],m=h[5],q=h[6],r=h[7];
for(j=0;j<64;j++){t=(r+((k>>>6|k<<26)^(k>>>11|k<<21)^(k>>>25|k<<7))+((k&m)^(~k&q))+K[j]+w[j])|0;
var u=(((a>>>2|a<<30)^(a>>>13|a<<19)^(a>>>22|a<<10))+((a&c)^(a&e)^(c&e)))|0;
r=q;q=m;m=k;k=(g+t)|0;g=e;e=c;c=a;a=(t+u)|0}
h[0]=h[0]+a|0;h[1]=h[1]+c|0;h[2]=h[2]+e|0;h[3]=h[3]+g|0;h[4]=h[4]+k|0;h[5]=h[5]+m|0;h[6]=h[6]+q|0;h[7]=h[7]+r|0}
return h}
function zeros(h,bits){for(var j=0;j<bits;j++)if(h[j>>5]>>>(31-(j&31))&1)return false;return true}
if(typeof document==="undefined"){self.onmessage=function(ev){var c=ev.data.c,bits=ev.data.bits;
for(var nonce=0;;nonce++)if(zeros(sha(c+":"+nonce),bits)){self.postMessage(nonce);return}};return}
var f=document.querySelector("form[data-pow]");if(!f||!window.fetch)return;
var src=document.currentScript&&document.currentScript.src,done=null,waiting=false;
function put(name,v){var el=f.querySelector("input[name="+name+"]");
if(!el){el=document.createElement("input");el.type="hidden";el.name=name;f.appendChild(el)}el.value=v}
function found(c,nonce){put("pow_challenge",c);put("pow_nonce",""+nonce);done=true;if(waiting)f.submit()}
var now=window.performance?function(){return performance.now()}:Date.now;
function slices(c,bits){var nonce=0;(function slice(){var t=now();
for(var s=0;s<1e6;s++,nonce++){if(zeros(sha(c+":"+nonce),bits))return found(c,nonce);
if((s&31)==31&&now()-t>kSlice)break}setTimeout(slice,0)})()}
function solve(c,bits){if(window.Worker&&src){try{var w=new Worker(src),ok=false;
w.onmessage=function(ev){ok=true;w.terminate();found(c,ev.data)};
w.onerror=function(ev){if(ev.preventDefault)ev.preventDefault();w.terminate();if(!ok)slices(c,bits)};
w.postMessage({c:c,bits:bits});return}catch(e){}}slices(c,bits)}
fetch("/api/v1/challenge",{credentials:"omit",cache:"no-store"}).then(function(r){return r.json()})
.then(function(j){solve(j.challenge,j.bits)}).catch(function(){done=false});
f.addEventListener("submit",function(ev){if(done!==null||waiting)return;
var b=ev.submitter;if(b&&(b.name==="more"||b.value==="preview"||b.value==="edit"))return;
ev.preventDefault();waiting=true;if(b&&b.name)put(b.name,b.value);var st=document.createElement("p");st.className="hint";
st.textContent=f.getAttribute("data-pow");f.appendChild(st);
setTimeout(function(){if(!done)f.submit()},30000)})})();
)js";
}

}  // namespace tuidang::web
