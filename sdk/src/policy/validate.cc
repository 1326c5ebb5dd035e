#include "policy/validate.h"

#include <cstdio>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "policy/policy.h"

namespace tacet::policy {
namespace {

using flatbuffers::String;
using flatbuffers::uoffset_t;
using flatbuffers::Vector;

constexpr size_t kMaxIdLength = 64;

std::string_view View(const String* s) { return s ? s->string_view() : std::string_view(); }

// 'text' for messages: at most 64 characters, non-printable bytes escaped, so a hostile policy
// cannot flood or garble a log line.
std::string Quote(std::string_view text) {
  std::string out = "'";
  size_t shown = 0;
  for (char ch : text) {
    if (shown++ == kMaxIdLength) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
      out += ch;
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", c);
      out += escaped;
    }
  }
  return out + "'";
}

}  // namespace

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength || id[0] < 'a' || id[0] > 'z') return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

namespace {

bool IsIsoDate(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  auto number = [&](size_t pos, size_t len, int& out) {
    out = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (date[i] < '0' || date[i] > '9') return false;
      out = out * 10 + (date[i] - '0');
    }
    return true;
  };
  int year = 0, month = 0, day = 0;
  if (!number(0, 4, year) || !number(5, 2, month) || !number(8, 2, day)) return false;
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

template <typename E>
bool InRange(E value) {
  return static_cast<int>(value) >= static_cast<int>(E::MIN) &&
         static_cast<int>(value) <= static_cast<int>(E::MAX);
}

template <typename T>
uoffset_t Size(const Vector<flatbuffers::Offset<T>>* v) {
  return v ? v->size() : 0;
}

class Validator {
 public:
  explicit Validator(const fb::Policy& policy) : p_(policy) {}

  std::vector<std::string> Run() {
    // Oversized lists first, alone: the other checks would only multiply the problems.
    CheckListSize("categories", Size(p_.categories()));
    CheckListSize("purposes", Size(p_.purposes()));
    CheckListSize("recipients", Size(p_.recipients()));
    CheckListSize("channels", Size(p_.channels()));
    CheckListSize("rights", Size(p_.rights()));
    CheckListSize("security measures", Size(p_.security_measures()));
    if (!problems_.empty()) return std::move(problems_);
    CheckHeader();
    CollectIds("category", p_.categories(), category_ids_);
    CollectIds("purpose", p_.purposes(), purpose_ids_);
    CollectIds("recipient", p_.recipients(), recipient_ids_);
    CollectIds("channel", p_.channels(), channel_ids_);
    CollectIds("right", p_.rights(), right_ids_);
    CollectIds("security measure", p_.security_measures(), measure_ids_);
    if (Size(p_.categories()) == 0) Add("policy has no categories");
    if (Size(p_.purposes()) == 0) Add("policy has no purposes");
    for (uoffset_t i = 0; i < Size(p_.categories()); ++i) CheckCategory(*p_.categories()->Get(i), i);
    for (uoffset_t i = 0; i < Size(p_.purposes()); ++i) CheckPurpose(*p_.purposes()->Get(i), i);
    for (uoffset_t i = 0; i < Size(p_.recipients()); ++i) CheckRecipient(*p_.recipients()->Get(i), i);
    for (uoffset_t i = 0; i < Size(p_.channels()); ++i) {
      const fb::Channel& c = *p_.channels()->Get(i);
      const std::string name = EntryName("channel", c.id(), i);
      RequireText(name, "display_name", c.display_name());
      RequireText(name, "source", c.source());
    }
    CheckKindedEntries("right", p_.rights());
    CheckKindedEntries("security measure", p_.security_measures());
    return std::move(problems_);
  }

 private:
  void Add(std::string problem) { problems_.push_back(std::move(problem)); }

  // "category 'usage'", or "category #3" when it has no id.
  static std::string EntryName(std::string_view kind, const String* id, size_t index) {
    if (View(id).empty()) return std::string(kind) + " #" + std::to_string(index);
    return std::string(kind) + " " + Quote(View(id));
  }

  void CheckListSize(const char* list, size_t size) {
    if (size > kMaxEntriesPerList) {
      Add("policy has " + std::to_string(size) + " " + list + ", more than the limit of " +
          std::to_string(kMaxEntriesPerList));
    }
  }

  void RequireText(const std::string& entry, const char* field, const String* text) {
    if (View(text).empty()) Add(entry + " has no " + field);
  }

