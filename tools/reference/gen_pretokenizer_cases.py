#!/usr/bin/env python3
"""Writes tests/data/tokenizer/pretokenize_cases.json: expected outputs of Hugging Face
`tokenizers` pre-tokenizers and normalizers for many inputs, for the C++ tests in
tests/tokenizer/pre_tokenizer_test.cpp and tests/tokenizer/normalizer_test.cpp.

Run from the repository root (needs the packages of tools/reference/requirements.txt):
    /tmp/refvenv/bin/python tools/reference/gen_pretokenizer_cases.py

Every component is described by the JSON its Python object serializes to (the same JSON a
tokenizer.json holds), so the C++ side builds the identical component from it. ByteLevel pieces
are written as raw UTF-8 text (the byte-level alphabet mapped back to bytes), because the C++
ByteLevel pre-tokenizer leaves that mapping to the vocabulary. Random inputs use a fixed seed.
"""

import json
import os
import random
import sys

import tokenizers
import tokenizers.models
from tokenizers import Regex
from tokenizers import normalizers as nm
from tokenizers import pre_tokenizers as pt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "data", "tokenizer", "pretokenize_cases.json")
QWEN_TOKENIZER = os.path.join(ROOT, "assets", "models", "deepseek-r1-distill-qwen-1.5b", "tokenizer.json")

QWEN2 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
         r"|\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
          r"|\s*[\r\n]+|\s+(?!\S)|\s+")
GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"

