// Several processes drive the real tacetctl against ONE device folder (device.db + keys/) at the
// same time, as an app, a settings screen and the agent would: consent changes, first sets and
// corrections of single-valued fields, reads, exports and erasures of one category, each a separate
// tacetctl process. Afterwards nothing may be failed, lost or invented: every operation exited 0,
// the consent history holds exactly the changes made (in each worker's order), `consent verify` and
// `audit verify` pass, every field holds a value that was written to it and that no later write or
// erasure should have replaced, every version in its history was written, every export is JSON,
// and the audit log counts exactly the corrections, exports and erasures that reported success.
//
// The operations are drawn from std::mt19937_64 with a fixed seed per worker, printed first;
// TACET_STRESS_SEED=<n> runs another sequence (worker w uses n + w). The order in which the
// processes interleave is up to the scheduler, so a failure is replayed by seed, not by schedule.
// The checks never assume an interleaving: an order between two operations is used only when the
// first one had exited before the second one started (both times from CLOCK_MONOTONIC, which all
// processes share).
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "testing/tacetctl_fixture.h"
#include "testing/test_util.h"

namespace tacet {
namespace {

using Json = nlohmann::json;
using CommandResult = tacet::testing::TacetctlResult;

constexpr int kWorkers = 4;
constexpr int kOpsPerWorker = 250;
constexpr uint64_t kDefaultSeed = 0x7ace75eedULL;
// A worker stops starting operations after this long, so a hang shows up as "ran k of 250" with
// the output of what ran rather than as a ctest timeout (the ctest TIMEOUT is 120 s).
constexpr int64_t kWorkerBudgetNs = 80LL * 1000 * 1000 * 1000;
// One tacetctl call that takes longer than this is killed and counted as failed (exit 124).
constexpr int kOpTimeoutSeconds = 30;

// The category only erasures remove; sets write its field too, so an erasure always has something
// to destroy and a set can come right after one (a new data key for a category whose key is gone).
constexpr char kErasedCategory[] = "contest_answers";

// Single-valued fields the workers set. The optional categories (billing, contest_answers) need
// the consents granted in setup; name and contact are allowed by provide_service, which the
// user cannot refuse.
struct FieldSpec {
  const char* id;  // CATEGORY.FIELD
  const char* category;
};
constexpr std::array<FieldSpec, 5> kFields = {{
    {"name.full_name", "name"},
    {"contact.email_address", "contact"},
    {"contact.phone_number", "contact"},
    {"billing.subscription_plan", "billing"},
    {"contest_answers.survey_responses", "contest_answers"},
}};

// What setup grants before the workers start: everything the writes above need.
constexpr std::array<const char*, 3> kSetupGrants = {
    "purpose:marketing_communications",  // the purpose that uses contest_answers
    "category:contest_answers",
    "category:billing",
};

// Consent subjects the workers toggle, two per worker, so each subject's history has exactly one
// writer and its order is that worker's order. None gates a written category: the channels are
// separate permissions under a purpose; advertising, analytics, academic_research and
// other_legitimate_business use only `usage`, voice_features only `voice` (policy show).
constexpr std::array<std::array<const char*, 2>, kWorkers> kWorkerSubjects = {{
    {"channel:email", "purpose:advertising"},
    {"channel:push", "purpose:voice_features"},
    {"channel:in_app_other", "purpose:academic_research"},
    {"purpose:analytics", "purpose:other_legitimate_business"},
}};

enum class Kind { kConsent, kSet, kGet, kExport, kErase };

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kConsent: return "consent";
    case Kind::kSet: return "set";
    case Kind::kGet: return "get";
    case Kind::kExport: return "export";
    case Kind::kErase: return "erase";
  }
  return "?";
}

// One tacetctl invocation, planned by the worker and filled in when it has run.
struct Op {
  int worker = 0;
  int index = 0;
  Kind kind = Kind::kGet;
  std::string subject;  // consent: the subject; set/get: the CATEGORY.FIELD (empty: get all)
  bool grant = false;   // consent
  std::string value;    // set: the value written; export: the output file
  std::vector<std::string> args;  // what followed `tacetctl` (without the device folder options)
  bool ran = false;
  int exit_code = -1;
  std::string output;
  int64_t start_ns = 0;  // CLOCK_MONOTONIC: comparable between the processes
  int64_t end_ns = 0;
};

