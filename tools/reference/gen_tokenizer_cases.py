"""Writes the tokenizer encode/decode fixtures tests/data/tokenizer/<name>/cases.json.

Run from the repository root (tools/reference/regenerate.sh does this):

    /tmp/refvenv/bin/python tools/reference/gen_tokenizer_cases.py [name ...]

Without names it writes every tokenizer of TOKENIZERS whose folder exists. Expected values come
from transformers' AutoTokenizer; every case is also encoded and decoded with the raw
`tokenizers.Tokenizer.from_file(tokenizer.json)` and each disagreement is printed (and counted
in the summary) — never hidden. Deterministic: all random choices use fixed seeds.
"""

import json
import os
import random
import sys

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402
import transformers  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tokenizer_texts  # noqa: E402

GENERATOR = "tools/reference/gen_tokenizer_cases.py"

# Fixture name -> tokenizer folder (relative to the repository root).
TOKENIZERS = {
    "deepseek-r1-distill-qwen-1.5b": "assets/models/deepseek-r1-distill-qwen-1.5b",
    "qwen2.5-instruct": "tests/data/tokenizers/qwen2.5-instruct",
    "smollm2-135m-instruct": "tests/data/tokenizers/smollm2-135m-instruct",
}

DECODE_SEED = 4242


def byte_to_unicode():
    """GPT-2's byte -> printable character table used by ByteLevel vocabularies."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


def byte_token_ids(vocab, data):
    """The ids of the single-byte tokens spelling `data` byte by byte, or None when the vocabulary
    lacks one of them (e.g. SmolLM2 has no tokens for bytes that never occur in UTF-8)."""
    table = byte_to_unicode()
    if any(table[b] not in vocab for b in data):
        return None
    return [vocab[table[b]] for b in data]


def decode_id_lists(hf, raw):
    """(name, ids) pairs for the decode fixtures."""
    vocab = raw.get_vocab(with_added_tokens=True)
    vocab_size = raw.get_vocab_size(with_added_tokens=True)
    added = sorted(raw.get_added_tokens_decoder().items())
    added_ids = [i for i, _ in added]
    special_ids = [i for i, t in added if t.special]
    cases = [("empty", [])]
    # Every single byte token 0x80..0xFF alone (each is an incomplete UTF-8 sequence).
    for b in range(0x80, 0x100):
        cases.append((f"byte-{b:02x}", byte_token_ids(vocab, bytes([b]))))
    # Single ASCII byte tokens including controls.
    for b in [0x00, 0x09, 0x0A, 0x0D, 0x20, 0x41, 0x7F]:
        cases.append((f"byte-ascii-{b:02x}", byte_token_ids(vocab, bytes([b]))))
    # Emoji and CJK spelled byte by byte, complete and cut at every byte position.
    for label, text in [("emoji", "😀"), ("cjk", "中"), ("family", "👨‍👩‍👧"), ("flag", "🇨🇳")]:
        data = text.encode("utf-8")
        cases.append((f"split-{label}-complete", byte_token_ids(vocab, data)))
        for cut in range(1, min(len(data), 8)):
            cases.append((f"split-{label}-first-{cut}-bytes", byte_token_ids(vocab, data[:cut])))
        cases.append((f"split-{label}-missing-first-byte", byte_token_ids(vocab, data[1:])))
    # Text tokens followed by a dangling lead byte (ends mid-character).
    hello = hf("hello 世界", add_special_tokens=False).input_ids
    cases.append(("text-then-lead-byte", hello + byte_token_ids(vocab, b"\xe4")))
    cases.append(("text-then-two-of-three", hello + byte_token_ids(vocab, "中".encode()[:2])))
    cases.append(("lead-byte-then-text", byte_token_ids(vocab, b"\xe4") + hello))
    cases.append(("lead-byte-then-special-then-text",
                  byte_token_ids(vocab, b"\xe4") + special_ids[:1] + hello))
    cases.append(("continuation-bytes-only", byte_token_ids(vocab, b"\x80\x80\xbf")))
    cases.append(("overlong-encoding", byte_token_ids(vocab, b"\xc0\xaf")))
    cases.append(("surrogate-encoding", byte_token_ids(vocab, b"\xed\xa0\x80")))
    cases.append(("above-max-code-point", byte_token_ids(vocab, b"\xf4\x90\x80\x80")))
    cases.append(("invalid-ff-fe", byte_token_ids(vocab, b"\xff\xfe")))
    # Added and special tokens, alone, together, and around text.
    for token_id in added_ids:
        cases.append((f"added-{token_id}", [token_id]))
    cases.append(("added-all", added_ids))
    cases.append(("special-all", special_ids))
    for token_id in added_ids[:8]:
        cases.append((f"added-{token_id}-around-text", hello + [token_id] + hello))
    cases.append(("split-emoji-around-special",
                  byte_token_ids(vocab, "😀".encode()[:2]) + special_ids[:1] +
                  byte_token_ids(vocab, "😀".encode()[2:])))
    cases.append(("split-emoji-around-added",
                  byte_token_ids(vocab, "😀".encode()[:2]) + [added_ids[-1]] +
                  byte_token_ids(vocab, "😀".encode()[2:])))
    # Random ids over the whole vocabulary (seeded).
    rng = random.Random(DECODE_SEED)
    for index in range(40):
        length = rng.choice([1, 2, 3, 5, 10, 30, 100])
        cases.append((f"random-{index:02d}", [rng.randrange(vocab_size) for _ in range(length)]))
    # Random ids of base vocabulary only, mixed with random added tokens.
    for index in range(10):
        ids = [rng.randrange(vocab_size - len(added_ids)) for _ in range(20)]
        ids.insert(rng.randrange(len(ids)), rng.choice(added_ids))
        cases.append((f"random-with-added-{index:02d}", ids))
    cases = [(name, ids) for name, ids in cases if ids is not None]
    # Round trips of some encode texts.
    for name, text in [("zh", tokenizer_texts.CHINESE[1]), ("code", tokenizer_texts.CODE[0]),
                       ("spaces", "  a  b   "), ("crlf", "a\r\nb")]:
        cases.append((f"roundtrip-{name}", hf(text).input_ids))
    return cases


def json_line(value):
    return json.dumps(value, ensure_ascii=False)


def write_cases_file(path, header, cases, decode_cases):
    """JSON with one case per line so fixture diffs stay readable."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        out.write("{\n")
        for key, value in header.items():
            out.write(f"{json_line(key)}: {json_line(value)},\n")
        out.write('"cases": [\n')
        out.write(",\n".join(json_line(c) for c in cases))
        out.write('\n],\n"decode_cases": [\n')
        out.write(",\n".join(json_line(c) for c in decode_cases))
        out.write("\n]\n}\n")
    json.load(open(path, encoding="utf-8"))  # The file must parse.


def generate(name, model_dir):
    hf = AutoTokenizer.from_pretrained(model_dir)
    raw = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    raw_split = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    raw_split.encode_special_tokens = True
    added_tokens = [t.content for _, t in sorted(raw.get_added_tokens_decoder().items())]
    disagreements = []

    def check(case_name, what, expected, actual):
        if expected != actual:
            disagreements.append(f"{name} {case_name} {what}: transformers={expected!r:.300} "
                                 f"tokenizers={actual!r:.300}")

    cases = []
    for case_name, text in tokenizer_texts.all_cases(added_tokens):
        ids = hf(text).input_ids
        ids_no_bos = hf(text, add_special_tokens=False).input_ids
        ids_split = hf(text, split_special_tokens=True).input_ids
        decoded = hf.decode(ids)
        decoded_skip = hf.decode(ids, skip_special_tokens=True)
        check(case_name, "encode", ids, raw.encode(text).ids)
        check(case_name, "encode(add_special_tokens=False)", ids_no_bos,
              raw.encode(text, add_special_tokens=False).ids)
        check(case_name, "encode(encode_special_tokens=True)", ids_split, raw_split.encode(text).ids)
        check(case_name, "decode", decoded, raw.decode(ids, skip_special_tokens=False))
        check(case_name, "decode(skip_special_tokens=True)", decoded_skip,
              raw.decode(ids, skip_special_tokens=True))
        cases.append({"name": case_name, "text": text, "ids": ids, "ids_no_bos": ids_no_bos,
                      "ids_split_special": ids_split, "decode": decoded,
                      "decode_skip_special": decoded_skip})

    decode_cases = []
    for case_name, ids in decode_id_lists(hf, raw):
        text = hf.decode(ids)
        text_skip = hf.decode(ids, skip_special_tokens=True)
        check("decode-" + case_name, "decode", text, raw.decode(ids, skip_special_tokens=False))
        check("decode-" + case_name, "decode(skip_special_tokens=True)", text_skip,
              raw.decode(ids, skip_special_tokens=True))
        decode_cases.append({"name": case_name, "ids": ids, "text": text,
                             "text_skip_special": text_skip})

    header = {
        "generator": GENERATOR,
        "versions": {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__},
        "model_dir": model_dir,
        "random_seed": tokenizer_texts.RANDOM_SEED,
        "decode_seed": DECODE_SEED,
    }
    path = os.path.join("tests/data/tokenizer", name, "cases.json")
    write_cases_file(path, header, cases, decode_cases)
    print(f"{path}: {len(cases)} encode cases, {len(decode_cases)} decode cases, "
          f"{len(disagreements)} tokenizers-vs-transformers disagreements")
    for line in disagreements:
        print("  DISAGREEMENT", line)
    return len(disagreements)


def main():
    names = sys.argv[1:] or [n for n, d in TOKENIZERS.items() if os.path.isdir(d)]
    total = 0
    for name in names:
        total += generate(name, TOKENIZERS[name])
    print(f"total disagreements: {total}")


if __name__ == "__main__":
    main()
