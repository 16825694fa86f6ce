#!/usr/bin/env python3
"""Writes tests/data/tokenizer_synthetic/: small tokenizers built with Hugging Face `tokenizers`
that exercise what the DeepSeek / Qwen / SmolLM2 fixtures do not (byte fallback, Metaspace,
WordPiece-style prefixes, end-of-word suffixes, unk fusing, ignore_merges, lstrip / rstrip /
single_word / normalized added tokens, Bert / Roberta / Sequence post-processors and the
Replace, ByteFallback, Fuse, Strip, Metaspace, WordPiece, BPEDecoder decoders), with expected
outputs from the same library:

  <name>/tokenizer.json, <name>/cases.json  same cases.json format as tests/data/tokenizer/*
                                            (ids with special tokens, without, with
                                            encode_special_tokens, decode with / without skip)
  decoder_cases.json                        decoder JSON + token strings -> decoded text
  bpe_model_cases.json                      BPE model (vocab, merges, options) + pieces -> ids

There is no tokenizer_config.json: these follow `tokenizers` semantics alone. Run from the
repository root (packages of tools/reference/requirements.txt):

    /tmp/refvenv/bin/python tools/reference/gen_synthetic_tokenizer_cases.py

Everything is deterministic (fixed corpus, fixed seed RANDOM_SEED).
"""

import json
import os
import random

# One thread, before tokenizers is imported.
os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import tokenizers  # noqa: E402
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "data", "tokenizer_synthetic")
RANDOM_SEED = 20261129
# Some HF decoders panic on odd inputs (those cases are left out); keep the panic report short.
os.environ["RUST_BACKTRACE"] = "0"

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure they've done it; you'll see what we'd do.",
    "Tokenizers split text into pieces, then merge pieces into tokens.",
    "def add(a, b):\n    return a + b  # simple\n",
    "for (int i = 0; i < n; ++i) { total += values[i]; }",
    "你好，世界！今天天气很好。我们去公园散步吧。",
    "深度学习是机器学习的一个分支。",
    "Привет, как дела? Всё хорошо.",
    "Numbers: 12345, 3.14159, 1,000,000 and 42.",
    "Hello hello HELLO hElLo world worlds wordy words",
    "café naïve résumé coöperate",
    "   leading spaces and trailing   ",
    "tab\tseparated\tvalues\nnew line\r\nwindows line",
] * 3

# Characters the random texts are drawn from: words of the corpus, rare characters (byte
# fallback / unk), whitespace and pieces of added tokens.
RANDOM_PIECES = [
    "the", "fox", "dog", "hello", "HELLO", "world", " ", "  ", "\t", "\n", "\r\n", "你好", "世界",
    "学习", "é", "e\u0301", "Å", "ß", "😀", "👍🏽", "\u00a0", "\u3000", "▁", "#", "##", "</w>", ".", ",",
    "'s", "n't", "0", "42", "<mask>", "<mask", "[NEW]", "[new]", "<tool>", "<s>", "</s>", "[CLS]", "Ω",
    "\u200d", "ǅ", "\U0001F600x", "z", "q", "Q",
]

TEXTS = [
    ("empty", ""),
    ("space", " "),
    ("hello", "Hello, world!"),
    ("sentence", "The quick brown fox jumps over the lazy dog."),
    ("contractions", "I'm sure they've done it; don't you'll see."),
    ("chinese", "你好，世界！深度学习是机器学习的一个分支。"),
    ("code", "def add(a, b):\n    return a + b  # simple\n"),
    ("rare", "Ωmega ǅ ⅷ 😀👍🏽 \u0007 \x00 end"),
    ("whitespace", "  a  \t b \n\n c   "),
    ("mask_spaces", "Hello <mask>  there\t<mask>\n<mask>x"),
    ("single_word", "[NEW] x[NEW] [NEW]x [new] ,[NEW]. [NEW]"),
    ("specials", "<s>hi</s> [CLS] tail <tool>call</tool> <tool>"),
    ("metaspace_literal", "▁a ▁▁b ▁"),
    ("prefix_suffix_literal", "## </w> a##b c</w>d"),
    ("accents", "café naïve résumé e\u0301"),
    ("long_word", "supercalifragilisticexpialidocious" * 3),
    ("ignore_merges_word", "qq qq qqq aqq qq"),
    ("long_run", "ab" * 80 + " " + "你好" * 40),
]


def random_texts(rng, count):
    texts = []
    for i in range(count):
        pieces = [rng.choice(RANDOM_PIECES) for _ in range(rng.randint(1, 14))]
        texts.append((f"random_{i:03d}", "".join(pieces)))
    return texts