int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// A value of `field` that no other (worker, op) writes. Each passes the field's validation:
// a name line, an addr-spec, an E.164 number (+1555, worker, 4-digit op: 9 digits), free text.
std::string UniqueValue(const std::string& field, int worker, int index) {
  char digits[16];
  std::snprintf(digits, sizeof(digits), "%d%04d", worker, index);
  if (field == "name.full_name") return "Stress Worker" + std::to_string(worker) + " Op" + digits;
  if (field == "contact.email_address") return "w" + std::to_string(worker) + ".op" + digits + "@stress.example";
  if (field == "contact.phone_number") return std::string("+1555") + digits;
  if (field == "billing.subscription_plan") return std::string("plan ") + digits;
  return std::string("survey answer ") + digits;
}

// The worker's operations, from its seed alone. Mix per 100: consent 20, set 40 (first sets and
// corrections), get 20 (everything, one field, or one field's history), export 12, erase 8.
std::vector<Op> PlanOps(int worker, uint64_t seed, const std::string& export_dir) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> percent(0, 99);
  std::uniform_int_distribution<size_t> field_index(0, kFields.size() - 1);
  std::vector<Op> ops(kOpsPerWorker);
  for (int i = 0; i < kOpsPerWorker; ++i) {
    Op& op = ops[i];
    op.worker = worker;
    op.index = i;
    const int roll = percent(rng);
    if (roll < 20) {
      op.kind = Kind::kConsent;
      op.subject = kWorkerSubjects[worker][percent(rng) % 2];
      op.grant = percent(rng) % 2 == 0;
      op.args = {"consent", op.grant ? "grant" : "deny", op.subject};
    } else if (roll < 60) {
      op.kind = Kind::kSet;
      op.subject = kFields[field_index(rng)].id;
      op.value = UniqueValue(op.subject, worker, i);
      op.args = {"profile", "set", op.subject, op.value};
    } else if (roll < 80) {
      op.kind = Kind::kGet;
      const int which = percent(rng) % 3;
      if (which == 0) {
        op.args = {"profile", "get"};
      } else {
        op.subject = kFields[field_index(rng)].id;
        op.args = {"profile", which == 1 ? "get" : "history", op.subject};
      }
    } else if (roll < 92) {
      op.kind = Kind::kExport;
      op.value = export_dir + "/w" + std::to_string(worker) + "-op" + std::to_string(i) + ".json";
      op.args = {"export", "--out", op.value};
    } else {
      op.kind = Kind::kErase;
      op.subject = kErasedCategory;
      op.args = {"erase", "--category", kErasedCategory};
    }
  }
  return ops;
}

Json ToJson(const Op& op) {
  return Json{{"worker", op.worker},   {"index", op.index},         {"ran", op.ran},
              {"exit", op.exit_code},  {"output", op.output},       {"start_ns", op.start_ns},
              {"end_ns", op.end_ns}};
}

void FillFromJson(const Json& j, Op& op) {
  op.ran = j.at("ran").get<bool>();
  op.exit_code = j.at("exit").get<int>();
  op.output = j.at("output").get<std::string>();
  op.start_ns = j.at("start_ns").get<int64_t>();
  op.end_ns = j.at("end_ns").get<int64_t>();
}

bool Ok(const Op& op) { return op.ran && op.exit_code == 0; }

// The lines of `text` (without their '\n').
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Why tacetctl failed: its last "tacetctl: ..." line (stderr, which may come before what it had
// buffered for stdout), else the last non-empty line.
std::string LastLine(const std::string& text) {
  const std::vector<std::string> lines = Lines(text);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (it->rfind("tacetctl: ", 0) == 0) return *it;
  }
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!it->empty()) return *it;
  }
  return "(no output)";
}

