#include "store/database.h"

#include <sched.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "testing/test_util.h"

namespace tacet::store {
namespace {

using ::tacet::testing::ReadFileOrDie;
using ::tacet::testing::SourceDir;
using ::tacet::testing::TempDir;
using ::tacet::testing::WriteFileOrDie;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// ---- a realistic three-step schema; step 1 is what tests/fixtures/store/schema_v1.db holds -----

constexpr const char* kStep1 =
    "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) STRICT;";
constexpr const char* kStep2 =
    "CREATE TABLE meta_history ("
    "  id INTEGER PRIMARY KEY,"
    "  key TEXT NOT NULL REFERENCES meta (key) ON DELETE CASCADE,"
    "  old_value TEXT NOT NULL,"
    "  changed_at INTEGER NOT NULL) STRICT;";
constexpr const char* kStep3 =
    "ALTER TABLE meta ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX meta_history_by_key ON meta_history (key, changed_at);";

// The first `steps` steps of the test schema.
Schema TestSchema(int steps) {
  const std::vector<Migration> all = {
      {1, "key-value meta table", kStep1},
      {2, "meta history with a foreign key", kStep2},
      {3, "meta.updated_at and a history index", kStep3},
  };
  return Schema{"test", std::vector<Migration>(all.begin(), all.begin() + steps)};
}

// C++17 has no designated initialisers: small makers for the OpenOptions the tests use.
OpenOptions WithSchema(const Schema* schema) {
  OpenOptions o;
  o.schema = schema;
  return o;
}
OpenOptions ReadOnly(const Schema* schema) {
  OpenOptions o = WithSchema(schema);
  o.read_only = true;
  return o;
}
OpenOptions NoCreate() {
  OpenOptions o;
  o.create_if_missing = false;
  return o;
}
OpenOptions ShortTimeout(const Schema* schema) {
  OpenOptions o = WithSchema(schema);
  o.busy_timeout_ms = 50;
  return o;
}
OpenOptions NegativeTimeout() {
  OpenOptions o;
  o.busy_timeout_ms = -1;
  return o;
}

int64_t QueryInt(Database& db, const std::string& sql) {
  StatusOr<Statement> st = db.Prepare(sql);
  EXPECT_OK(st);
  if (!st.ok()) return -1;
  StatusOr<bool> row = st->Step();
  EXPECT_OK(row);
  EXPECT_TRUE(row.ok() && *row) << sql << " returned no row";
  return row.ok() && *row ? st->ColumnInt64(0) : -1;
}

std::string QueryText(Database& db, const std::string& sql) {
  StatusOr<Statement> st = db.Prepare(sql);
  EXPECT_OK(st);
  if (!st.ok()) return "";
  StatusOr<bool> row = st->Step();
  EXPECT_TRUE(row.ok() && *row) << sql << " returned no row";
  return row.ok() && *row ? st->ColumnText(0) : "";
}

std::unique_ptr<Database> OpenOrDie(const std::string& path, const OpenOptions& options = {}) {
  StatusOr<std::unique_ptr<Database>> db = Database::Open(path, options);
  EXPECT_OK(db);
  return db.ok() ? std::move(db).value() : nullptr;
}

Status InsertMeta(Database& db, std::string_view key, std::string_view value) {
  TACET_ASSIGN_OR_RETURN(Statement st, db.Prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)"));
  TACET_RETURN_IF_ERROR(st.Bind(1, key));
  TACET_RETURN_IF_ERROR(st.Bind(2, value));
  return st.Step().status();
}

bool Exists(const std::string& path) { return fs::exists(path); }

// Copies the checked-in v1 fixture into `dir` and returns the copy's path.
std::string CopyFixture(const TempDir& dir) {
  const std::string copy = dir.File("device.db");
  fs::copy_file(SourceDir() + "/tests/fixtures/store/schema_v1.db", copy);
  return copy;
}

// A database made by plain SQLite, not Tacet: `application_id` and one table with a row.
void MakeForeignDatabase(const std::string& path, int32_t application_id) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  const std::string sql = "PRAGMA application_id=" + std::to_string(application_id) +
                          "; CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('theirs');";
  EXPECT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
}

// Deterministic filler for garbage files (test data, not key material).
Bytes PseudoRandomBytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<uint8_t>(gen());
  return out;
}

// A database with `rows` rows of 200-byte blobs in table t, closed again.
void MakeDatabaseWithRows(const std::string& path, int rows) {
  auto db = OpenOrDie(path);
  ASSERT_NE(db, nullptr);
  ASSERT_OK(db->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)"));
  ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*db, Durability::kNormal));
  ASSERT_OK_AND_ASSIGN(Statement st, db->Prepare("INSERT INTO t (payload) VALUES (?1)"));
  const Bytes payload(200, 0xab);
  for (int i = 0; i < rows; ++i) {
    ASSERT_OK(st.BindBlob(1, payload));
    ASSERT_OK(st.Step());
    ASSERT_OK(st.Reset());
  }
  ASSERT_OK(txn.Commit());
}

// Reads every row of t; the first error, if any.
Status ScanAll(Database& db) {
  TACET_ASSIGN_OR_RETURN(Statement st, db.Prepare("SELECT id, payload FROM t"));
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return OkStatus();
  }
}

// ---- open, create, reopen ---------------------------------------------------------------------

TEST(DatabaseTest, CreatesClaimsAndReopens) {
  TempDir dir;
  const std::string path = dir.File("tacet.db");
  {
    auto db = OpenOrDie(path);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(db->path(), path);
    EXPECT_EQ(db->UserVersion(), 0);
    EXPECT_EQ(QueryInt(*db, "PRAGMA application_id"), kApplicationId);
    ASSERT_OK(db->Exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)"));
    ASSERT_OK_AND_ASSIGN(Statement st, db->Prepare("INSERT INTO kv VALUES ('a', 'b')"));
    ASSERT_OK(st.Step());
  }
  auto db = OpenOrDie(path, NoCreate());
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(QueryText(*db, "SELECT v FROM kv WHERE k = 'a'"), "b");
}

