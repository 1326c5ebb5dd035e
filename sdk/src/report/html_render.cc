// Rendering the report's model as one self-contained HTML page (HTML5, inline CSS and SVG).
#include <algorithm>
#include <cstdio>
#include <string>

#include "base/time_format.h"
#include "base/utf8.h"
#include "report/privacy_report.h"

namespace tacet::report {
namespace {

constexpr int64_t kDayMs = 24LL * 60 * 60 * 1000;

// script-src and everything else 'none': the page runs nothing and loads nothing; the only
// styles are the inline <style> block and SVG attributes.
constexpr char kCsp[] =
    "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src 'none'; "
    "base-uri 'none'; form-action 'none'";

constexpr char kCss[] = R"css(
:root{--ink:#1d2433;--muted:#5b6478;--line:#e3e6ee;--card:#fff;--bg:#f4f6fa;--accent:#3454d1;
--mic:#e0613a;--loc:#2d8f6f;--ok:#1f7a4d;--no:#a33a3a}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1040px;margin:0 auto;padding:32px 24px 48px}
header h1{margin:0 0 4px;font-size:28px}
header p{margin:0;color:var(--muted)}
.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(180px,100%),1fr));gap:12px;
margin:24px 0}
.stat{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px 16px}
.stat b{display:block;font-size:24px}
.stat span{color:var(--muted);font-size:13px}
section{background:var(--card);border:1px solid var(--line);border-radius:14px;
padding:20px 24px;margin:20px 0;overflow-x:auto}
section h2{margin:0 0 4px;font-size:20px}
section>p.lead{margin:0 0 14px;color:var(--muted)}
h3{margin:18px 0 6px;font-size:16px}
.cat{border-top:1px solid var(--line);padding:12px 0}
.cat:first-of-type{border-top:none}
.cat .meta{color:var(--muted);font-size:13px;margin:2px 0}
.cat table{table-layout:fixed}
.cat th:nth-child(1){width:26%}.cat th:nth-child(2){width:38%}.cat th:nth-child(3){width:22%}
table{border-collapse:collapse;width:100%;font-size:14px;margin:6px 0}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line);
overflow-wrap:anywhere}
th{font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;
letter-spacing:.04em}
td.value{white-space:pre-wrap;word-break:break-word;font-family:ui-monospace,Menlo,Consolas,
monospace;font-size:13px;unicode-bidi:plaintext}
td.value summary{cursor:pointer}
td.value .full{margin-top:6px;padding-top:6px;border-top:1px dashed var(--line)}
.badge{display:inline-block;border-radius:999px;padding:1px 8px;font-size:12px;
font-weight:600;margin-left:6px}
.public{background:#fff1d6;color:#8a5a00}
.granted,.allowed{background:#e2f5ea;color:var(--ok)}
.denied,.blocked{background:#fbe4e4;color:var(--no)}
.unknown,.none{background:#eceff5;color:var(--muted)}
.empty{color:var(--muted);font-style:italic;margin:6px 0}
.note{color:var(--muted);font-size:13px}
svg{display:block;width:100%;height:auto}
address{font-style:normal;margin:4px 0 10px;padding-left:12px;border-left:3px solid var(--line)}
footer{color:var(--muted);font-size:13px;text-align:center;margin-top:28px}
@media (max-width:600px){main{padding:16px 8px 32px}section{padding:14px 10px}
th,td{padding:5px 4px}th{letter-spacing:0;font-size:11px}
.cat table{table-layout:auto}.cat th:nth-child(n){width:auto}}
)css";

// Appends U+FFFD.
void Replacement(std::string* out) { out->append("\xEF\xBF\xBD"); }

// Length of the UTF-8 sequence a lead byte starts (RFC 3629 §4), 0 for a byte that cannot lead.
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// The byte length of the first `max` code points of `s` (all of `s` when it has no more). Counts
// lead bytes, so a cut never splits a UTF-8 sequence.
size_t CutAfterCodePoints(std::string_view s, size_t max) {
  size_t count = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (count == max) return i;
    ++count;
  }
  return s.size();
}

std::string Time(int64_t unix_ms) {
  auto t = FormatRfc3339Utc(unix_ms);
  if (!t.ok()) return "(time out of range)";
  // "2024-01-01T00:00:05.000Z" → "2024-01-01 00:00 UTC": a person needs minutes, not millis.
  return t->substr(0, 10) + " " + t->substr(11, 5) + " UTC";
}
std::string Day(int64_t unix_ms) {
  auto t = FormatRfc3339Utc(unix_ms);
  return t.ok() ? t->substr(0, 10) : "(out of range)";
}

// An id as words for a person: "policy_default" → "policy default".
std::string Words(std::string s) {
  for (char& c : s) c = c == '_' ? ' ' : c;
  return s;
}

// `s` ending in exactly one full stop.
std::string Sentence(const std::string& s) {
  return !s.empty() && s.back() == '.' ? s : s + ".";
}

std::string Num(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", v);
  return buffer;
}

class Page {
 public:
  Page& raw(std::string_view s) {
    out_.append(s.data(), s.size());
    return *this;
  }
  Page& text(std::string_view s) {
    out_ += HtmlEscape(s);
    return *this;
  }
  Page& num(int64_t n) {
    out_ += std::to_string(n);
    return *this;
  }
  // <tag class="cls">escaped text</tag>
  Page& el(std::string_view tag, std::string_view cls, std::string_view s) {
    raw("<").raw(tag);
    if (!cls.empty()) raw(" class=\"").text(cls).raw("\"");
    return raw(">").text(s).raw("</").raw(tag).raw(">");
  }
  // <td class="value"> holding `s`; past kMaxShownCharacters code points, the start of it as the
  // summary of a <details> element that holds the whole value (opened without script).
  Page& value_cell(std::string_view s) {
    raw("<td class=\"value\">");
    const size_t cut = CutAfterCodePoints(s, kMaxShownCharacters);
    if (cut == s.size()) return text(s).raw("</td>");
    raw("<details><summary>").text(s.substr(0, cut)).raw("\xE2\x80\xA6 <span class=\"note\">");
    text("(" + std::to_string(Utf8CodePointCount(s)) + " characters: show all)");
    return raw("</span></summary><div class=\"full\">").text(s).raw("</div></details></td>");
  }
  Page& badge(std::string_view cls, std::string_view s) {
    return raw("<span class=\"badge ").text(cls).raw("\">").text(s).raw("</span>");
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

void Stat(Page& p, const std::string& value, std::string_view label) {
  p.raw("<div class=\"stat\"><b>").text(value).raw("</b><span>").text(label).raw("</span></div>");
}

void Held(Page& p, const ReportData& d) {
  p.raw("<section id=\"held\"><h2>What is held about you</h2>");
  p.el("p", "lead", "Every value this device keeps, by category, with when it will be deleted. "
                    "Values are stored encrypted; they are shown here because this is your "
                    "own report.");
  for (const CategoryReport& c : d.categories) {
    p.raw("<div class=\"cat\"><h3>").text(c.display_name);
    if (c.optional) p.badge(c.consent == "provided" ? "granted" : "unknown", "optional: " + c.consent);
    p.raw("</h3>");
    if (!c.description.empty()) p.el("p", "meta", c.description);
    std::string retention = c.retention_days > 0
                                ? "Kept " + std::to_string(c.retention_days) +
                                      " days after each value is written."
                                : "No retention period in the policy.";
    if (c.next_expiry_unix_ms > 0) retention += " Next deletion: " + Day(c.next_expiry_unix_ms) + ".";
    p.el("p", "meta", retention);
    if (c.values == 0) {
      p.el("p", "empty", "Nothing held.");
      p.raw("</div>");
      continue;
    }
    p.raw("<table><thead><tr><th>Field</th><th>Value</th><th>Written</th><th>Deleted by</th>"
          "</tr></thead><tbody>");
    for (const FieldReport& f : c.fields) {
      if (f.values == 0) continue;
      for (size_t i = 0; i < f.newest.size(); ++i) {
        const ValueItem& v = f.newest[i];
        p.raw("<tr><td>");
        if (i == 0) {
          p.text(f.display_name);
          if (f.is_public) p.badge("public", "public");
          if (f.past_versions > 0) {
            p.raw("<div class=\"note\">").num(f.past_versions)
                .text(f.past_versions == 1 ? " earlier version kept" : " earlier versions kept")
                .raw("</div>");
          }
        }
        p.raw("</td>");
        p.value_cell(v.text);
        p.raw("<td>").text(Time(v.written_unix_ms));
        p.raw("<div class=\"note\">by ").text(v.source);
        if (v.version > 1) p.text(", corrected (version " + std::to_string(v.version) + ")");
        p.raw("</div></td>");
        p.el("td", "", v.expires_unix_ms > 0 ? Day(v.expires_unix_ms) : "unknown");
        p.raw("</tr>");
      }
      if (f.values > static_cast<int64_t>(f.newest.size())) {
        p.raw("<tr><td></td><td colspan=\"3\" class=\"note\">and ")
            .num(f.values - static_cast<int64_t>(f.newest.size()))
            .text(" older values (all of them are in the export)")
            .raw("</td></tr>");
      }
    }
    p.raw("</tbody></table></div>");
  }
  p.raw("</section>");
}

void Public(Page& p, const ReportData& d) {
  p.raw("<section id=\"public\"><h2>What others can see</h2>");
  p.el("p", "lead", "Fields the policy makes public on your profile, and what they hold now.");
  p.raw("<table><thead><tr><th>Field</th><th>Category</th><th>Now</th></tr></thead><tbody>");
  for (const CategoryReport& c : d.categories) {
    for (const FieldReport& f : c.fields) {
      if (!f.is_public) continue;
      p.raw("<tr>").el("td", "", f.display_name).el("td", "", c.display_name);
      if (f.newest.empty()) {
        p.el("td", "empty", "not set");
      } else {
        p.value_cell(f.newest.back().text);
      }
      p.raw("</tr>");
    }
  }
  p.raw("</tbody></table></section>");
}

// The capture timeline: one lane per sensor over the last kTimelineDays days, a bar per use.
void Timeline(Page& p, const ReportData& d) {
  p.raw("<section id=\"capture\"><h2>Microphone and location use</h2>");
  p.el("p", "lead", "When the microphone and your location were used in the last " +
                        std::to_string(kTimelineDays) + " days, and for what. Location access "
                        "currently allowed: " + d.location_precision + ".");
  const int64_t end = d.generated_unix_ms;
  const int64_t begin = end - kTimelineDays * kDayMs;
  constexpr double kLeft = 110, kWidth = 840, kLaneTop = 20, kLaneHeight = 34, kGap = 16;
  const double total_height = kLaneTop + 2 * kLaneHeight + kGap + 34;
  p.raw("<svg role=\"img\" aria-labelledby=\"tl-title\" viewBox=\"0 0 960 ")
      .raw(Num(total_height))
      .raw("\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"tl-title\">")
      .text("Microphone and location use, " + Day(begin) + " to " + Day(end))
      .raw("</title>");
  auto x_of = [&](int64_t t) {
    const double f = static_cast<double>(t - begin) / static_cast<double>(end - begin);
    return kLeft + kWidth * std::clamp(f, 0.0, 1.0);
  };
  const char* lanes[2] = {"Microphone", "Location"};
  const char* colours[2] = {"#e0613a", "#2d8f6f"};
  for (int lane = 0; lane < 2; ++lane) {
    const double y = kLaneTop + lane * (kLaneHeight + kGap);
    p.raw("<rect x=\"").raw(Num(kLeft)).raw("\" y=\"").raw(Num(y)).raw("\" width=\"")
        .raw(Num(kWidth)).raw("\" height=\"").raw(Num(kLaneHeight))
        .raw("\" rx=\"6\" fill=\"#eef1f7\"/>");
    p.raw("<text x=\"").raw(Num(kLeft - 10)).raw("\" y=\"").raw(Num(y + kLaneHeight / 2 + 5))
        .raw("\" text-anchor=\"end\" font-size=\"14\" fill=\"#1d2433\">").text(lanes[lane])
        .raw("</text>");
  }
  // Midnight (UTC) gridlines and day labels.
  for (int64_t t = begin - begin % kDayMs + kDayMs; t <= end; t += kDayMs) {
    const double x = x_of(t);
    p.raw("<line x1=\"").raw(Num(x)).raw("\" x2=\"").raw(Num(x)).raw("\" y1=\"")
        .raw(Num(kLaneTop - 4)).raw("\" y2=\"").raw(Num(total_height - 28))
        .raw("\" stroke=\"#c9cfdc\" stroke-dasharray=\"3 3\"/>");
    p.raw("<text x=\"").raw(Num(x)).raw("\" y=\"").raw(Num(total_height - 10))
        .raw("\" text-anchor=\"middle\" font-size=\"12\" fill=\"#5b6478\">")
        .text(Day(t).substr(5)).raw("</text>");
  }
  int64_t shown[2] = {0, 0};
  for (const CaptureInterval& c : d.captures) {
    if (c.end_unix_ms < begin || c.start_unix_ms > end) continue;
    const int lane = c.kind == CaptureKind::kMicrophone ? 0 : 1;
    const double y = kLaneTop + lane * (kLaneHeight + kGap);
    const double x0 = x_of(c.start_unix_ms);
    const double w = std::max(2.0, x_of(c.end_unix_ms) - x0);
    ++shown[lane];
    p.raw("<rect x=\"").raw(Num(x0)).raw("\" y=\"").raw(Num(y + 4)).raw("\" width=\"")
        .raw(Num(w)).raw("\" height=\"").raw(Num(kLaneHeight - 8)).raw("\" rx=\"2\" fill=\"")
        .raw(colours[lane]).raw("\"><title>")
        .text(std::string(lanes[lane]) + " " + Time(c.start_unix_ms) + " to " +
              Time(c.end_unix_ms) + (c.feature.empty() ? "" : " for " + c.feature))
        .raw("</title></rect>");
  }
  if (!d.captures_available || shown[0] + shown[1] == 0) {
    p.raw("<text x=\"").raw(Num(kLeft + kWidth / 2)).raw("\" y=\"")
        .raw(Num(kLaneTop + kLaneHeight + kGap / 2 + 5))
        .raw("\" text-anchor=\"middle\" font-size=\"14\" fill=\"#5b6478\">")
        .text(d.captures_available ? "Not used in this period" : "No capture records yet")
        .raw("</text>");
  }
  p.raw("</svg>");
  if (!d.captures_available) {
    p.el("p", "note",
         "No capture records yet: this version of Tacet does not yet keep a log of microphone and "
         "location use, so none can be shown. When the capture gates record it, every use "
         "appears on this chart.");
  } else {
    p.el("p", "note", std::to_string(shown[0]) + " microphone and " + std::to_string(shown[1]) +
                          " location uses in this period.");
  }
  p.raw("</section>");
}

void ConsentTable(Page& p, const std::vector<ConsentItem>& items, bool with_basis) {
  p.raw("<table><thead><tr><th>What</th><th>Your choice</th><th>In effect</th>");
  if (with_basis) p.raw("<th>Basis</th>");
  p.raw("<th>Decided by</th></tr></thead><tbody>");
  for (const ConsentItem& c : items) {
    p.raw("<tr><td>").text(c.display_name.empty() ? c.id : c.display_name).raw("</td><td>");
    p.badge(c.state, c.state).raw("</td><td>");
    p.badge(c.allowed ? "allowed" : "blocked", c.allowed ? "allowed" : "blocked").raw("</td>");
    if (with_basis) p.el("td", "", Words(c.note));
    p.el("td", "", Words(c.source)).raw("</tr>");
  }
  p.raw("</tbody></table>");
}

void Consent(Page& p, const ReportData& d) {
  p.raw("<section id=\"consent\"><h2>Your choices</h2>");
  if (!d.consent_available) {
    p.el("p", "empty", "The consent ledger was not available to this report.");
    p.raw("</section>");
    return;
  }
  p.el("p", "lead", "What you agreed to, what you refused, and what the policy does without "
                    "asking (contract and legitimate interest).");
  p.el("h3", "", "Purposes");
  ConsentTable(p, d.purposes, true);
  p.el("h3", "", "Messages");
  ConsentTable(p, d.channels, false);
  p.el("h3", "", "History of your choices");
  p.el("p", "note", "This history is kept as proof of the choices you made. Erasing your data, "
                    "even everything, and the end of a retention period do not delete it: it "
                    "records your decisions, not the data they are about.");
  if (d.consent_history.empty()) {
    p.el("p", "empty", "You have not changed anything yet; the policy's defaults apply.");
  } else {
    p.raw("<table><thead><tr><th>#</th><th>When</th><th>What</th><th>Set to</th>"
          "<th>By</th></tr></thead><tbody>");
    for (const ConsentChange& c : d.consent_history) {
      p.raw("<tr><td>").num(c.seq).raw("</td>").el("td", "", Time(c.time_unix_ms))
          .el("td", "", c.display_name.empty() ? c.subject : c.display_name)
          .el("td", "", c.state).el("td", "", Words(c.source)).raw("</tr>");
    }
    p.raw("</tbody></table>");
  }
  p.raw("</section>");
}

void Shared(Page& p, const ReportData& d) {
  p.raw("<section id=\"shared\"><h2>What was shared, and with whom</h2>");
  if (!d.disclosures_available) {
    p.el("p", "empty",
         "No record of sharing yet: this version of Tacet does not yet record what leaves the "
         "device. When it does, each disclosure appears here with its recipient.");
  } else if (d.disclosures.empty()) {
    p.el("p", "empty", "Nothing has been shared from this device.");
  } else {
    p.raw("<table><thead><tr><th>When</th><th>Recipient</th><th>Purpose</th><th>Categories</th>"
          "</tr></thead><tbody>");
    for (const Disclosure& s : d.disclosures) {
      std::string categories;
      for (const std::string& c : s.categories) categories += (categories.empty() ? "" : ", ") + c;
      p.raw("<tr>").el("td", "", Time(s.time_unix_ms)).el("td", "", s.recipient)
          .el("td", "", s.purpose).el("td", "", categories).raw("</tr>");
    }
    p.raw("</tbody></table>");
  }
  p.raw("</section>");
}

void Activity(Page& p, const ReportData& d) {
  p.raw("<section id=\"activity\"><h2>Activity log</h2>");
  p.el("p", "lead", "Corrections, exports, erasures and deletions at the end of a retention "
                    "period, from the device's tamper-evident audit log.");
  if (d.audit.empty()) {
    p.el("p", "empty", "Nothing recorded yet.");
  } else {
    if (d.audit_total > static_cast<int64_t>(d.audit.size())) {
      p.el("p", "note", "The newest " + std::to_string(d.audit.size()) + " of " +
                            std::to_string(d.audit_total) + " entries.");
    }
    p.raw("<table><thead><tr><th>#</th><th>When</th><th>What</th><th>Of</th><th>Detail</th>"
          "</tr></thead><tbody>");
    for (const AuditLine& a : d.audit) {
      p.raw("<tr><td>").num(a.seq).raw("</td>").el("td", "", Time(a.time_unix_ms))
          .el("td", "", a.kind).el("td", "", a.subject).el("td", "", a.detail).raw("</tr>");
    }
    p.raw("</tbody></table>");
  }
  p.raw("</section>");
}

void RightList(Page& p, const std::vector<RightItem>& rights, bool via_contact) {
  p.raw("<ul>");
  for (const RightItem& r : rights) {
    if (via_contact ? r.via_privacy_contact : r.self_service) {
      p.el("li", "", Sentence(r.description.empty() ? Words(r.id) : r.description));
    }
  }
  p.raw("</ul>");
}

// The policy's rights: what the user can do in the app, and whom to write to (e-mail and postal
// address) for what the app does not do, such as a copy or a correction.
void Rights(Page& p, const ReportData& d) {
  p.raw("<section id=\"rights\"><h2>Your rights</h2>");
  p.el("p", "lead", "What the privacy policy lets you do about the information held about you.");
  bool via_contact = false, self_service = false;
  for (const RightItem& r : d.rights) {
    via_contact = via_contact || r.via_privacy_contact;
    self_service = self_service || r.self_service;
  }
  const bool contact = !d.privacy_contact.empty() || !d.privacy_contact_address.empty();
  if (via_contact || contact) {
    p.el("h3", "", via_contact ? "Ask the privacy contact" : "Privacy contact");
    if (via_contact) {
      p.el("p", "", "By e-mail or by post to the privacy contact, below:");
      RightList(p, d.rights, true);
    }
    if (!contact) {
      p.el("p", "empty", "The policy names no privacy contact to write to.");
    }
    if (!d.privacy_contact.empty()) {
      p.raw("<p>E-mail: ").text(d.privacy_contact).raw("</p>");
    }
    if (!d.privacy_contact_address.empty()) {
      p.raw("<p>Post:</p><address>");
      for (size_t i = 0; i < d.privacy_contact_address.size(); ++i) {
        if (i > 0) p.raw("<br>");
        p.text(d.privacy_contact_address[i]);
      }
      p.raw("</address>");
    }
  }
  if (self_service) {
    p.el("h3", "", "In the app, without asking anyone");
    RightList(p, d.rights, false);
  }
  if (!via_contact && !self_service && !contact) {
    p.el("p", "empty", "The policy lists no rights and no contact.");
  }
  p.raw("</section>");
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  // Markers for the bidirectional controls first: they are plain text, escaped below like the
  // rest.
  const std::string shown = ShowBidiControls(text);
  const std::string_view s = shown;
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = SequenceLength(c);
    if (n == 0 || i + n > s.size() || !IsValidUtf8(s.substr(i, n))) {
      Replacement(&out);
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(s.data() + i, n);
      i += n;
      continue;
    }
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\t': case '\n': case '\r': out += static_cast<char>(c); break;
      default:
        // Other C0 controls and DEL are parse errors in HTML text.
        if (c < 0x20 || c == 0x7F) {
          Replacement(&out);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out;
}

std::string RenderHtml(const ReportData& d) {
  int64_t held = 0, categories_held = 0, public_fields = 0, in_effect = 0, captures = 0;
  for (const CategoryReport& c : d.categories) {
    held += c.values;
    if (c.values > 0) ++categories_held;
    for (const FieldReport& f : c.fields) public_fields += f.is_public ? 1 : 0;
  }
  for (const ConsentItem& c : d.purposes) in_effect += c.allowed ? 1 : 0;
  for (const CaptureInterval& c : d.captures) {
    if (c.end_unix_ms >= d.generated_unix_ms - kTimelineDays * kDayMs) ++captures;
  }

  Page p;
  p.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"")
      .raw(kCsp)
      .raw("\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<meta name=\"referrer\" content=\"no-referrer\"><title>Your privacy report</title>"
           "<style>")
      .raw(kCss)
      .raw("</style></head><body><main><header><h1>Your privacy report</h1><p>");
  p.text("Made on this device on " + Time(d.generated_unix_ms) + " under the privacy policy '" +
         d.policy_id + "' version " + std::to_string(d.policy_version) + ".");
  if (!d.controller.empty()) p.text(" Controller: " + Sentence(d.controller));
  if (!d.privacy_contact.empty()) p.text(" Questions: " + Sentence(d.privacy_contact));
  p.raw("</p></header><div class=\"summary\">");
  Stat(p, std::to_string(held), "values held, in " + std::to_string(categories_held) +
                                    " of " + std::to_string(d.categories.size()) + " categories");
  Stat(p, std::to_string(public_fields), "fields the policy makes public");
  Stat(p, d.consent_available
              ? std::to_string(in_effect) + " of " + std::to_string(d.purposes.size())
              : "—",
       "purposes in effect, by your consent or the policy's legal basis");
  Stat(p, d.captures_available ? std::to_string(captures) : "—",
       "microphone and location uses in the last " + std::to_string(kTimelineDays) + " days");
  Stat(p, d.disclosures_available ? std::to_string(d.disclosures.size()) : "—",
       "disclosures recorded");
  p.raw("</div>");
  Held(p, d);
  Public(p, d);
  Timeline(p, d);
  Consent(p, d);
  Shared(p, d);
  Activity(p, d);
  Rights(p, d);
  p.raw("<footer>Generated by Tacet on your device. This page runs no scripts and loads nothing "
        "from the network. The complete machine-readable copy is <code>tacetctl export</code>."
        "</footer></main></body></html>\n");
  return p.take();
}

}  // namespace tacet::report
