"""Derives the Qwen2.5-Instruct tokenizer from the DeepSeek-R1-Distill-Qwen one and writes
tests/data/tokenizers/qwen2.5-instruct/{tokenizer.json,tokenizer_config.json}.

Run from the repository root (tools/reference/regenerate.sh does this):

    /tmp/refvenv/bin/python tools/reference/make_qwen25_tokenizer.py

DeepSeek-R1-Distill-Qwen-1.5B keeps Qwen2.5's byte-level BPE (vocabulary, merges, NFC normalizer,
split regex) and only replaces the added tokens 151643..151664 and adds a BOS post-processor.
This script puts Qwen2.5's own added tokens back and uses a plain ByteLevel post-processor (no BOS),
as in the published Qwen/Qwen2.5-*-Instruct tokenizer.json.

The added-token list (ids, text, special flag) is the published Qwen2.5-Instruct
tokenizer_config.json added_tokens_decoder; this project has no hub access, so it was checked
against public copies: pytorch/torchtune torchtune/models/qwen2_5/_tokenizer.py
(QWEN2_5_SPECIAL_TOKENS: the ids) and copies of Qwen2.5 tokenizer_config.json on GitHub (the
special flags: true for 151643..151656, false for <tool_call> .. <|file_sep|>).
The tokenizer.json is written compact (no indentation) to keep the file small.
"""

import json
import os

SOURCE_DIR = "assets/models/deepseek-r1-distill-qwen-1.5b"
OUTPUT_DIR = "tests/data/tokenizers/qwen2.5-instruct"
TEMPLATE = "tests/data/templates/qwen2.5-instruct/template.jinja"

# (id, content, special) of Qwen2.5-Instruct's added tokens.
QWEN25_ADDED_TOKENS = [
    (151643, "<|endoftext|>", True),
    (151644, "<|im_start|>", True),
    (151645, "<|im_end|>", True),
    (151646, "<|object_ref_start|>", True),
    (151647, "<|object_ref_end|>", True),
    (151648, "<|box_start|>", True),
    (151649, "<|box_end|>", True),
    (151650, "<|quad_start|>", True),
    (151651, "<|quad_end|>", True),
    (151652, "<|vision_start|>", True),
    (151653, "<|vision_end|>", True),
    (151654, "<|vision_pad|>", True),
    (151655, "<|image_pad|>", True),
    (151656, "<|video_pad|>", True),
    (151657, "<tool_call>", False),
    (151658, "</tool_call>", False),
    (151659, "<|fim_prefix|>", False),
    (151660, "<|fim_middle|>", False),
    (151661, "<|fim_suffix|>", False),
    (151662, "<|fim_pad|>", False),
    (151663, "<|repo_name|>", False),
    (151664, "<|file_sep|>", False),
]

BYTE_LEVEL = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
              "use_regex": False}


def added_token_entry(token_id, content, special):
    return {"id": token_id, "content": content, "single_word": False, "lstrip": False,
            "rstrip": False, "normalized": False, "special": special}


def main():
    tokenizer = json.load(open(os.path.join(SOURCE_DIR, "tokenizer.json"), encoding="utf-8"))
    source_ids = sorted(t["id"] for t in tokenizer["added_tokens"])
    if source_ids != [i for i, _, _ in QWEN25_ADDED_TOKENS]:
        raise SystemExit(f"unexpected added-token ids in {SOURCE_DIR}: {source_ids}")
    if max(tokenizer["model"]["vocab"].values()) != 151642:
        raise SystemExit("the base vocabulary should end at id 151642")
    tokenizer["added_tokens"] = [added_token_entry(*t) for t in QWEN25_ADDED_TOKENS]
    tokenizer["post_processor"] = dict(BYTE_LEVEL)
    tokenizer["decoder"] = dict(BYTE_LEVEL)

    config = {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(i): {"content": c, "lstrip": False, "normalized": False, "rstrip": False,
                     "single_word": False, "special": s} for i, c, s in QWEN25_ADDED_TOKENS},
        "additional_special_tokens": [c for i, c, s in QWEN25_ADDED_TOKENS if s and i != 151643],
        "bos_token": None,
        "chat_template": open(TEMPLATE, encoding="utf-8", newline="").read(),
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": 131072,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }
    os.makedirs(OUTPUT_DIR, exist_ok=True)
    with open(os.path.join(OUTPUT_DIR, "tokenizer.json"), "w", encoding="utf-8") as out:
        json.dump(tokenizer, out, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(OUTPUT_DIR, "tokenizer_config.json"), "w", encoding="utf-8") as out:
        json.dump(config, out, ensure_ascii=False, indent=2)
        out.write("\n")
    size = os.path.getsize(os.path.join(OUTPUT_DIR, "tokenizer.json"))
    print(f"{OUTPUT_DIR}/tokenizer.json: {size} bytes")


if __name__ == "__main__":
    main()