TEST(DatabaseTest, MissingFileWithoutCreateIsNotFoundAndNotCreated) {
  TempDir dir;
  const std::string path = dir.File("absent.db");
  EXPECT_THAT(Database::Open(path, NoCreate()),
              StatusIs(StatusCode::kNotFound, HasSubstr(path)));
  EXPECT_THAT(Database::Open(path, ReadOnly(nullptr)),
              StatusIs(StatusCode::kNotFound, HasSubstr(path)));
  EXPECT_FALSE(Exists(path));
  EXPECT_THAT(Database::Open(dir.File("no/such/dir/x.db"), {}),
              StatusIs(StatusCode::kNotFound, HasSubstr("no/such/dir/x.db")));
}

// A device, a directory or a FIFO at the database path is refused before SQLite opens it: no
// "-journal" or "-wal" file appears beside it, and the status names the path and what it is.
TEST(DatabaseTest, NonRegularFilesAreRefusedBeforeSqliteTouchesThem) {
  const bool journal_existed = Exists("/dev/null-journal");
  const bool wal_existed = Exists("/dev/null-wal");
  EXPECT_THAT(Database::Open("/dev/null", {}),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("'/dev/null'"), HasSubstr("a character device"))));
  EXPECT_THAT(Database::Open("/dev/null", ReadOnly(nullptr)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'/dev/null'")));
  if (!journal_existed) {
    EXPECT_FALSE(Exists("/dev/null-journal"));
  }
  if (!wal_existed) {
    EXPECT_FALSE(Exists("/dev/null-wal"));
  }

  TempDir dir;
  const std::string folder = dir.File("folder.db");
  ASSERT_TRUE(fs::create_directory(folder));
  EXPECT_THAT(Database::Open(folder, {}),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("'" + folder + "'"), HasSubstr("a directory"))));
  const std::string fifo = dir.File("fifo.db");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  EXPECT_THAT(Database::Open(fifo, {}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("a FIFO")));
  // A symbolic link to a device is the device.
  const std::string link = dir.File("link.db");
  fs::create_symlink("/dev/null", link);
  EXPECT_THAT(Database::Open(link, {}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("a character device")));
  for (const std::string& base : {folder, fifo, link}) {
    for (const char* suffix : {"-journal", "-wal", "-shm"}) {
      EXPECT_FALSE(Exists(base + suffix)) << base + suffix;
    }
  }
  fs::remove(link);  // before TempDir's clean-up walks the folder
}

