// quickstart: the smallest end-to-end run of Tacet's sync path, until the speaker demo exists.
//
// A device asks the embedded privacy policy which of its pending events may go to which kind of
// recipient (and in what form), builds a batch of what may, seals it once with HPKE (RFC 9180, base mode,
// DHKEM(X25519, HKDF-SHA256), AES-128-GCM) to the backend's public key, and the "backend" (in
// the same process here) opens it again. Then it shows that a batch altered in transit, or sealed
// to another key, is refused. Prints what happens at each step; exits non-zero if anything
// behaves otherwise.
#include <cstdio>
#include <string>

#include "base/bytes.h"
#include "crypto/drbg.h"
#include "crypto/hpke.h"
#include "crypto/x25519.h"
#include "policy/policy.h"
#include "posix/posix_entropy.h"

namespace {

using tacet::Bytes;
using tacet::ByteView;
using tacet::Status;

int Fail(const char* step, const Status& s) {
  std::fprintf(stderr, "quickstart: %s failed: %s\n", step, s.ToString().c_str());
  return 1;
}

}  // namespace

int main() {
  namespace crypto = tacet::crypto;
  tacet::platform::PosixEntropy entropy;
  auto drbg = crypto::Drbg::Create(entropy, "tacet-quickstart");
  if (!drbg.ok()) return Fail("seeding the DRBG", drbg.status());

  // The backend's long-term key pair; in production only its public half is on the device.
  auto backend = crypto::X25519Generate(**drbg);
  if (!backend.ok()) return Fail("generating the backend key", backend.status());
  std::printf("backend public key    %s\n", tacet::HexEncode(backend->public_key).c_str());

  // The policy compiled into the library: what may be used for what, and sent to whom.
  auto policy = tacet::policy::Policy::LoadEmbedded();
  if (!policy.ok()) return Fail("loading the embedded policy", policy.status());
  std::printf("policy                %s v%llu, sha256 %s\n", std::string((*policy)->id()).c_str(),
              static_cast<unsigned long long>((*policy)->version()),
              tacet::HexEncode((*policy)->hash()).c_str());
  struct Pending {
    const char* category;
    const char* purpose;
    const char* recipient;
  };
  const Pending pending[] = {
      {"usage", "analytics", "controller"},
      {"usage", "analytics", "advertising_partners"},
      {"usage", "content_performance_reporting", "music_industry_partners"},
      {"location", "advertising", "advertising_partners"},
      {"voice", "academic_research", "academic_researchers"},
  };
  int allowed = 0;
  for (const Pending& p : pending) {
    tacet::policy::Decision d = (*policy)->Disclosure(p.category, p.purpose, p.recipient);
    std::printf("  %-8s for %-30s to %-24s %s (%s)\n", p.category, p.purpose, p.recipient,
                d.allowed ? "allowed" : "refused",
                d.allowed ? tacet::policy::TransformName(d.transform)
                          : tacet::policy::DecisionReasonName(d.reason));
    if (d.allowed) ++allowed;
  }
  if (allowed == 0 || allowed == static_cast<int>(sizeof(pending) / sizeof(pending[0]))) {
    std::fprintf(stderr, "quickstart: the policy should allow some of these and refuse others\n");
    return 1;
  }

  // A batch of what the policy allowed, minimised (no user id, no raw location).
  const std::string batch =
      "[{\"event\":\"track_played\",\"track\":\"t-81\",\"ms\":201000},"
      "{\"event\":\"track_skipped\",\"track\":\"t-17\",\"ms\":4000},"
      "{\"event\":\"playlist_opened\",\"playlist\":\"p-3\"}]";
  const ByteView info = ByteView::FromString("tacet batch v1");
  const ByteView aad = ByteView::FromString("device=demo;seq=1");
  const crypto::HpkeSuite suite{crypto::HpkeAead::kAes128Gcm};

  auto sealed = crypto::HpkeSeal(suite, crypto::HpkeMode::kBase, backend->public_key, info, aad,
                                 ByteView::FromString(batch), **drbg);
  if (!sealed.ok()) return Fail("sealing the batch", sealed.status());
  std::printf("sealed batch          %zu plaintext bytes -> %zu bytes on the wire (enc 32 + ct + tag 16)\n",
              batch.size(), sealed->size());
  if (sealed->size() != 32 + batch.size() + 16) {
    std::fprintf(stderr, "quickstart: unexpected sealed size\n");
    return 1;
  }
  if (std::string(sealed->begin(), sealed->end()).find("track_played") != std::string::npos) {
    std::fprintf(stderr, "quickstart: plaintext visible on the wire\n");
    return 1;
  }
  std::printf("on the wire           no plaintext visible\n");

  auto opened = crypto::HpkeOpen(suite, crypto::HpkeMode::kBase, backend->private_key.view(), info, aad, *sealed);
  if (!opened.ok()) return Fail("opening the batch", opened.status());
  if (std::string(opened->begin(), opened->end()) != batch) {
    std::fprintf(stderr, "quickstart: opened batch differs from what was sealed\n");
    return 1;
  }
  std::printf("backend opened        %zu bytes, identical to the batch sealed\n", opened->size());

  Bytes tampered = *sealed;
  tampered[tampered.size() / 2] ^= 0x01;
  auto refused = crypto::HpkeOpen(suite, crypto::HpkeMode::kBase, backend->private_key.view(), info, aad, tampered);
  if (refused.ok()) {
    std::fprintf(stderr, "quickstart: a tampered batch was accepted\n");
    return 1;
  }
  std::printf("tampered in transit   refused: %s\n", refused.status().ToString().c_str());

  auto other = crypto::X25519Generate(**drbg);
  if (!other.ok()) return Fail("generating another key", other.status());
  auto wrong_key = crypto::HpkeOpen(suite, crypto::HpkeMode::kBase, other->private_key.view(), info, aad, *sealed);
  if (wrong_key.ok()) {
    std::fprintf(stderr, "quickstart: a batch opened under the wrong key\n");
    return 1;
  }
  std::printf("wrong recipient key   refused: %s\n", wrong_key.status().ToString().c_str());
  std::printf("quickstart: ok\n");
  return 0;
}
