#include "intake/mail_intake.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include <fmt/format.h>
#include <sodium.h>

#include "core/receipt.h"
#include "core/statement.h"
#include "core/text.h"
#include "intake/csv_import.h"

namespace tuidang::intake {

namespace {

void InitGmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// Owns a GObject reference.
template <typename T>
struct Ref {
  T* p = nullptr;
  explicit Ref(T* x) : p(x) {}
  ~Ref() {
    if (p) g_object_unref(p);
  }
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
};

// The iconv name for a MIME charset label: labels that Chinese mailers use for GBK or
// Big5 text name smaller sets than they contain (GB2312 mail routinely has GBK
// characters), so the supersets decode them.
std::string IconvName(std::string_view label) {
  std::string l;
  for (char c : label) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "gb2312" || l == "gbk" || l == "gb18030" || l == "x-gbk" || l == "cp936" ||
      l == "euc-cn" || l == "csgb2312") {
    return "GB18030";
  }
  if (l == "big5" || l == "big-5" || l == "cp950" || l == "x-big5" || l == "big5-hkscs" ||
      l == "cn-big5") {
    return "BIG5-HKSCS";
  }
  if (l == "utf-8" || l == "utf8" || l == "us-ascii" || l == "ascii") return "UTF-8";
  return std::string(label);
}

// `bytes` in charset `label` as valid UTF-8; undecodable bytes become U+FFFD.
std::string DecodeText(std::string_view bytes, std::string_view label) {
  std::string encoding = label.empty() ? "" : IconvName(label);
  if (encoding.empty() || (encoding == "UTF-8" && !IsValidUtf8(bytes))) {
    encoding = DetectEncoding(bytes);
  }
  std::vector<int64_t> bad;
  // "UTF8" (not "UTF-8") makes ToUtf8 run iconv, which replaces invalid bytes.
  auto text = ToUtf8(bytes, encoding == "UTF-8" ? "UTF8" : encoding, &bad);
  if (!text) text = ToUtf8(bytes, "UTF8", &bad);  // a charset iconv does not know
  return text ? *text : std::string();
}

std::string PartBytes(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (!content) return {};
  Ref<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, mem.p);  // undoes base64 / quoted-printable
  GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.p));
  return std::string(reinterpret_cast<const char*>(array->data), array->len);
}

struct Walk {
  std::vector<std::string> plain, html;
  std::vector<MailAttachment> attachments;
};

void OnPart(GMimeObject* parent, GMimeObject* object, gpointer data) {
  auto* walk = static_cast<Walk*>(data);
  GMimeContentType* type = g_mime_object_get_content_type(object);
  char* mime = type ? g_mime_content_type_get_mime_type(type) : nullptr;
  std::string content_type = mime ? mime : "application/octet-stream";
  g_free(mime);
  if (GMIME_IS_MESSAGE_PART(object)) {
    // A forwarded message: kept whole, as an attachment.
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (!inner) return;
    Ref<GMimeStream> mem(g_mime_stream_mem_new());
    g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.p);
    GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.p));
    walk->attachments.push_back(
        {"forwarded.eml", "message/rfc822",
         std::string(reinterpret_cast<const char*>(array->data), array->len)});
    return;
  }
  if (!GMIME_IS_PART(object)) return;  // multiparts: their children come next
  GMimePart* part = GMIME_PART(object);
  const char* filename = g_mime_part_get_filename(part);
  bool text = type && g_mime_content_type_is_type(type, "text", "*");
  if (g_mime_part_is_attachment(part) || filename || !text) {
    walk->attachments.push_back({filename ? filename : "", content_type, PartBytes(part)});
    return;
  }
  const char* charset = g_mime_content_type_get_parameter(type, "charset");
  std::string decoded = DecodeText(PartBytes(part), charset ? charset : "");
  if (g_mime_content_type_is_type(type, "text", "html")) walk->html.push_back(std::move(decoded));
  else walk->plain.push_back(std::move(decoded));
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | cp >> 6);
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | cp >> 12);
    *out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | cp >> 18);
    *out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
    *out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Collapses runs of spaces, trims every line and keeps at most one blank line in a row.
std::string TidyLines(std::string_view text) {
  std::string out;
  int blank = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line;
    bool space = false;
    for (char c : text.substr(start, end - start)) {
      if (c == ' ' || c == '\t' || c == '\r') {
        space = !line.empty();
        continue;
      }
      if (space) line += ' ';
      space = false;
      line += c;
    }
    std::string_view trimmed = IsValidUtf8(line) ? TrimSpace(line) : std::string_view(line);
    if (trimmed.empty()) {
      if (!out.empty() && blank++ == 0) out += '\n';
    } else {
      blank = 0;
      out.append(trimmed);
      out += '\n';
    }
    start = end + 1;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool IsAddressChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         c == '+' || c == '%';
}

}  // namespace

