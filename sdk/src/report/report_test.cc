#include "report/privacy_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "store/database.h"
#include "testing/device_harness.h"
#include "testing/run_command.h"
#include "testing/status_matchers.h"
#include "testing/test_util.h"
#include "base/byte_sink.h"

namespace tacet::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using vault::ChangeSource;

constexpr char kHostile[] = "<script>alert(\"x\")</script><img src=x onerror=alert(1)>&'";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Fails the test unless python3's html.parser finds every element closed in order, no script
// and no attribute that loads anything (check_html.py).
void ExpectWellFormed(const std::string& html) {
#ifdef TACET_CHECK_HTML
  tacet::testing::TempDir dir;
  const std::string path = dir.File("report.html");
  tacet::testing::WriteFileOrDie(path, ByteView::FromString(html));
  const auto r = tacet::testing::RunCommand(tacet::testing::ShellQuote(TACET_PYTHON3) + " " +
                                            tacet::testing::ShellQuote(TACET_CHECK_HTML) + " " +
                                            tacet::testing::ShellQuote(path));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::StartsWith("ok "));
#else
  GTEST_SKIP() << "python3 not found at configure time";
#endif
}

TEST(HtmlEscapeTest, EscapesMarkupAndReplacesMalformedBytes) {
  EXPECT_EQ(HtmlEscape("<b>&\"'</b>"), "&lt;b&gt;&amp;&quot;&#39;&lt;/b&gt;");
  EXPECT_EQ(HtmlEscape("Zo\xC3\xAB \xF0\x9F\x8E\xB5"), "Zo\xC3\xAB \xF0\x9F\x8E\xB5");
  EXPECT_EQ(HtmlEscape("a\xC3"), "a\xEF\xBF\xBD");             // truncated sequence
  EXPECT_EQ(HtmlEscape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(HtmlEscape("\xC0\xBC"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '<'
  EXPECT_EQ(HtmlEscape(std::string("a\0b\x1b", 4)), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  EXPECT_EQ(HtmlEscape("line\nnext\ttab"), "line\nnext\ttab");
}

// A model built by hand: every string a hostile value.
ReportData HostileModel() {
  ReportData d;
  d.generated_unix_ms = 1704067200000 + 7 * 24 * 3600 * 1000LL;  // 2024-01-08
  d.policy_id = kHostile;
  d.controller = kHostile;
  CategoryReport c;
  c.id = "name";
  c.display_name = kHostile;
  c.description = kHostile;
  c.retention_days = 30;
  c.values = 1;
  FieldReport f;
  f.id = "full_name";
  f.display_name = kHostile;
  f.is_public = true;
  f.values = 1;
  f.newest.push_back({1, 2, kHostile, kHostile, 1704067200000, 1706659200000});
  c.fields.push_back(f);
  d.categories.push_back(c);
  d.consent_available = true;
  d.purposes.push_back({kHostile, kHostile, kHostile, kHostile, kHostile, true});
  d.consent_history.push_back({1, 1704067200000, kHostile, kHostile, kHostile, kHostile});
  d.captures_available = true;
  d.captures.push_back({CaptureKind::kMicrophone, 1704412800000, 1704413100000, kHostile});
  d.disclosures_available = true;
  d.disclosures.push_back({1704412800000, kHostile, kHostile, {kHostile}});
  d.audit.push_back({1, 1704067200000, kHostile, kHostile, kHostile});
  d.audit_total = 1;
  d.privacy_contact = kHostile;
  d.privacy_contact_address = {kHostile, kHostile};
  d.rights.push_back({kHostile, kHostile, true, false});
  d.rights.push_back({kHostile, kHostile, false, true});
  return d;
}

TEST(RenderHtmlTest, HostileTextIsEscapedEverywhere) {
  const std::string html = RenderHtml(HostileModel());
  EXPECT_THAT(Lower(html), Not(HasSubstr("<script")));
  EXPECT_THAT(Lower(html), Not(HasSubstr("<img")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("&lt;img src=x onerror=alert(1)&gt;&amp;&#39;"));
  ExpectWellFormed(html);
}

TEST(RenderHtmlTest, ForbidsScriptsAndLoadsNothing) {
  const std::string html = RenderHtml(HostileModel());
  EXPECT_THAT(html, HasSubstr("<meta http-equiv=\"Content-Security-Policy\" content=\""
                              "default-src 'none'; script-src 'none';"));
  // Escaped text cannot hold a '"', so a quoted src or href here would be a real attribute.
  EXPECT_THAT(Lower(html), Not(HasSubstr(" src=\"")));
  EXPECT_THAT(Lower(html), Not(HasSubstr(" href=\"")));
  EXPECT_THAT(Lower(html), Not(HasSubstr("url(")));
  EXPECT_THAT(Lower(html), Not(HasSubstr("@import")));
}

TEST(RenderHtmlTest, TimelineDrawsCaptureIntervalsOrSaysThereAreNone) {
  ReportData d = HostileModel();
  d.captures = {{CaptureKind::kMicrophone, 1704412800000, 1704413100000, "voice_features"},
                {CaptureKind::kLocation, 1704499200000, 1704502800000, "location_features"},
                // Before the 7-day window: not drawn.
                {CaptureKind::kLocation, 1600000000000, 1600000001000, "old"}};
  std::string html = RenderHtml(d);
  EXPECT_THAT(html, HasSubstr("<svg role=\"img\""));
  EXPECT_THAT(html, HasSubstr("<title>Microphone 2024-01-05 00:00 UTC to 2024-01-05 00:05 UTC "
                              "for voice_features</title>"));
  EXPECT_THAT(html, HasSubstr("<title>Location 2024-01-06 00:00 UTC to 2024-01-06 01:00 UTC "
                              "for location_features</title>"));
  EXPECT_THAT(html, Not(HasSubstr("for old")));
  EXPECT_THAT(html, HasSubstr("1 microphone and 1 location uses in this period."));
  ExpectWellFormed(html);

  d.captures_available = false;
  d.captures.clear();
  html = RenderHtml(d);
  EXPECT_THAT(html, HasSubstr(">No capture records yet</text>"));
  EXPECT_THAT(html, HasSubstr("does not yet keep a log of microphone and location use"));
  d.disclosures_available = false;
  html = RenderHtml(d);
  EXPECT_THAT(html, HasSubstr("No record of sharing yet"));
}

// "Ada" + U+202E (right-to-left override) + "exe.gnp" displays as "Adapng.exe" when the control
// reaches the page; every bidirectional control is shown as a visible marker instead.
TEST(RenderHtmlTest, BidiControlsAreShownNotObeyed) {
  const std::string spoof = "Ada\xE2\x80\xAE" "exe.gnp";
  const std::string marker = "Ada\xE2\x9F\xA8U+202E\xE2\x9F\xA9" "exe.gnp";
  EXPECT_EQ(HtmlEscape(spoof), marker);
  ReportData d = HostileModel();
  d.categories[0].fields[0].newest[0].text = spoof;
  d.categories[0].fields[0].display_name = "Full\xE2\x81\xA7name";  // U+2067 right-to-left isolate
  d.consent_history[0].display_name = "\xE2\x80\xAB" "Billing";  // U+202B right-to-left embedding
  d.audit[0].detail = "\xE2\x80\x8F\xD8\x9C";                 // U+200F RLM, U+061C ALM
  const std::string html = RenderHtml(d);
  EXPECT_THAT(html, HasSubstr(marker));
  EXPECT_THAT(html, HasSubstr("Full\xE2\x9F\xA8U+2067\xE2\x9F\xA9name"));
  EXPECT_THAT(html, HasSubstr("\xE2\x9F\xA8U+202B\xE2\x9F\xA9" "Billing"));
  EXPECT_THAT(html, HasSubstr("\xE2\x9F\xA8U+200F\xE2\x9F\xA9\xE2\x9F\xA8U+061C\xE2\x9F\xA9"));
  for (const char* control : {"\xE2\x80\xAE", "\xE2\x81\xA7", "\xE2\x80\xAB", "\xE2\x80\x8F",
                              "\xD8\x9C"}) {
    EXPECT_THAT(html, Not(HasSubstr(control)));
  }
  ExpectWellFormed(html);
}

// A very long value shows its first kMaxShownCharacters characters; the whole value is one click
// away in a <details> element (no script).
TEST(RenderHtmlTest, LongValuesAreCutWithTheWholeValueBehindDetails) {
  std::string long_value;
  for (int i = 0; i < 150; ++i) long_value += "\xC3\xA9" "<" + std::to_string(i % 10);  // 3 code points
  ASSERT_EQ(long_value.size(), 600u);
  ReportData d = HostileModel();
  d.categories[0].fields[0].newest[0].text = long_value;
  std::string html = RenderHtml(d);
  const std::string first = HtmlEscape(long_value.substr(0, 200 / 3 * 4 + 3));  // 200 code points
  EXPECT_THAT(html, HasSubstr("<td class=\"value\"><details><summary>" + first +
                              "\xE2\x80\xA6 <span class=\"note\">(450 characters: show all)"
                              "</span></summary><div class=\"full\">" + HtmlEscape(long_value) +
                              "</div></details></td>"));
  // The public section's "now" cell too (the field is public in this model).
  EXPECT_EQ(html.find("<details>", html.find("id=\"public\"")) != std::string::npos, true);
  ExpectWellFormed(html);
  // A value of exactly kMaxShownCharacters is shown whole, without a <details>.
  d.categories[0].fields[0].newest[0].text = std::string(kMaxShownCharacters, 'x');
  html = RenderHtml(d);
  EXPECT_THAT(html, HasSubstr("<td class=\"value\">" + std::string(kMaxShownCharacters, 'x') +
                              "</td>"));
  EXPECT_THAT(html, Not(HasSubstr("<details>")));
}

// At a phone's width (420 px) nothing may spill out of a section's card: table cells may break
// long words, the fixed column widths give way below 600 px, and a section scrolls sideways
// rather than overflow. (The rules are checked here; the page was not rendered by a browser.)
TEST(RenderHtmlTest, NarrowScreensKeepTablesInsideTheirCards) {
  const std::string html = RenderHtml(HostileModel());
  EXPECT_THAT(html, HasSubstr("border-bottom:1px solid var(--line);\noverflow-wrap:anywhere}"));
  EXPECT_THAT(html, HasSubstr("margin:20px 0;overflow-x:auto}"));
  EXPECT_THAT(html, HasSubstr("@media (max-width:600px){"));
  EXPECT_THAT(html, HasSubstr(".cat table{table-layout:auto}.cat th:nth-child(n){width:auto}}"));
  EXPECT_THAT(html, HasSubstr("<meta name=\"viewport\" content=\"width=device-width"));
}

// The report as every client gets it: through the Agent, on the one device harness.
class PrivacyReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent_ = h_.agent();
    ASSERT_NE(agent_, nullptr);
  }
  // The page, or "" after failing the test.
  std::string ReportHtml() {
    StringSink sink;
    EXPECT_OK(agent_->Report(sink).status());
    return sink.out;
  }
  // The subject and detail of the newest audit entry, read from the database.
  void LastAuditEntry(std::string* subject, std::string* detail) {
    std::unique_ptr<store::Database> db = h_.Inspect();
    ASSERT_NE(db, nullptr);
    ASSERT_OK_AND_ASSIGN(store::Statement last,
                         db->Prepare("SELECT subject, detail FROM audit_entries "
                                     "ORDER BY seq DESC LIMIT 1"));
    ASSERT_OK_AND_ASSIGN(bool row, last.Step());
    ASSERT_TRUE(row) << "no audit entry";
    *subject = last.ColumnText(0);
    *detail = last.ColumnText(1);
  }
  tacet::testing::DeviceHarness h_;
  agent::Agent* agent_ = nullptr;
};

TEST_F(PrivacyReportTest, ShowsEveryCategoryHeldPublicFieldsConsentsAndRetention) {
  h_.GrantEverything(*agent_);
  ASSERT_OK(agent_->SetValue("name", "full_name", kHostile, ChangeSource::kUser).status());
  ASSERT_OK(agent_->SetValue("contact", "email_address", "ada@example.org", ChangeSource::kUser)
                .status());
  h_.device().clock().AdvanceBy(60'000);
  ASSERT_OK(agent_->SetValue("contact", "email_address", "ada@example.net", ChangeSource::kUser)
                .status());
  ASSERT_OK(agent_->AddValue("location", "precise_location", "52.517339,13.388861",
                             ChangeSource::kApp).status());
  ASSERT_OK(agent_->AddValue("voice", "voice_recordings", std::string("RIFF\0\x01", 6),
                             ChangeSource::kApp).status());
  ASSERT_OK(agent_->SetValue("public_profile", "name_or_username", "ada_l", ChangeSource::kUser)
                .status());
  for (int i = 0; i < 25; ++i) {
    ASSERT_OK(agent_->AddValue("usage", "listening_history", "track " + std::to_string(i),
                               ChangeSource::kApp).status());
  }

  StringSink sink;
  ASSERT_OK_AND_ASSIGN(ReportSummary summary, agent_->Report(sink));
  EXPECT_EQ(summary.records, 30);
  EXPECT_EQ(summary.categories_held, 6);
  const std::string& html = sink.out;

  EXPECT_THAT(Lower(html), Not(HasSubstr("<script")));
  EXPECT_THAT(html, HasSubstr(HtmlEscape(kHostile)));
  for (const char* name : {"Name", "Contact information", "Location", "Voice data",
                           "Public profile", "Interactions with the service"}) {
    EXPECT_THAT(html, HasSubstr("<h3>" + std::string(name))) << name;
  }
  // The current e-mail and its kept earlier version.
  EXPECT_THAT(html, HasSubstr("ada@example.net"));
  EXPECT_THAT(html, HasSubstr("1 earlier version kept"));
  EXPECT_THAT(html, HasSubstr("corrected (version 2)"));
  // Audio is described, not dumped.
  EXPECT_THAT(html, HasSubstr("(6 bytes of audio)"));
  // At most kMaxValuesPerField values per field: the newest; the rest counted.
  EXPECT_THAT(html, HasSubstr(">track 24<"));
  EXPECT_THAT(html, Not(HasSubstr(">track 4<")));
  EXPECT_THAT(html, HasSubstr("and 5 older values"));
  // Public fields with their current value.
  EXPECT_THAT(html, HasSubstr("<td>Name and/or username</td><td>Public profile</td>"
                              "<td class=\"value\">ada_l</td>"));
  EXPECT_THAT(html, HasSubstr("<td>Profile picture</td><td>Public profile</td>"
                              "<td class=\"empty\">not set</td>"));
  // Retention: location is kept 30 days; written 2024-01-01 00:01, deleted by 2024-01-31.
  EXPECT_THAT(html, HasSubstr("Kept 30 days after each value is written. Next deletion: 2024-01-31."));
  // Consent and its history; the honest empty states of the sections other modules fill.
  EXPECT_THAT(html, HasSubstr("<td>Features and content based on location</td>"));
  // The history of choices in the policy's words, as the rest of the page.
  EXPECT_THAT(html, HasSubstr("<td>Voice features</td><td>granted</td><td>user</td>"));
  EXPECT_THAT(html, HasSubstr("<td>Billing and purchase information</td><td>provided</td>"
                              "<td>user</td>"));
  EXPECT_THAT(html, HasSubstr("<td>Location access</td><td>precise</td><td>user</td>"));
  EXPECT_THAT(html, Not(HasSubstr("category:billing")));
  EXPECT_THAT(html, Not(HasSubstr("purpose:voice_features")));
  // The agent keeps the capture access log: the timeline is available, with nothing in it.
  EXPECT_THAT(html, HasSubstr(">Not used in this period</text>"));
  // The agent keeps the sharing log (issue 10): the section is available, with nothing in it.
  EXPECT_THAT(html, HasSubstr("Nothing has been shared from this device."));
  EXPECT_THAT(html, Not(HasSubstr("No record of sharing yet")));
  EXPECT_THAT(html, HasSubstr("<td>correction</td><td>contact.email_address</td>"));
  ExpectWellFormed(html);

  // The report is an access to the data: audited, after the page was written.
  ASSERT_OK_AND_ASSIGN(int64_t count, agent_->AuditEntryCount());
  std::string last_subject, last_detail;
  LastAuditEntry(&last_subject, &last_detail);
  EXPECT_EQ(count, 2);
  EXPECT_EQ(last_subject, "privacy_report");
  EXPECT_EQ(last_detail, "records=30 categories=6");
}

// The seed's rights section: "If you'd like to ask for a copy of your information, or to have it
// corrected, please contact us at privacy@spotify.com, or Spotify USA inc. 150 Greenwich Street,
// Floor 62, New York, NY 10007, USA." The page gives both ways, and what each right is.
TEST_F(PrivacyReportTest, ShowsHowToAskForACopyOrACorrectionByEmailAndByPost) {
  const std::string html = ReportHtml();
  const size_t rights = html.find("<section id=\"rights\"><h2>Your rights</h2>");
  ASSERT_NE(rights, std::string::npos);
  const std::string section = html.substr(rights, html.find("</section>", rights) - rights);
  EXPECT_THAT(section, HasSubstr("<h3>Ask the privacy contact</h3>"));
  // Exactly two rights go through the privacy contact, in the policy's order: a copy
  // (request_copy) and a correction (request_correction).
  EXPECT_THAT(section, HasSubstr("<p>By e-mail or by post to the privacy contact, below:</p><ul>"
                                 "<li>Ask for a copy of any personal information held about the "
                                 "user.</li><li>Ask for personal information to be corrected if "
                                 "the user thinks it is wrong.</li></ul>"));
  EXPECT_THAT(section, HasSubstr("<li>Ask for a copy of any personal information held about the "
                                 "user.</li>"));
  EXPECT_THAT(section, HasSubstr("<li>Ask for personal information to be corrected if the user "
                                 "thinks it is wrong.</li>"));
  // The policy's privacy contact, and its postal address line by line.
  EXPECT_THAT(section, HasSubstr("<p>E-mail: privacy@spotify.com</p>"));
  EXPECT_THAT(section, HasSubstr("<p>Post:</p><address>Spotify USA Inc.<br>150 Greenwich Street"
                                 "<br>Floor 62<br>New York, NY 10007<br>USA</address>"));
  EXPECT_THAT(html, Not(HasSubstr("The policy names no privacy contact to write to.")));
  // edit_personal_information is self-service.
  EXPECT_THAT(section, HasSubstr("<h3>In the app, without asking anyone</h3><ul>"));
  EXPECT_THAT(section, HasSubstr("<li>Edit or change personal information at any time.</li>"));
  ExpectWellFormed(html);
}

// The consent section says the history of choices outlives an erasure, as proof.
TEST_F(PrivacyReportTest, SaysTheConsentHistoryIsKeptAsProof) {
  h_.GrantEverything(*agent_);
  ASSERT_OK(agent_->SetValue("name", "full_name", "Ada", ChangeSource::kUser).status());
  ASSERT_OK(agent_->EraseAll().status());
  ASSERT_OK_AND_ASSIGN(auto history, agent_->ConsentHistory());
  EXPECT_FALSE(history.empty());  // the erasure left the history
  const std::string html = ReportHtml();
  const size_t consent = html.find("<section id=\"consent\">");
  ASSERT_NE(consent, std::string::npos);
  const std::string section = html.substr(consent, html.find("</section>", consent) - consent);
  EXPECT_THAT(section, HasSubstr("This history is kept as proof of the choices you made. Erasing "
                                 "your data, even everything, and the end of a retention period do "
                                 "not delete it"));
}

// Without a contact or rights in the model, the section says so rather than staying blank.
TEST(RenderHtmlTest, RightsSectionSaysWhenThePolicyNamesNoContact) {
  ReportData d;
  d.generated_unix_ms = 1704067200000;
  std::string html = RenderHtml(d);
  EXPECT_THAT(html, HasSubstr("The policy lists no rights and no contact."));
  d.rights.push_back({"request_copy", "Ask for a copy", false, true});
  html = RenderHtml(d);
  EXPECT_THAT(html, HasSubstr("<li>Ask for a copy.</li>"));
  EXPECT_THAT(html, HasSubstr("The policy names no privacy contact to write to."));
  ExpectWellFormed(html);
}

class FailingSink final : public ByteSink {
 public:
  Status Write(std::string_view) override { return UnavailableError("disk full"); }
};

TEST_F(PrivacyReportTest, AFailedReportLeavesNoAuditEntry) {
  ASSERT_OK(agent_->SetValue("name", "full_name", "Ada", ChangeSource::kUser).status());
  FailingSink sink;
  EXPECT_THAT(agent_->Report(sink).status(), StatusIs(StatusCode::kUnavailable));
  ASSERT_OK_AND_ASSIGN(int64_t count, agent_->AuditEntryCount());
  EXPECT_EQ(count, 0);
}

TEST_F(PrivacyReportTest, AnEmptyVaultSaysNothingIsHeld) {
  StringSink sink;
  ASSERT_OK_AND_ASSIGN(ReportSummary summary, agent_->Report(sink));
  EXPECT_EQ(summary.records, 0);
  EXPECT_THAT(sink.out, HasSubstr("<b>0</b><span>values held, in 0 of 9 categories</span>"));
  EXPECT_THAT(sink.out, HasSubstr("You have not changed anything yet"));
  ExpectWellFormed(sink.out);
}

}  // namespace
}  // namespace tacet::report
