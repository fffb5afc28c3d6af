// tuidang mail-intake: one message on standard input (Postfix's pipe transport) becomes a
// held e-mail statement (docs/mail-intake.md). The exit code is what the mail server acts
// on (sysexits(3)): 0 delivered, 75 try again later (the mail stays queued), 65 refused for
// good (bounced to the sender).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>
#include <sodium.h>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/exit_codes.h"
#include "intake/intake.h"
#include "intake/mail_intake.h"
#include "intake/sequencer.h"
#include "safety/seal.h"

namespace tuidang::cli {

namespace {

// Messages go to stderr, which Postfix quotes in its logs and bounces: never the sender's
// address or the message's content.
int Fail(int code, std::string_view why) {
  fmt::print(stderr, "tuidang mail-intake: {}\n", why);
  return code;
}

// Reads standard input up to `limit` + 1 bytes; the rest is drained, so that the mail
// server sees our exit code and not a broken pipe.
std::string ReadStdin(size_t limit, bool* too_big) {
  std::string data;
  char buf[65536];
  *too_big = false;
  while (true) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (data.size() + static_cast<size_t>(n) > limit) *too_big = true;
    if (!*too_big) data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

int MailIntake(const std::string& data_path) {
  ::umask(077);
  bool too_big = false;
  std::string message = ReadStdin(intake::kMaxMailBytes, &too_big);
  if (too_big) {
    return Fail(kExDataErr,
                fmt::format("message too big (the limit is {} MiB)", intake::kMaxMailBytes >> 20));
  }
  if (sodium_init() < 0) return Fail(kExTempFail, "libsodium failed to initialise");
  // Configuration problems are temporary: the mail waits in the queue until they are fixed.
  DataDir dir{data_path};
  auto config = PrepareDataDir(dir);
  if (!config) return Fail(kExTempFail, config.error());
  if (config->office_public_key.empty()) {
    return Fail(kExTempFail,
                "no office_public_key in tuidang.toml: e-mails cannot be sealed, so none is "
                "stored (the mail stays queued)");
  }
  auto office = safety::ParseOfficePublicKey(config->office_public_key);
  if (!office) return Fail(kExTempFail, "office_public_key: " + office.error());

  auto mail = intake::ParseMail(message);
  if (!mail) return Fail(kExDataErr, mail.error());

  auto store = OpenStore(dir.Location(*config));
  if (!store) return Fail(kExTempFail, store.error());
  // The one intake entry point, through a writer of this process's own (SQLite serialises
  // it with the server's).
  Sequencer sequencer(store->get(), /*queue_limit=*/1, /*max_batch=*/1);
  intake::Intake in(&sequencer, /*guard=*/nullptr, &*office);
  Status stored = AwaitWrite<Status>(
      [&](Sequencer::Then<Status> then) {
        return in
            .Submit(intake::MailDraft(*mail, message), Channel::kEmail, Language::kSimplified,
                    std::nullopt, std::nullopt,
                    [then](const Status& s, const Submission&, const Committed&) { then(s); })
            .queued();
      },
      Status::Fail("the intake queue refused the message"));
  if (!stored) return Fail(kExTempFail, stored.message());  // busy or locked: the server retries
  return 0;
}

}  // namespace

Subcommand AddMailIntake(CLI::App& app) {
  auto data = std::make_shared<std::string>("./data");
  CLI::App* cmd = app.add_subcommand(
      "mail-intake",
      "Read one e-mail (RFC 5322) on standard input, as Postfix's pipe transport delivers "
      "it, and store it as a held statement for a volunteer to complete; the sender, the "
      "message and its attachments are sealed to the office key. Exit codes follow "
      "sysexits: 75 asks the mail server to retry, 65 refuses the message. See "
      "docs/mail-intake.md.");
  cmd->add_option("--data", *data, "Data folder")->capture_default_str();
  return {cmd, [data] { return MailIntake(*data); }};
}

}  // namespace tuidang::cli