// Where the temporary directories (the device folder, and the one for the exports) are made:
// under TACET_STRESS_TMPDIR if set, else /dev/shm when that is a writable directory, else TMPDIR
// or /tmp: every tacetctl command fsyncs the database and the key store several times, and on a
// loaded disk that is most of its cost (about 40 ms a command on ext4 against 10 ms on tmpfs,
// measured on 2 busy cores), while locks, renames and links behave the same on tmpfs.
std::string FastTempBase() {
  if (const char* env = std::getenv("TACET_STRESS_TMPDIR"); env != nullptr && *env != '\0') {
    return env;
  }
  if (struct stat st {}; ::stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
                         ::access("/dev/shm", W_OK | X_OK) == 0) {
    return "/dev/shm";
  }
  return "";  // TempDir's default: TMPDIR or /tmp
}

// `args` as one line for messages, a word with a space in quotes.
std::string Joined(const std::vector<std::string>& args) {
  std::string line;
  for (const std::string& arg : args) {
    if (!line.empty()) line += ' ';
    line += arg.find(' ') == std::string::npos ? arg : tacet::testing::ShellQuote(arg);
  }
  return line;
}

// The device folder (device.db and keys/) is the fixture's, on the fast file system.
class DeviceFolderStressTest : public tacet::testing::TacetctlFixture {
 protected:
  DeviceFolderStressTest() : TacetctlFixture(FastTempBase()), scratch_(FastTempBase()) {}

  // `tacetctl ARGS --db device.db --keystore keys`, bounded by kOpTimeoutSeconds (then killed:
  // exit 124). Every command, consent included, names the key store: the device folder is the
  // pair.
  CommandResult Tacetctl(std::vector<std::string> args) const {
    tacet::testing::RunOptions options;
    options.timeout_seconds = kOpTimeoutSeconds;
    return Run(std::move(args), options);
  }

  // Runs one worker's plan in this (child) process, filling in each Op, and writes what happened
  // to `result_path` (bytes of output that are not UTF-8 become U+FFFD).
  void RunWorker(std::vector<Op>& ops, const std::string& result_path, int64_t deadline_ns) const {
    Json results = Json::array();
    for (Op& op : ops) {
      if (MonotonicNs() < deadline_ns) {
        op.start_ns = MonotonicNs();
        const CommandResult r = Tacetctl(op.args);
        op.end_ns = MonotonicNs();
        op.ran = true;
        op.exit_code = r.exit_code;
        op.output = r.output;
      }
      results.push_back(ToJson(op));
    }
    std::ofstream out(result_path);
    out << results.dump(-1, ' ', false, Json::error_handler_t::replace);
  }

  tacet::testing::TempDir scratch_;  // worker results and exports
};

