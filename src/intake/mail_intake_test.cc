#include "intake/mail_intake.h"

#include <gtest/gtest.h>
#include <sodium.h>

namespace tuidang::intake {

TEST(HtmlToTextTest, DropsTagsScriptsAndDecodesEntities) {
  EXPECT_EQ(HtmlToText("<html><head><title>x</title><style>p{}</style></head><body>"
                       "<p>我声明&nbsp;退出&amp;<b>中共</b></p><script>alert(1)</script>"
                       "<div>第二行&#x4E00;&#20108;</div><!-- hidden --></body></html>"),
            "我声明 退出&中共\n\n第二行一二");
}

TEST(RedactTest, ReplacesAddresses) {
  EXPECT_EQ(RedactAddresses("写信给 wang.wei+x@example.cn 或 a@b"), "写信给 [e-mail] 或 a@b");
}

TEST(ParseMailTest, GbkQuotedPrintableBody) {
  std::string mail =
      "From: =?GB2312?B?1cXOsA==?= <zhang@example.cn>\r\n"
      "To: tuidang@center.example\r\n"
      "Subject: =?GB2312?B?zcu1sw==?=\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=GB2312\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n"
      "=CE=D2=CD=CB=B3=F6=D6=D0=B9=B2\r\n";
  auto parsed = ParseMail(mail);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->subject, "退党");
  EXPECT_EQ(parsed->body, "我退出中共");
  EXPECT_EQ(parsed->addresses, std::vector<std::string>{"zhang@example.cn"});
}

TEST(ParseMailTest, RefusesWhatIsNotAMessage) {
  EXPECT_FALSE(ParseMail("just some text\nwithout headers\n"));
  EXPECT_FALSE(ParseMail("Subject: no sender\r\n\r\nbody\r\n"));
}

TEST(MailSubmissionTest, HeldEmailWithSealedSender) {
  ASSERT_GE(sodium_init(), 0);
  auto key = safety::OfficeSecretKey::Generate();
  ASSERT_TRUE(key);
  ParsedMail mail;
  mail.from = "张伟 <zhang@example.cn>";
  mail.addresses = {"zhang@example.cn"};
  mail.subject = "退党";
  mail.body = "我退出中共。回信请寄 zhang@example.cn";
  mail.attachments.push_back({"fax.pdf", "application/pdf", "%PDF-1.4"});
  Submission sub = MailSubmission(mail, "raw", key->Public());
  EXPECT_FALSE(sub.publish);
  EXPECT_EQ(sub.statement.channel, Channel::kEmail);
  EXPECT_EQ(sub.statement.text, "退党\n\n我退出中共。回信请寄 [e-mail]");
  ASSERT_EQ(sub.sealed.size(), 3u);
  EXPECT_EQ(sub.sealed[0].first, "email.from");
  auto from = key->Open(sub.sealed[0].second);
  ASSERT_TRUE(from);
  EXPECT_EQ(*from, mail.from);
  auto attachment = key->Open(sub.sealed[2].second);
  ASSERT_TRUE(attachment);
  EXPECT_EQ(*attachment, "filename: fax.pdf\ncontent-type: application/pdf\n\n%PDF-1.4");
}

}  // namespace tuidang::intake