def learn_bpe(merge_count, prefix="", suffix="", byte_level=False):
    """A deterministic BPE learner on the words of CORPUS (HF's trainer breaks ties in hash-map
    order, so its output changes between runs): the most frequent adjacent pair is merged first,
    ties go to the smallest pair. Returns {"vocab": {token: id}, "merges": [(left, right)]}."""
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    byte_chars = {}
    if byte_level:
        # GPT-2 byte -> character table.
        byte_chars = dict(zip(range(256), sorted(alphabet, key=lambda c: gpt2_byte_of(c))))
    counts = {}
    for line in CORPUS:
        for word in line.split():
            key = (" " + word) if byte_level else word
            counts[key] = counts.get(key, 0) + 1

    def initial(word):
        chars = [byte_chars[b] for b in word.encode("utf-8")] if byte_level else list(word)
        symbols = [c if i == 0 else prefix + c for i, c in enumerate(chars)]
        symbols[-1] += suffix
        return symbols

    sequences = {word: initial(word) for word in sorted(counts)}
    tokens = sorted({s for seq in sequences.values() for s in seq} | (set(alphabet) if byte_level else set()))
    merges = []
    for _ in range(merge_count):
        pairs = {}
        for word, seq in sequences.items():
            for pair in zip(seq, seq[1:]):
                pairs[pair] = pairs.get(pair, 0) + counts[word]
        if not pairs:
            break
        left, right = min(pairs, key=lambda pair: (-pairs[pair], pair))
        merged = left + right[len(prefix):]
        merges.append((left, right))
        if merged not in tokens:
            tokens.append(merged)
        for word, seq in sequences.items():
            out, i = [], 0
            while i < len(seq):
                if i + 1 < len(seq) and seq[i] == left and seq[i + 1] == right:
                    out.append(merged)
                    i += 2
                else:
                    out.append(seq[i])
                    i += 1
            sequences[word] = out
    return {"vocab": {t: i for i, t in enumerate(tokens)}, "merges": merges}


def gpt2_byte_of(char):
    """The byte a GPT-2 byte-level character stands for (bytes_to_unicode inverted)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    extra = [b for b in range(256) if b not in printable]
    code = ord(char)
    return code if code in printable else extra[code - 256]


def byte_fallback_vocab(model):
    """Appends <0x00>..<0xFF> to a trained vocabulary (as Llama's has them)."""
    vocab = dict(model["vocab"])
    for b in range(256):
        vocab.setdefault(f"<0x{b:02X}>", len(vocab))
    return vocab


def merges_of(model):
    return [tuple(m) if isinstance(m, (list, tuple)) else tuple(m.split(" ")) for m in model["merges"]]


def make_llama_like():
    """SentencePiece-style BPE: ▁ for spaces, byte fallback, unk fusing, Llama 2's decoder."""
    base = learn_bpe(200)
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for token in list(base["vocab"]) + ["▁"]:
        vocab.setdefault(token.replace(" ", "▁"), len(vocab))
    vocab = byte_fallback_vocab({"vocab": vocab})
    merges = [m for m in merges_of(base)]
    # Merges with ▁ so that words join with their leading space marker.
    for word in ("the", "fox", "dog", "hello", "world"):
        if word in vocab:
            merges.append(("▁", word))
            vocab.setdefault("▁" + word, len(vocab))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", 1)])
    tok.add_special_tokens([AddedToken("<s>", special=True), AddedToken("</s>", special=True),
                            AddedToken("<unk>", special=True)])
    tok.add_tokens([AddedToken("<mask>", lstrip=True, rstrip=True, special=False, normalized=False)])
    return tok


def make_metaspace_first():
    """Metaspace pre-tokenizer and decoder (prepend_scheme "first"), lowercase normalizer,
    normalized single_word token, unk without fusing."""
    base = learn_bpe(160)
    vocab = {"[UNK]": 0}
    for token in base["vocab"]:
        vocab.setdefault(token, len(vocab))
    merges = merges_of(base)
    vocab.setdefault("▁", len(vocab))
    for word in ("the", "fox", "hello", "world"):
        if word in vocab:
            vocab.setdefault("▁" + word, len(vocab))
            merges.append(("▁", word))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="[UNK]", fuse_unk=False))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, special=True, normalized=False)])
    tok.add_tokens([AddedToken("[NEW]", single_word=True, normalized=True, special=False),
                    AddedToken("<tool>", rstrip=True, normalized=False, special=False)])
    return tok


