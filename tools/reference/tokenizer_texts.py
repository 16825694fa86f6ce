"""The input texts of the tokenizer fixtures: a deterministic list of (name, text) pairs.

Imported by gen_tokenizer_cases.py (the texts to encode) and make_bench_text.py (fragments
of mixed Chinese/English/code text). Not run on its own; to list the cases:

    /tmp/refvenv/bin/python tools/reference/tokenizer_texts.py

Every text is fixed in this file or derived from RANDOM_SEED, so the list never changes
between runs. Names are unique and stable, so fixture diffs stay readable.
"""

import random

# Seed of the randomized cases (documented in tools/reference/README.md).
RANDOM_SEED = 20260129
RANDOM_CASE_COUNT = 80

# ---------------------------------------------------------------------------------------------
# Natural-language and mixed fragments typical of this model's users.
# ---------------------------------------------------------------------------------------------

CHINESE = [
    "你好，世界！",
    "请问如何用Python实现快速排序？",
    "今天天气很好，我们去公园散步吧。",
    "深度学习是机器学习的一个分支，它使用多层神经网络来学习数据的表示。",
    "我在2024年3月15日买了3本书，一共花了¥128.50元。",
    "《红楼梦》是中国古典四大名著之一。",
    "“引号”和‘单引号’以及「日式引号」、【方括号】……——破折号",
    "一二三四五六七八九十百千万亿",
    "繁體中文：這是一個測試，請忽略。",
    "嗯，让我想一想。首先，我们需要求出x的值。",
    "他说：“我不知道。”然后就走了。",
    "数学题：已知函数f(x)=x²+2x+1，求f(3)的值。",
    "注意：本文中的所有数据均来自公开资料，仅供参考。",
    "这个问题的答案是42，对吗？",
    "好的，我明白了。",
]

ENGLISH = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "It's a beautiful day, isn't it? I'd say we're lucky.",
    "Let me think step by step. First, we need to find the value of x.",
    "Therefore, the answer is 42.",
    "Wait, that doesn't seem right. Let me double-check the calculation.",
    "HELLO WORLD IN CAPITALS",
    "camelCaseIdentifier snake_case_identifier SCREAMING_SNAKE kebab-case",
    "Mr. O'Neil's dog—a beagle—barked at 3 a.m.",
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    "e.g. i.e. etc. vs. Dr. Mrs. St.",
]

MIXED = [
    "用Python写一个函数，计算斐波那契数列的第n项（n≥0）。",
    "请解释一下什么是Transformer模型中的self-attention机制？",
    "求解方程 2x + 3 = 11，答案是 x = 4。",
    "在C++中，std::vector<int>和std::array<int, 10>有什么区别？",
    "我用的是GPU: NVIDIA RTX 4090, 显存24GB。",
    "Okay, 所以我们先计算 3 × 4 = 12，然后再加上 5，得到 17。",
    "The答案is 正确的。Mixing中文and English没有空格。",
    "下载地址：https://example.com/download?id=123&lang=zh-CN",
    "错误信息：TypeError: 'NoneType' object is not subscriptable",
    "<think>\n嗯，用户问的是1+1等于多少。这很简单，答案是2。\n</think>\n\n1+1=2。",
    "问题：一个长方形的长是8厘米，宽是5厘米，它的面积是多少平方厘米？\n解：面积=长×宽=8×5=40（平方厘米）。",
    "设 $a_n = \\frac{1}{n(n+1)}$，求 $\\sum_{n=1}^{100} a_n$。",
    "所以最终答案是 \\boxed{55}。",
    "Let's verify: 如果 x=2，那么 x^2 - 4 = 0 ✓",
]

