// ConversationStore's operations: create/list/get/update/delete, appending and tail replacement,
// search with LIKE's wildcards taken literally, paging and the size caps.
#include <gtest/gtest.h>

#include "history/conversation_store.h"
#include "history_test_support.h"

namespace r1::history {
namespace {

using testing::fresh_dir;
using Kind = StoreError::Kind;

NewMessage msg(std::string role, std::string content, MessageState state = MessageState::complete) {
  NewMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  m.state = state;
  return m;
}

template <typename F>
Kind kind_of(F&& f) {
  try {
    f();
  } catch (const StoreError& e) {
    return e.kind;
  }
  ADD_FAILURE() << "no StoreError thrown";
  return Kind::unavailable;
}

class StoreTest : public ::testing::Test {
 protected:
  std::filesystem::path dir = fresh_dir("db");
  ConversationStore store{ConversationStore::file_in(dir)};
};

TEST_F(StoreTest, FileLivesInTheDataDir) {
  EXPECT_EQ(ConversationStore::file_in("/x/y"), std::filesystem::path("/x/y/history.sqlite3"));
  EXPECT_TRUE(std::filesystem::exists(dir / "history.sqlite3"));
}

TEST_F(StoreTest, CreateGetRenameDelete) {
  const Conversation created = store.create("First", {{"temperature", 0.6}});
  EXPECT_EQ(created.id.size(), 36u);  // UUID-shaped
  EXPECT_NE(store.create().id, created.id);
  Conversation got = store.get(created.id);
  EXPECT_EQ(got.title, "First");
  EXPECT_EQ(got.settings["temperature"], 0.6);
  EXPECT_TRUE(got.messages.empty());
  EXPECT_GT(got.created_at, 1'600'000'000'000);  // milliseconds, not seconds

  const Conversation renamed = store.update(created.id, std::string("Renamed"), std::nullopt);
  EXPECT_EQ(renamed.title, "Renamed");
  EXPECT_EQ(renamed.settings["temperature"], 0.6);  // untouched
  const Conversation resettled = store.update(created.id, std::nullopt, nlohmann::json{{"seed", 3}});
  EXPECT_EQ(resettled.title, "Renamed");
  EXPECT_EQ(resettled.settings, (nlohmann::json{{"seed", 3}}));

  store.append(created.id, msg("user", "hi"));
  EXPECT_TRUE(store.remove(created.id));
  EXPECT_FALSE(store.remove(created.id));
  EXPECT_EQ(kind_of([&] { store.get(created.id); }), Kind::not_found);
  EXPECT_EQ(kind_of([&] { store.update("nope", std::string("x"), std::nullopt); }),
            Kind::not_found);
  EXPECT_EQ(kind_of([&] { store.append("nope", msg("user", "x")); }), Kind::not_found);
  EXPECT_EQ(store.list("", 50, 0).total, 1);  // the untitled one is left
}

TEST_F(StoreTest, MessagesKeepOrderFieldsAndDeriveTheTitle) {
  const std::string id = store.create().id;
  NewMessage answer = msg("assistant", "55", MessageState::stopped);
  answer.reasoning = "1+2+...+10";
  answer.stats = {{"tokens", 12}, {"tokens_per_second", 20.5}, {"ttft_seconds", 0.25}};
  EXPECT_EQ(store.append(id, msg("user", "\n  What is 1+..+10?  \nsecond line")).seq, 1);
  const Message saved = store.append(id, answer);
  EXPECT_EQ(saved.seq, 2);
  const Conversation c = store.get(id);
  EXPECT_EQ(c.title, "What is 1+..+10?");  // first non-empty line, trimmed
  ASSERT_EQ(c.messages.size(), 2u);
  EXPECT_EQ(c.messages[1].role, "assistant");
  EXPECT_EQ(c.messages[1].reasoning, "1+2+...+10");
  EXPECT_EQ(c.messages[1].state, MessageState::stopped);
  EXPECT_EQ(c.messages[1].stats["tokens"], 12);
  EXPECT_EQ(c.messages[1].id, saved.id);
  // A later user message does not retitle.
  store.append(id, msg("user", "another"));
  EXPECT_EQ(store.get(id).title, "What is 1+..+10?");
}

TEST_F(StoreTest, ReplacingTheTailForEditAndRegenerate) {
  const std::string id = store.create("t").id;
  for (const char* text : {"u1", "a1", "u2", "a2"})
    store.append(id, msg(text[0] == 'u' ? "user" : "assistant", text));
  // Regenerate: the last assistant message (seq 4) is replaced.
  EXPECT_EQ(store.append(id, msg("assistant", "a2'"), 4).seq, 4);
  // Edit the first user message: everything from seq 1 on is replaced.
  EXPECT_EQ(store.append(id, msg("user", "u1'"), 1).seq, 1);
  Conversation c = store.get(id);
  ASSERT_EQ(c.messages.size(), 1u);
  EXPECT_EQ(c.messages[0].content, "u1'");
  // last + 1 is a plain append; beyond it, or below 1, is a conflict and changes nothing.
  EXPECT_EQ(store.append(id, msg("assistant", "a"), 2).seq, 2);
  EXPECT_EQ(kind_of([&] { store.append(id, msg("user", "x"), 4); }), Kind::conflict);
  EXPECT_EQ(kind_of([&] { store.append(id, msg("user", "x"), 0); }), Kind::conflict);
  EXPECT_EQ(store.get(id).messages.size(), 2u);
}

TEST_F(StoreTest, SearchTakesWildcardsLiterally) {
  const std::string percent = store.create("100% sure").id;
  store.create("100 percent sure");
  const std::string underscore = store.create("snake_case").id;
  store.create("snakeXcase");
  const std::string backslash = store.create("C:\\dir").id;
  const std::string in_body = store.create("plain").id;
  store.append(in_body, msg("user", "the 50%_off deal"));

  auto ids = [&](const std::string& q) {
    std::vector<std::string> out;
    for (const auto& s : store.list(q, 50, 0).items) out.push_back(s.id);
    std::sort(out.begin(), out.end());
    return out;
  };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(ids("0% s"), sorted({percent}));
  EXPECT_EQ(ids("e_c"), sorted({underscore}));
  EXPECT_EQ(ids("%_"), sorted({in_body}));
  EXPECT_EQ(ids("\\"), sorted({backslash}));
  EXPECT_EQ(ids("SNAKE"), sorted({underscore, store.list("snakeX", 50, 0).items.at(0).id}));
  EXPECT_EQ(store.list("", 50, 0).total, 6);
  EXPECT_TRUE(ids("no such text").empty());
}

TEST_F(StoreTest, ListPagesNewestUpdateFirstWithCounts) {
  std::vector<std::string> made;
  for (int i = 0; i < 5; ++i) made.push_back(store.create("c" + std::to_string(i)).id);
  store.append(made[1], msg("user", "bump"));  // now the most recently updated
  const ConversationPage first = store.list("", 2, 0);
  EXPECT_EQ(first.total, 5);
  ASSERT_EQ(first.items.size(), 2u);
  EXPECT_EQ(first.items[0].id, made[1]);
  EXPECT_EQ(first.items[0].message_count, 1);
  const ConversationPage last = store.list("", 2, 4);
  ASSERT_EQ(last.items.size(), 1u);
  std::set<std::string> seen;
  for (std::int64_t off = 0; off < 5; off += 2)
    for (const auto& s : store.list("", 2, off).items) seen.insert(s.id);
  EXPECT_EQ(seen.size(), 5u);  // pages neither repeat nor skip
  EXPECT_EQ(kind_of([&] { store.list("", 0, 0); }), Kind::invalid);
  EXPECT_EQ(kind_of([&] { store.list("", kMaxListLimit + 1, 0); }), Kind::invalid);
  EXPECT_EQ(kind_of([&] { store.list("", 10, -1); }), Kind::invalid);
}

TEST_F(StoreTest, SizeCaps) {
  std::string title;
  for (int i = 0; i < 200; ++i) title += "\xc3\xa9";  // é: 200 characters, 400 bytes
  EXPECT_NO_THROW(store.create(title));
  EXPECT_EQ(kind_of([&] { store.create(title + "x"); }), Kind::invalid);
  const std::string id = store.create().id;
  EXPECT_EQ(kind_of([&] { store.update(id, title + "x", std::nullopt); }), Kind::invalid);

  EXPECT_NO_THROW(store.append(id, msg("user", std::string(1u << 20, 'a'))));
  EXPECT_EQ(kind_of([&] { store.append(id, msg("user", std::string((1u << 20) + 1, 'a'))); }),
            Kind::invalid);
  NewMessage long_thought = msg("assistant", "ok");
  long_thought.reasoning = std::string((1u << 20) + 1, 'r');
  EXPECT_EQ(kind_of([&] { store.append(id, long_thought); }), Kind::invalid);
  EXPECT_EQ(kind_of([&] { store.append(id, msg("wizard", "x")); }), Kind::invalid);
  EXPECT_EQ(kind_of([&] { store.append(id, msg("user", "\xff")); }), Kind::invalid);
  NewMessage bad_stats = msg("assistant", "x");
  bad_stats.stats = {{"tokens", "many"}};
  EXPECT_EQ(kind_of([&] { store.append(id, bad_stats); }), Kind::invalid);
  EXPECT_EQ(kind_of([&] { store.create("t", nlohmann::json::array()); }), Kind::invalid);
  EXPECT_EQ(store.get(id).messages.size(), 1u);
}

TEST_F(StoreTest, ErrorsNameTheField) {
  try {
    store.create(std::string(201, 't'));
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_EQ(e.param, "title");
    EXPECT_NE(std::string(e.what()).find("201"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("200"), std::string::npos) << e.what();
  }
}

TEST_F(StoreTest, InsertWholeImportsInOrderUnderANewId) {
  std::vector<NewMessage> messages = {msg("user", "q"), msg("assistant", "a", MessageState::error)};
  messages[1].created_at = 1234;
  const Conversation c = store.insert_whole("", {{"top_p", 0.95}}, messages, 1000);
  EXPECT_EQ(c.title, "q");
  EXPECT_EQ(c.created_at, 1000);
  ASSERT_EQ(c.messages.size(), 2u);
  EXPECT_EQ(c.messages[1].seq, 2);
  EXPECT_EQ(c.messages[1].state, MessageState::error);
  EXPECT_EQ(c.messages[1].created_at, 1234);
  // A bad message rejects the whole import; nothing is half-imported.
  messages.push_back(msg("robot", "x"));
  EXPECT_EQ(kind_of([&] { store.insert_whole("t", {}, messages); }), Kind::invalid);
  EXPECT_EQ(store.list("", 50, 0).total, 1);
}

}  // namespace
}  // namespace r1::history