TEST_F(DeviceFolderStressTest, ConcurrentProcessesLoseNothingAndInventNothing) {
  uint64_t base_seed = kDefaultSeed;
  if (const char* env = std::getenv("TACET_STRESS_SEED"); env != nullptr && *env != '\0') {
    base_seed = std::strtoull(env, nullptr, 0);
  }
  const int64_t started_ns = MonotonicNs();

  // Setup: a new device folder, made by its first write, with the consents the writes need.
  for (const char* subject : kSetupGrants) {
    const CommandResult r = Tacetctl({"consent", "grant", subject});
    ASSERT_EQ(r.exit_code, 0) << "setup: consent grant " << subject << "\n" << r.output;
  }

  // Plan, fork, run.
  std::vector<std::vector<Op>> plans;
  for (int w = 0; w < kWorkers; ++w) {
    const uint64_t seed = base_seed + static_cast<uint64_t>(w);
    std::printf("worker %d: seed %llu (replay: TACET_STRESS_SEED=%llu)\n", w,
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(base_seed));
    plans.push_back(PlanOps(w, seed, scratch_.path()));
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const int64_t deadline_ns = MonotonicNs() + kWorkerBudgetNs;
  std::vector<pid_t> children;
  for (int w = 0; w < kWorkers; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0) << "fork failed";
    if (pid == 0) {
      RunWorker(plans[w], scratch_.File("worker" + std::to_string(w) + ".json"), deadline_ns);
      std::fflush(nullptr);
      ::_exit(0);  // no gtest teardown or directory clean-up in the child
    }
    children.push_back(pid);
  }
  for (int w = 0; w < kWorkers; ++w) {
    int status = 0;
    ASSERT_EQ(::waitpid(children[w], &status, 0), children[w]);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "worker " << w << " died";
  }
  const int64_t workers_done_ns = MonotonicNs();

  // Collect what every worker saw.
  std::vector<const Op*> all;
  for (int w = 0; w < kWorkers; ++w) {
    const std::string path = scratch_.File("worker" + std::to_string(w) + ".json");
    std::ifstream in(path);
    ASSERT_TRUE(in.good()) << "worker " << w << " left no results in " << path;
    const Json results = Json::parse(in);
    ASSERT_EQ(results.size(), plans[w].size());
    for (size_t i = 0; i < results.size(); ++i) FillFromJson(results[i], plans[w][i]);
    for (const Op& op : plans[w]) all.push_back(&op);
  }

  // 1. Zero failed operations: every one ran and exited 0. No operation of this mix may be
  // refused by design: the consent it needs is never revoked and every value is valid.
  std::map<std::string, int> count_by_kind, failed_by_kind;
  std::map<std::string, int64_t> ns_by_kind;
  int not_run = 0, failed = 0;
  std::ostringstream failures;
  for (const Op* op : all) {
    if (!op->ran) {
      ++not_run;
      continue;
    }
    ++count_by_kind[KindName(op->kind)];
    ns_by_kind[KindName(op->kind)] += op->end_ns - op->start_ns;
    if (op->exit_code == 0) continue;
    ++failed;
    ++failed_by_kind[KindName(op->kind)];
    if (failed <= 25) {
      failures << "  worker " << op->worker << " op " << op->index << ": tacetctl " << Joined(op->args)
               << " -> exit " << op->exit_code << ": " << LastLine(op->output).substr(0, 300)
               << "\n";
    }
  }
  std::printf("workers ran %zu operations in %.1f s:", all.size() - not_run,
              static_cast<double>(workers_done_ns - started_ns) / 1e9);
  for (const auto& [kind, n] : count_by_kind) {
    std::printf(" %s %d (%.0f ms each)", kind.c_str(), n, static_cast<double>(ns_by_kind[kind]) / 1e6 / n);
  }
  std::printf("\n");
  EXPECT_EQ(not_run, 0) << not_run << " operations were not started within the "
                        << kWorkerBudgetNs / 1000000000 << " s budget";
  std::ostringstream by_kind;
  for (const auto& [kind, n] : failed_by_kind) by_kind << " " << kind << " " << n;
  EXPECT_EQ(failed, 0) << "failed by kind:" << by_kind.str() << "\nfirst failures:\n"
                       << failures.str();

  // 2. No lost consent change: the history holds setup + every change that reported success,
  // numbered 1..n, and each subject's entries are its one worker's changes in that worker's order.
  {
    const CommandResult r = Tacetctl({"consent", "history"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::map<std::string, std::vector<std::string>> recorded;  // subject -> decisions, oldest first
    int entries = 0;
    for (const std::string& line : Lines(r.output)) {
      if (line.empty() || line[0] != '#') continue;
      ++entries;
      std::istringstream words(line);
      std::string seq, time, subject, decision;
      words >> seq >> time >> subject >> decision;
      EXPECT_EQ(seq, "#" + std::to_string(entries)) << "history entries are not numbered 1..n";
      recorded[subject].push_back(decision);
    }
    std::map<std::string, std::vector<std::string>> made;
    int changes = static_cast<int>(kSetupGrants.size());
    for (const char* subject : kSetupGrants) made[subject].push_back("granted");
    for (const Op* op : all) {
      if (op->kind != Kind::kConsent || !Ok(*op)) continue;
      ++changes;
      made[op->subject].push_back(op->grant ? "granted" : "denied");
    }
    EXPECT_EQ(entries, changes) << "consent history entries vs consent changes that exited 0";
    for (const auto& [subject, decisions] : made) {
      EXPECT_EQ(recorded[subject], decisions) << subject << ": the history is not the changes made";
    }
    EXPECT_EQ(recorded.size(), made.size()) << "the history names a subject nobody changed";
  }

  // 3. Both chains verify.
  {
    const CommandResult consent = Tacetctl({"consent", "verify"});
    EXPECT_EQ(consent.exit_code, 0) << consent.output;
    const CommandResult audit = Tacetctl({"audit", "verify"});
    EXPECT_EQ(audit.exit_code, 0) << audit.output;
  }

  // 4. Every field holds a value written to it, and the right one.
  std::vector<const Op*> erasures;
  for (const Op* op : all) {
    if (op->kind == Kind::kErase && Ok(*op)) erasures.push_back(op);
  }
  std::map<std::string, std::set<std::string>> written;  // field -> values whose set exited 0
  for (const FieldSpec& field : kFields) {
    std::vector<const Op*> sets;
    for (const Op* op : all) {
      if (op->kind == Kind::kSet && op->subject == field.id && Ok(*op)) {
        sets.push_back(op);
        written[field.id].insert(op->value);
      }
    }
    const bool erased = std::string(field.category) == kErasedCategory;
    std::map<std::string, const Op*> set_of_value;
    for (const Op* s : sets) set_of_value[s->value] = s;

    const CommandResult get = Tacetctl({"profile", "get", field.id});
    if (get.exit_code != 0) {
      ADD_FAILURE() << "profile get " << field.id << " -> exit " << get.exit_code << ": "
                    << get.output;
      continue;
    }
    // "<field> [record R, version V, user, TIME]: VALUE" per value, then "N values".
    std::vector<std::string> current;
    const std::string prefix = std::string(field.id) + " [";
    for (const std::string& line : Lines(get.output)) {
      if (line.rfind(prefix, 0) != 0) continue;
      const size_t colon = line.find("]: ");
      ASSERT_NE(colon, std::string::npos) << line;
      current.push_back(line.substr(colon + 3));
    }
    EXPECT_LE(current.size(), 1u) << field.id << " is single-valued:\n" << get.output;
    if (!erased && !sets.empty()) {
      EXPECT_EQ(current.size(), 1u) << field.id << " was set and never erased:\n" << get.output;
    }
    for (const std::string& value : current) {
      const auto it = set_of_value.find(value);
      if (it == set_of_value.end()) {
        ADD_FAILURE() << field.id << " holds '" << value << "', which no successful set wrote";
        continue;
      }
      const Op* s = it->second;
      // No set of this field, and no erasure of its category, started after this one had exited:
      // either would have replaced or removed the value.
      for (const Op* later : sets) {
        EXPECT_FALSE(later->start_ns > s->end_ns)
            << field.id << " holds worker " << s->worker << " op " << s->index << "'s '" << value
            << "', but worker " << later->worker << " op " << later->index << " set '"
            << later->value << "' after it had exited";
      }
      if (erased) {
        for (const Op* e : erasures) {
          EXPECT_FALSE(e->start_ns > s->end_ns)
              << field.id << " holds worker " << s->worker << " op " << s->index << "'s '"
              << value << "', but worker " << e->worker << " op " << e->index
              << " erased the category after that set had exited";
        }
      }
    }
    if (erased && current.empty()) {
      // Absent is right only if every successful set could have been followed by an erasure:
      // some erasure of the category still running or started after the set started.
      for (const Op* s : sets) {
        const bool removable = std::any_of(erasures.begin(), erasures.end(),
                                           [&](const Op* e) { return e->end_ns > s->start_ns; });
        EXPECT_TRUE(removable) << field.id << " is empty, but worker " << s->worker << " op "
                               << s->index << " set '" << s->value
                               << "' after every erasure of the category had exited";
      }
    }

    // Its history: only written values, each once, at most one current; with no erasure every
    // successful set is there; with erasures, every set that started after the last erasure
    // had exited is there.
    const CommandResult history = Tacetctl({"profile", "history", field.id});
    if (history.exit_code != 0) {
      ADD_FAILURE() << "profile history " << field.id << " -> exit " << history.exit_code << ": "
                    << history.output;
      continue;
    }
    std::multiset<std::string> versions;
    int current_versions = 0;
    for (const std::string& line : Lines(history.output)) {
      if (line.rfind("record ", 0) != 0) continue;
      const size_t colon = line.rfind(": ");
      ASSERT_NE(colon, std::string::npos) << line;
      const std::string value = line.substr(colon + 2);
      versions.insert(value);
      if (line.find(" (current): ") != std::string::npos) {
        ++current_versions;
        EXPECT_EQ(std::vector<std::string>{value}, current)
            << field.id << ": history's current version is not what profile get shows";
      }
      EXPECT_EQ(set_of_value.count(value), 1u)
          << field.id << "'s history lists '" << value << "', which no successful set wrote";
    }
    for (const std::string& value : written[field.id]) {
      EXPECT_LE(versions.count(value), 1u) << field.id << ": '" << value << "' appears twice";
    }
    EXPECT_EQ(current_versions, static_cast<int>(current.size())) << history.output;
    for (const Op* s : sets) {
      const bool must_be_kept = std::none_of(
          erasures.begin(), erasures.end(),
          [&](const Op* e) { return erased && e->end_ns > s->start_ns; });
      if (must_be_kept) {
        EXPECT_EQ(versions.count(s->value), 1u)
            << field.id << ": worker " << s->worker << " op " << s->index << " set '" << s->value
            << "' (exit 0) and it is not in the field's history: a lost write";
      }
    }
  }

  // 5. Every export the workers wrote is JSON, in Tacet's format, holding only written values.
  int exports = 0;
  for (const Op* op : all) {
    if (op->kind != Kind::kExport || !Ok(*op)) continue;
    ++exports;
    std::ifstream in(op->value);
    if (!in.good()) {
      ADD_FAILURE() << "worker " << op->worker << " op " << op->index
                    << " exported, but there is no " << op->value;
      continue;
    }
    Json doc;
    try {
      doc = Json::parse(in);
    } catch (const Json::exception& e) {
      ADD_FAILURE() << op->value << " is not JSON: " << e.what();
      continue;
    }
    EXPECT_EQ(doc.value("format", ""), "tacet-export") << op->value;
    for (const char* section : {"records", "history"}) {
      for (const Json& r : doc.value(section, Json::array())) {
        const std::string id = r.value("category", "") + "." + r.value("field", "");
        const auto it = written.find(id);
        if (it == written.end()) continue;
        EXPECT_EQ(it->second.count(r.value("value", "")), 1u)
            << op->value << " (" << section << ") holds '" << r.value("value", "") << "' for "
            << id << ", which no successful set wrote";
      }
    }
  }

  // 6. The audit log counts exactly the corrections, exports and erasures that exited 0.
  {
    const std::string final_export = scratch_.File("final.json");
    const CommandResult r = Tacetctl({"export", "--out", final_export});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::ifstream in(final_export);
    const Json doc = Json::parse(in);
    std::map<std::string, int> audited;
    for (const Json& e : doc.at("audit")) ++audited[e.value("kind", "")];
    int corrections = 0;
    for (const Op* op : all) {
      if (op->kind == Kind::kSet && Ok(*op) && op->output.find(": corrected (") != std::string::npos) {
        ++corrections;
      }
    }
    EXPECT_EQ(audited["correction"], corrections) << "audit entries vs sets that said 'corrected'";
    EXPECT_EQ(audited["export"], exports) << "audit entries vs exports that exited 0";
    EXPECT_EQ(audited["erasure"], static_cast<int>(erasures.size()))
        << "audit entries vs erasures that exited 0";
  }
  std::printf("whole test: %.1f s\n", static_cast<double>(MonotonicNs() - started_ns) / 1e9);
}

}  // namespace
}  // namespace tacet