CODE = [
    # Python with indentation and Chinese comments.
    "def quick_sort(arr):\n    # 如果数组长度小于等于1，直接返回\n    if len(arr) <= 1:\n        return arr\n"
    "    pivot = arr[len(arr) // 2]\n    left = [x for x in arr if x < pivot]\n"
    "    middle = [x for x in arr if x == pivot]\n    right = [x for x in arr if x > pivot]\n"
    "    return quick_sort(left) + middle + quick_sort(right)\n",
    "class Solution:\n\tdef twoSum(self, nums: List[int], target: int) -> List[int]:\n"
    "\t\tseen = {}  # 值 -> 下标\n\t\tfor i, n in enumerate(nums):\n\t\t\tif target - n in seen:\n"
    "\t\t\t\treturn [seen[target - n], i]\n\t\t\tseen[n] = i\n",
    "if __name__ == \"__main__\":\n    print(f\"结果: {quick_sort([3, 6, 8, 10, 1, 2, 1])}\")\n",
    "import numpy as np\nx = np.linspace(0, 2 * np.pi, 100)\ny = np.sin(x) ** 2 + np.cos(x) ** 2\n"
    "assert np.allclose(y, 1.0), '恒等式不成立'\n",
    # C++ templates.
    "template <typename T, typename... Args>\nstd::unique_ptr<T> make(Args&&... args) {\n"
    "    return std::unique_ptr<T>(new T(std::forward<Args>(args)...));\n}\n",
    "#include <iostream>\n#include <vector>\n\nint main() {\n    std::vector<std::vector<int>> grid(3, "
    "std::vector<int>(4, 0));  // 3行4列\n    for (auto& row : grid) row[0] = 1;\n"
    "    std::cout << grid[2][0] << std::endl;\n    return 0;\n}\n",
    "std::map<std::string, std::pair<int, double>> m{{\"a\", {1, 2.5}}};\nauto [k, v] = *m.begin();",
    "constexpr auto kMax = std::numeric_limits<std::int64_t>::max();\n"
    "static_assert(sizeof(void*) == 8, \"64-bit only\");",
    # JavaScript.
    "const add = (a, b) => a + b; // 加法\nconsole.log(`结果是 ${add(1, 2)}`);\n",
    "async function fetchData(url) {\n  const res = await fetch(url);\n  if (!res.ok) throw new Error("
    "`HTTP ${res.status}`);\n  return res.json();\n}\n",
    "document.querySelectorAll('.item').forEach(el => el.classList.toggle('active'));",
    # JSON.
    '{"name": "张三", "age": 30, "skills": ["C++", "Python"], "active": true, "score": 98.5, '
    '"address": null}',
    '{\n  "model": "deepseek-r1",\n  "messages": [\n    {"role": "user", "content": "你好"}\n  ],\n'
    '  "temperature": 0.6\n}',
    # HTML.
    "<!DOCTYPE html>\n<html lang=\"zh\">\n<head><meta charset=\"utf-8\"><title>测试</title></head>\n"
    "<body><div class=\"a b\" id='x'>&nbsp;&lt;tag&gt; &amp; &#x4F60;</div></body>\n</html>",
    # Regexes.
    r"^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@(?:[a-z0-9-]+\.)+[a-z]{2,}$",
    r"re.compile(r'(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\s*\[(.*?)\]')",
    # Shell.
    "cat /var/log/syslog | grep -i error | awk '{print $5}' | sort | uniq -c | sort -rn | head -n 10",
    "for f in *.txt; do echo \"$f\"; wc -l < \"$f\"; done 2>&1 >/dev/null && echo ok || exit 1",
    "$ cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build -j2",
    # Markdown table.
    "| 模型 | 参数量 | 得分 |\n|------|-------:|:----:|\n| R1-1.5B | 1.5B | 83.9 |\n"
    "| R1-7B | 7B | 92.8 |\n",
    "# 标题\n\n## 小节\n\n- 列表项一\n- 列表项二\n  - 嵌套\n\n1. 第一\n2. 第二\n\n> 引用\n\n"
    "**粗体** *斜体* `代码` [链接](https://example.com)\n\n```python\nprint('hi')\n```\n",
    # Diff output.
    "diff --git a/src/main.cpp b/src/main.cpp\nindex 3b18e51..a9c2f4d 100644\n--- a/src/main.cpp\n"
    "+++ b/src/main.cpp\n@@ -1,5 +1,6 @@\n #include <cstdio>\n+#include <cstdlib>\n \n int main() {\n"
    "-    printf(\"hello\\n\");\n+    std::puts(\"hello\");\n     return 0;\n }\n",
    # SQL, Rust, Go.
    "SELECT u.name, COUNT(*) AS n FROM users u JOIN orders o ON o.user_id = u.id WHERE o.created_at >= "
    "'2024-01-01' GROUP BY u.name HAVING n > 5 ORDER BY n DESC;",
    "fn main() {\n    let v: Vec<u32> = (1..=10).filter(|x| x % 2 == 0).collect();\n"
    "    println!(\"{:?}\", v);\n}\n",
    "func (s *Server) Handle(w http.ResponseWriter, r *http.Request) {\n\tif err := r.ParseForm(); "
    "err != nil {\n\t\thttp.Error(w, err.Error(), 400)\n\t\treturn\n\t}\n}\n",
]