# The White_Space property.
WHITE_SPACE = ([chr(c) for c in range(0x09, 0x0E)] + [" ", "\x85", "\xa0", "\u1680"]
               + [chr(c) for c in range(0x2000, 0x200B)] + ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000"])
# Look like spaces but are not White_Space.
NOT_WHITE_SPACE = ["\u180e", "\u200b", "\u200c", "\u200d", "\ufeff", "\x1c", "\x1d", "\x1e", "\x1f", "\x00"]

LETTERS = ["a", "Z", "é", "ß", "ſ", "Ω", "ж", "Ж", "ع", "ש", "क", "ก", "中", "文", "あ", "カ", "한",
           "ა", "Ա", "ሀ", "த", "ǅ", "ʰ", "ー", "𝔸", "\U0001E4D0", "\U00011F04", "\U00031350", "Ａ", "ｶ"]
MARKS = ["\u0301", "\u0308", "\u093f", "\u094d", "\u0e31", "\u20dd", "\u0345", "\u3099", "\ufe0f"]
DIGITS = ["0", "7", "٣", "۶", "३", "๓", "１", "²", "½", "Ⅻ", "ⅻ", "①", "〇", "𝟘", "\U0001E4F1", "\U00011F55"]
PUNCT = ["!", ".", ",", "?", "'", "\"", "-", "_", "(", ")", "[", "]", "{", "}", "@", "#", "$", "%", "^",
         "&", "*", "+", "=", "<", ">", "|", "\\", "/", "`", "~", ":", ";", "…", "—", "«", "»", "“", "”",
         "‘", "’", "、", "。", "！", "¿", "¡", "§", "€", "©", "°", "±", "→", "∑", "♥", "★"]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧", "🇫🇷", "1️⃣", "❤️", "🤖", "🧑🏿‍💻"]
CONTRACTION_LETTERS = ["s", "S", "ſ", "t", "T", "re", "RE", "Re", "rE", "ve", "VE", "m", "M", "ll", "LL",
                       "lL", "d", "D", "K", "k", "K", "x", "", "ss", "st", "ﬆ", "ß", "Ｓ"]
QUOTES = ["'", "’", "‘", "`", "ʼ", "＇"]


def fixed_inputs():
    """Hand-picked inputs that exercise each alternative and boundary of the patterns."""
    inputs = [
        "", "a", " ", "  ", "\n", "\r\n", "Hello world", "Hello, world!", " Hello", "  Hello", "   Hello",
        "Hello ", "Hello  ", "Hello   world", "Hello\tworld", "Hello\t world", "Hello \tworld",
        "Hello\nworld", "Hello \nworld", "Hello  \n  world", "Hello\n\nworld", "Hello\r\nworld",
        "Hello\r\n\r\nworld", "a\rb", "a\n\rb", " \n", "\n ", " \n ", "\n \n", "\t\n", "\n\t", "  \n\n  x",
        "\r\n\r\n", "\r\r\n\n", "x\r\n  y", "x \r\n y", "x\n\n\n", "x   ", "x\t\t", "\t\tx", " \t x",
        "!!", " !!", "  !!", "!!\n", "!! \n", " !!\r\n\r\nx", "a.b", "...", "?!", " ?!", "a, b", "(a)",
        "[1,2,3]", "x=1+2", "if (x) { return y; }", "def f(x):\n    return x ** 2\n",
        "    indented\n        more", "https://example.com/a?b=c&d=e#f", "user@example.com",
        "C:\\Users\\me", "3.14159", "-42", "1,000,000", "12345678901234567890", "v1.2.3", "2024-01-15",
        "10:30 AM", "$100.00", "50%", "a1b2c3", "abc123def", "123abc", " 123", "  123", "1 2 3",
        "I'm", "I'M", "you're", "YOU'RE", "we've", "they'll", "she'd", "it's", "IT'S", "don't", "DON'T",
        "'s", "'S", "'ſ", "'ſa", "x'ſ", "'K", "'k", "'", "''", "'''s", "'s'", "'ll'll", "'re're", "' s",
        "'\n", "'1", "'é", "''s", "a's", "a'sb", "'tis", "'Twas", "rock'n'roll", "O'Neil", "'\u017fT",
        "Hello 世界", "你好，世界！", "こんにちは世界", "안녕하세요 세계", "Привет, мир!", "مرحبا بالعالم",
        "שלום עולם", "नमस्ते दुनिया", "สวัสดีชาวโลก", "Γειά σου Κόσμε", "გამარჯობა", "Բարեւ", "ሰላም",
        "வணக்கம்", "e\u0301", "Cafe\u0301", "Café", "n\u0303o", "\u0301", " \u0301", "a \u0301b", "\u0301a",
        "ḱ\u0323", "\u1100\u1161\u11a8", "각", "Å", "\u212b", "\u2126", "ﬁ", "ﬀ", "ǅ", "İstanbul", "ΣΑΣ",
        "ÀÉÎÕÜ", "Straße", "STRASSE", "ǈ", "ﬆ", "Ｈｅｌｌｏ", "ｶﾀｶﾅ", "①②③", "²³", "½ cup", "Ⅻ o'clock",
        "٣٤٥", "१२३", "๑๒๓", "１２３", "𝟘𝟙𝟚", "x²", "H₂O", "😀", "😀😀", "a😀b", " 😀", "  😀", "😀 ",
        "👍🏽 good", "👨‍👩‍👧 family", "🇫🇷🇩🇪", "1️⃣2️⃣", "❤️❤️", "I ❤️ NY", "🤖: hi", "\u200d", "a\u200db",
        "\ufeffBOM", "zero\u200bwidth", "\u180e", "a\u180eb", "tab\u000bvt", "ff\u000cff", "\x1c\x1d",
        "nul\x00byte", "\x7f", "del\x7fete", "\x85", "a\x85b", "a\x85\x85b", "\ufffd", "a\ufffdb",
        "\u2028", "line\u2028sep", "para\u2029sep", "\u3000", "全角\u3000空白", "a\u3000\u3000b",
        "\xa0", "non\xa0breaking", "a \xa0b", "a\xa0 b", "\u202f", "\u205f", "\u1680", "\u2000\u200a",
        " " * 10, " " * 10 + "x", "\t" * 5 + "x", "\n" * 5, "\r\n" * 4, " \r\n" * 3, "x" + " " * 16 + "y",
        "a" * 50, "1" * 20, "!" * 20, "\u00e9" * 10, "😀" * 5, "a b c d e f", "A-B_C.D",
        "<|im_start|>user\nhi<|im_end|>", "<｜User｜>hello<｜Assistant｜>", "<think>\nok\n</think>\n\n",
        "Numbers: 1234 and 5678.", "The year 2024 was 10% better.", "e.g. i.e. etc.",
        "“quoted”", "‘single’", "«guillemets»", "—dash—", "a–b", "...and", "?!?!", "#hashtag", "@mention",
        "snake_case_name", "camelCaseName", "__init__", "--flag", "a\\nb", "tab\\t", "\\", "//comment",
        "/* c */", "<div class=\"x\">", "&amp;", "SELECT * FROM t;", "λx.x", "∀x∈ℝ: x²≥0", "√2≈1.414",
        "E=mc²", "a\u0308\u0301", "\u0915\u094d\u0937", "\u0e01\u0e34\u0e19", "ก็", "Ẓ̌", "𝔸𝔹ℂ",
        "\U0001E4D0\U0001E4D1", "\U00011F04 x", "\U00031350", "x\U0001E4F1y", "ß" * 3,
        "hello\r", "\rhello", "\r", "\r\r", "\n\r", " \r", "\r ", "a \r\n b", "a\t\r\nb", "a \n\t b",
        "  a  b  ", "\t a", "\u3000a", "\u2003a", "\xa0a", "\x85a", "\u2028a", " \u3000a", "\u3000 a",
        "'s's", "word's", "WORD'S", "Word'Ll", "x'D", "x'Ve", "x'M", "'m'm", "'d'", "'t'", "'r", "'v",
        "'le", "'lx", "'l", "’s", "it’s", "I’m", "‘s", "`s", "ʼs", "＇s",
    ]
    for ws in WHITE_SPACE + NOT_WHITE_SPACE:
        inputs += [ws, "a" + ws + "b", ws + "a", "a" + ws, ws + ws + "a", "!" + ws + "!", "1" + ws + "2",
                   ws + "\n", "\n" + ws, " " + ws + "a", ws + " a"]
    for c in LETTERS:
        inputs += [c, " " + c, "!" + c, c + "1", c + c + c, "\n" + c]
    for m in MARKS:
        inputs += ["a" + m, " " + m, m + "a", "1" + m, "!" + m]
    for d in DIGITS:
        inputs += [d, d * 4, " " + d, "a" + d, d + "a", "!" + d]
    for p in PUNCT:
        inputs += [p, " " + p, p + p + " x", "a" + p + "b", p + "\n"]
    for e in EMOJI:
        inputs += [e, " " + e, "a" + e, e + "\n"]
    for q in QUOTES:
        for letters in CONTRACTION_LETTERS:
            inputs.append("x" + q + letters + " y")
    for n in range(1, 6):
        inputs += [" " * n + "x", " " * n + "!", " " * n + "1", " " * n + "\n", "x" + " " * n,
                   "\n" * n + " x", "\t" * n + " x"]
    seen = set()
    unique = []
    for s in inputs:
        if s not in seen:
            seen.add(s)
            unique.append(s)
    return unique


# Code points the random strings are drawn from: every class boundary the patterns care about.
RANDOM_POOL = (["a", "b", "Z", "s", "S", "t", "T", "r", "e", "E", "v", "m", "M", "l", "L", "d", "D", "k", "K",
                "0", "1", "9", " ", " ", " ", "\t", "\n", "\n", "\r", "'", "'", "'", "’", "!", ".", ",", "-",
                "_", "(", "\"", "ſ", "\u212a", "é", "\u0301", "ß", "中", "한", "ع", "क", "\u094d", "ก", "\u0e31",
                "٣", "२", "²", "Ⅻ", "①", "½", "１", "Ａ", "😀", "👍", "\U0001F3FD", "\u200d", "\ufe0f", "\u200b",
                "\u180e", "\ufeff", "\x85", "\xa0", "\u1680", "\u2000", "\u2009", "\u2028", "\u2029",
                "\u202f", "\u205f", "\u3000", "\x0b", "\x0c", "\x1c", "\x1f", "\x00", "\x7f", "\ufffd",
                "…", "“", "”", "€", "\U0001E4D0", "\U0001E4F1", "ǅ", "ʰ", "ー", "𝟘"])


# Code points for the normalization forms: composition pairs, marks of several combining classes,
# Hangul jamo and syllables, Indic vowel parts, singletons, exclusions, kana voicing marks.
NORMALIZATION_POOL = (["a", "e", "o", "u", "A", "E", " ", "x", "1", "é", "ü", "ǖ", "ệ", "Å", "\u212b", "\u2126",
                       "\u0301", "\u0300", "\u0308", "\u0323", "\u0304", "\u0345", "\u05b0", "\u0327", "\u0338",
                       "<", "=", "\u1100", "\u1112", "\u1161", "\u1175", "\u11a8", "\u11c2", "가", "각", "힣",
                       "\u0b47", "\u0b3e", "\u0b57", "\u0bc6", "\u0bbe", "\u0bd7", "\u0cbf", "\u0cd5", "\u0dd9",
                       "\u0dcf", "\u0dca", "\u0958", "\u0915", "\u093c", "\ufb1d", "\u05d9", "\u05b4", "\uf900",
                       "か", "\u3099", "\u309a", "は", "ﾊ", "\uff9e", "ﬁ", "²", "\u1e9b", "\u0344", "\u0f73",
                       "\u0f71", "\u0f72", "中", "😀", "\U0001d15e", "\U0001d165", "\U000110a5", "\U000110ba",
                       "\U0002f800", "Ω", "ω", "\u0342", "\u1fbe", "\u03b9", "ſ", "\u0307", "İ", "ﬆ"])


def random_inputs(count, seed, max_length=24, pool=RANDOM_POOL):
    rng = random.Random(seed)
    return ["".join(rng.choice(pool) for _ in range(rng.randint(1, max_length))) for _ in range(count)]


def bytes_to_unicode():
    """GPT-2's byte -> character table (the alphabet ByteLevel maps bytes to)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


CHAR_TO_BYTE = {c: b for b, c in bytes_to_unicode().items()}


def unmap_byte_level(piece):
    return bytes(CHAR_TO_BYTE[c] for c in piece)


def code_point_sets():
    """For each regex, the code points Oniguruma matches, as [first, last] ranges over all of Unicode."""
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    sets = {}
    for regex in (r"\p{L}", r"\p{N}", r"\s", r"\S", r"\w", r"\W", r"\d", r"\h", r"\p{Lu}", r"\p{Mn}",
                  r"\P{L}", r"[^\s\p{L}\p{N}]", r"\p{P}", r"\p{So}", r"(?i:s)", r"(?i:k)",
                  r"[\w]", r"[\W]", r"[^\w]", r"[\d\s]"):
        # Removing every match leaves the code points outside the set.
        rest = set(map(ord, nm.Replace(Regex(regex), "").normalize_str(every)))
        ranges = []
        for c in range(0x110000):
            if 0xD800 <= c <= 0xDFFF or c in rest:
                continue
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1][1] = c
            else:
                ranges.append([c, c])
        sets[regex] = ranges
    return sets


def byte_level_alphabet():
    """The character ByteLevel maps each byte to, read from the reference pre-tokenizer's output."""
    mapping = {}
    level = pt.ByteLevel(add_prefix_space=False, use_regex=False)
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        raw = chr(c).encode("utf-8")
        if any(b not in mapping for b in raw):
            mapped = level.pre_tokenize_str(chr(c))[0][0]
            for b, m in zip(raw, mapped):
                mapping[b] = m
        if len(mapping) == 256:
            break
    # Bytes that never occur in UTF-8 (C0, C1, F5..FF) are printable Latin-1: ByteLevel keeps them.
    alphabet = set(pt.ByteLevel.alphabet())
    for b in range(256):
        if b not in mapping:
            assert chr(b) in alphabet
            mapping[b] = chr(b)
    return [mapping[b] for b in range(256)]


def metaspace_after_added_token_cases():
    """Metaspace pieces of each stretch of text around an added token "<x>", read from a whole
    Tokenizer (WordLevel over every candidate piece), since prepend_scheme "first" depends on where
    a stretch starts in the input."""
    inputs = ["hello<x>world", "<x>hello world", "a b<x> c d<x>e", " lead<x> trail ", "<x> x", "x<x><x>y",
              "one two<x>three four<x>", "▁pre<x>▁done", "  <x>  "]
    sets = []
    for scheme in ("first", "always", "never"):
        for split in (True, False):
            meta = pt.Metaspace(prepend_scheme=scheme, split=split)
            vocab = {}
            for text in inputs:
                for stretch in text.split("<x>"):
                    for variant in (stretch, "▁" + stretch.replace(" ", "▁")):
                        for always in (pt.Metaspace(prepend_scheme="always", split=split),
                                       pt.Metaspace(prepend_scheme="never", split=split)):
                            for piece, _ in always.pre_tokenize_str(variant):
                                vocab.setdefault(piece, len(vocab))
            vocab.setdefault("[UNK]", len(vocab))
            tokenizer = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="[UNK]"))
            tokenizer.pre_tokenizer = meta
            tokenizer.add_special_tokens(["<x>"])
            cases = []
            for text in inputs:
                tokens = tokenizer.encode(text, add_special_tokens=False).tokens
                assert "[UNK]" not in tokens, (text, tokens)
                groups = [[]]
                for t in tokens:
                    if t == "<x>":
                        groups.append([])
                    else:
                        groups[-1].append(t)
                stretches = text.split("<x>")
                assert len(groups) == len(stretches)
                cases.append({"input": text, "stretches": [
                    {"text": st, "at_text_start": i == 0, "pieces": g} for i, (st, g) in enumerate(zip(stretches, groups))]})
            sets.append({"name": f"metaspace_{scheme}_split_{str(split).lower()}", "spec": spec_of(meta), "cases": cases})
    return sets


