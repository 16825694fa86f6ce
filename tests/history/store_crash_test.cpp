// "Nothing lost": two connections writing one file at once both succeed (busy timeout), and a
// process killed with SIGKILL in the middle of writing leaves a database that passes
// integrity_check with every message either whole or absent.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

#include "history/conversation_store.h"
#include "history_test_support.h"

namespace r1::history {
namespace {

using testing::fresh_dir;

TEST(StoreConcurrency, TwoStoresOnOneFileBothSucceed) {
  const auto file = fresh_dir("two") / "history.sqlite3";
  ConversationStore a(file);
  ConversationStore b(file);
  const std::string id = a.create("shared").id;
  constexpr int kEach = 150;
  auto writer = [&](ConversationStore& store, const char* who, int& failures) {
    for (int i = 0; i < kEach; ++i) {
      NewMessage m;
      m.role = "user";
      m.content = std::string(who) + std::to_string(i);
      try {
        store.append(id, m);
      } catch (const std::exception&) {
        ++failures;
      }
    }
  };
  int failures_a = 0, failures_b = 0;
  std::thread ta([&] { writer(a, "a", failures_a); });
  std::thread tb([&] { writer(b, "b", failures_b); });
  ta.join();
  tb.join();
  EXPECT_EQ(failures_a, 0);
  EXPECT_EQ(failures_b, 0);
  const Conversation c = a.get(id);
  ASSERT_EQ(c.messages.size(), 2u * kEach);
  for (std::size_t i = 0; i < c.messages.size(); ++i) EXPECT_EQ(c.messages[i].seq, i + 1);
}

// FNV-1a, written as a suffix so a torn message would not match its own checksum.
std::string checksum(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (const char c : text) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return std::to_string(h);
}

[[noreturn]] void write_forever(const std::filesystem::path& file, const std::string& id) {
  try {
    ConversationStore store(file);
    std::mt19937 random(static_cast<unsigned>(getpid()));
    for (int i = 0;; ++i) {
      NewMessage m;
      m.role = i % 2 == 0 ? "user" : "assistant";
      // 1 byte to 256 KiB: big messages span many pages, so a kill lands mid-page-write.
      const std::string body(1 + random() % (256 * 1024), static_cast<char>('a' + i % 26));
      m.content = body + "|" + checksum(body);
      m.reasoning = std::string(random() % 4096, 'r');
      if (i % 7 == 3)
        store.append(id, m, std::max<std::int64_t>(1, i - 2));  // tail replacement too
      else
        store.append(id, m);
    }
  } catch (...) {
    _exit(3);
  }
}

TEST(StoreCrash, KillNineMidWriteLeavesWholeMessagesOnly) {
  const auto file = fresh_dir("kill") / "history.sqlite3";
  const std::string id = ConversationStore(file).create("crash").id;
  std::mt19937 random(std::random_device{}());
  for (int round = 0; round < 5; ++round) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) write_forever(file, id);
    usleep(50'000 + random() % 300'000);  // a random moment
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited on its own, status " << status;

    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "ok");
    sqlite3_finalize(s);
    sqlite3_close(db);

    ConversationStore store(file);
    const Conversation c = store.get(id);
    for (std::size_t i = 0; i < c.messages.size(); ++i) {
      const Message& m = c.messages[i];
      EXPECT_EQ(m.seq, static_cast<std::int64_t>(i + 1));  // no holes from a torn replacement
      const auto bar = m.content.rfind('|');
      ASSERT_NE(bar, std::string::npos) << "message " << m.seq << " is torn";
      EXPECT_EQ(m.content.substr(bar + 1), checksum(m.content.substr(0, bar)))
          << "message " << m.seq << " is torn";
    }
    if (round == 4) {
      EXPECT_GT(c.messages.size(), 0u) << "the writer never committed anything";
    }
  }
}

}  // namespace
}  // namespace r1::history