LATEX = [
    "\\frac{a}{b}",
    "\\boxed{55}",
    "$$\n\\int_0^1 x^2 \\, dx = \\frac{1}{3}\n$$",
    "\\( x^2 + y^2 = r^2 \\) and \\[ e^{i\\pi} + 1 = 0 \\]",
    "$\\sqrt{2} \\approx 1.41421356$",
    "\\begin{align}\n  f(x) &= (x+1)^2 \\\\\n      &= x^2 + 2x + 1\n\\end{align}",
    "\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}",
    "\\lim_{x \\to 0} \\frac{\\sin x}{x} = 1",
    "\\mathbb{R}^n, \\mathcal{O}(n \\log n), \\alpha\\beta\\gamma, \\left( \\frac{1}{2} \\right)",
    "**Final Answer**\n\\[\n\\boxed{\\dfrac{3}{4}}\n\\]",
]

URLS = [
    "https://www.example.com/path/to/page.html?query=1&lang=en#section-2",
    "http://localhost:8080/api/v1/chat/completions",
    "ftp://user:pass@ftp.example.org:21/pub/file.tar.gz",
    "https://zh.wikipedia.org/wiki/%E4%B8%AD%E6%96%87",
    "mailto:someone@example.com",
    "Contact: zhang.san+test@mail.example.com.cn or admin@localhost",
    "git@github.com:owner/repo.git",
    "file:///C:/Users/测试/Documents/a%20b.txt",
]

OTHER_SCRIPTS = {
    "japanese": [
        "こんにちは、世界！",
        "私は東京に住んでいます。カタカナとひらがなと漢字を混ぜた文章です。",
        "ｶﾀｶﾅ半角カナ",
        "吾輩は猫である。名前はまだ無い。",
    ],
    "korean": ["안녕하세요, 세계!", "한국어 문장을 토큰화합니다. 띄어쓰기도 포함됩니다."],
    "arabic": ["مرحبا بالعالم", "اللغة العربية تكتب من اليمين إلى اليسار ١٢٣"],
    "hebrew": ["שלום עולם", "עִבְרִית עם ניקוד"],
    "hindi": ["नमस्ते दुनिया", "हिन्दी देवनागरी लिपि में लिखी जाती है।"],
    "thai": ["สวัสดีชาวโลก", "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ"],
    "cyrillic": ["Привет, мир!", "Съешь же ещё этих мягких французских булок, да выпей чаю."],
    "greek": ["Γειά σου Κόσμε", "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. αβγδεζηθ ΑΒΓΔ"],
    "misc": [
        "Ünïcödé tëxt wîth àccénts: café naïve résumé",
        "Tiếng Việt có nhiều dấu: Người ta học tiếng Việt.",
        "Türkçe: İstanbul, ıiIİ, ğüşöç",
        "Deutsch: Straße, Größe, ÄÖÜ äöü ß ẞ",
        "Polski: Zażółć gęślą jaźń",
        "ქართული ენა",
        "Հայերեն",
        "አማርኛ",
        "ᚠᛇᚻ᛫ᛒᛦᚦ",
    ],
}