def make_wordpiece_style():
    """BPE with a "##" continuing-subword prefix, Bert post-processor and WordPiece decoder."""
    base = learn_bpe(200, prefix="##")
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3}
    for token in base["vocab"]:
        vocab.setdefault(token, len(vocab))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges_of(base), unk_token="[UNK]", fuse_unk=True,
                               continuing_subword_prefix="##"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    tok.post_processor = processors.BertProcessing(("[SEP]", 3), ("[CLS]", 2))
    tok.add_special_tokens([AddedToken(t, special=True) for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]")])
    tok.add_tokens([AddedToken("[NEW]", single_word=True, normalized=True, special=False)])
    return tok


def make_suffix_bpe():
    """BPE with a "</w>" end-of-word suffix, BPEDecoder and a Roberta post-processor."""
    base = learn_bpe(200, suffix="</w>")
    vocab = {"<s>": 0, "<unk>": 1, "</s>": 2}
    for token in base["vocab"]:
        vocab.setdefault(token, len(vocab))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges_of(base), unk_token="<unk>", end_of_word_suffix="</w>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.decoder = decoders.BPEDecoder(suffix="</w>")
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    tok.add_special_tokens([AddedToken("<s>", special=True), AddedToken("</s>", special=True)])
    return tok


def make_byte_level_prefix():
    """Byte-level BPE with add_prefix_space, ignore_merges and a Sequence post-processor."""
    state = {"model": learn_bpe(300, byte_level=True)}
    vocab = dict(state["model"]["vocab"])
    # A word the merges cannot build: only ignore_merges produces it as one token.
    vocab.setdefault("Ġqq", len(vocab))
    for token in ("<s>", "</s>"):
        vocab.setdefault(token, len(vocab))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges_of(state["model"]), ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> $B </s>",
                                      special_tokens=[("<s>", vocab["<s>"]), ("</s>", vocab["</s>"])]),
    ])
    tok.add_special_tokens([AddedToken("<s>", special=True), AddedToken("</s>", special=True),
                            AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    tok.add_tokens([AddedToken("<tool>", normalized=False, special=False),
                    AddedToken("</tool>", normalized=False, special=False)])
    return tok


TOKENIZERS = {
    "llama-like": make_llama_like,
    "metaspace-first": make_metaspace_first,
    "wordpiece-style": make_wordpiece_style,
    "suffix-bpe": make_suffix_bpe,
    "byte-level-prefix": make_byte_level_prefix,
}


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=1)
        f.write("\n")


def tokenizer_cases(name, tok, rng):
    cases = []
    for case_name, text in TEXTS + random_texts(rng, 60):
        ids = tok.encode(text, add_special_tokens=True).ids
        ids_no_bos = tok.encode(text, add_special_tokens=False).ids
        tok.encode_special_tokens = True
        ids_split = tok.encode(text, add_special_tokens=True).ids
        tok.encode_special_tokens = False
        cases.append({"name": case_name, "text": text, "ids": ids, "ids_no_bos": ids_no_bos,
                      "ids_split_special": ids_split,
                      "decode": tok.decode(ids, skip_special_tokens=False),
                      "decode_skip_special": tok.decode(ids, skip_special_tokens=True)})
    decode_cases = []
    size = tok.get_vocab_size(with_added_tokens=True)
    for i in range(60):
        ids = [rng.randrange(size) for _ in range(rng.randint(1, 16))]
        decode_cases.append({"name": f"decode_{i:03d}", "ids": ids,
                             "text": tok.decode(ids, skip_special_tokens=False),
                             "text_skip_special": tok.decode(ids, skip_special_tokens=True)})
    return {"generator": "tools/reference/gen_synthetic_tokenizer_cases.py",
            "versions": {"tokenizers": tokenizers.__version__},
            "model_dir": f"tests/data/tokenizer_synthetic/{name}",
            "cases": cases, "decode_cases": decode_cases}


DECODERS = [
    decoders.ByteLevel(),
    decoders.ByteFallback(),
    decoders.Fuse(),
    decoders.Replace("▁", " "),
    decoders.Replace("ab", "X"),
    decoders.Strip(" ", 1, 0),
    decoders.Strip("a", 2, 1),
    decoders.Metaspace(replacement="▁", prepend_scheme="always"),
    decoders.Metaspace(replacement="▁", prepend_scheme="first"),
    decoders.Metaspace(replacement="▁", prepend_scheme="never"),
    decoders.WordPiece(prefix="##", cleanup=True),
    decoders.WordPiece(prefix="##", cleanup=False),
    decoders.BPEDecoder(suffix="</w>"),
    decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]),
    decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(replacement="▁", prepend_scheme="first")]),
]

DECODER_TOKENS = [
    ["Hello", "Ġworld", "!", "Ċ", "ä½", "ł", "å¥½"],
    ["<0xE4>", "<0xBD>", "<0xA0>", "a", "<0xE4>", "<0xBD>", "b", "<0xFF>", "<0x41>", "<0x0a>"],
    ["▁Hello", "▁▁world", "▁", "x▁y"],
    ["a", "##b", "c", " .", "do", "not", "'s", "n't", "##"],
    ["ab</w>", "c</w>d", "</w>", "e"],
    ["aab", "baa", "aaa", "abab", " a", "  "],
    ["<0xE4>", "<0xBD>", "<0xA0>", "▁a", "<0x20>"],
]