  void CheckHeader() {
    if (View(p_.id()).empty()) {
      Add("policy has no id");
    } else if (!IsValidId(View(p_.id()))) {
      Add("policy id " + Quote(View(p_.id())) + " is not a snake_case id");
    }
    if (p_.version() == 0) Add("policy has version 0; versions start at 1");
    if (!IsIsoDate(View(p_.effective_date()))) {
      Add("policy effective_date " + Quote(View(p_.effective_date())) +
          " is not a YYYY-MM-DD date");
    }
    const fb::Controller* controller = p_.controller();
    if (controller == nullptr || View(controller->name()).empty()) {
      Add("policy has no controller name");
    } else {
      RequireText("controller", "source", controller->source());
    }
    const fb::PrivacyContact* contact = p_.privacy_contact();
    if (contact == nullptr || View(contact->email()).find('@') == std::string_view::npos) {
      Add("policy has no privacy contact e-mail address");
    } else {
      RequireText("privacy contact", "source", contact->source());
    }
  }

  // Records every valid id of a list; reports missing, malformed and duplicate ids.
  template <typename T>
  void CollectIds(const char* kind, const Vector<flatbuffers::Offset<T>>* entries,
                  std::set<std::string_view>& ids) {
    for (uoffset_t i = 0; i < Size(entries); ++i) {
      const std::string_view id = View(entries->Get(i)->id());
      if (id.empty()) {
        Add(std::string(kind) + " #" + std::to_string(i) + " has no id");
      } else if (!IsValidId(id)) {
        Add(std::string(kind) + " " + Quote(id) +
            " has an invalid id (lower-case letters, digits and '_', at most 64, starting with a "
            "letter)");
      } else if (!ids.insert(id).second) {
        Add(std::string(kind) + " " + Quote(id) + " is defined more than once");
      }
    }
  }

  // Rights and security measures: an enum kind, a description and a source.
  template <typename T>
  void CheckKindedEntries(const char* kind, const Vector<flatbuffers::Offset<T>>* entries) {
    for (uoffset_t i = 0; i < Size(entries); ++i) {
      const T& e = *entries->Get(i);
      const std::string name = EntryName(kind, e.id(), i);
      if (!InRange(e.kind())) Add(name + " has unknown kind " + std::to_string(int(e.kind())));
      RequireText(name, "description", e.description());
      RequireText(name, "source", e.source());
    }
  }

  void CheckCategory(const fb::Category& c, size_t index) {
    const std::string name = EntryName("category", c.id(), index);
    RequireText(name, "display_name", c.display_name());
    RequireText(name, "source", c.source());
    if (!InRange(c.sensitivity())) {
      Add(name + " has unknown sensitivity " + std::to_string(int(c.sensitivity())));
    }
    if (c.retention_days() == 0) {
      Add(name + " has no retention period (retention_days must be > 0)");
    }
    if (Size(c.fields()) == 0) Add(name + " has no fields");
    std::set<std::string_view> field_ids;
    for (uoffset_t i = 0; i < Size(c.fields()); ++i) {
      const fb::Field& f = *c.fields()->Get(i);
      const std::string_view id = View(f.id());
      if (id.empty()) {
        Add(name + ": field #" + std::to_string(i) + " has no id");
        continue;
      }
      if (!IsValidId(id)) Add(name + ": field " + Quote(id) + " has an invalid id");
      if (!field_ids.insert(id).second) Add(name + ": field " + Quote(id) + " is defined more than once");
      if (c.is_public() && !f.is_public()) {
        Add(name + ": field " + Quote(id) + " is not public but the category is");
      }
    }
    if (Size(c.features_unavailable_without()) > 0 && !c.optional()) {
      Add(name + " lists features_unavailable_without but is not optional");
    }
    for (uoffset_t i = 0; i < Size(c.features_unavailable_without()); ++i) {
      const std::string_view feature = View(c.features_unavailable_without()->Get(i));
      if (!IsValidId(feature)) Add(name + ": feature " + Quote(feature) + " is not a snake_case id");
    }
  }