EMOJI = {
    "simple": "😀😃😄😁",
    "with_text": "I love it ❤️ so much 😂😂😂!",
    "skin_tones": "👍 👍🏻 👍🏼 👍🏽 👍🏾 👍🏿",
    "zwj_family": "👨‍👩‍👧‍👦",
    "zwj_professions": "👩‍💻 👨‍🚀 🧑‍🔬 🏳️‍🌈 🏴‍☠️",
    "flags": "🇨🇳🇺🇸🇯🇵🇰🇷🇩🇪",
    "subdivision_flag": "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    "keycaps": "1️⃣ 2️⃣ #️⃣ *️⃣ 0⃣",
    "variation_selectors": "☺ ☺️ ☺︎ ✔ ✔️ ♥ ♥️ ㊗️",
    "mixed_zh": "太棒了🎉🎉！继续加油💪🏽",
    "emoji_digits": "🔟💯🆗🆒",
    "hearts_zwj": "❤️‍🔥 ❤️‍🩹 🫶🏼",
    "single_astral": "🦀",
    "text_emoji_adjacent": "a😀b😀c",
}

# Decomposed forms that NFC composes, and forms it must leave alone.
COMBINING = {
    "e_acute_decomposed": "e\u0301",
    "cafe_decomposed": "cafe\u0301 re\u0301sume\u0301",
    "a_ring_decomposed": "A\u030angstro\u0308m",
    "hangul_jamo": "\u1100\u1161\u11a8",
    "hangul_jamo_word": "\u1112\u1161\u11ab\u1100\u1173\u11af",
    "hangul_jamo_lv_only": "\u1100\u1161",
    "vietnamese_stacked": "Vie\u0302\u0323t Nam ngu\u031b\u031b\u0300o\u031b\u0300i",
    "vietnamese_order": "a\u0323\u0302 vs a\u0302\u0323",
    "combining_order": "q\u0307\u0323 q\u0323\u0307",
    "combining_alone": "\u0301\u0302\u0303",
    "combining_after_space": " \u0301x",
    "combining_after_digit": "1\u20e3 5\u0301",
    "zalgo": "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349a\u0308\u0358l\u0327go",
    "angstrom_sign": "\u212b",
    "ohm_sign": "\u2126",
    "cjk_compat_ideograph": "\uf900\uf901\ufa10",
    "fullwidth_unchanged": "ＡＢＣ１２３",
    "ligature_unchanged": "\ufb01 \ufb00",
    "devanagari_nukta": "\u0915\u093c",
    "hebrew_composed_exclusion": "\u05e9\u05c1",
    "greek_tonos_decomposed": "\u03b1\u0301\u03b5\u0301",
    "kelvin_sign_nfc": "\u212a",
}

