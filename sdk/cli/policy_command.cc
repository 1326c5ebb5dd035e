// tacetctl policy: show, verify, diff, compile, keygen and sign privacy policies.
#include <flatbuffers/idl.h>

#include <cstdio>
#include <string>
#include <vector>

#include "command.h"
#include "crypto/drbg.h"
#include "crypto/ecdsa.h"
#include "crypto/secure.h"
#include "policy/diff.h"
#include "policy/policy.h"
#include "policy_generated.h"
#include "policy_schema.h"
#include "posix/posix_entropy.h"

namespace tacet::cli {
namespace {

using policy::Policy;
using PolicyPtr = std::shared_ptr<const Policy>;
using StringList = flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>;

constexpr char kUsage[] =
    "usage:\n"
    "  tacetctl policy show [--json] [FILE]    print FILE, or the policy built into Tacet\n"
    "  tacetctl policy verify FILE [--sig SIG --key PUBLIC.pem]\n"
    "                                          check FILE (and its signature); list every problem\n"
    "  tacetctl policy diff OLD NEW            which purposes an update would re-ask consent for\n"
    "  tacetctl policy compile IN.json OUT.bin compile and check a policy source\n"
    "  tacetctl policy keygen --out-private PRIVATE.pem --out-public PUBLIC.pem\n"
    "                                          a P-256 policy-signing key pair\n"
    "  tacetctl policy sign FILE --key PRIVATE.pem --out SIG\n"
    "                                          sign a (valid) policy binary for distribution\n"
    "exit status: 0 ok, 1 check failed or refused, 2 usage error\n";

constexpr size_t kMaxKeyFileBytes = 16 * 1024;
constexpr size_t kMaxSignatureFileBytes = 1024;
// JSON is far more verbose than the binary.
constexpr size_t kMaxJsonBytes = 8 * policy::kMaxPolicyBytes;

std::string_view Str(const flatbuffers::String* s) { return s ? s->string_view() : std::string_view(); }
// For printf: never null.
const char* CStr(const flatbuffers::String* s) { return s ? s->c_str() : ""; }

std::string Join(const StringList* list, const char* separator = ", ") {
  std::string out;
  if (list == nullptr) return out;
  for (const flatbuffers::String* s : *list) {
    if (!out.empty()) out += separator;
    out += s->str();
  }
  return out;
}

std::string Address(const fb::PostalAddress* a, bool with_organisation) {
  if (a == nullptr) return "";
  std::string out;
  for (const flatbuffers::String* part :
       {with_organisation ? a->organisation() : nullptr, a->street(), a->floor(), a->city(), a->region(), a->postal_code(),
        a->country()}) {
    if (Str(part).empty()) continue;
    if (!out.empty()) out += ", ";
    out += part->str();
  }
  return out;
}

std::string Lower(const char* name) {
  std::string out;
  for (const char* p = name; *p; ++p) {
    if (*p >= 'A' && *p <= 'Z') {
      if (!out.empty()) out += '_';
      out += static_cast<char>(*p - 'A' + 'a');
    } else {
      out += *p;
    }
  }
  return out;
}

// A parser that knows the policy schema. strict_json: print JSON with quoted field names (and
// accept only such JSON); otherwise accept flatc's relaxed JSON, as the policy source uses.
StatusOr<std::unique_ptr<flatbuffers::Parser>> SchemaParser(bool strict_json) {
  flatbuffers::IDLOptions options;
  options.strict_json = strict_json;
  options.output_default_scalars_in_json = true;
  auto parser = std::make_unique<flatbuffers::Parser>(options);
  const std::string schema(PolicySchemaText().AsStringView());
  if (!parser->Parse(schema.c_str())) {
    return InternalError("the built-in policy schema does not parse: " + parser->error_);
  }
  return parser;
}

StatusOr<PolicyPtr> LoadPolicy(const std::string& path) {
  if (path.empty()) return Policy::LoadEmbedded();
  return Policy::LoadFile(path);
}

void PrintPolicy(const Policy& policy) {
  const fb::Policy& p = *fb::GetPolicy(policy.bytes().data());
  std::printf("Policy %s version %llu, effective %s", CStr(p.id()),
              static_cast<unsigned long long>(policy.version()), CStr(p.effective_date()));
  if (!Str(p.title()).empty()) std::printf(" (%s)", p.title()->c_str());
  std::printf("\nsha256 %s\n", HexEncode(policy.hash()).c_str());
  std::printf("Controller: %s", p.controller()->name()->c_str());
  if (p.controller()->address()) std::printf(", %s", Address(p.controller()->address(), false).c_str());
  std::printf("\nPrivacy contact: %s", p.privacy_contact()->email()->c_str());
  if (p.privacy_contact()->postal_address()) {
    std::printf(" or %s", Address(p.privacy_contact()->postal_address(), true).c_str());
  }
  std::printf("\n");

  std::printf("\nCategories (%u):\n", p.categories()->size());
  for (const fb::Category* c : *p.categories()) {
    std::printf("  %s — %s\n", c->id()->c_str(), c->display_name()->c_str());
    std::printf("    sensitivity %s, %s%s, retention %u days\n",
                Lower(fb::EnumNameSensitivity(c->sensitivity())).c_str(),
                c->optional() ? "optional" : "required", c->is_public() ? ", always public" : "",
                c->retention_days());
    if (c->features_unavailable_without() && c->features_unavailable_without()->size() > 0) {
      std::printf("    without it: no %s\n", Join(c->features_unavailable_without()).c_str());
    }
    std::string fields;
    for (const fb::Field* f : *c->fields()) {
      if (!fields.empty()) fields += ", ";
      fields += f->id()->str() + (f->is_public() ? " (public)" : "");
    }
    std::printf("    fields: %s\n", fields.c_str());
  }

  std::printf("\nPurposes (%u):\n", p.purposes()->size());
  for (const fb::Purpose* u : *p.purposes()) {
    std::printf("  %s — %s\n", u->id()->c_str(), u->display_name()->c_str());
    std::printf("    basis %s, %s, default %s\n", policy::LegalBasisName(static_cast<policy::LegalBasis>(u->legal_basis())),
                u->refusable() ? "refusable" : "not refusable",
                u->default_state() == fb::DefaultState::Denied ? "denied" : "granted");
    std::printf("    categories: %s\n", Join(u->categories()).c_str());
    if (u->channels() && u->channels()->size() > 0) {
      std::printf("    channels (each a separate permission): %s\n", Join(u->channels()).c_str());
    }
    if (u->required_purposes() && u->required_purposes()->size() > 0) {
      std::printf("    requires: %s\n", Join(u->required_purposes()).c_str());
    }
  }

  const uint32_t n_recipients = p.recipients() ? p.recipients()->size() : 0;
  std::printf("\nRecipients (%u):\n", n_recipients);
  for (uint32_t i = 0; i < n_recipients; ++i) {
    const fb::Recipient* r = p.recipients()->Get(i);
    std::printf("  %s — %s\n", r->id()->c_str(), r->display_name()->c_str());
    std::string flags;
    if (r->pseudonymised_only()) flags += "pseudonymised only; ";
    if (r->requires_notice()) flags += "only after notice to the user; ";
    if (r->legal_process_only()) flags += "valid legal process only; ";
    if (!flags.empty()) std::printf("    %s\n", flags.substr(0, flags.size() - 2).c_str());
    if (r->conditions() && r->conditions()->size() > 0) {
      std::printf("    conditions: %s\n", Join(r->conditions(), "; ").c_str());
    }
    for (const fb::Grant* g : *r->grants()) {
      std::printf("    %s for %s as %s\n", g->category()->c_str(), Join(g->purposes()).c_str(),
                  policy::TransformName(static_cast<policy::Transform>(g->transform())));
    }
  }

  auto print_simple = [](const char* title, const auto* list) {
    const uint32_t n = list ? list->size() : 0;
    std::printf("\n%s (%u):\n", title, n);
    for (uint32_t i = 0; i < n; ++i) {
      const auto* e = list->Get(i);
      std::printf("  %s — %s\n", e->id()->c_str(), CStr(e->description()));
    }
  };
  print_simple("Channels", p.channels());

  const uint32_t n_rights = p.rights() ? p.rights()->size() : 0;
  std::printf("\nRights (%u):\n", n_rights);
  for (uint32_t i = 0; i < n_rights; ++i) {
    const fb::Right* r = p.rights()->Get(i);
    std::string how = Lower(fb::EnumNameRightKind(r->kind()));
    if (r->self_service()) how += ", self-service";
    if (r->via_privacy_contact()) how += ", via the privacy contact";
    std::printf("  %s (%s) — %s\n", r->id()->c_str(), how.c_str(), CStr(r->description()));
  }
  print_simple("Security measures", p.security_measures());
  if (p.statements() && p.statements()->size() > 0) {
    std::printf("\nStatements:\n");
    for (const flatbuffers::String* s : *p.statements()) std::printf("  %s\n", s->c_str());
  }
}

int Show(Args args) {
  const bool json = args.TakeFlag("--json");
  if (!args.NoUnknownOptions() || args.rest().size() > 1) {
    return UsageError(kPolicyCommand, "show takes [--json] [FILE]");
  }
  StatusOr<PolicyPtr> loaded = LoadPolicy(args.rest().empty() ? "" : args.rest()[0]);
  if (!loaded.ok()) return Fail(loaded.status());
  const Policy& policy = **loaded;
  if (!json) {
    PrintPolicy(policy);
    return kExitOk;
  }
  StatusOr<std::unique_ptr<flatbuffers::Parser>> parser = SchemaParser(/*strict_json=*/true);
  if (!parser.ok()) return Fail(parser.status());
  std::string text;
  if (!flatbuffers::GenerateText(**parser, policy.bytes().data(), &text)) {
    return Fail(InternalError("cannot render the policy as JSON"));
  }
  std::printf("%s", text.c_str());
  return kExitOk;
}

// Prints the outcome of checking `bytes`; returns whether it is a valid policy.
bool ReportCheck(const std::string& path, ByteView bytes) {
  const policy::PolicyCheck check = policy::CheckPolicyBytes(bytes);
  if (!check.status.ok()) {
    std::printf("%s: INVALID: %s\n", path.c_str(), check.status.ToString().c_str());
    return false;
  }
  const fb::Policy* root = fb::GetPolicy(bytes.data());
  if (!check.problems.empty()) {
    std::printf("%s: INVALID: %zu problem%s:\n", path.c_str(), check.problems.size(),
                check.problems.size() == 1 ? "" : "s");
    for (const std::string& problem : check.problems) std::printf("  - %s\n", problem.c_str());
    return false;
  }
  std::printf("%s: policy '%s' version %llu is valid\n", path.c_str(), root->id()->c_str(),
              static_cast<unsigned long long>(root->version()));
  return true;
}

Status VerifySignatureFiles(ByteView bytes, const std::string& sig_path, const std::string& key_path) {
  TACET_ASSIGN_OR_RETURN(Bytes pem, ReadFile(key_path, kMaxKeyFileBytes));
  StatusOr<Bytes> key = crypto::EcdsaP256PublicKeyFromPem(ByteView(pem).AsStringView());
  if (!key.ok()) return key.status().WithContext(key_path);
  TACET_ASSIGN_OR_RETURN(Bytes signature, ReadFile(sig_path, kMaxSignatureFileBytes));
  return crypto::EcdsaP256Verify(*key, bytes, signature);
}

int Verify(Args args) {
  std::string sig_path, key_path;
  if (!args.TakeOption("--sig", &sig_path) || !args.TakeOption("--key", &key_path)) {
    return UsageError(kPolicyCommand, "");
  }
  if (!args.NoUnknownOptions() || args.rest().size() != 1) {
    return UsageError(kPolicyCommand, "verify takes FILE [--sig SIG --key PUBLIC.pem]");
  }
  if (sig_path.empty() != key_path.empty()) {
    return UsageError(kPolicyCommand, "--sig and --key go together");
  }
  const std::string& path = args.rest()[0];
  StatusOr<Bytes> bytes = ReadFile(path, policy::kMaxPolicyBytes);
  if (!bytes.ok()) {
    std::printf("%s: INVALID: %s\n", path.c_str(), bytes.status().ToString().c_str());
    return kExitFailure;
  }
  bool ok = true;
  if (!sig_path.empty()) {
    const Status verified = VerifySignatureFiles(*bytes, sig_path, key_path);
    if (verified.ok()) {
      std::printf("%s: signature by %s verifies\n", path.c_str(), key_path.c_str());
    } else {
      std::printf("%s: BAD SIGNATURE: %s\n", path.c_str(), verified.ToString().c_str());
      ok = false;
    }
  }
  ok = ReportCheck(path, *bytes) && ok;
  return ok ? kExitOk : kExitFailure;
}

void PrintList(const char* title, const std::vector<std::string>& items) {
  if (items.empty()) return;
  std::printf("%s\n", title);
  for (const std::string& item : items) std::printf("  %s\n", item.c_str());
}

int Diff(Args args) {
  if (!args.NoUnknownOptions() || args.rest().size() != 2) {
    return UsageError(kPolicyCommand, "diff takes OLD NEW");
  }
  StatusOr<PolicyPtr> before = LoadPolicy(args.rest()[0]);
  if (!before.ok()) return Fail(before.status());
  StatusOr<PolicyPtr> after = LoadPolicy(args.rest()[1]);
  if (!after.ok()) return Fail(after.status());
  const policy::PolicyDiff diff = policy::DiffPolicies(**before, **after);
  std::printf("Policy '%s' version %llu -> '%s' version %llu\n", std::string((*before)->id()).c_str(),
              static_cast<unsigned long long>(diff.old_version), std::string((*after)->id()).c_str(),
              static_cast<unsigned long long>(diff.new_version));
  if (diff.new_version <= diff.old_version) {
    std::printf("WARNING: not newer; Tacet refuses this update as a downgrade\n");
  }
  if (diff.controller_changed) {
    std::printf("Controller changed: %s -> %s\n  notice required: nothing is disclosed until the "
                "user acknowledges it\n",
                diff.old_controller.c_str(), diff.new_controller.c_str());
  } else {
    std::printf("Controller unchanged: %s\n", diff.old_controller.c_str());
  }
  if (!diff.widened_purposes.empty()) {
    std::printf("Re-consent needed (scope widened):\n");
    for (const policy::WidenedPurpose& w : diff.widened_purposes) {
      std::printf("  %s\n", w.purpose.c_str());
      for (const std::string& reason : w.reasons) std::printf("    - %s\n", reason.c_str());
    }
  }
  PrintList("New purposes (consent needed if consent-based):", diff.added_purposes);
  PrintList("Removed purposes:", diff.removed_purposes);
  PrintList("User's choice kept (scope unchanged or narrower):", diff.unchanged_purposes);
  PrintList("Categories added:", diff.added_categories);
  PrintList("Categories removed:", diff.removed_categories);
  PrintList("Recipients added:", diff.added_recipients);
  PrintList("Recipients removed:", diff.removed_recipients);
  PrintList("Channels added:", diff.added_channels);
  PrintList("Channels removed:", diff.removed_channels);
  return kExitOk;
}

int Compile(Args args) {
  if (!args.NoUnknownOptions() || args.rest().size() != 2) {
    return UsageError(kPolicyCommand, "compile takes IN.json OUT.bin");
  }
  const std::string& in = args.rest()[0];
  const std::string& out = args.rest()[1];
  StatusOr<Bytes> json = ReadFile(in, kMaxJsonBytes);
  if (!json.ok()) return Fail(json.status());
  StatusOr<std::unique_ptr<flatbuffers::Parser>> parser = SchemaParser(/*strict_json=*/false);
  if (!parser.ok()) return Fail(parser.status());
  const std::string text(ByteView(*json).AsStringView());
  if (!(*parser)->Parse(text.c_str(), nullptr, in.c_str())) {
    std::printf("%s: INVALID: %s\n", in.c_str(), (*parser)->error_.c_str());
    return kExitFailure;
  }
  const flatbuffers::FlatBufferBuilder& builder = (*parser)->builder_;
  const ByteView bytes(builder.GetBufferPointer(), builder.GetSize());
  if (!ReportCheck(in, bytes)) return kExitFailure;
  const Status written = WriteFile(out, bytes);
  if (!written.ok()) return Fail(written);
  std::printf("wrote %s (%zu bytes)\n", out.c_str(), bytes.size());
  return kExitOk;
}

int Keygen(Args args) {
  std::string private_path, public_path;
  if (!args.TakeOption("--out-private", &private_path) ||
      !args.TakeOption("--out-public", &public_path) || !args.NoUnknownOptions() ||
      !args.rest().empty() || private_path.empty() || public_path.empty()) {
    return UsageError(kPolicyCommand, "keygen takes --out-private PRIVATE.pem --out-public PUBLIC.pem");
  }
  platform::PosixEntropy entropy;
  StatusOr<std::unique_ptr<crypto::Drbg>> drbg = crypto::Drbg::Create(entropy, "tacetctl policy keygen");
  if (!drbg.ok()) return Fail(drbg.status());
  StatusOr<crypto::EcdsaP256KeyPair> key = crypto::EcdsaP256Generate(**drbg);
  if (!key.ok()) return Fail(key.status());
  StatusOr<std::string> private_pem = crypto::EcdsaP256PrivateKeyToPem(*key);
  if (!private_pem.ok()) return Fail(private_pem.status());
  Status written = WriteFile(private_path, ByteView::FromString(*private_pem), 0600);
  crypto::SecureZero(private_pem->data(), private_pem->size());
  if (!written.ok()) return Fail(written);
  StatusOr<std::string> public_pem = crypto::EcdsaP256PublicKeyToPem(key->public_key);
  if (!public_pem.ok()) return Fail(public_pem.status());
  written = WriteFile(public_path, ByteView::FromString(*public_pem));
  if (!written.ok()) return Fail(written);
  std::printf("wrote %s (keep it secret) and %s (pin it in the app)\n", private_path.c_str(),
              public_path.c_str());
  return kExitOk;
}

int Sign(Args args) {
  std::string key_path, out_path;
  if (!args.TakeOption("--key", &key_path) || !args.TakeOption("--out", &out_path) ||
      !args.NoUnknownOptions() || args.rest().size() != 1 || key_path.empty() || out_path.empty()) {
    return UsageError(kPolicyCommand, "sign takes FILE --key PRIVATE.pem --out SIG");
  }
  const std::string& path = args.rest()[0];
  StatusOr<Bytes> bytes = ReadFile(path, policy::kMaxPolicyBytes);
  if (!bytes.ok()) return Fail(bytes.status());
  // Never sign what devices would refuse.
  if (!ReportCheck(path, *bytes)) return kExitFailure;
  StatusOr<Bytes> pem = ReadFile(key_path, kMaxKeyFileBytes);
  if (!pem.ok()) return Fail(pem.status());
  StatusOr<crypto::EcdsaP256KeyPair> key = crypto::EcdsaP256KeyPairFromPem(ByteView(*pem).AsStringView());
  crypto::SecureZero(pem->data(), pem->size());
  if (!key.ok()) return Fail(key.status().WithContext(key_path));
  platform::PosixEntropy entropy;
  StatusOr<std::unique_ptr<crypto::Drbg>> drbg = crypto::Drbg::Create(entropy, "tacetctl policy sign");
  if (!drbg.ok()) return Fail(drbg.status());
  StatusOr<Bytes> signature = crypto::EcdsaP256Sign(key->private_key.view(), *bytes, **drbg);
  if (!signature.ok()) return Fail(signature.status());
  const Status written = WriteFile(out_path, *signature);
  if (!written.ok()) return Fail(written);
  std::printf("wrote %s (%zu-byte ECDSA P-256 signature)\n", out_path.c_str(), signature->size());
  return kExitOk;
}

int RunPolicy(const std::vector<std::string>& all) {
  if (all.empty()) return UsageError(kPolicyCommand, "missing subcommand");
  const std::string sub = all[0];
  Args args(std::vector<std::string>(all.begin() + 1, all.end()));
  if (sub == "show") return Show(std::move(args));
  if (sub == "verify") return Verify(std::move(args));
  if (sub == "diff") return Diff(std::move(args));
  if (sub == "compile") return Compile(std::move(args));
  if (sub == "keygen") return Keygen(std::move(args));
  if (sub == "sign") return Sign(std::move(args));
  return UsageError(kPolicyCommand, "unknown subcommand '" + sub + "'");
}

}  // namespace

const Command kPolicyCommand = {
    "policy",
    "show, verify, diff, compile and sign privacy policies",
    kUsage,
    &RunPolicy,
};

}  // namespace tacet::cli