// A new database and the -wal and -shm files SQLite makes beside it are private to their owner
// (they hold the device's encrypted personal data and its metadata), whatever the umask allows.
TEST(DatabaseTest, NewDatabaseAndItsCompanionFilesAreMode0600) {
  TempDir dir;
  const std::string path = dir.File("private.db");
  const mode_t old_umask = ::umask(022);
  {
    auto db = OpenOrDie(path);
    ASSERT_NE(db, nullptr);
    ASSERT_OK(db->Exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('x')"));
    for (const char* suffix : {"", "-wal", "-shm"}) {
      struct stat st {};
      ASSERT_EQ(::stat((path + suffix).c_str(), &st), 0) << suffix;
      EXPECT_EQ(st.st_mode & 0777, 0600u) << path + suffix;
    }
  }
  ::umask(old_umask);
  // An existing database keeps the mode its owner gave it.
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  auto db = OpenOrDie(path);
  ASSERT_NE(db, nullptr);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(DatabaseTest, RejectsEmptyAndMagicPaths) {
  EXPECT_THAT(Database::Open("", {}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Database::Open(":memory:", {}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("OpenInMemory")));
  EXPECT_THAT(Database::OpenInMemory(NegativeTimeout()),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(DatabaseTest, ConnectionSettingsAreOn) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("tacet.db"));
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(QueryText(*db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryInt(*db, "PRAGMA secure_delete"), 1);
  EXPECT_EQ(QueryInt(*db, "PRAGMA foreign_keys"), 1);
  EXPECT_EQ(QueryInt(*db, "PRAGMA synchronous"), 2);  // FULL at rest
  EXPECT_EQ(QueryInt(*db, "PRAGMA busy_timeout"), 5000);
  ASSERT_OK(db->Exec("CREATE TABLE t (x)"));
  EXPECT_TRUE(Exists(dir.File("tacet.db-wal")));  // WAL really in use
}

TEST(DatabaseTest, DefensiveModeRefusesSchemaWrites) {
  TempDir dir;
  auto db = OpenOrDie(dir.File("tacet.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_OK(db->Exec("CREATE TABLE t (x)"));
  // Without DEFENSIVE, writable_schema would let this rewrite the table definition.
  EXPECT_OK(db->Exec("PRAGMA writable_schema=ON"));
  EXPECT_THAT(db->Exec("UPDATE sqlite_master SET sql = 'CREATE TABLE t (y)' WHERE name = 't'"),
              StatusIs(StatusCode::kInternal, HasSubstr("may not be modified")));
  EXPECT_EQ(QueryText(*db, "SELECT sql FROM sqlite_master WHERE name = 't'"), "CREATE TABLE t (x)");
}

TEST(DatabaseTest, InMemoryHasSameSettingsAndNoFiles) {
  const Schema schema = TestSchema(3);
  ASSERT_OK_AND_ASSIGN(auto db, Database::OpenInMemory(WithSchema(&schema)));
  EXPECT_EQ(db->path(), ":memory:");
  EXPECT_TRUE(db->Files().empty());
  EXPECT_EQ(db->UserVersion(), 3);
  EXPECT_EQ(QueryInt(*db, "PRAGMA foreign_keys"), 1);
  EXPECT_EQ(QueryInt(*db, "PRAGMA secure_delete"), 1);
  EXPECT_OK(db->Checkpoint(CheckpointMode::kTruncate));
}

TEST(DatabaseTest, FilesAndTruncatingCheckpoint) {
  TempDir dir;
  const std::string path = dir.File("tacet.db");
  auto db = OpenOrDie(path);
  ASSERT_NE(db, nullptr);
  const std::string base = fs::canonical(path).string();
  EXPECT_THAT(db->Files(), ElementsAre(base, base + "-wal", base + "-shm", base + "-journal"));
  ASSERT_OK(db->Exec("CREATE TABLE t (x BLOB); INSERT INTO t VALUES (zeroblob(10000))"));
  EXPECT_GT(fs::file_size(path + "-wal"), 0u);
  ASSERT_OK(db->Checkpoint(CheckpointMode::kTruncate));
  EXPECT_EQ(fs::file_size(path + "-wal"), 0u);
  EXPECT_OK(db->Checkpoint(CheckpointMode::kPassive));
}

// ---- statements -------------------------------------------------------------------------------

TEST(StatementTest, BindsAndReadsEveryType) {
  ASSERT_OK_AND_ASSIGN(auto db, Database::OpenInMemory({}));
  ASSERT_OK(db->Exec("CREATE TABLE v (i INTEGER, t TEXT, b BLOB, n BLOB)"));
  const Bytes blob = {0x00, 0x01, 0x00, 0xff, 0x00};  // embedded NULs
  const std::string text("a\0b", 3);
  ASSERT_OK_AND_ASSIGN(Statement insert, db->Prepare("INSERT INTO v VALUES (?1, ?2, ?3, ?4)"));
  const int64_t ints[] = {INT64_MIN, -1, 0, INT64_MAX};
  for (int64_t i : ints) {
    ASSERT_OK(insert.Bind(1, i));
    ASSERT_OK(insert.Bind(2, text));
    ASSERT_OK(insert.BindBlob(3, blob));
    ASSERT_OK(insert.BindNull(4));
    ASSERT_OK_AND_ASSIGN(bool row, insert.Step());
    EXPECT_FALSE(row);
    EXPECT_EQ(db->Changes(), 1);
    ASSERT_OK(insert.Reset());
  }
  EXPECT_EQ(db->LastInsertRowId(), 4);

  ASSERT_OK_AND_ASSIGN(Statement select, db->Prepare("SELECT i, t, b, n FROM v ORDER BY rowid"));
  EXPECT_EQ(select.ColumnCount(), 4);
  for (int64_t i : ints) {
    ASSERT_OK_AND_ASSIGN(bool row, select.Step());
    ASSERT_TRUE(row);
    EXPECT_EQ(select.ColumnInt64(0), i);
    EXPECT_EQ(select.ColumnText(1), text);
    EXPECT_EQ(select.ColumnBlob(2), blob);
    EXPECT_FALSE(select.ColumnIsNull(2));
    EXPECT_TRUE(select.ColumnIsNull(3));
    EXPECT_TRUE(select.ColumnBlob(3).empty());
  }
  ASSERT_OK_AND_ASSIGN(bool more, select.Step());
  EXPECT_FALSE(more);
}

TEST(StatementTest, EmptyTextAndBlobAreNotNull) {
  ASSERT_OK_AND_ASSIGN(auto db, Database::OpenInMemory({}));
  ASSERT_OK_AND_ASSIGN(Statement st, db->Prepare("SELECT ?1, ?2, typeof(?1), typeof(?2)"));
  ASSERT_OK(st.Bind(1, std::string_view()));
  ASSERT_OK(st.BindBlob(2, ByteView()));
  ASSERT_OK_AND_ASSIGN(bool row, st.Step());
  ASSERT_TRUE(row);
  EXPECT_FALSE(st.ColumnIsNull(0));
  EXPECT_FALSE(st.ColumnIsNull(1));
  EXPECT_EQ(st.ColumnText(2), "text");
  EXPECT_EQ(st.ColumnText(3), "blob");
}

TEST(StatementTest, ClearBindingsAndReuse) {
  ASSERT_OK_AND_ASSIGN(auto db, Database::OpenInMemory({}));
  ASSERT_OK_AND_ASSIGN(Statement st, db->Prepare("SELECT ?1"));
  ASSERT_OK(st.Bind(1, "secret"));
  ASSERT_OK(st.Step());
  EXPECT_EQ(st.ColumnText(0), "secret");
  ASSERT_OK(st.Reset());
  ASSERT_OK(st.ClearBindings());
  ASSERT_OK_AND_ASSIGN(bool row, st.Step());
  ASSERT_TRUE(row);
  EXPECT_TRUE(st.ColumnIsNull(0));
}

TEST(StatementTest, PrepareErrors) {
  ASSERT_OK_AND_ASSIGN(auto db, Database::OpenInMemory({}));
  EXPECT_THAT(db->Prepare("SELEC 1"), StatusIs(StatusCode::kInternal, HasSubstr("syntax error")));
  EXPECT_THAT(db->Prepare("SELECT 1; SELECT 2"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("one SQL statement")));
  EXPECT_THAT(db->Prepare("  ;  "), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_OK(db->Prepare("SELECT 1;  -- trailing comment\n"));
  EXPECT_THAT(db->Exec(std::string_view("SELECT 1\0; DROP TABLE x", 24)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("NUL")));
  ASSERT_OK_AND_ASSIGN(Statement st, db->Prepare("SELECT ?1"));
  EXPECT_THAT(st.Bind(2, int64_t{1}), StatusIs(StatusCode::kInternal, HasSubstr("parameter 2")));
  Statement moved = std::move(st);
  EXPECT_THAT(st.Step(), StatusIs(StatusCode::kFailedPrecondition));  // NOLINT(bugprone-use-after-move)
  EXPECT_OK(moved.Step());
}

TEST(StatementTest, ConstraintsMapToCodes) {
  const Schema schema = TestSchema(2);
  ASSERT_OK_AND_ASSIGN(auto db, Database::OpenInMemory(WithSchema(&schema)));
  ASSERT_OK(InsertMeta(*db, "k", "v"));
  EXPECT_THAT(InsertMeta(*db, "k", "again"),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("UNIQUE constraint failed: meta.key")));
  EXPECT_THAT(db->Exec("INSERT INTO meta_history (key, old_value, changed_at) VALUES ('nope', '', 0)"),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("FOREIGN KEY")));
  EXPECT_THAT(db->Exec("INSERT INTO meta (key, value) VALUES ('x', NULL)"),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("NOT NULL")));
}

// ---- transactions -----------------------------------------------------------------------------

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenOrDie(dir_.File("tacet.db"), WithSchema(&schema_));
    ASSERT_NE(db_, nullptr);
  }
  int64_t MetaRows() { return QueryInt(*db_, "SELECT count(*) FROM meta"); }

  TempDir dir_;
  Schema schema_ = TestSchema(3);
  std::unique_ptr<Database> db_;
};

TEST_F(TransactionTest, CommitKeepsRows) {
  ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*db_, Durability::kCritical));
  ASSERT_OK(InsertMeta(*db_, "a", "1"));
  ASSERT_OK(InsertMeta(*db_, "b", "2"));
  ASSERT_OK(txn.Commit());
  EXPECT_THAT(txn.Commit(), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_EQ(MetaRows(), 2);
}

TEST_F(TransactionTest, DestructionRollsBack) {
  {
    ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*db_, Durability::kNormal));
    ASSERT_OK(InsertMeta(*db_, "a", "1"));
    EXPECT_EQ(MetaRows(), 1);  // visible inside
  }
  EXPECT_EQ(MetaRows(), 0);
  ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*db_, Durability::kNormal));
  ASSERT_OK(InsertMeta(*db_, "b", "1"));
  ASSERT_OK(txn.Rollback());
  EXPECT_EQ(MetaRows(), 0);
}