WHITESPACE = {
    "tab": "\t",
    "tab_between": "a\tb",
    "tabs_run": "\t\t\tx",
    "cr": "\r",
    "lf": "\n",
    "crlf": "\r\n",
    "crlf_double": "\r\n\r\n",
    "lf_run": "\n\n\n\n",
    "cr_between": "a\rb",
    "crlf_between": "line1\r\nline2\r\n",
    "mixed_crlf_lf": "a\r\n\nb\n\r\nc\r\r\n",
    "vertical_tab": "a\x0bb",
    "form_feed": "a\x0cb",
    "nbsp": "a\u00a0b",
    "nbsp_run": "\u00a0\u00a0\u00a0x",
    "ogham_space": "a\u1680b",
    "en_quad_to_hair": "".join(chr(c) for c in range(0x2000, 0x200B)),
    "line_separator": "a\u2028b",
    "paragraph_separator": "a\u2029b",
    "narrow_nbsp": "10\u202fkm",
    "medium_math_space": "a\u205fb",
    "ideographic_space": "中\u3000文",
    "ideographic_space_run": "\u3000\u3000\u3000",
    "zero_width_space": "a\u200bb",
    "zwnj": "a\u200cb",
    "zwj": "a\u200db",
    "bom_start": "\ufeffhello",
    "bom_middle": "hel\ufefflo",
    "next_line_u0085": "a\u0085b",
    "space_before_newline": "a \nb",
    "spaces_before_newline": "a   \n   b",
    "space_tab_newline": " \t \n \t ",
    "space_before_punct": "a , b . c ! d ?",
    "spaces_before_punct": "a    ,b",
    "spaces_before_letters": "    hello",
    "spaces_between_words": "hello     world",
    "trailing_space": "hello ",
    "trailing_spaces": "hello    ",
    "leading_space": " hello",
    "leading_spaces_zh": "   你好",
    "only_space": " ",
    "only_two_spaces": "  ",
    "only_tab_newline": "\t\n",
    "only_mixed_whitespace": " \t\r\n\u00a0\u3000\u2003 ",
    "empty": "",
    "newline_then_spaces_then_text": "\n    x",
    "indent_dedent": "a\n    b\n        c\n    d\ne",
    "whitespace_before_digits": "x  123",
    "space_before_cjk": "abc 中文 def",
    "space_before_emoji": "ok 😀 ok",
    "crlf_indent": "if x:\r\n    y\r\n",
    "all_unicode_spaces": "|".join(
        chr(c) for c in [0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                         0x2028, 0x2029, 0x202F, 0x205F, 0x3000]),
}
for count in [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100, 127, 128, 200, 255, 256, 300]:
    WHITESPACE[f"spaces_{count}"] = " " * count
for count in [1, 2, 3, 4, 8, 16, 33, 100]:
    WHITESPACE[f"spaces_{count}_then_word"] = " " * count + "word"
    WHITESPACE[f"word_then_spaces_{count}"] = "word" + " " * count
for count in [1, 2, 5, 20]:
    WHITESPACE[f"newlines_{count}"] = "\n" * count
    WHITESPACE[f"tabs_{count}_then_word"] = "\t" * count + "word"
    WHITESPACE[f"spaces_{count}_newline_spaces"] = " " * count + "\n" + " " * count + "x"

NUMBERS = {
    "digits_1": "7",
    "digits_2": "42",
    "digits_3": "123",
    "digits_4": "2024",
    "digits_10": "1234567890",
    "digits_long": "3141592653589793238462643383279502884197",
    "decimal": "3.14159",
    "decimal_leading_dot": ".5 and 0.5",
    "thousands": "1,000,000",
    "negative": "-273.15",
    "scientific": "6.022e23 1.6E-19 1e-9",
    "hex_bin": "0xFF 0b1010 0o777",
    "fullwidth_digits": "１２３４５６７８９０",
    "arabic_indic_digits": "٠١٢٣٤٥٦٧٨٩",
    "devanagari_digits": "०१२३४५६७८९",
    "superscripts": "x² + y³ = z⁴, 10⁻⁶",
    "subscripts": "H₂O CO₂ x₁",
    "roman_numeral": "Ⅻ Ⅳ ⅻ Ⅿ",
    "fractions": "½ ⅓ ¼ ¾ ⅞",
    "circled_numbers": "①②③⑩⑳",
    "chinese_numerals": "一千二百三十四",
    "percent_currency": "50% $9.99 €10 ¥100 £5 ₹200",
    "date_time": "2024-03-15T12:34:56Z 12:00 PM",
    "phone": "+86 138-0013-8000",
    "version": "v1.2.3-rc.4+build.5",
    "ipv4_ipv6": "192.168.1.1 ::1 fe80::1%eth0",
    "math_expr": "(3 + 4) * 5 / 2 - 1 = 16.5",
    "digits_with_letters": "abc123def456",
    "digits_with_cjk": "第1章第23节共456页",
    "mathematical_digits": "𝟎𝟏𝟐𝟑 𝟘𝟙𝟚",
}

