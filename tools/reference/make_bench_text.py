"""Writes tests/data/bench/mixed_1mb.txt: 1 MiB of mixed Chinese/English/code text for benchmarks.

Run from the repository root (tools/reference/regenerate.sh does this):

    /tmp/refvenv/bin/python tools/reference/make_bench_text.py

The text is generated from SEED: paragraphs of synthetic Chinese and English sentences, code
snippets (Python, C++, JavaScript, JSON, shell) with varied identifiers and numbers, LaTeX math,
and the fixed fragments of tokenizer_texts.py, so it is varied rather than one string repeated.
The file is cut at the last UTF-8 character boundary at or below 1 MiB (1048576 bytes).
"""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tokenizer_texts  # noqa: E402

SEED = 1234567
TARGET_BYTES = 1 << 20
OUTPUT = "tests/data/bench/mixed_1mb.txt"

ZH_WORDS = (
    "我们 你们 他们 这个 那个 问题 答案 方法 模型 数据 训练 推理 计算 函数 变量 程序 代码 系统 用户 "
    "时间 今天 明天 昨天 学习 研究 分析 结果 因为 所以 但是 如果 那么 首先 然后 最后 可以 需要 应该 "
    "已经 正在 非常 比较 一个 两个 三个 每个 所有 一些 重要 简单 复杂 快速 准确 中国 北京 上海 世界 "
    "经济 科学 技术 数学 物理 化学 历史 文化 社会 公司 学校 老师 学生 朋友 工作 生活 健康 天气 城市 "
    "考虑 证明 假设 推导 等于 大于 小于 平方 整数 分数 概率 矩阵 向量 方程 解 得到 检查 验证 嗯 好的 "
    "让我 想一想 注意 实际上 换句话说 例如 总之 另外 接下来 这样 就是 也是 还有 没有 知道 觉得 发现"
).split()
EN_WORDS = (
    "the of and to in is that for it as with was on be by this are at from have an or not "
    "which one all were we when your can said there use each she do how their if will up other "
    "about out many then them these so some her would make like him into time has look two more "
    "write go see number no way could people my than first water been call who oil its now find "
    "model token inference latency throughput kernel matrix vector gradient attention layer "
    "sequence embedding probability compute memory cache batch sample decode encode prompt "
    "answer question reason step verify therefore however because suppose consider let wait "
    "function variable parameter return value string integer array pointer template compile"
).split()
IDENTIFIERS = ("count total index result buffer values items node tree graph cache key value left "
               "right mid start end size length offset token_ids scores weights bias hidden state "
               "user_name file_path max_len min_val sum_sq prev_node next_node").split()


def zh_sentence(rng):
    words = [rng.choice(ZH_WORDS) for _ in range(rng.randint(4, 18))]
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), str(rng.randint(0, 99999)))
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words)), rng.choice(EN_WORDS).capitalize())
    text = ""
    for word in words:
        text += word + (rng.choice(["", "", "", "，", "、"]) if rng.random() < 0.3 else "")
    return text + rng.choice(["。", "。", "！", "？", "；", "……"])


def en_sentence(rng):
    words = [rng.choice(EN_WORDS) for _ in range(rng.randint(5, 22))]
    words[0] = words[0].capitalize()
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), f"{rng.randint(0, 10 ** rng.randint(1, 7))}")
    if rng.random() < 0.2:
        words.insert(rng.randrange(1, len(words)), rng.choice(["it's", "don't", "we're", "I'll",
                                                               "they've", "he'd", "I'm"]))
    text = " ".join(words)
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if spaces and rng.random() < 0.3:
        cut = rng.choice(spaces)
        text = text[:cut] + "," + text[cut:]
    return text + rng.choice([".", ".", ".", "?", "!", ":"])