TEST_F(TransactionTest, MovedTransactionCommitsOnceAndNestingIsRefused) {
  ASSERT_OK_AND_ASSIGN(Transaction outer, Transaction::Begin(*db_, Durability::kCritical));
  EXPECT_THAT(Transaction::Begin(*db_, Durability::kCritical),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("already open")));
  ASSERT_OK(InsertMeta(*db_, "a", "1"));
  Transaction moved = std::move(outer);
  EXPECT_THAT(outer.Commit(), StatusIs(StatusCode::kFailedPrecondition));  // NOLINT
  ASSERT_OK(moved.Commit());
  EXPECT_EQ(MetaRows(), 1);
}

TEST_F(TransactionTest, DurabilitySetsSynchronous) {
  {
    ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*db_, Durability::kCritical));
    EXPECT_EQ(QueryInt(*db_, "PRAGMA synchronous"), 2);  // FULL
    ASSERT_OK(txn.Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*db_, Durability::kNormal));
    EXPECT_EQ(QueryInt(*db_, "PRAGMA synchronous"), 1);  // NORMAL
    ASSERT_OK(txn.Commit());
  }
  // Back to FULL for autocommit writes outside transactions.
  EXPECT_EQ(QueryInt(*db_, "PRAGMA synchronous"), 2);
  {
    ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*db_, Durability::kNormal));
  }
  EXPECT_EQ(QueryInt(*db_, "PRAGMA synchronous"), 2);
}

// Transaction runs BEGIN, COMMIT, ROLLBACK and the synchronous pragmas through statements the
// Database prepares once and keeps; they must keep working across a schema change (SQLite
// re-prepares them) and after a COMMIT that fails and is rolled back.
TEST_F(TransactionTest, KeptControlStatementsSurviveASchemaChangeAndAFailedCommit) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*db_, Durability::kNormal));
    ASSERT_OK(InsertMeta(*db_, "k" + std::to_string(i), "v"));
    ASSERT_OK(txn.Commit());
  }
  ASSERT_OK(db_->Exec("CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                      "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES "
                      "parent(id) DEFERRABLE INITIALLY DEFERRED)"));
  {
    // A deferred foreign key fails at COMMIT: the error is returned and nothing is kept.
    ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*db_, Durability::kNormal));
    ASSERT_OK(InsertMeta(*db_, "lost", "v"));
    ASSERT_OK(db_->Exec("INSERT INTO child (id, parent_id) VALUES (1, 42)"));
    EXPECT_THAT(txn.Commit(), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("FOREIGN KEY")));
  }
  EXPECT_EQ(QueryInt(*db_, "SELECT count(*) FROM child"), 0);
  EXPECT_EQ(MetaRows(), 3);
  EXPECT_EQ(QueryInt(*db_, "PRAGMA synchronous"), 2);  // back at rest
  ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*db_, Durability::kCritical));
  ASSERT_OK(db_->Exec("INSERT INTO parent (id) VALUES (42); INSERT INTO child VALUES (1, 42)"));
  ASSERT_OK(txn.Commit());
  EXPECT_EQ(QueryInt(*db_, "SELECT count(*) FROM child"), 1);
}

