// Renders every case of tests/data/templates/<name>/cases.json (expected outputs from
// transformers' apply_chat_template, see tools/reference/gen_template_cases.py) and compares
// exactly.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "r1/chat_template.h"
#include "r1/error.h"
#include "test_paths.h"

namespace r1 {
namespace {

std::string optional_string(const nlohmann::ordered_json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return "";
  return j.at(key).get<std::string>();
}

TEST(RealChatTemplates, AllFixturesRenderLikeTransformers) {
  const auto root = test::data_path("templates");
  ASSERT_TRUE(std::filesystem::is_directory(root)) << root;
  std::size_t folders = 0;
  std::size_t cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    const auto template_path = entry.path() / "template.jinja";
    const auto cases_path = entry.path() / "cases.json";
    if (!std::filesystem::exists(template_path) || !std::filesystem::exists(cases_path)) continue;
    ++folders;
    SCOPED_TRACE("template " + name);
    const ChatTemplate tmpl = ChatTemplate::parse(test::read_file(template_path));
    const auto fixture = nlohmann::ordered_json::parse(test::read_file(cases_path));
    for (const auto& c : fixture.at("cases")) {
      ++cases;
      SCOPED_TRACE("case " + c.at("name").get<std::string>());
      ChatTemplateInputs inputs;
      inputs.messages = c.at("messages");
      inputs.tools = c.value("tools", nlohmann::ordered_json());
      // null: the reference left add_generation_prompt at transformers' default (False).
      inputs.add_generation_prompt = c.contains("add_generation_prompt") &&
                                     c.at("add_generation_prompt").is_boolean() &&
                                     c.at("add_generation_prompt").get<bool>();
      inputs.extra = c.value("extra", nlohmann::ordered_json::object());
      inputs.bos_token = optional_string(fixture, "bos_token");
      inputs.eos_token = optional_string(fixture, "eos_token");
      inputs.pad_token = optional_string(fixture, "pad_token");
      inputs.unk_token = optional_string(fixture, "unk_token");
      const bool want_error = c.value("expected_error", false);
      try {
        const std::string out = tmpl.render(inputs);
        if (want_error) {
          ADD_FAILURE() << "expected an error, rendered: " << out;
        } else {
          EXPECT_EQ(out, c.at("expected").get<std::string>());
        }
      } catch (const Error& e) {
        EXPECT_TRUE(want_error) << "unexpected error: " << e.what();
        EXPECT_EQ(e.code(), ErrorCode::template_error) << e.what();
      }
      // Where apply_chat_template differs (it drops null message keys and refuses an empty
      // conversation), the case records its outcome: check the like_apply_chat_template mode.
      if (c.contains("apply_chat_template")) {
        const std::string hf = c.at("apply_chat_template").get<std::string>();
        inputs.like_apply_chat_template = true;
        if (hf.rfind("error: ", 0) == 0) {
          EXPECT_THROW(tmpl.render(inputs), Error) << "apply_chat_template: " << hf;
        } else {
          EXPECT_EQ(tmpl.render(inputs), hf);
        }
      }
    }
  }
  EXPECT_GE(folders, 4u);
  std::printf("real chat templates: %zu folders, %zu cases\n", folders, cases);
}

// The template shipped in the model's tokenizer_config.json is the one the fixtures test.
TEST(RealChatTemplates, DeepSeekConfigTemplateMatchesFixture) {
  const auto config = nlohmann::ordered_json::parse(
      test::read_file(test::deepseek_model_dir() / "tokenizer_config.json"));
  const std::string from_config = config.at("chat_template").get<std::string>();
  const std::string fixture =
      test::read_file(test::data_path("templates/deepseek-r1-distill-qwen-1.5b/template.jinja"));
  EXPECT_EQ(from_config, fixture);
  EXPECT_NO_THROW(ChatTemplate::parse(from_config));
}

}  // namespace
}  // namespace r1