def spec_of(component):
    return json.loads(component.__getstate__())


def pre_tokenizer_set(name, component, inputs, byte_level=False, spec=None):
    cases = []
    for s in inputs:
        pieces = [p for p, _ in component.pre_tokenize_str(s)]
        if not byte_level:
            cases.append({"input": s, "pieces": pieces})
            continue
        raw = [unmap_byte_level(p) for p in pieces]
        try:
            cases.append({"input": s, "pieces": [r.decode("utf-8") for r in raw]})
        except UnicodeDecodeError:
            # A piece cut inside a character: written as hexadecimal bytes.
            cases.append({"input": s, "pieces_hex": [r.hex() for r in raw]})
    return {"name": name, "spec": spec if spec is not None else spec_of(component), "cases": cases}


def normalizer_set(name, component, inputs):
    return {"name": name, "spec": spec_of(component),
            "cases": [{"input": s, "output": component.normalize_str(s)} for s in inputs]}


def main():
    fixed = fixed_inputs()
    # The hand-picked list first, then every third generated variant: enough for the simpler components.
    sample = fixed[:330] + fixed[330::3]
    random_main = random_inputs(2000, seed=20240601)
    random_other = random_inputs(400, seed=777)
    with open(QWEN_TOKENIZER, encoding="utf-8") as f:
        qwen_spec = json.load(f)["pre_tokenizer"]
    assert qwen_spec["pretokenizers"][0]["pattern"]["Regex"] == QWEN2
    # The pre-tokenizer exactly as the model's tokenizer.json describes it.
    qwen_full = tokenizers.Tokenizer.from_str(json.dumps({
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
        "pre_tokenizer": qwen_spec, "post_processor": None, "decoder": None,
        "model": {"type": "WordLevel", "vocab": {"x": 0}, "unk_token": "x"}})).pre_tokenizer

    pre = []
    # The model's own pre-tokenizer (Split + ByteLevel without regex), byte pieces unmapped.
    pre.append(pre_tokenizer_set("qwen2_model", qwen_full, fixed + random_main[:300], byte_level=True,
                                 spec=qwen_spec))
    for name, regex in (("qwen2_split", QWEN2), ("llama3_split", LLAMA3), ("gpt2_split", GPT2)):
        inputs = fixed + (random_main if name != "gpt2_split" else random_other)
        pre.append(pre_tokenizer_set(name, pt.Split(Regex(regex), "isolated"), inputs))
    pre.append(pre_tokenizer_set("llama3_model", pt.Sequence([
        pt.Split(Regex(LLAMA3), "isolated"), pt.ByteLevel(add_prefix_space=False, use_regex=False)]),
        sample + random_main[:500], byte_level=True))
    for prefix in (False, True):
        pre.append(pre_tokenizer_set(f"byte_level_regex_prefix_{str(prefix).lower()}",
                                     pt.ByteLevel(add_prefix_space=prefix, use_regex=True),
                                     fixed + random_other, byte_level=True))
    pre.append(pre_tokenizer_set("byte_level_no_regex_prefix", pt.ByteLevel(add_prefix_space=True, use_regex=False),
                                 sample, byte_level=True))
    pre.append(pre_tokenizer_set("byte_level_then_split_on_mapped_space", pt.Sequence([
        pt.ByteLevel(add_prefix_space=False, use_regex=False), pt.Split("Ġ", "merged_with_next")]),
        sample, byte_level=True))
    for individual in (True, False):
        pre.append(pre_tokenizer_set(f"digits_individual_{str(individual).lower()}",
                                     pt.Digits(individual_digits=individual), sample + random_other))
    for scheme in ("always", "first", "never"):
        for split in (True, False):
            pre.append(pre_tokenizer_set(f"metaspace_{scheme}_split_{str(split).lower()}",
                                         pt.Metaspace(prepend_scheme=scheme, split=split), sample + random_other[:100]))
    pre.append(pre_tokenizer_set("metaspace_custom_replacement", pt.Metaspace(replacement="_"), sample))
    pre.append(pre_tokenizer_set("whitespace", pt.Whitespace(), sample + random_other))
    pre.append(pre_tokenizer_set("whitespace_split", pt.WhitespaceSplit(), sample + random_other))
    behaviors = ("removed", "isolated", "merged_with_previous", "merged_with_next", "contiguous")
    for behavior in behaviors:
        pre.append(pre_tokenizer_set(f"punctuation_{behavior}", pt.Punctuation(behavior), sample + random_other[:100]))
    split_patterns = (("space_string", " "), ("empty_string", ""), ("ab_string", "ab"),
                      ("spaces_regex", Regex(r"\s+")), ("digits_or_empty_regex", Regex(r"\p{N}+|x*")),
                      ("letters_regex", Regex(r"\p{L}+")))
    for pname, pattern in split_patterns:
        for behavior in behaviors:
            for invert in (False, True):
                pre.append(pre_tokenizer_set(f"split_{pname}_{behavior}_invert_{str(invert).lower()}",
                                             pt.Split(pattern, behavior, invert), fixed[:120] + random_other[:40]))
    # Oniguruma regex features the PCRE2 translation must reproduce.
    onig_features = (("word", r"\w+"), ("non_word", r"\W+"), ("hex", r"\h+"), ("non_hex", r"\H+"),
                     ("line_start", r"^."), ("line_end", r".$"), ("non_space", r"\S+"),
                     ("not_letter", r"\P{L}+"), ("class_not_space", r"[^\S\n]+"), ("caseless_k", r"(?i:k|s)"),
                     ("lu", r"\p{Lu}+"), ("nd", r"\d+"), ("unicode_escape", r"\u00e9|\u4e2d"),
                     ("negated_property", r"\p{^N}+"), ("lookbehind", r"(?<=a)b"),
                     ("class_non_word", r"[\W\d]+"), ("non_digit", r"\D+"), ("class_not_letter", r"[\P{L}x]+"),
                     ("class_word", r"[\w]+"))
    for fname, regex in onig_features:
        pre.append(pre_tokenizer_set(f"regex_{fname}", pt.Split(Regex(regex), "isolated"), sample + random_other[:200]))
    pre.append(pre_tokenizer_set("bert_pre_tokenizer", pt.BertPreTokenizer(), sample + random_other[:100]))
    pre.append(pre_tokenizer_set("char_delimiter_split", pt.CharDelimiterSplit("-"), sample + random_other[:100]))
    pre.append(pre_tokenizer_set("fixed_length_3", pt.FixedLength(3), sample + random_other[:100]))
    pre.append(pre_tokenizer_set("byte_level_then_fixed_length", pt.Sequence([
        pt.ByteLevel(add_prefix_space=False, use_regex=True), pt.FixedLength(2)]), sample, byte_level=True))
    pre.append(pre_tokenizer_set("sequence_digits_punctuation",
                                 pt.Sequence([pt.WhitespaceSplit(), pt.Digits(True), pt.Punctuation()]), sample))

    norm = []
    norm_inputs = sample + random_other[:200]
    for name, component in (("nfc", nm.NFC()), ("nfd", nm.NFD()), ("nfkc", nm.NFKC()), ("nfkd", nm.NFKD()),
                            ("lowercase", nm.Lowercase()), ("strip_both", nm.Strip()),
                            ("strip_left", nm.Strip(left=True, right=False)),
                            ("strip_right", nm.Strip(left=False, right=True)),
                            ("strip_accents", nm.StripAccents()),
                            ("replace_space_string", nm.Replace(" ", "▁")),
                            ("replace_spaces_regex", nm.Replace(Regex(" {2,}"), " ")),
                            ("replace_white_space_regex_empty", nm.Replace(Regex(r"\s+"), "")),
                            ("replace_empty_matches", nm.Replace(Regex(r"x*"), "-")),
                            ("prepend", nm.Prepend("▁")),
                            ("llama2_sequence", nm.Sequence([nm.Prepend("▁"), nm.Replace(" ", "▁")])),
                            ("nfkc_lowercase", nm.Sequence([nm.NFKC(), nm.Lowercase()])),
                            ("bert_default", nm.BertNormalizer()),
                            ("bert_cased", nm.BertNormalizer(lowercase=False)),
                            ("bert_strip_no_lower", nm.BertNormalizer(strip_accents=True, lowercase=False)),
                            ("bert_no_clean_no_chinese", nm.BertNormalizer(clean_text=False, handle_chinese_chars=False)),
                            ("nmt", nm.Nmt()), ("byte_level", nm.ByteLevel())):
        norm.append(normalizer_set(name, component, norm_inputs))
    composition_inputs = random_inputs(1500, seed=4242, pool=NORMALIZATION_POOL)
    for name, component in (("nfc_compositions", nm.NFC()), ("nfd_compositions", nm.NFD()),
                            ("nfkc_compositions", nm.NFKC()), ("lowercase_compositions", nm.Lowercase())):
        norm.append(normalizer_set(name, component, composition_inputs))

    data = {
        "generator": "tools/reference/gen_pretokenizer_cases.py",
        "tokenizers_version": tokenizers.__version__,
        "known_patterns": {"qwen2": QWEN2, "llama3": LLAMA3, "gpt2": GPT2},
        "pre_tokenizers": pre,
        "normalizers": norm,
        "after_added_token": metaspace_after_added_token_cases(),
        "code_point_sets": code_point_sets(),
        "byte_level_alphabet": byte_level_alphabet(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    total_pre = sum(len(s["cases"]) for s in pre)
    total_norm = sum(len(s["cases"]) for s in norm)
    print(f"wrote {OUT}: {len(fixed)} fixed inputs, {len(pre)} pre-tokenizer sets ({total_pre} cases), "
          f"{len(norm)} normalizer sets ({total_norm} cases)", file=sys.stderr)


if __name__ == "__main__":
    main()
