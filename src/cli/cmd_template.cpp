// r1 template: renders an OpenAI-style messages file with the model's chat template, exactly as
// transformers' apply_chat_template(messages, tokenize=False) does, and prints it with nothing
// added.
#include <cstdio>
#include <iostream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_dir.h"
#include "cli/model_source.h"
#include "core/file.h"
#include "r1/chat_template.h"
#include "r1/error.h"
#include "r1/tokenizer.h"

namespace r1::cli {
namespace {

nlohmann::ordered_json read_json_file(const std::string& path, const std::string& what) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    text = read_text_file(path);
  }
  try {
    return nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    throw Error(ErrorCode::invalid_argument, what + " '" + path +
                                                 "' is not valid JSON: " + error.what() +
                                                 " (byte " + std::to_string(error.byte) + ")");
  }
}

}  // namespace

int run_template(int argc, char** argv, int first) {
  Args args(
      "template",
      {
          value_option("model", "M", "Model folder, .gguf file or Hugging Face repo id", "",
                       Required::yes),
          offline_option(),
          value_option("messages", "FILE.json",
                       "OpenAI-style messages array ('-': stdin); an object {\"messages\": [...], "
                       "\"tools\": [...]} also works",
                       "", Required::yes),
          value_option("tools", "FILE.json", "Tool schemas (a JSON array)"),
          flag_option("no-generation-prompt",
                      "Do not end with the assistant prompt (add_generation_prompt=False)"),
          value_option("template-name", "NAME", "Which named template of a template list to use",
                       "default"),
          value_option("chat-template", "FILE",
                       "Use the Jinja template in FILE instead of the model's"),
      });
  if (!args.parse(argc, argv, first)) {
    std::cout << args.help_text(
        "Prints the prompt that the chat template renders for the messages, with nothing added.");
    return 0;
  }

  ChatTemplateInputs inputs;
  nlohmann::ordered_json document = read_json_file(args.get("messages"), "--messages file");
  if (document.is_object() && document.contains("messages")) {
    if (document.contains("tools")) inputs.tools = document["tools"];
    document = document["messages"];
  }
  if (!document.is_array()) {
    throw Error(ErrorCode::invalid_argument,
                "--messages file '" + args.get("messages") +
                    "' must hold a JSON array of messages like [{\"role\": \"user\", \"content\": "
                    "\"Hi\"}]");
  }
  inputs.messages = document;
  if (args.has("tools")) inputs.tools = read_json_file(args.get("tools"), "--tools file");
  inputs.add_generation_prompt = !args.flag("no-generation-prompt");

  const Tokenizer tokenizer = load_model_tokenizer(args);
  inputs.bos_token = tokenizer.bos_token();
  inputs.eos_token = tokenizer.eos_token();
  inputs.pad_token = tokenizer.pad_token();
  inputs.unk_token = tokenizer.unk_token();

  std::string source;
  if (args.has("chat-template")) {
    source = read_text_file(args.get("chat-template"));
  } else {
    source = tokenizer.chat_template(args.get("template-name"));
    if (source.empty()) {
      throw Error(ErrorCode::not_found,
                  "model '" + args.get("model") + "' has no chat template named '" +
                      args.get("template-name") + "'; pass --chat-template FILE");
    }
  }
  const ChatTemplate chat_template = ChatTemplate::parse(source);
  const std::string prompt = chat_template.render(inputs);
  std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  return 0;
}

}  // namespace r1::cli