def code_snippet(rng):
    a, b, c = rng.sample(IDENTIFIERS, 3)
    n = rng.randint(1, 1000)
    kind = rng.randrange(6)
    if kind == 0:
        return (f"def {a}_{b}({c}, n={n}):\n    # {zh_sentence(rng)}\n    {a} = []\n"
                f"    for i in range(n):\n        if {c}[i] % {rng.randint(2, 9)} == 0:\n"
                f"            {a}.append({c}[i] * {rng.random():.4f})\n    return {a}\n")
    if kind == 1:
        return (f"template <typename T>\nstd::vector<T> {a}_{b}(const std::vector<T>& {c}) {{\n"
                f"    std::vector<T> out;\n    out.reserve({c}.size());  // {zh_sentence(rng)}\n"
                f"    for (std::size_t i = 0; i < {c}.size(); ++i) {{\n"
                f"        if ({c}[i] > {n}) out.push_back({c}[i] << {rng.randint(1, 8)});\n"
                f"    }}\n    return out;\n}}\n")
    if kind == 2:
        return (f"const {a} = async ({b}) => {{\n  const {c} = await fetch(`/api/{a}/${{{b}}}`);\n"
                f"  if (!{c}.ok) throw new Error('请求失败: ' + {c}.status);\n"
                f"  return {c}.json().then(x => x.filter(v => v.{b} >= {n}));\n}};\n")
    if kind == 3:
        return ("{" + ", ".join(f'"{rng.choice(IDENTIFIERS)}": ' + rng.choice(
            [str(rng.randint(-999, 9999)), f'"{rng.choice(ZH_WORDS)}{rng.choice(EN_WORDS)}"',
             "true", "null", f"{rng.uniform(-1, 1):.6f}", f"[{n}, {n * 2}]"])
            for _ in range(rng.randint(2, 7))) + "}\n")
    if kind == 4:
        return (f"$ grep -rn \"{a}\" src/ | awk -F: '{{print $1}}' | sort | uniq -c | head -{n}\n"
                f"$ ./build/{b} --{c}={n} 2>&1 | tee log_{n}.txt\n")
    return (f"    {a}[{b}] = ({c} + {n}) * {rng.randint(2, 64)};\n"
            f"\tif ({a}.{b} != nullptr && {c} <= {n}) {{ return {a}->{c}; }}\n")


def math_snippet(rng):
    x, y = rng.randint(2, 99), rng.randint(2, 99)
    forms = [
        f"计算 $\\frac{{{x}}}{{{y}}} + \\frac{{1}}{{{x}}}$ 的值。",
        f"设 $f(x) = {x}x^2 - {y}x + {x + y}$，求 $f'(x)$。\n\\[ f'(x) = {2 * x}x - {y} \\]",
        f"So {x} × {y} = {x * y}, and therefore the answer is \\boxed{{{x * y}}}.",
        f"$$\\sum_{{k=1}}^{{{x}}} k = \\frac{{{x}({x}+1)}}{{2}} = {x * (x + 1) // 2}$$",
        f"<think>\n嗯，先算 {x} + {y} = {x + y}。再乘以 2 得到 {2 * (x + y)}。\n</think>\n\n"
        f"答案是 {2 * (x + y)}。",
    ]
    return rng.choice(forms)


def paragraph(rng, fragments):
    roll = rng.random()
    if roll < 0.35:
        return "".join(zh_sentence(rng) for _ in range(rng.randint(1, 6)))
    if roll < 0.60:
        return " ".join(en_sentence(rng) for _ in range(rng.randint(1, 6)))
    if roll < 0.80:
        return "```\n" + code_snippet(rng) + "```"
    if roll < 0.92:
        return math_snippet(rng)
    return rng.choice(fragments)


def main():
    rng = random.Random(SEED)
    fragments = [f for f in tokenizer_texts.CHINESE + tokenizer_texts.ENGLISH + tokenizer_texts.MIXED
                 + tokenizer_texts.CODE + tokenizer_texts.LATEX + tokenizer_texts.URLS]
    parts = []
    size = 0
    while size <= TARGET_BYTES:
        text = paragraph(rng, fragments) + rng.choice(["\n\n", "\n", "\n\n", " "])
        parts.append(text)
        size += len(text.encode("utf-8"))
    data = "".join(parts).encode("utf-8")[:TARGET_BYTES]
    # Everything before the cut is valid UTF-8, so "ignore" only drops a character cut in half.
    data = data.decode("utf-8", errors="ignore").encode("utf-8")
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "wb") as out:
        out.write(data)
    print(f"{OUTPUT}: {len(data)} bytes, {len(data.decode('utf-8'))} characters")


if __name__ == "__main__":
    main()