CONTRACTIONS = {
    "lower_s": "it's",
    "upper_s": "IT'S",
    "lower_t": "don't",
    "upper_t": "DON'T",
    "lower_re": "we're",
    "upper_re": "WE'RE",
    "title_re": "We'Re",
    "lower_ve": "I've",
    "upper_ve": "I'VE",
    "lower_ll": "you'll",
    "upper_ll": "YOU'LL",
    "mixed_ll": "you'Ll",
    "lower_d": "he'd",
    "upper_d": "HE'D",
    "lower_m": "I'm",
    "upper_m": "I'M",
    "long_s": "'ſ",
    "long_s_word": "it'ſ",
    "kelvin_sign": "'\u212a",
    "kelvin_word": "\u212aelvin",
    "curly_apostrophe": "it’s don’t I’m",
    "lone_apostrophe": "'",
    "double_apostrophe": "''",
    "apostrophe_space": "' s",
    "apostrophe_digit": "'90s",
    "apostrophe_start": "'sup 'tis 'twas",
    "quoted": "'hello' \"world\"",
    "all_contractions": "'s 'S 't 'T 're 'RE 'Re 've 'VE 'll 'LL 'd 'D 'm 'M",
    "contraction_cjk": "中's 文't",
    "possessive_plural": "the students' books",
    "not_contraction": "'x 'z 'll'll",
    "dotless_i": "'İ 'ı",
}

PUNCTUATION = {
    "run_ascii": "!!!???...,,,;;;:::",
    "ellipsis": "Wait... what?!",
    "cjk_punct": "，。！？；：、（）【】《》",
    "mixed_punct": "!?。，...！？",
    "symbols": "~`@#$%^&*()_+-={}[]|\\:;\"'<>,.?/",
    "arrows_math": "→ ← ↔ ⇒ ∀ ∃ ∈ ∉ ∑ ∏ √ ∞ ≈ ≠ ≤ ≥ ± × ÷",
    "box_drawing": "┌─┬─┐\n│a│b│\n└─┴─┘",
    "dashes": "- – — ― ‐ ‑",
    "quotes": "“double” ‘single’ «guillemets» „low“",
    "bullets": "• ◦ ▪ ★ ☆ ✓ ✗",
    "underscores": "__init__ ____ __",
    "equals_run": "================",
    "hash_run": "#####",
    "punct_newline": "end.\n\nNext",
    "punct_crlf": "end!\r\n",
    "punct_before_letters": "...abc",
    "space_punct_space": " . ",
    "html_entities": "&amp;&lt;&gt;&quot;&#39;",
    "currency": "$€£¥₩₹₽",
}

UNUSUAL = {
    "replacement_char": "\ufffd",
    "replacement_in_text": "bad\ufffdbyte",
    "private_use": "\ue000\uf8ff",
    "private_use_astral": "\U000f0000\U0010fffd",
    "unassigned": "\u0378\u0379",
    "unassigned_astral": "\U0002fffd",
    "noncharacter_ffff": "\uffff",
    "noncharacter_fffe": "\ufffe",
    "noncharacters_fdd0": "\ufdd0\ufdef",
    "noncharacter_astral": "\U0001fffe\U0010ffff",
    "cjk_ext_b": "𠀀𠀁𠮷𪚥",
    "cjk_ext_b_in_text": "吉野家的𠮷字",
    "math_alphanumerics": "𝐀𝐁𝐂 𝑥𝑦𝑧 𝔄𝔅 𝕏",
    "control_u0000": "a\u0000b",
    "controls_all_c0": "".join(chr(c) for c in range(0x00, 0x20)),
    "control_del": "a\u007fb",
    "control_next_line": "\u0085",
    "c1_controls": "".join(chr(c) for c in range(0x80, 0xA0)),
    "bidi_marks": "\u200e\u200f\u202a\u202b\u202c\u202d\u202e",
    "soft_hyphen": "hy\u00adphen",
    "word_joiner": "a\u2060b",
    "interlinear": "\ufff9\ufffa\ufffb",
    "object_replacement": "\ufffc",
    "tags_block": "\U000e0001\U000e0041\U000e007f",
    "max_code_point": "\U0010ffff",
    "surrogate_neighbours": "\ud7ff\ue000",
    "byte_like_chars": "ĠĊ Ġhello Ċ",
    "latin1_supplement": "".join(chr(c) for c in range(0xA1, 0x100)),
    "braille": "⠓⠑⠇⠇⠕",
    "musical": "𝄞𝄢",
    "egyptian": "𓀀𓂀",
}


