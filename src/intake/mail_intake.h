// E-mail intake: one RFC 5322 message, as a mail server's pipe transport delivers it,
// becomes a held statement for a volunteer to complete (`tuidang mail-intake`,
// docs/mail-intake.md). Parsed with GMime 3.
//
// The sender's address, the raw message and the attachments are private: they leave this
// file only sealed to the office key (safety/seal.h), never in clear.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "intake/intake.h"
#include "safety/seal.h"
#include "store/store.h"

namespace tuidang::intake {

// Larger messages are refused permanently: a letter with a fax PDF or a few scans fits
// well within it, and Postfix's own default message_size_limit is 10 MB.
constexpr size_t kMaxMailBytes = 25u << 20;

struct MailAttachment {
  std::string filename;      // as the sender named it (may be empty)
  std::string content_type;  // "application/pdf"
  std::string data;          // decoded (base64 / quoted-printable undone)
};

struct ParsedMail {
  std::string from;                    // the From header as written (display names and addresses)
  std::vector<std::string> addresses;  // the sender's addr-specs, lower-cased
  std::string subject;                 // UTF-8
  std::string body;  // UTF-8, LF line ends: the text/plain parts, else the HTML as text
  std::vector<MailAttachment> attachments;
};

// Parses `message`. Returns an error for what is not a message: no header block, no From
// address, or nothing in it at all. REQUIRES: nothing (initialises GMime once).
Result<ParsedMail> ParseMail(std::string_view message);

// The held e-mail statement, for Intake::Submit on channel e-mail (language Simplified
// Chinese): publish = false, held as "email" in a group of the identical texts, the
// subject and body as text (e-mail addresses in it redacted, cut to the text limit), and as
// private fields, to be sealed: the sender ("email.from"), the raw message
// ("email.message") and each attachment ("email.attachment.1", ".2", ...:
// "filename: ...\ncontent-type: ...\n\n" then the bytes).
Draft MailDraft(const ParsedMail& mail, std::string_view raw_message);
// MailDraft as the intake prepares it (Intake::Prepare), sealed to `office`.
// REQUIRES: sodium_init() was called.
Submission MailSubmission(const ParsedMail& mail, std::string_view raw_message,
                          const safety::OfficePublicKey& office);

// Exposed for tests.
// Readable text of an HTML document: tags dropped (script, style and head with their
// content), block ends as line breaks, entities decoded.
std::string HtmlToText(std::string_view html);
// `text` with every e-mail address replaced by "[e-mail]".
std::string RedactAddresses(std::string_view text);

}  // namespace tuidang::intake
