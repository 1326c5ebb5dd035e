// quickstart: the smallest end-to-end run of Tacet on a device, as a C++ app or firmware uses it:
// through tacet/tacet.hpp (the header-only wrapper over the C API) and nothing private.
//
// Opens a device in a fresh folder, shows the policy and what needs asking, records the user's
// answers, runs a gated microphone session that ends the moment consent is withdrawn, hands out
// location only as precisely as the user allows, stores and corrects a profile value, and writes
// the user's export and privacy report. Prints what happens at each step; exits non-zero if
// anything behaves otherwise.
#include <ftw.h>
#include <stdlib.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tacet/tacet.hpp"

namespace {

int Fail(const char* step, const tacet::Error& e) {
  std::fprintf(stderr, "quickstart: %s failed: %s\n", step, e.ToString().c_str());
  return 1;
}
int Fail(const char* what) {
  std::fprintf(stderr, "quickstart: %s\n", what);
  return 1;
}

int Run(const std::string& work) {
  auto agent = tacet::Agent::Open(
      tacet::Options().DataDir(work + "/device").LogLevel(TACET_LOG_WARNING));
  if (!agent.ok()) return Fail("opening the device", agent.error());
  auto policy = agent->PolicyId();
  auto version = agent->PolicyVersion();
  if (!policy.ok() || !version.ok()) return Fail("reading the policy", policy.error());
  std::printf("device                %s/device, policy %s v%llu (Tacet %s)\n", work.c_str(),
              policy->c_str(), static_cast<unsigned long long>(*version), tacet_version());

  auto ask = agent->PurposesToAsk();
  if (!ask.ok()) return Fail("listing purposes", ask.error());
  std::printf("needs asking         ");
  for (const std::string& p : *ask) std::printf(" %s", p.c_str());
  std::printf("\n");

  // The user's answers; the firmware's own microphone and location settings.
  for (tacet::Error e : {agent->SetCategoryProvided("voice", true),
                         agent->SetPurpose("voice_features", TACET_CONSENT_GRANTED),
                         agent->SetCategoryProvided("location", true),
                         agent->SetPurpose("location_features", TACET_CONSENT_GRANTED),
                         agent->SetLocationPrecision(TACET_PRECISION_APPROXIMATE),
                         agent->SetPurpose("advertising", TACET_CONSENT_DENIED),
                         agent->SetOsPermission(TACET_OS_PERMISSION_MICROPHONE,
                                                TACET_PERMISSION_GRANTED),
                         agent->SetOsPermission(TACET_OS_PERMISSION_LOCATION,
                                                TACET_PERMISSION_GRANTED, TACET_PRECISION_PRECISE)}) {
    if (!e.ok()) return Fail("recording an answer", e);
  }
  std::printf("recorded              voice and location features granted (location approximate), "
              "advertising refused\n");

  // The microphone, through the gate.
  tacet_denial_reason denial = TACET_DENIAL_NONE;
  auto refused = agent->OpenVoiceSession("advertising", [](const int16_t*, size_t, int64_t) {},
                                         nullptr, &denial);
  if (refused.ok()) return Fail("a voice session for advertising was granted");
  std::printf("voice for advertising refused (%s)\n", tacet_denial_reason_name(denial));
  int frames = 0;
  tacet_end_reason ended = TACET_END_NONE;
  auto session = agent->OpenVoiceSession(
      "voice_features", [&frames](const int16_t*, size_t, int64_t) { ++frames; },
      [&ended](tacet_end_reason reason) { ended = reason; });
  if (!session.ok()) return Fail("opening a voice session", session.error());
  const std::vector<int16_t> frame(320, 1000);  // 20 ms at 16 kHz mono
  for (int i = 0; i < 10; ++i) {
    if (i == 5) {
      auto e = agent->SetPurpose("voice_features", TACET_CONSENT_DENIED);
      if (!e.ok()) return Fail("withdrawing consent", e);
    }
    auto e = agent->PushFrame(frame.data(), frame.size(), i * 20000000LL);
    if (!e.ok()) return Fail("pushing a frame", e);
  }
  std::printf("voice session         %d of 10 frames delivered; ended: %s\n", frames,
              tacet_end_reason_name(ended));
  if (frames != 5 || ended != TACET_END_CONSENT_WITHDRAWN) {
    return Fail("frames reached the microphone session after consent was withdrawn");
  }

  // Location, never more precise than the user allows.
  tacet_location_precision got = TACET_PRECISION_NONE;
  double latitude = 0;
  auto located = agent->OpenLocationSession(
      "location_features", TACET_PRECISION_PRECISE,
      [&](const tacet_location_fix& fix, tacet_location_precision precision) {
        got = precision;
        latitude = fix.latitude_deg;
      });
  if (!located.ok()) return Fail("opening a location session", located.error());
  auto pushed = agent->PushFix({52.5200066, 13.404954, 4.0, 1700000000000});
  if (!pushed.ok()) return Fail("pushing a fix", pushed);
  std::printf("location              asked precise, got %s (latitude 52.5200066 -> %.4f)\n",
              tacet_location_precision_name(got), latitude);
  if (got != TACET_PRECISION_APPROXIMATE) return Fail("a fix more precise than allowed");

  // A profile value, stored and corrected; the old one stays in its history.
  if (auto e = agent->SetCategoryProvided("contact", true); !e.ok()) return Fail("contact", e);
  auto id = agent->SetValue("contact", "email_address", "ada@example.org");
  if (!id.ok()) return Fail("storing a value", id.error());
  if (auto e = agent->CorrectValue(*id, "ada@example.net"); !e.ok()) return Fail("correcting", e);
  auto history = agent->ValueHistory("contact", "email_address");
  if (!history.ok() || history->size() != 2) return Fail("the correction kept no history");
  std::printf("profile               contact.email_address %s -> %s\n",
              (*history)[0].value.c_str(), (*history)[1].value.c_str());

  // The user's rights: a complete export and a readable report; and the proofs.
  auto exported = agent->ExportToFile(work + "/export.json");
  if (!exported.ok()) return Fail("exporting", exported.error());
  auto report = agent->ReportToFile(work + "/report.html");
  if (!report.ok()) return Fail("writing the privacy report", report.error());
  std::printf("export                %lld records, %lld past versions; privacy report written\n",
              static_cast<long long>(exported->records),
              static_cast<long long>(exported->history_entries));
  for (tacet::Error e : {agent->VerifyConsent(), agent->VerifyAudit(), agent->VerifyVault()}) {
    if (!e.ok()) return Fail("verifying", e);
  }
  std::printf("verified              consent history, audit log and vault\n");
  return 0;
}

}  // namespace

int main() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/tacet-quickstart-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return Fail("cannot create a work folder");
  const int rc = Run(pattern);
  ::nftw(pattern.c_str(),
         [](const char* path, const struct stat*, int, struct FTW*) { return ::remove(path); }, 16,
         FTW_DEPTH | FTW_PHYS);
  if (rc == 0) std::printf("quickstart: ok\n");
  return rc;
}