def special_text_cases(added_tokens):
    """Cases with the tokenizer's own added-token text inside content.

    `added_tokens` is the list of added-token strings of the tokenizer under test, so every
    tokenizer's fixtures exercise its own added tokens.
    """
    cases = []
    for index, token in enumerate(added_tokens):
        tag = f"tok{index:02d}"
        cases += [
            (f"special-{tag}-alone", token),
            (f"special-{tag}-start", token + "hello world"),
            (f"special-{tag}-middle", "hello " + token + " world"),
            (f"special-{tag}-end", "hello world" + token),
            (f"special-{tag}-adjacent", "x" + token + "y"),
            (f"special-{tag}-spaced", " " + token + " "),
            (f"special-{tag}-twice", token + token),
            (f"special-{tag}-newlines", "\n" + token + "\n\n"),
            (f"special-{tag}-broken-prefix", token[:-1]),
            (f"special-{tag}-broken-suffix", token[1:]),
            (f"special-{tag}-cjk", "中文" + token + "中文"),
        ]
    cases.append(("special-all-concatenated", "".join(added_tokens)))
    cases.append(("special-all-spaced", " ".join(added_tokens)))
    return cases


# Special-looking text that is (or is close to) the DeepSeek tokens; fixed so every tokenizer
# gets the same texts.
SPECIAL_LITERAL = {
    "user_spaced": " <｜User｜> ",
    "assistant_adjacent": "x<｜Assistant｜>y",
    "think_newline": "<think>\n",
    "think_close": "</think>",
    "think_block": "<think>\nOkay, let me think.\n</think>\n\nThe answer is 4.",
    "eos_repeated": "<｜end▁of▁sentence｜><｜end▁of▁sentence｜><｜end▁of▁sentence｜>",
    "eos_repeated_spaced": "<｜end▁of▁sentence｜> <｜end▁of▁sentence｜>\n<｜end▁of▁sentence｜>",
    "bos_in_text": "text<｜begin▁of▁sentence｜>text",
    "broken_user_no_close": "<｜User",
    "broken_user_ascii_bars": "<|User|>",
    "broken_user_space": "<｜ User｜>",
    "broken_user_lower": "<｜user｜>",
    "broken_eos_underscore": "<｜end_of_sentence｜>",
    "broken_think_space": "< think>",
    "nested_angle": "<<think>>",
    "think_in_word": "re<think>ing</think>ed",
    "im_start_chatml": "<|im_start|>user\nhi<|im_end|>\n",
    "endoftext": "<|endoftext|>",
    "llama_header": "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
    "smol_tokens": "<|im_start|>system\n<|im_end|><|endoftext|>",
    "tool_call_tokens": "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
    "```json\n{\"city\": \"北京\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
    "fim_prompt": "<|fim_prefix|>def f(x):\n    <|fim_suffix|>\n    return y<|fim_middle|>",
    "fullwidth_bar_only": "｜▁｜",
    "sentencepiece_space_char": "▁hello▁world",
}

CHAT_PROMPT = (
    "<｜begin▁of▁sentence｜>You are a helpful assistant.<｜User｜>请帮我解这道题：若 x + 2 = 5，求 x。"
    "<｜Assistant｜><think>\n嗯，这是一个简单的一元一次方程。x = 5 - 2 = 3。\n</think>\n\n"
    "x = 3。<｜end▁of▁sentence｜><｜User｜>Now explain it in English, please.<｜Assistant｜><think>\n"
)


