// Errors and sandbox limits: hostile templates fail with Error(limit_exceeded) or
// Error(template_error) instead of hanging, overflowing the stack or exhausting memory.
#include <gtest/gtest.h>

#include <string>

#include "r1/chat_template.h"
#include "r1/error.h"

namespace r1 {
namespace {

std::string render(const std::string& source, const TemplateLimits& limits = {}) {
  return ChatTemplate::parse(source, limits).render_context(nlohmann::ordered_json::object());
}

// Renders (or parses) and returns the error; fails the test when nothing is thrown.
Error render_error(const std::string& source, const TemplateLimits& limits = {}) {
  try {
    std::string out = render(source, limits);
    ADD_FAILURE() << "expected an error, rendered " << out.size() << " bytes";
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorCode::invalid_argument, "no error");
}

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST(TemplateErrors, RaiseExceptionMessageSurfaces) {
  Error e =
      render_error("{{ raise_exception('Conversation roles must alternate user/assistant') }}");
  EXPECT_EQ(e.code(), ErrorCode::template_error);
  EXPECT_NE(std::string(e.what()).find("Conversation roles must alternate user/assistant"),
            std::string::npos);
}

TEST(TemplateErrors, RaiseExceptionThroughChatRender) {
  const ChatTemplate t = ChatTemplate::parse(
      "{% for m in messages %}{% if m.role == 'tool' %}{{ raise_exception('no tools here') }}"
      "{% endif %}{% endfor %}");
  ChatTemplateInputs inputs;
  inputs.messages = nlohmann::ordered_json::parse(R"([{"role": "tool", "content": "x"}])");
  try {
    t.render(inputs);
    FAIL() << "expected raise_exception to throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::template_error);
    EXPECT_NE(std::string(e.what()).find("no tools here"), std::string::npos);
  }
}

TEST(TemplateErrors, SyntaxErrorsReportLineColumnAndExpectation) {
  Error e = render_error("line one\n{% if %}");
  EXPECT_EQ(e.code(), ErrorCode::template_error);
  std::string message = e.what();
  EXPECT_NE(message.find("line 2, column 7"), std::string::npos) << message;
  EXPECT_NE(message.find("expected"), std::string::npos) << message;

  Error unclosed = render_error("a\nb {% for x in xs %}\n{{ x }}");
  EXPECT_NE(std::string(unclosed.what()).find("'endfor'"), std::string::npos) << unclosed.what();

  Error bad_char = render_error("{{ 1 $ 2 }}");
  EXPECT_NE(std::string(bad_char.what()).find("line 1, column 6"), std::string::npos)
      << bad_char.what();
}

TEST(TemplateErrors, SlicesInsideSeveralPartSubscriptsAreRefused) {
  // Found by fuzz_template: the slice had no container and crashed the interpreter.
  for (const char* source : {"{{ x[1:2, 3] }}", "{{ [[x[0, :]]] }}", "{% set y = x[:, ::2] %}"}) {
    Error e = render_error(source);
    EXPECT_EQ(e.code(), ErrorCode::template_error) << source;
    EXPECT_NE(std::string(e.what()).find("slice"), std::string::npos) << e.what();
  }
}

TEST(TemplateErrors, UnknownFilterAndTestNameTheCulprit) {
  Error filter = render_error("\n\n{{ x | frobnicate }}");
  EXPECT_EQ(filter.code(), ErrorCode::template_error);
  EXPECT_NE(std::string(filter.what()).find("no filter named 'frobnicate'"), std::string::npos);
  EXPECT_NE(std::string(filter.what()).find("line 3"), std::string::npos) << filter.what();
  Error test = render_error("{{ x is frobnicated }}");
  EXPECT_NE(std::string(test.what()).find("no test named 'frobnicated'"), std::string::npos);
}

TEST(TemplateErrors, RuntimeErrorsSayWhatAndWhere) {
  Error e = render_error("ok\n{{ missing.attribute }}");
  EXPECT_EQ(e.code(), ErrorCode::template_error);
  std::string message = e.what();
  EXPECT_NE(message.find("'missing' is undefined"), std::string::npos) << message;
  EXPECT_NE(message.find("line 2"), std::string::npos) << message;
}

TEST(TemplateErrors, ImmutableSandboxForbidsMutation) {
  Error append = render_error("{% set xs = [1] %}{{ xs.append(2) }}");
  EXPECT_EQ(append.code(), ErrorCode::template_error);
  EXPECT_NE(std::string(append.what()).find("unsafe"), std::string::npos) << append.what();
  EXPECT_EQ(render_error("{% set d = {} %}{{ d.update({'a': 1}) }}").code(),
            ErrorCode::template_error);
  EXPECT_EQ(render_error("{% set xs = [3, 1] %}{{ xs.sort() }}").code(), ErrorCode::template_error);
  EXPECT_EQ(render_error("{% set d = {'a': 1} %}{{ d.pop('a') }}").code(),
            ErrorCode::template_error);
}

TEST(TemplateLimits, HugeLoopsHitTheIterationLimit) {
  Error e = render_error(
      "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}");
  EXPECT_EQ(e.code(), ErrorCode::limit_exceeded);
  EXPECT_NE(std::string(e.what()).find("max_loop_iterations"), std::string::npos) << e.what();
}

TEST(TemplateLimits, HugeRangeIsRefused) {
  EXPECT_EQ(render_error("{% for i in range(10**9) %}{% endfor %}").code(),
            ErrorCode::limit_exceeded);
}

TEST(TemplateLimits, OutputSizeIsBounded) {
  TemplateLimits limits;
  limits.max_output_bytes = 1000;
  Error e = render_error("{% for i in range(1000) %}0123456789{% endfor %}", limits);
  EXPECT_EQ(e.code(), ErrorCode::limit_exceeded);
  EXPECT_NE(std::string(e.what()).find("max_output_bytes"), std::string::npos) << e.what();
  // Output captured by a macro counts too.
  Error captured = render_error(
      "{% macro m() %}{% for i in range(1000) %}0123456789{% endfor %}{% endmacro %}"
      "{% set x = m() %}",
      limits);
  EXPECT_EQ(captured.code(), ErrorCode::limit_exceeded);
}

TEST(TemplateLimits, MacroRecursionIsBounded) {
  Error e = render_error("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  EXPECT_EQ(e.code(), ErrorCode::limit_exceeded);
  EXPECT_NE(std::string(e.what()).find("max_call_depth"), std::string::npos) << e.what();
}

TEST(TemplateLimits, DeepParenthesesFailInParse) {
  std::string source = "{{ " + repeat("(", 100000) + "1" + repeat(")", 100000) + " }}";
  Error e = render_error(source);
  EXPECT_EQ(e.code(), ErrorCode::limit_exceeded);
}

TEST(TemplateLimits, DeeplyNestedIfsFailInParse) {
  std::string source = repeat("{% if true %}", 100000) + repeat("{% endif %}", 100000);
  EXPECT_EQ(render_error(source).code(), ErrorCode::limit_exceeded);
}

TEST(TemplateLimits, LongOperatorChainsFailInParse) {
  // Left-associative chains build deep trees without deep parser recursion.
  EXPECT_EQ(render_error("{{ " + repeat("1 + ", 100000) + "1 }}").code(),
            ErrorCode::limit_exceeded);
  EXPECT_EQ(render_error("{{ x" + repeat(".a", 100000) + " }}").code(), ErrorCode::limit_exceeded);
  EXPECT_EQ(render_error("{{ 'a'" + repeat(" | trim", 100000) + " }}").code(),
            ErrorCode::limit_exceeded);
  // Moderate chains are fine.
  EXPECT_EQ(render("{{ " + repeat("1 + ", 100) + "1 }}"), "101");
}

TEST(TemplateLimits, HugeStringMultiplicationIsRefused) {
  Error e = render_error("{{ 'a' * 10**12 }}");
  EXPECT_EQ(e.code(), ErrorCode::limit_exceeded);
  EXPECT_NE(std::string(e.what()).find("max_value_bytes"), std::string::npos) << e.what();
  EXPECT_EQ(render_error("{{ [1, 2] * 10**12 }}").code(), ErrorCode::limit_exceeded);
  EXPECT_EQ(render_error("{{ 'a' * 9223372036854775807 }}").code(), ErrorCode::limit_exceeded);
}

TEST(TemplateLimits, PrintingSharedStringsIsBounded) {
  // Cheap to build (100 references to one string) but 100 MB once printed.
  EXPECT_EQ(render_error("{% set xs = ['a' * 1000000] * 100 %}{{ xs }}").code(),
            ErrorCode::limit_exceeded);
  EXPECT_EQ(render_error("{% set xs = ['a' * 1000000] * 100 %}{{ xs | tojson }}").code(),
            ErrorCode::limit_exceeded);
  EXPECT_EQ(render_error("{% set xs = ['a' * 1000000] * 100 %}{{ xs | join }}").code(),
            ErrorCode::limit_exceeded);
}

TEST(TemplateLimits, DoublingStringsIsBounded) {
  Error e = render_error(
      "{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}"
      "{% endfor %}");
  EXPECT_EQ(e.code(), ErrorCode::limit_exceeded);
}

TEST(TemplateLimits, StepBudgetStopsLongRenders) {
  TemplateLimits limits;
  limits.max_steps = 10000;
  Error e = render_error("{% for i in range(100000) %}{{ i * 2 + 1 }}{% endfor %}", limits);
  EXPECT_EQ(e.code(), ErrorCode::limit_exceeded);
  EXPECT_NE(std::string(e.what()).find("max_steps"), std::string::npos) << e.what();
}

TEST(TemplateLimits, SourceSizeIsBounded) {
  TemplateLimits limits;
  limits.max_source_bytes = 100;
  EXPECT_EQ(render_error(std::string(200, 'x'), limits).code(), ErrorCode::limit_exceeded);
}

TEST(TemplateLimits, NamespaceNestingIsBounded) {
  Error e = render_error(
      "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}"
      "{% endfor %}");
  EXPECT_EQ(e.code(), ErrorCode::limit_exceeded);
}

TEST(TemplateLimits, SelfReferencingNamespaceDoesNotCrash) {
  EXPECT_EQ(render_error("{% set ns = namespace() %}{% set ns.x = ns %}{{ ns }}").code(),
            ErrorCode::limit_exceeded);
  EXPECT_EQ(render("{% set ns = namespace() %}{% set ns.x = ns %}{{ ns.x.x.x is defined }}"),
            "True");
}

TEST(TemplateLimits, IntegerOverflowIsAnError) {
  EXPECT_EQ(render_error("{{ 10 ** 100 }}").code(), ErrorCode::limit_exceeded);
  EXPECT_EQ(render_error("{{ 9223372036854775807 + 1 }}").code(), ErrorCode::limit_exceeded);
}

}  // namespace
}  // namespace r1
