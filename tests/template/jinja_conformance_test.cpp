// Renders the snippets of tests/data/jinja/cases.json (expected outputs from Python jinja2 with
// transformers' environment, see tools/reference/gen_jinja_cases.py) and compares exactly.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "r1/chat_template.h"
#include "r1/error.h"
#include "test_paths.h"

namespace r1 {
namespace {

nlohmann::ordered_json load_cases() {
  return nlohmann::ordered_json::parse(test::read_file(test::data_path("jinja/cases.json")));
}

TEST(JinjaConformance, HasEnoughCases) {
  EXPECT_GE(load_cases().size(), 150u);
}

TEST(JinjaConformance, RendersLikeJinja2) {
  std::size_t passed = 0;
  const nlohmann::ordered_json cases = load_cases();
  for (const auto& c : cases) {
    const std::string name = c.at("name").get<std::string>();
    const std::string source = c.at("template").get<std::string>();
    SCOPED_TRACE("case " + name + ": " + source);
    bool want_error = c.contains("error");
    try {
      const ChatTemplate tmpl = ChatTemplate::parse(source);
      std::string out = tmpl.render_context(c.at("context"));
      if (want_error) {
        ADD_FAILURE() << "expected an error, rendered: " << out;
        continue;
      }
      EXPECT_EQ(out, c.at("expected").get<std::string>());
      if (out == c.at("expected").get<std::string>()) ++passed;
    } catch (const Error& e) {
      if (!want_error) {
        ADD_FAILURE() << "unexpected error: " << e.what();
        continue;
      }
      EXPECT_TRUE(e.code() == ErrorCode::template_error || e.code() == ErrorCode::limit_exceeded)
          << e.what();
      ++passed;
    }
  }
  std::printf("jinja conformance: %zu of %zu cases pass\n", passed, cases.size());
}

}  // namespace
}  // namespace r1