def long_cases():
    """Long inputs: a few KB of mixed text, long runs of one character and of digits."""
    mixed = "\n\n".join(CHINESE + ENGLISH + MIXED + CODE[:6] + LATEX[:4])
    return [
        ("long-mixed-text", mixed),
        ("long-mixed-text-x2", mixed + "\n" + mixed),
        ("long-letter-a-2000", "a" * 2000),
        ("long-letter-zh-2000", "中" * 2000),
        ("long-digits-5000", "".join(str(i % 10) for i in range(5000))),
        ("long-digits-random-5000", "".join(random.Random(7).choice("0123456789") for _ in range(5000))),
        ("long-spaces-1000", " " * 1000),
        ("long-newlines-1000", "\n" * 1000),
        ("long-emoji-500", "😀" * 500),
        ("long-punct-1000", "!" * 1000),
        ("long-word-repeat", "hello " * 500),
        ("long-tabs-spaces", "\t " * 500),
    ]


def all_fragments():
    """Every fixed fragment, used by the randomized cases and the benchmark text."""
    fragments = CHINESE + ENGLISH + MIXED + CODE + LATEX + URLS
    for texts in OTHER_SCRIPTS.values():
        fragments += texts
    for table in (EMOJI, COMBINING, WHITESPACE, NUMBERS, CONTRACTIONS, PUNCTUATION, UNUSUAL,
                  SPECIAL_LITERAL):
        fragments += list(table.values())
    return fragments


def random_cases(seed=RANDOM_SEED, count=RANDOM_CASE_COUNT):
    """Seeded mixtures of fragments, cut at random code-point positions, joined by random separators."""
    rng = random.Random(seed)
    fragments = all_fragments()
    separators = ["", " ", "  ", "\n", "\r\n", "\t", " \n ", "，", ". ", "\u3000"]
    cases = []
    for index in range(count):
        parts = []
        for _ in range(rng.randint(1, 6)):
            fragment = rng.choice(fragments)
            if fragment and rng.random() < 0.4:
                start = rng.randrange(len(fragment))
                fragment = fragment[start:start + rng.randint(1, 40)]
            parts.append(fragment)
            parts.append(rng.choice(separators))
        cases.append((f"random-{index:03d}", "".join(parts)))
    return cases


def all_cases(added_tokens):
    """The full ordered list of (name, text) encode cases for a tokenizer with these added tokens."""
    cases = []
    cases += [(f"zh-{i:02d}", t) for i, t in enumerate(CHINESE)]
    cases += [(f"en-{i:02d}", t) for i, t in enumerate(ENGLISH)]
    cases += [(f"mixed-{i:02d}", t) for i, t in enumerate(MIXED)]
    cases += [(f"code-{i:02d}", t) for i, t in enumerate(CODE)]
    cases += [(f"latex-{i:02d}", t) for i, t in enumerate(LATEX)]
    cases += [(f"url-{i:02d}", t) for i, t in enumerate(URLS)]
    for script, texts in OTHER_SCRIPTS.items():
        cases += [(f"script-{script}-{i:02d}", t) for i, t in enumerate(texts)]
    for prefix, table in (("emoji", EMOJI), ("nfc", COMBINING), ("ws", WHITESPACE), ("num", NUMBERS),
                          ("contraction", CONTRACTIONS), ("punct", PUNCTUATION),
                          ("unusual", UNUSUAL), ("special-literal", SPECIAL_LITERAL)):
        cases += [(f"{prefix}-{key.replace('_', '-')}", text) for key, text in table.items()]
    # Each single control character alone, so a mismatch names the character.
    cases += [(f"control-u{c:04x}", chr(c)) for c in list(range(0x00, 0x20)) + [0x7F, 0x85]]
    cases += special_text_cases(added_tokens)
    cases.append(("chat-prompt-rendered", CHAT_PROMPT))
    cases += long_cases()
    cases += random_cases()
    names = [name for name, _ in cases]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ValueError(f"duplicate case names: {sorted(duplicates)}")
    return cases


if __name__ == "__main__":
    for name, text in all_cases(["<｜User｜>"]):
        print(name, repr(text[:60]))