  // Checks a list of references; reports unknown and repeated entries.
  void CheckRefs(const std::string& name, const char* what, const Vector<flatbuffers::Offset<String>>* refs,
                 const std::set<std::string_view>& known) {
    std::set<std::string_view> seen;
    for (uoffset_t i = 0; i < Size(refs); ++i) {
      const std::string_view ref = View(refs->Get(i));
      if (known.count(ref) == 0) {
        Add(name + " refers to unknown " + what + " " + Quote(ref));
      } else if (!seen.insert(ref).second) {
        Add(name + " lists " + what + " " + Quote(ref) + " more than once");
      }
    }
  }

  void CheckPurpose(const fb::Purpose& p, size_t index) {
    const std::string name = EntryName("purpose", p.id(), index);
    RequireText(name, "display_name", p.display_name());
    RequireText(name, "source", p.source());
    if (!InRange(p.legal_basis())) {
      Add(name + " has unknown legal basis " + std::to_string(int(p.legal_basis())));
    }
    if (!InRange(p.default_state())) {
      Add(name + " has unknown default state " + std::to_string(int(p.default_state())));
    }
    if (p.legal_basis() == fb::LegalBasis::Consent) {
      if (p.default_state() != fb::DefaultState::Denied) {
        Add(name + " is consent-based but is not denied by default");
      }
      if (!p.refusable()) Add(name + " is consent-based but not refusable");
    }
    if (Size(p.categories()) == 0) Add(name + " uses no categories");
    CheckRefs(name, "category", p.categories(), category_ids_);
    CheckRefs(name, "channel", p.channels(), channel_ids_);
    CheckRefs(name, "purpose", p.required_purposes(), purpose_ids_);
    for (uoffset_t i = 0; i < Size(p.required_purposes()); ++i) {
      if (View(p.required_purposes()->Get(i)) == View(p.id())) Add(name + " requires itself");
    }
    auto& uses = purpose_categories_[View(p.id())];
    for (uoffset_t i = 0; i < Size(p.categories()); ++i) uses.insert(View(p.categories()->Get(i)));
  }

  void CheckRecipient(const fb::Recipient& r, size_t index) {
    const std::string name = EntryName("recipient", r.id(), index);
    RequireText(name, "display_name", r.display_name());
    RequireText(name, "source", r.source());
    if (Size(r.grants()) == 0) Add(name + " has no grants");
    std::set<std::pair<std::string_view, std::string_view>> granted;
    for (uoffset_t g = 0; g < Size(r.grants()); ++g) {
      const fb::Grant& grant = *r.grants()->Get(g);
      const std::string_view category = View(grant.category());
      if (category.empty()) {
        Add(name + ": grant #" + std::to_string(g) + " has no category");
        continue;
      }
      if (category_ids_.count(category) == 0) {
        Add(name + ": grant #" + std::to_string(g) + " refers to unknown category " + Quote(category));
        continue;
      }
      const std::string grant_name = name + ": grant of category " + Quote(category);
      if (!InRange(grant.transform())) {
        Add(grant_name + " has unknown transform " + std::to_string(int(grant.transform())));
      } else if (r.pseudonymised_only() && grant.transform() != fb::Transform::Pseudonymise) {
        Add(grant_name + " has transform '" + TransformName(static_cast<Transform>(grant.transform())) +
            "' but the recipient is pseudonymised-only");
      }
      if (Size(grant.purposes()) == 0) Add(grant_name + " names no purposes");
      for (uoffset_t i = 0; i < Size(grant.purposes()); ++i) {
        const std::string_view purpose = View(grant.purposes()->Get(i));
        auto uses = purpose_categories_.find(purpose);
        if (purpose_ids_.count(purpose) == 0 || uses == purpose_categories_.end()) {
          Add(grant_name + " refers to unknown purpose " + Quote(purpose));
        } else if (uses->second.count(category) == 0) {
          Add(grant_name + " for purpose " + Quote(purpose) + ", but purpose " + Quote(purpose) +
              " does not use category " + Quote(category));
        } else if (!granted.emplace(category, purpose).second) {
          Add(name + ": category " + Quote(category) + " for purpose " + Quote(purpose) +
              " is granted more than once");
        }
      }
    }
  }

  const fb::Policy& p_;
  std::vector<std::string> problems_;
  std::set<std::string_view> category_ids_, purpose_ids_, recipient_ids_, channel_ids_, right_ids_,
      measure_ids_;
  std::unordered_map<std::string_view, std::set<std::string_view>> purpose_categories_;
};

}  // namespace

std::vector<std::string> ValidatePolicy(const fb::Policy& policy) { return Validator(policy).Run(); }

}  // namespace tacet::policy