TEST_F(TransactionTest, CountsVmInstructionsOnlyWhenAsked) {
  EXPECT_EQ(db_->vm_instructions_counted(), 0);
  ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*db_, Durability::kNormal));
  for (int i = 0; i < 1000; ++i) ASSERT_OK(InsertMeta(*db_, "k" + std::to_string(i), "v"));
  ASSERT_OK(txn.Commit());
  EXPECT_EQ(db_->vm_instructions_counted(), 0);
  db_->StartCountingVmInstructions();
  EXPECT_EQ(QueryInt(*db_, "SELECT count(*) FROM meta WHERE key = 'k7'"), 1);  // one seek
  const int64_t seek = db_->vm_instructions_counted();
  db_->StartCountingVmInstructions();
  EXPECT_EQ(QueryInt(*db_, "SELECT count(*) FROM meta WHERE value = 'v'"), 1000);  // every row
  const int64_t scan = db_->vm_instructions_counted();
  EXPECT_GT(seek, 0);
  EXPECT_GT(scan, 1000 * 3) << "a scan of 1,000 rows runs a few instructions per row";
  EXPECT_LT(seek * 20, scan);
}

TEST_F(TransactionTest, SecondWriterIsUnavailableAfterBusyTimeout) {
  auto other = OpenOrDie(dir_.File("tacet.db"), ShortTimeout(&schema_));
  ASSERT_NE(other, nullptr);
  ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*db_, Durability::kNormal));
  EXPECT_THAT(Transaction::Begin(*other, Durability::kNormal),
              StatusIs(StatusCode::kUnavailable, HasSubstr("locked")));
  ASSERT_OK(txn.Commit());
  EXPECT_OK(Transaction::Begin(*other, Durability::kNormal));
}

// ---- migrations -------------------------------------------------------------------------------

TEST(MigrationTest, NewDatabaseGetsEveryStep) {
  TempDir dir;
  const Schema schema = TestSchema(3);
  auto db = OpenOrDie(dir.File("tacet.db"), WithSchema(&schema));
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->UserVersion(), 3);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM sqlite_schema WHERE name IN "
                          "('meta', 'meta_history', 'meta_history_by_key')"),
            3);
}

TEST(MigrationTest, FixtureAtV1MigratesToV3KeepingRows) {
  TempDir dir;
  const std::string path = CopyFixture(dir);
  const Schema schema = TestSchema(3);
  auto db = OpenOrDie(path, WithSchema(&schema));
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->UserVersion(), 3);
  EXPECT_EQ(QueryInt(*db, "PRAGMA application_id"), kApplicationId);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM meta"), 3);
  EXPECT_EQ(QueryText(*db, "SELECT value FROM meta WHERE key = 'device_name'"), "kitchen speaker");
  EXPECT_EQ(QueryText(*db, "SELECT value FROM meta WHERE key = 'locale'"), "de-CH");
  // Step 3's column, with its default on the old rows, and its index.
  EXPECT_EQ(QueryInt(*db, "SELECT sum(updated_at) FROM meta"), 0);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' "
                          "AND name = 'meta_history_by_key'"),
            1);
  // Step 2's table, with its foreign key enforced.
  EXPECT_OK(db->Exec("INSERT INTO meta_history (key, old_value, changed_at) "
                     "VALUES ('locale', 'en-GB', 1700000000)"));
  EXPECT_THAT(db->Exec("INSERT INTO meta_history (key, old_value, changed_at) VALUES ('x', '', 1)"),
              StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK(db->Exec("DELETE FROM meta WHERE key = 'locale'"));
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM meta_history"), 0);  // ON DELETE CASCADE
  db.reset();
  // The checked-in fixture itself was not touched.
  const Schema v1 = TestSchema(1);
  auto fixture = OpenOrDie(SourceDir() + "/tests/fixtures/store/schema_v1.db",
                           ReadOnly(&v1));
  ASSERT_NE(fixture, nullptr);
  EXPECT_EQ(fixture->UserVersion(), 1);
}

TEST(MigrationTest, FailingStepRollsBackEveryStep) {
  TempDir dir;
  const std::string path = CopyFixture(dir);
  Schema broken = TestSchema(3);
  broken.migrations[2].sql =
      "ALTER TABLE meta ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;"
      "CREATE INDEX oops ON no_such_table (x);";
  EXPECT_THAT(Database::Open(path, WithSchema(&broken)),
              StatusIs(StatusCode::kInternal,
                       AllOf(HasSubstr("schema 'test' migration to version 3"),
                             HasSubstr("no such table: main.no_such_table"))));
  const Schema v1 = TestSchema(1);
  auto db = OpenOrDie(path, WithSchema(&v1));
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->UserVersion(), 1);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM meta"), 3);
  // Neither step 2's table nor step 3's first statement survived.
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM sqlite_schema WHERE name = 'meta_history'"), 0);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM pragma_table_info('meta') WHERE name = 'updated_at'"), 0);
}

Status CopyLocaleToHistory(Database& db) {
  TACET_ASSIGN_OR_RETURN(Statement st, db.Prepare(
      "INSERT INTO meta_history (key, old_value, changed_at) "
      "SELECT key, value, ?1 FROM meta WHERE key = ?2"));
  TACET_RETURN_IF_ERROR(st.Bind(1, int64_t{42}));
  TACET_RETURN_IF_ERROR(st.Bind(2, "locale"));
  return st.Step().status();
}

Status FailAfterWriting(Database& db) {
  TACET_RETURN_IF_ERROR(CopyLocaleToHistory(db));
  return DataLossError("backfill found an unreadable row");
}

TEST(MigrationTest, CodeStepsRunInTheSameTransaction) {
  TempDir dir;
  const std::string path = CopyFixture(dir);
  Schema schema = TestSchema(2);
  schema.migrations.push_back({3, "backfill history", nullptr, &FailAfterWriting});
  EXPECT_THAT(Database::Open(path, WithSchema(&schema)),
              StatusIs(StatusCode::kDataLoss, AllOf(HasSubstr("migration to version 3 (backfill"),
                                                    HasSubstr("unreadable row"))));
  schema.migrations[2].apply = &CopyLocaleToHistory;
  auto db = OpenOrDie(path, WithSchema(&schema));
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->UserVersion(), 3);
  EXPECT_EQ(QueryText(*db, "SELECT old_value FROM meta_history WHERE changed_at = 42"), "de-CH");
}

