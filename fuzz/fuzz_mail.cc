// The e-mail intake (src/intake/mail_intake.cc, GMime 3): a message as the mail server's
// pipe delivers it, parsed, turned into the held, sealed statement, plus the HTML-to-text
// and address-redaction helpers on the same bytes.
#include <sodium.h>

#include <cstdlib>
#include <string_view>

#include "intake/mail_intake.h"
#include "safety/seal.h"

using namespace tuidang;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = sodium_init() >= 0;
  if (!init) std::abort();
  static safety::OfficePublicKey office = [] {
    auto key = safety::OfficeSecretKey::Generate();
    if (!key) std::abort();
    return key->Public();
  }();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto mail = intake::ParseMail(in);
  if (mail) {
    Submission sub = intake::MailSubmission(*mail, in, office);
    // Mail is never published unseen, and the sender never appears in clear.
    if (sub.publish) std::abort();
  }
  (void)intake::HtmlToText(in);
  (void)intake::RedactAddresses(in);
  return 0;
}