def decoder_cases():
    cases = []
    for d_index, decoder in enumerate(DECODERS):
        spec = json.loads(decoder.__getstate__())
        for t_index, tokens in enumerate(DECODER_TOKENS):
            for count in (1, len(tokens)):
                part = tokens[:count]
                try:
                    text = decoder.decode(part)
                except BaseException:  # HF panics on some inputs (e.g. Strip of a fully stripped token)
                    continue
                cases.append({"name": f"{spec['type']}_{d_index}_{t_index}_{count}", "decoder": spec,
                              "tokens": part, "text": text})
    return cases


def bpe_model_cases(rng):
    def vocab_of(tokens):
        return {t: i for i, t in enumerate(tokens)}

    models_ = [
        ("rank_order", vocab_of(["a", "b", "c", "ab", "bc", "abc"]), [("b", "c"), ("a", "b"), ("a", "bc")], {},
         ["abc", "ab", "cab", "abcabc", "cba"]),
        ("leftmost_equal", vocab_of(["a", "aa", "aaaa"]), [("a", "a"), ("aa", "aa")], {},
         ["a", "aa", "aaa", "aaaa", "aaaaa", "aaaaaaa"]),
        ("unk_fused", vocab_of(["<unk>", "a", "b", "ab"]), [("a", "b")], {"unk_token": "<unk>", "fuse_unk": True},
         ["xyab", "axxb", "abx", "xxx", "é😀a"]),
        ("unk_not_fused", vocab_of(["<unk>", "a", "b", "ab"]), [("a", "b")], {"unk_token": "<unk>"},
         ["xyab", "axxb", "abx", "xxx"]),
        ("no_unk_drops", vocab_of(["a", "b", "ab"]), [("a", "b")], {}, ["xaby", "zz"]),
        ("byte_fallback", vocab_of(["<unk>", "a", "b", "ab"] + [f"<0x{b:02X}>" for b in range(256)]), [("a", "b")],
         {"unk_token": "<unk>", "byte_fallback": True}, ["aé", "ab😀b", "x"]),
        ("byte_fallback_partial", vocab_of(["<unk>", "a", "<0xC3>"]), [], {"unk_token": "<unk>", "byte_fallback": True},
         ["aéa", "é"]),
        ("ignore_merges", vocab_of(["a", "b", "c", "ab", "abc", "bc"]), [("a", "b")], {"ignore_merges": True},
         ["abc", "abcc", "ab", "bc"]),
        ("prefix_suffix", vocab_of(["a", "##a", "##b", "b", "a</w>", "##a</w>", "##b</w>", "b</w>", "ab</w>", "##ab</w>", "aa", "##aa"]),
         [("a", "##b</w>"), ("##a", "##b</w>"), ("a", "##a")],
         {"continuing_subword_prefix": "##", "end_of_word_suffix": "</w>"}, ["ab", "aab", "a", "b", "aa", "aaab"]),
    ]
    # Random long pieces exercise the priority-queue path of long words.
    alphabet = ["a", "b", "c"]
    tokens = list(alphabet)
    merges = []
    for _ in range(40):
        left, right = rng.choice(tokens), rng.choice(tokens)
        if len(left) + len(right) > 6 or (left, right) in merges or left + right in tokens:
            continue
        merges.append((left, right))
        tokens.append(left + right)
    long_pieces = ["".join(rng.choice(alphabet) for _ in range(rng.randint(30, 300))) for _ in range(30)]
    models_.append(("random_long", vocab_of(tokens), merges, {}, long_pieces))

    cases = []
    for name, vocab, merges, options, pieces in models_:
        model = models.BPE(vocab=vocab, merges=merges, **options)
        results = [{"piece": p, "ids": [t.id for t in model.tokenize(p)]} for p in pieces]
        cases.append({"name": name, "vocab": vocab, "merges": [list(m) for m in merges], "options": options,
                      "pieces": results})
    return cases


def main():
    rng = random.Random(RANDOM_SEED)
    for name, make in TOKENIZERS.items():
        tok = make()
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        tok.save(os.path.join(folder, "tokenizer.json"))
        write_json(os.path.join(folder, "cases.json"), tokenizer_cases(name, tok, rng))
    write_json(os.path.join(OUT, "decoder_cases.json"),
               {"generator": "tools/reference/gen_synthetic_tokenizer_cases.py", "cases": decoder_cases()})
    write_json(os.path.join(OUT, "bpe_model_cases.json"),
               {"generator": "tools/reference/gen_synthetic_tokenizer_cases.py", "cases": bpe_model_cases(rng)})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