TEST(MigrationTest, NewerVersionIsRefusedAndFileUntouched) {
  TempDir dir;
  const std::string path = dir.File("tacet.db");
  const Schema v3 = TestSchema(3);
  OpenOrDie(path, WithSchema(&v3));
  const Bytes before = ReadFileOrDie(path);
  const Schema v2 = TestSchema(2);
  EXPECT_THAT(Database::Open(path, WithSchema(&v2)),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path), HasSubstr("database schema version 3 is newer than "
                                                        "this build supports (2)"))));
  // The read-write open refused before writing: SQLite removed its -wal and -shm on close.
  EXPECT_FALSE(Exists(path + "-wal"));
  EXPECT_FALSE(Exists(path + "-shm"));
  EXPECT_THAT(Database::Open(path, ReadOnly(&v2)),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("newer")));
  EXPECT_EQ(ReadFileOrDie(path), before);
}

TEST(MigrationTest, ReadOnlyOpenDoesNotMigrate) {
  TempDir dir;
  const std::string path = CopyFixture(dir);
  const Schema v3 = TestSchema(3);
  EXPECT_THAT(Database::Open(path, ReadOnly(&v3)),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("needs migrating to 3")));
  const Schema v1 = TestSchema(1);
  auto db = OpenOrDie(path, ReadOnly(&v1));
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->UserVersion(), 1);
}

TEST(MigrationTest, InvalidSchemasAreInternalErrors) {
  const Schema gap{"gappy", {{1, "one", kStep1}, {3, "three", kStep3}}};
  EXPECT_THAT(Database::OpenInMemory(WithSchema(&gap)),
              StatusIs(StatusCode::kInternal, HasSubstr("schema 'gappy' migration #2 has to_version 3, expected 2")));
  const Schema both{"both", {{1, "one", kStep1, &CopyLocaleToHistory}}};
  EXPECT_THAT(ValidateSchema(both), StatusIs(StatusCode::kInternal, HasSubstr("exactly one")));
  const Schema neither{"neither", {{1, "one"}}};
  EXPECT_THAT(ValidateSchema(neither), StatusIs(StatusCode::kInternal, HasSubstr("exactly one")));
  const Schema repeat{"repeat", {{1, "one", kStep1}, {1, "again", kStep2}}};
  EXPECT_THAT(ValidateSchema(repeat), StatusIs(StatusCode::kInternal));
  const Schema unnamed{nullptr, {}};
  EXPECT_THAT(ValidateSchema(unnamed), StatusIs(StatusCode::kInternal));
  const Schema undescribed{"undescribed", {{1, "", kStep1}}};
  EXPECT_THAT(ValidateSchema(undescribed), StatusIs(StatusCode::kInternal, HasSubstr("description")));
  EXPECT_OK(ValidateSchema(TestSchema(3)));
}

// ---- files that are not Tacet databases -------------------------------------------------------

// Opening `path` (read-write and read-only) fails with `code`, leaves its bytes exactly as they
// were and leaves no -wal or -shm file behind.
void ExpectRefusedAndUntouched(const std::string& path, StatusCode code, const std::string& why) {
  const Bytes before = ReadFileOrDie(path);
  const Schema schema = TestSchema(3);
  EXPECT_THAT(Database::Open(path, WithSchema(&schema)),
              StatusIs(code, AllOf(HasSubstr(path), HasSubstr(why))));
  EXPECT_THAT(Database::Open(path, ReadOnly(nullptr)), StatusIs(code, HasSubstr(path)));
  EXPECT_EQ(ReadFileOrDie(path), before);
  EXPECT_FALSE(Exists(path + "-wal"));
  EXPECT_FALSE(Exists(path + "-shm"));
  EXPECT_FALSE(Exists(path + "-journal"));
}

TEST(ForeignFileTest, RandomBytesAreNotADatabase) {
  TempDir dir;
  const std::string path = dir.File("random.db");
  WriteFileOrDie(path, PseudoRandomBytes(8192, 1));
  ExpectRefusedAndUntouched(path, StatusCode::kDataLoss, "is not a database");
}

TEST(ForeignFileTest, TextFileIsNotADatabase) {
  TempDir dir;
  const std::string path = dir.File("notes.txt");
  WriteFileOrDie(path, ByteView::FromString("Shopping list:\n- milk\n- bread\n"));
  ExpectRefusedAndUntouched(path, StatusCode::kDataLoss, "is not a database");
}

TEST(ForeignFileTest, OtherApplicationsDatabaseIsRefused) {
  TempDir dir;
  const std::string path = dir.File("other.db");
  MakeForeignDatabase(path, 0x12345678);
  ExpectRefusedAndUntouched(path, StatusCode::kFailedPrecondition,
                            "another application (application_id 0x12345678");
}

TEST(ForeignFileTest, UnclaimedDatabaseWithTablesIsRefused) {
  TempDir dir;
  const std::string path = dir.File("plain.db");
  MakeForeignDatabase(path, 0);
  ExpectRefusedAndUntouched(path, StatusCode::kFailedPrecondition, "application_id 0x00000000");
}