std::string HtmlToText(std::string_view html) {
  static const std::pair<std::string_view, uint32_t> kEntities[] = {
      {"nbsp", 0xA0},     {"amp", '&'},      {"lt", '<'},       {"gt", '>'},
      {"quot", '"'},      {"apos", '\''},    {"ldquo", 0x201C}, {"rdquo", 0x201D},
      {"lsquo", 0x2018},  {"rsquo", 0x2019}, {"mdash", 0x2014}, {"ndash", 0x2013},
      {"hellip", 0x2026}, {"middot", 0xB7},  {"copy", 0xA9}};
  static const std::string_view kBlocks[] = {
      "br", "p",     "div",        "li",  "tr", "h1", "h2", "h3",      "h4",     "h5",
      "h6", "table", "blockquote", "pre", "hr", "ul", "ol", "section", "article"};
  std::string out;
  size_t i = 0;
  while (i < html.size()) {
    char c = html[i];
    if (c == '<') {
      if (html.compare(i, 4, "<!--") == 0) {
        size_t end = html.find("-->", i + 4);
        i = end == std::string_view::npos ? html.size() : end + 3;
        continue;
      }
      size_t end = html.find('>', i);
      if (end == std::string_view::npos) break;
      std::string_view tag = html.substr(i + 1, end - i - 1);
      bool closing = !tag.empty() && tag[0] == '/';
      if (closing) tag.remove_prefix(1);
      std::string name;
      for (char t : tag) {
        if (!std::isalnum(static_cast<unsigned char>(t))) break;
        name += static_cast<char>(std::tolower(static_cast<unsigned char>(t)));
      }
      i = end + 1;
      if (!closing && (name == "script" || name == "style" || name == "head" || name == "title")) {
        // Skip to the matching end tag, case-insensitively.
        std::string lower(html.substr(i));
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char x) { return std::tolower(x); });
        size_t close = lower.find("</" + name);
        if (close == std::string::npos) break;
        size_t gt = lower.find('>', close);
        i += gt == std::string::npos ? lower.size() : gt + 1;
        continue;
      }
      if (std::find(std::begin(kBlocks), std::end(kBlocks), name) != std::end(kBlocks)) {
        out += '\n';
      } else if (name == "td" || name == "th") {
        out += ' ';
      }
      continue;
    }
    if (c == '&') {
      size_t semi = html.find(';', i);
      if (semi != std::string_view::npos && semi - i <= 10) {
        std::string_view entity = html.substr(i + 1, semi - i - 1);
        uint32_t cp = 0;
        bool found = false;
        if (entity.size() > 1 && entity[0] == '#') {
          bool hex = entity[1] == 'x' || entity[1] == 'X';
          std::string digits(entity.substr(hex ? 2 : 1));
          if (!digits.empty() &&
              digits.find_first_not_of(hex ? "0123456789abcdefABCDEF" : "0123456789") ==
                  std::string::npos) {
            cp = static_cast<uint32_t>(std::min<unsigned long>(
                std::stoul(digits.substr(0, 8), nullptr, hex ? 16 : 10), 0x110000));
            found = true;
          }
        } else {
          for (const auto& [n, v] : kEntities) {
            if (n == entity) {
              cp = v;
              found = true;
            }
          }
        }
        if (found) {
          if (cp == 0xA0) out += ' ';
          else AppendUtf8(cp, &out);
          i = semi + 1;
          continue;
        }
      }
    }
    // HTML's white space is a space; line breaks come from the tags.
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    ++i;
  }
  return TidyLines(out);
}

std::string RedactAddresses(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t at = text.find('@', i);
    if (at == std::string_view::npos) break;
    size_t begin = at;
    while (begin > i && IsAddressChar(text[begin - 1])) --begin;
    size_t end = at + 1;
    while (end < text.size() && IsAddressChar(text[end])) ++end;
    std::string_view domain = text.substr(at + 1, end - at - 1);
    bool address = begin < at && domain.find('.') != std::string_view::npos;
    out.append(text.substr(i, begin - i));
    if (address) out += "[e-mail]";
    else out.append(text.substr(begin, end - begin));
    i = end;
  }
  out.append(text.substr(std::min(i, text.size())));
  return out;
}