// user_version is a signed 32-bit field; a Tacet file never has a negative one. Migrating from
// it would index the schema's steps at a negative position.
TEST(ForeignFileTest, NegativeSchemaVersionIsDataLoss) {
  TempDir dir;
  const std::string path = dir.File("tacet.db");
  const Schema v1 = TestSchema(1);
  OpenOrDie(path, WithSchema(&v1));
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(raw, "PRAGMA user_version=-2", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  const Bytes before = ReadFileOrDie(path);
  const Schema v3 = TestSchema(3);
  EXPECT_THAT(Database::Open(path, WithSchema(&v3)),
              StatusIs(StatusCode::kDataLoss,
                       AllOf(HasSubstr(path), HasSubstr("negative schema version -2"))));
  EXPECT_THAT(Database::Open(path, ReadOnly(nullptr)),
              StatusIs(StatusCode::kDataLoss, HasSubstr("negative schema version -2")));
  EXPECT_EQ(ReadFileOrDie(path), before);
}

TEST(ForeignFileTest, ZeroLengthFileIsClaimed) {
  TempDir dir;
  const std::string path = dir.File("empty.db");
  WriteFileOrDie(path, Bytes());
  const Schema schema = TestSchema(3);
  auto db = OpenOrDie(path, WithSchema(&schema));
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->UserVersion(), 3);
}

// ---- corruption -------------------------------------------------------------------------------

// A Tacet database is refused with kDataLoss at open or at the first full read, never crashes, and
// is not rewritten.
void ExpectCorruptionReported(const std::string& path) {
  const Bytes before = ReadFileOrDie(path);
  {
    StatusOr<std::unique_ptr<Database>> db = Database::Open(path, {});
    if (db.ok()) {
      EXPECT_THAT(ScanAll(**db), StatusIs(StatusCode::kDataLoss, HasSubstr(path + " is corrupt")));
    } else {
      EXPECT_THAT(db, StatusIs(StatusCode::kDataLoss, HasSubstr(path)));
    }
  }
  EXPECT_EQ(ReadFileOrDie(path), before);
  EXPECT_FALSE(Exists(path + "-wal") && fs::file_size(path + "-wal") > 0);
}

TEST(CorruptionTest, GarbageInteriorPages) {
  TempDir dir;
  const std::string path = dir.File("tacet.db");
  MakeDatabaseWithRows(path, 500);
  Bytes bytes = ReadFileOrDie(path);
  const size_t page = 4096;
  ASSERT_GT(bytes.size(), 8 * page);
  // Pages 2.. hold table t (its root first); page 1 (header and schema) stays valid.
  const Bytes garbage = PseudoRandomBytes(4 * page, 2);
  std::copy(garbage.begin(), garbage.end(), bytes.begin() + page);
  WriteFileOrDie(path, bytes);
  ExpectCorruptionReported(path);
}

TEST(CorruptionTest, TruncatedFile) {
  TempDir dir;
  const std::string path = dir.File("tacet.db");
  MakeDatabaseWithRows(path, 500);
  Bytes bytes = ReadFileOrDie(path);
  bytes.resize(bytes.size() / 2);
  WriteFileOrDie(path, bytes);
  ExpectCorruptionReported(path);
}

// ---- read-only -------------------------------------------------------------------------------

TEST(ReadOnlyTest, ReadOnlyOptionReadsButRefusesWrites) {
  TempDir dir;
  const std::string path = dir.File("tacet.db");
  const Schema schema = TestSchema(3);
  {
    auto db = OpenOrDie(path, WithSchema(&schema));
    ASSERT_NE(db, nullptr);
    ASSERT_OK(InsertMeta(*db, "k", "v"));
  }
  auto db = OpenOrDie(path, ReadOnly(&schema));
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(db->read_only());
  EXPECT_EQ(QueryText(*db, "SELECT value FROM meta WHERE key = 'k'"), "v");
  EXPECT_THAT(InsertMeta(*db, "k2", "v2"),
              StatusIs(StatusCode::kFailedPrecondition, AllOf(HasSubstr(path), HasSubstr("read-only"))));
  EXPECT_THAT(Transaction::Begin(*db, Durability::kCritical),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("read-only")));
}

TEST(ReadOnlyTest, UncreatableLocationNamesTheReason) {
  // sysfs refuses new files even to root, and needs no mount privileges to try.
  const std::string path = "/sys/tacet-store-test.db";
  if (!fs::is_directory("/sys")) GTEST_SKIP() << "no /sys here";
  EXPECT_THAT(Database::Open(path, {}),
              StatusIs(StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("cannot open " + path), HasSubstr("Permission denied"))));
  EXPECT_FALSE(Exists(path));
}

// Gives this test process its own mount namespace (once), so its tmpfs mounts are invisible to the
// rest of the machine and disappear with the process. Returns "" on success, else the reason.
std::string EnterPrivateMountNamespace() {
  static const std::string result = []() -> std::string {
    if (unshare(CLONE_NEWNS) != 0) {
      const std::string as_is = std::strerror(errno);
      // Not root: a user namespace grants mount rights inside it.
      const unsigned uid = getuid();
      const unsigned gid = getgid();
      if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
        return "unshare(CLONE_NEWNS): " + as_is + "; with CLONE_NEWUSER: " + std::strerror(errno);
      }
      std::ofstream("/proc/self/setgroups") << "deny";
      std::ofstream("/proc/self/uid_map") << "0 " << uid << " 1";
      std::ofstream("/proc/self/gid_map") << "0 " << gid << " 1";
    }
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return std::string("making / private: ") + std::strerror(errno);
    }
    return "";
  }();
  return result;
}

// A tmpfs of `size` mounted on `dir` in the private namespace; unmounted on destruction.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& dir, const std::string& size) : dir_(dir), size_(size) {
    why_not_ = EnterPrivateMountNamespace();
    if (!why_not_.empty()) return;
    fs::create_directories(dir_);
    if (mount("tmpfs", dir_.c_str(), "tmpfs", 0, ("size=" + size_).c_str()) != 0) {
      why_not_ = "mount -t tmpfs: " + std::string(std::strerror(errno));
    }
  }
  ~TmpfsMount() {
    if (why_not_.empty()) umount2(dir_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  // Empty when mounted, else why not (the test then skips).
  const std::string& why_not() const { return why_not_; }
  bool RemountReadOnly() {
    return mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, ("size=" + size_).c_str()) == 0;
  }

 private:
  std::string dir_;
  std::string size_;
  std::string why_not_;
};

TEST(ReadOnlyTest, ReadOnlyFileSystem) {
  TempDir dir;
  const std::string mnt = dir.File("ro");
  TmpfsMount tmpfs(mnt, "1m");
  if (!tmpfs.why_not().empty()) GTEST_SKIP() << "cannot mount a tmpfs here: " << tmpfs.why_not();
  const std::string path = mnt + "/tacet.db";
  const Schema schema = TestSchema(3);
  {
    auto db = OpenOrDie(path, WithSchema(&schema));
    ASSERT_NE(db, nullptr);
    ASSERT_OK(InsertMeta(*db, "k", "v"));
  }
  ASSERT_TRUE(tmpfs.RemountReadOnly()) << std::strerror(errno);
  const Bytes before = ReadFileOrDie(path);

  // A new file cannot be created, even by root.
  EXPECT_THAT(Database::Open(mnt + "/new.db", WithSchema(&schema)),
              StatusIs(StatusCode::kPermissionDenied,
                       AllOf(HasSubstr(mnt + "/new.db"), HasSubstr("Read-only file system"))));
  // The existing one is not silently opened read-only for writing.
  EXPECT_THAT(Database::Open(path, WithSchema(&schema)),
              StatusIs(StatusCode::kPermissionDenied,
                       AllOf(HasSubstr(path), HasSubstr("read-only"))));
  // A read-only open reads a WAL database whose -shm file is gone and cannot be made
  // (https://www.sqlite.org/wal.html#readonly): nobody can be writing it, so it is opened as
  // immutable (issue 8: reading commands work in a read-only folder).
  {
    auto db = Database::Open(path, ReadOnly(&schema));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_OK_AND_ASSIGN(auto q, (*db)->Prepare("SELECT count(*) FROM meta"));
    ASSERT_OK_AND_ASSIGN(bool row, q.Step());
    ASSERT_TRUE(row);
    EXPECT_EQ(q.ColumnInt64(0), 1);
  }
  EXPECT_EQ(ReadFileOrDie(path), before);
}

// ... but not when a write-ahead log with committed transactions is left beside it: reading the
// database file alone would show an older state.
TEST(ReadOnlyTest, ReadOnlyFolderWithAnUnfinishedWalIsRefused) {
  TempDir dir;
  const std::string mnt = dir.File("ro");
  TmpfsMount tmpfs(mnt, "1m");
  if (!tmpfs.why_not().empty()) GTEST_SKIP() << "cannot mount a tmpfs here: " << tmpfs.why_not();
  const std::string path = mnt + "/tacet.db";
  const Schema schema = TestSchema(3);
  {
    auto db = OpenOrDie(path, WithSchema(&schema));
    ASSERT_NE(db, nullptr);
  }
  WriteFileOrDie(path + "-wal", Bytes(64, 0x77));
  ASSERT_TRUE(tmpfs.RemountReadOnly()) << std::strerror(errno);
  EXPECT_THAT(Database::Open(path, ReadOnly(&schema)),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path), HasSubstr("unfinished write-ahead log"))));
}

// ---- full disk --------------------------------------------------------------------------------

// Inserts 4 KiB rows into t, one kNormal transaction each, until an insert fails; returns that
// failure and the number of rows committed before it.
Status FillUntilFailure(Database& db, int* committed) {
  TACET_RETURN_IF_ERROR(db.Exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, payload BLOB)"));
  const Bytes payload(4096, 0x5a);
  *committed = 0;
  for (int i = 0; i < 100000; ++i) {
    Status s = [&]() -> Status {
      TACET_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, Durability::kNormal));
      TACET_ASSIGN_OR_RETURN(Statement st, db.Prepare("INSERT INTO t (payload) VALUES (?1)"));
      TACET_RETURN_IF_ERROR(st.BindBlob(1, payload));
      TACET_RETURN_IF_ERROR(st.Step().status());
      return txn.Commit();
    }();
    if (!s.ok()) return s;
    ++*committed;
  }
  return InternalError("the disk never filled up");
}

TEST(FullDiskTest, MaxPageCountLimit) {
  TempDir dir;
  const std::string path = dir.File("tacet.db");
  int committed = 0;
  {
    auto db = OpenOrDie(path);
    ASSERT_NE(db, nullptr);
    ASSERT_OK(db->Exec("PRAGMA max_page_count=64"));  // 256 KiB; per connection
    EXPECT_THAT(FillUntilFailure(*db, &committed),
                StatusIs(StatusCode::kResourceExhausted, AllOf(HasSubstr("disk full"), HasSubstr(path))));
    ASSERT_GT(committed, 10);
    EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM t"), committed);
  }
  auto db = OpenOrDie(path);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM t"), committed);
  EXPECT_OK(ScanAll(*db));
}

TEST(FullDiskTest, RealFullFileSystem) {
  TempDir dir;
  const std::string mnt = dir.File("small");
  TmpfsMount tmpfs(mnt, "512k");
  if (!tmpfs.why_not().empty()) GTEST_SKIP() << "cannot mount a tmpfs here: " << tmpfs.why_not();
  const std::string path = mnt + "/tacet.db";
  int committed = 0;
  {
    auto db = OpenOrDie(path);
    ASSERT_NE(db, nullptr);
    EXPECT_THAT(FillUntilFailure(*db, &committed),
                StatusIs(StatusCode::kResourceExhausted, HasSubstr("disk full")));
    ASSERT_GT(committed, 10);
    EXPECT_LT(committed, 128);  // 512 KiB of 4 KiB rows: the file system, not a limit, stopped it
    EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM t"), committed);
  }
  // Reopened on the still-full file system, every committed row is there.
  auto db = OpenOrDie(path);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM t"), committed);
  EXPECT_OK(ScanAll(*db));
}

}  // namespace
}  // namespace tacet::store