Result<ParsedMail> ParseMail(std::string_view message) {
  InitGmime();
  if (message.size() > kMaxMailBytes) {
    return Error{fmt::format("message larger than {} MiB", kMaxMailBytes >> 20)};
  }
  // A message starts with a header field ("Name: value"); mbox's "From " line is allowed.
  std::string_view first = message.substr(0, message.find('\n'));
  size_t colon = first.find(':');
  bool header =
      first.starts_with("From ") ||
      (colon != std::string_view::npos && colon > 0 &&
       std::all_of(first.begin(), first.begin() + colon, [](char c) { return c > 32 && c < 127; }));
  if (!header) return Error{"not a message: it does not start with a header field"};

  Ref<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(message.data(), message.size()));
  Ref<GMimeParser> parser(g_mime_parser_new_with_stream(stream.p));
  GMimeParserOptions* options = g_mime_parser_options_new();
  // Raw 8-bit headers (undeclared charsets) are tried in this order.
  const char* fallback[] = {"UTF-8", "GB18030", "BIG5-HKSCS", nullptr};
  g_mime_parser_options_set_fallback_charsets(options, fallback);
  Ref<GMimeMessage> msg(g_mime_parser_construct_message(parser.p, options));
  g_mime_parser_options_free(options);
  if (!msg.p) return Error{"not a message: GMime could not parse it"};

  ParsedMail mail;
  InternetAddressList* from = g_mime_message_get_from(msg.p);
  for (int i = 0; from && i < internet_address_list_length(from); ++i) {
    InternetAddress* a = internet_address_list_get_address(from, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
      const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
      if (addr && *addr) {
        std::string lower(addr);
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char x) { return std::tolower(x); });
        mail.addresses.push_back(lower);
      }
    }
  }
  if (mail.addresses.empty()) return Error{"not a message: no sender address in From"};
  // "Name <address>" for each sender, the names decoded (RFC 2047) to UTF-8.
  for (int i = 0; i < internet_address_list_length(from); ++i) {
    InternetAddress* a = internet_address_list_get_address(from, i);
    if (!INTERNET_ADDRESS_IS_MAILBOX(a)) continue;
    const char* name = internet_address_get_name(a);
    const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
    if (!mail.from.empty()) mail.from += ", ";
    if (name && *name) mail.from += std::string(name) + " ";
    mail.from += "<" + std::string(addr ? addr : "") + ">";
  }
  if (const char* subject = g_mime_message_get_subject(msg.p)) {
    mail.subject = IsValidUtf8(subject) ? subject : DecodeText(subject, "");
  }

  Walk walk;
  g_mime_message_foreach(msg.p, OnPart, &walk);
  std::string body;
  if (!walk.plain.empty()) {
    for (const std::string& p : walk.plain) {
      if (!body.empty()) body += "\n\n";
      body += TidyLines(NormalizeNewlines(p));
    }
  } else {
    for (const std::string& h : walk.html) {
      if (!body.empty()) body += "\n\n";
      body += HtmlToText(h);
    }
  }
  mail.body = std::move(body);
  mail.attachments = std::move(walk.attachments);
  if (mail.subject.empty() && mail.body.empty() && mail.attachments.empty()) {
    return Error{"empty message: no subject, text or attachment"};
  }
  return mail;
}

Draft MailDraft(const ParsedMail& mail, std::string_view raw_message) {
  Draft sub;
  Statement& st = sub.statement;
  std::string text = mail.subject;
  if (!mail.body.empty()) {
    if (!text.empty()) text += "\n\n";
    text += mail.body;
  }
  text = Nfc(TrimSpace(NormalizeNewlines(RedactAddresses(text))));
  // Control and format characters have no place in a statement: dropped one by one.
  if (HasForbiddenCharacter(text, TextKind::kMultiLine)) {
    std::string clean;
    for (size_t i = 0; i < text.size();) {
      size_t n = 1;
      auto lead = static_cast<unsigned char>(text[i]);
      if (lead >= 0xF0) n = 4;
      else if (lead >= 0xE0) n = 3;
      else if (lead >= 0xC0) n = 2;
      std::string_view cp(text.data() + i, std::min(n, text.size() - i));
      if (!HasForbiddenCharacter(cp, TextKind::kMultiLine)) clean.append(cp);
      i += n;
    }
    text = std::move(clean);
  }
  // The whole message stays sealed; the statement's text is cut to the limit.
  if (CountCodePoints(text) > kMaxTextChars) {
    size_t i = 0, count = 0;
    while (i < text.size() && count < kMaxTextChars - 1) {
      auto lead = static_cast<unsigned char>(text[i]);
      i += lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
      ++count;
    }
    text.resize(i);
    text += "…";
  }
  st.text = std::move(text);
  sub.publish = false;
  sub.hold_reason = "email";
  // Identical mails (a spam wave) share a group, so a moderator rejects them at once.
  uint8_t digest[8];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const uint8_t*>(st.text.data()),
                     st.text.size(), nullptr, 0);
  sub.hold_group = "email:";
  for (uint8_t b : digest) sub.hold_group += fmt::format("{:02x}", b);

  sub.private_fields.emplace_back("email.from", mail.from);
  sub.private_fields.emplace_back("email.message", std::string(raw_message));
  // Numbered: a statement's sealed fields have distinct names (two attachments under one
  // name made the insert fail, and the mail server retry for ever).
  for (size_t i = 0; i < mail.attachments.size(); ++i) {
    const MailAttachment& a = mail.attachments[i];
    std::string plain =
        fmt::format("filename: {}\ncontent-type: {}\n\n", a.filename, a.content_type);
    plain += a.data;
    sub.private_fields.emplace_back(fmt::format("email.attachment.{}", i + 1), std::move(plain));
  }
  return sub;
}

Submission MailSubmission(const ParsedMail& mail, std::string_view raw_message,
                          const safety::OfficePublicKey& office) {
  return Intake::Prepare(MailDraft(mail, raw_message), Channel::kEmail, Language::kSimplified,
                         &office);
}

}  // namespace tuidang::intake
