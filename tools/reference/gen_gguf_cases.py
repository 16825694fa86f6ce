#!/usr/bin/env python3
"""GGUF reference fixtures from llama.cpp's own Python package (PyPI `gguf` 0.19.0, gguf-py).

    build/refvenv/bin/python tools/reference/gen_gguf_cases.py

Writes into tests/data/gguf/:
  * ggml_types.json   every GGMLQuantizationType with its GGML_QUANT_SIZES (block size, bytes)
  * <case>.gguf       small files written by gguf.GGUFWriter (scalars of every type, strings with
                      UTF-8, NULs and invalid UTF-8, string and nested arrays, F32/F16/BF16/Q8_0/
                      Q4_0/integer tensors, 64-byte alignment, version 2, no tensors, a vocabulary)
  * cases.json        what gguf.GGUFReader reads back from each file: version, alignment, data
                      offset, every key (type, value; strings as hex bytes; floats as raw bits),
                      every tensor (name, type, shape in r1 order, ne, sizes, offset, bytes as hex)
  * writer_reference.gguf
                      a file whose content GgufWriter's test writes too and must match byte for byte

If build/tests/r1_io_tests exists (cmake --build build --target r1_io_tests), the script also runs
its GgufWriterReference test with R1_GGUF_WRITE_DIR set, which makes r1's GgufWriter write the same
content to a temporary folder, and reads that file back with GGUFReader: the metadata and tensors
must equal what gguf-py wrote. Deterministic: fixed seeds, no dates.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import gguf
import gguf.gguf_writer
from gguf import GGMLQuantizationType as Q
from gguf import GGUFValueType as V

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "gguf"


def ggml_types() -> list[dict]:
    return [
        {"id": int(t), "name": t.name, "block_size": gguf.GGML_QUANT_SIZES[t][0],
         "type_size": gguf.GGML_QUANT_SIZES[t][1]}
        for t in sorted(gguf.GGMLQuantizationType, key=int)
    ]


# ---- reading back with GGUFReader --------------------------------------------------------------

def walk(parts: list, i: int, vtype: V) -> tuple[dict, int]:
    """Rebuilds one value from the flat parts GGUFReader parsed (it flattens nested arrays)."""
    if vtype == V.STRING:
        return {"type": "STRING", "hex": parts[i + 1].tobytes().hex()}, i + 2
    if vtype == V.ARRAY:
        itype = V(int(parts[i][0]))
        count = int(parts[i + 1][0])
        i += 2
        items = []
        for _ in range(count):
            item, i = walk(parts, i, itype)
            # Items carry only their payload (their type is element_type), nested arrays whole.
            items.append(item if itype == V.ARRAY else
                         item.get("hex", item.get("bits", item.get("value"))))
        return {"type": "ARRAY", "element_type": itype.name, "items": items}, i
    value = parts[i]
    if vtype == V.FLOAT32:
        return {"type": vtype.name, "bits": int(value.view(np.uint32)[0])}, i + 1
    if vtype == V.FLOAT64:
        return {"type": vtype.name, "bits": int(value.view(np.uint64)[0])}, i + 1
    if vtype == V.BOOL:
        return {"type": vtype.name, "value": bool(value[0])}, i + 1
    return {"type": vtype.name, "value": int(value[0])}, i + 1


def read_back(path: Path) -> dict:
    reader = gguf.GGUFReader(path)
    raw = path.read_bytes()
    version = int(reader.fields["GGUF.version"].parts[0][0])
    kvs = []
    for name, field in reader.fields.items():
        if name.startswith("GGUF."):
            continue  # the reader's pseudo fields for the header
        value, end = walk(field.parts, 3, V(int(field.parts[2][0])))
        assert end == len(field.parts), name
        kvs.append({"key_hex": field.parts[1].tobytes().hex(), "key": name, **value})
    tensors = []
    for t in reader.tensors:
        begin = t.data_offset
        tensors.append({
            "name": t.name,
            "type": t.tensor_type.name,
            "type_id": int(t.tensor_type),
            "ne": [int(d) for d in t.shape],
            "shape": [int(d) for d in reversed(t.shape.tolist())],  # r1 order [out, in]
            "n_elements": int(t.n_elements),
            "n_bytes": int(t.n_bytes),
            "data_offset": int(begin),
            "offset": int(begin - reader.data_offset),
            "hex": raw[begin:begin + t.n_bytes].hex(),
        })
    return {"file": path.name, "version": version, "alignment": int(reader.alignment),
            "data_offset": int(reader.data_offset), "file_size": len(raw),
            "metadata": kvs, "tensors": tensors}


# ---- writing with GGUFWriter -------------------------------------------------------------------

def finish(writer: gguf.GGUFWriter) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def f32_bits(bits: int) -> np.float32:
    return np.array([bits], dtype=np.uint32).view(np.float32)[0]


def write_scalars(path: Path) -> None:
    w = gguf.GGUFWriter(path, "qwen2")
    w.add_uint8("t.u8", 255)
    w.add_int8("t.i8", -128)
    w.add_uint16("t.u16", 65535)
    w.add_int16("t.i16", -32768)
    w.add_uint32("t.u32", 4294967295)
    w.add_int32("t.i32", -2147483648)
    w.add_uint64("t.u64", 18446744073709551615)
    w.add_int64("t.i64", -9223372036854775808)
    w.add_int64("t.i64_small", 7)
    w.add_uint64("t.u64_small", 3)
    w.add_int32("t.i32_negative", -5)
    w.add_float32("t.f32", 0.1)
    w.add_float32("t.f32_neg_zero", -0.0)
    w.add_key_value("t.f32_inf", f32_bits(0x7F800000), V.FLOAT32)
    w.add_key_value("t.f32_nan", f32_bits(0x7FC00001), V.FLOAT32)
    w.add_key_value("t.f32_denormal", f32_bits(0x00000001), V.FLOAT32)
    w.add_float64("t.f64", 1e300)
    w.add_float64("t.f64_third", 1.0 / 3.0)
    w.add_bool("t.true", True)
    w.add_bool("t.false", False)
    w.add_string("t.utf8", "héllo, 世界 🙂 <｜User｜>")
    w.add_key_value("t.nul", "a\0b\0", V.STRING)
    w.add_key_value("t.empty", "", V.STRING)
    w.add_key_value("t.invalid_utf8", b"\xff\xfe\xc0\xaf", V.STRING)
    w.add_key_value("t.ключ", "key in Cyrillic", V.STRING)
    w.add_array("t.strings", ["a", "", "日本", "x\0y", "🙂"])
    w.add_key_value("t.u8s", [0, 1, 255], V.ARRAY, sub_type=V.UINT8)
    w.add_key_value("t.i8s", [-128, 0, 127], V.ARRAY, sub_type=V.INT8)
    w.add_key_value("t.u16s", [0, 65535], V.ARRAY, sub_type=V.UINT16)
    w.add_key_value("t.i16s", [-32768, 32767], V.ARRAY, sub_type=V.INT16)
    w.add_key_value("t.u32s", [0, 4294967295], V.ARRAY, sub_type=V.UINT32)
    w.add_key_value("t.i32s", [-1, 0, 2147483647], V.ARRAY, sub_type=V.INT32)
    w.add_key_value("t.u64s", [0, 18446744073709551615], V.ARRAY, sub_type=V.UINT64)
    w.add_key_value("t.i64s", [-9223372036854775808, 9223372036854775807], V.ARRAY,
                    sub_type=V.INT64)
    w.add_key_value("t.f32s", [0.5, -2.25, 1e-8], V.ARRAY, sub_type=V.FLOAT32)
    w.add_key_value("t.f64s", [0.1, -1e-300], V.ARRAY, sub_type=V.FLOAT64)
    w.add_key_value("t.bools", [True, False, True], V.ARRAY, sub_type=V.BOOL)
    w.add_array("t.nested", [[1, 2, 3], [4], [5, 6]])
    w.add_array("t.nested_strings", [["a", "bc"], ["", "d"]])
    w.add_array("t.nested3", [[[1, 2], [3]], [[4, 5, 6]]])
    rng = np.random.default_rng(20260131)
    w.add_tensor("f32.weight", rng.standard_normal((3, 4)).astype(np.float32))
    w.add_tensor("f16.weight", rng.standard_normal((2, 8)).astype(np.float16))
    bf16 = gguf.quants.quantize(rng.standard_normal((2, 4)).astype(np.float32), Q.BF16)
    w.add_tensor("bf16.weight", bf16, raw_dtype=Q.BF16)
    q8 = gguf.quants.quantize(rng.standard_normal((2, 64)).astype(np.float32), Q.Q8_0)
    w.add_tensor("q8_0.weight", q8, raw_dtype=Q.Q8_0)
    q4 = gguf.quants.quantize(rng.standard_normal((3, 32)).astype(np.float32), Q.Q4_0)
    w.add_tensor("q4_0.weight", q4, raw_dtype=Q.Q4_0)
    w.add_tensor("norm.bias", rng.standard_normal(5).astype(np.float32))
    w.add_tensor("cube", rng.standard_normal((2, 3, 4)).astype(np.float32))
    w.add_tensor("hyper", np.arange(2 * 1 * 3 * 2, dtype=np.int32).reshape(2, 1, 3, 2))
    w.add_tensor("i8", np.array([-1, 2, -3], dtype=np.int8))
    w.add_tensor("i16", np.array([-1000, 2000], dtype=np.int16))
    w.add_tensor("i64", np.array([-(2**62), 5], dtype=np.int64))
    w.add_tensor("f64", np.array([0.25, -1e100], dtype=np.float64))
    finish(w)


def write_tensor_set(path: Path, alignment: int | None, seed: int) -> None:
    w = gguf.GGUFWriter(path, "llama")
    if alignment is not None:
        w.add_custom_alignment(alignment)
    w.add_uint32("llama.block_count", 2)
    w.add_string("general.name", "aligned test")
    rng = np.random.default_rng(seed)
    w.add_tensor("token_embd.weight", rng.standard_normal((5, 3)).astype(np.float32))
    w.add_tensor("blk.0.attn_norm.weight", rng.standard_normal(3).astype(np.float32))
    q8 = gguf.quants.quantize(rng.standard_normal((1, 32)).astype(np.float32), Q.Q8_0)
    w.add_tensor("blk.0.ffn_down.weight", q8, raw_dtype=Q.Q8_0)
    w.add_tensor("output.weight", rng.standard_normal((1, 7)).astype(np.float16))
    finish(w)


def write_v2(path: Path) -> None:
    # gguf-py always writes GGUF_VERSION (3); version 2 has the same layout (version 3 only added
    # big-endian files), so writing with the module constant set to 2 is a genuine v2 file, and
    # GGUFReader reads both.
    saved = gguf.gguf_writer.GGUF_VERSION
    gguf.gguf_writer.GGUF_VERSION = 2
    try:
        write_tensor_set(path, None, 7)
    finally:
        gguf.gguf_writer.GGUF_VERSION = saved


def write_no_tensors(path: Path) -> None:
    w = gguf.GGUFWriter(path, "qwen2")
    w.add_uint32("qwen2.context_length", 131072)
    w.add_float32("qwen2.rope.freq_base", 10000.0)
    finish(w)


def write_vocab(path: Path) -> None:
    # A tokenizer-shaped file: the token list, scores and token types like a converted model's.
    rng = np.random.default_rng(99)
    alphabet = list("abcdefghijklmnopqrstuvwxyzĠ世界") + ["\0", "🙂"]
    tokens = [f"<tok{i}>" if i % 97 == 0 else
              "".join(rng.choice(alphabet, size=int(rng.integers(1, 6)))) for i in range(600)]
    w = gguf.GGUFWriter(path, "qwen2")
    w.add_tokenizer_model("gpt2")
    w.add_token_list(tokens)
    w.add_token_scores([float(x) for x in rng.standard_normal(600).astype(np.float32)])
    w.add_token_types([int(x) for x in rng.integers(1, 7, size=600)])
    w.add_token_merges(["Ġ t", "h e", "世 界"])
    w.add_bos_token_id(599)
    w.add_tensor("token_embd.weight", np.zeros((4, 32), dtype=np.float16))
    finish(w)


def write_writer_reference(path: Path) -> None:
    # GgufWriterReference in tests/io/gguf_writer_test.cpp writes this same content with r1's
    # GgufWriter and compares bytes. Values and tensor bytes are simple formulas both sides use.
    w = gguf.GGUFWriter(path, "qwen2")
    w.add_uint8("w.u8", 200)
    w.add_int8("w.i8", -100)
    w.add_uint16("w.u16", 60000)
    w.add_int16("w.i16", -30000)
    w.add_uint32("w.u32", 4000000000)
    w.add_int32("w.i32", -2000000000)
    w.add_float32("w.f32", 0.375)
    w.add_uint64("w.u64", 2**63 + 5)
    w.add_int64("w.i64", -(2**40))
    w.add_float64("w.f64", -2.5e-10)
    w.add_bool("w.bool", True)
    w.add_string("w.string", "héllo\0world")
    w.add_array("w.strings", ["", "a", "世界"])
    w.add_key_value("w.i32s", [1, -2, 3], V.ARRAY, sub_type=V.INT32)
    w.add_key_value("w.f32s", [0.5, 1.5], V.ARRAY, sub_type=V.FLOAT32)
    w.add_key_value("w.u8s", [1, 2, 3, 4, 5], V.ARRAY, sub_type=V.UINT8)
    w.add_key_value("w.bools", [False, True], V.ARRAY, sub_type=V.BOOL)
    w.add_key_value("w.f64s", [1.0, -0.125], V.ARRAY, sub_type=V.FLOAT64)
    w.add_key_value("w.u64s", [2**64 - 1], V.ARRAY, sub_type=V.UINT64)
    # tensor bytes: byte i of tensor k is (i * 7 + k * 31) mod 256
    def ramp(n: int, k: int) -> np.ndarray:
        return ((np.arange(n) * 7 + k * 31) % 256).astype(np.uint8)
    w.add_tensor("a.weight", ramp(3 * 4 * 4, 0).view(np.float32).reshape(3, 4))
    w.add_tensor("b.weight", ramp(5 * 2, 1).view(np.float16).reshape(5))
    w.add_tensor("c.weight", ramp(2 * 2 * 34, 2).reshape(2, 2 * 34), raw_dtype=Q.Q8_0)
    w.add_tensor("d.weight", ramp(1 * 18, 3).reshape(1, 18), raw_dtype=Q.Q4_0)
    w.add_tensor("e.weight", ramp(2 * 3 * 2 * 2, 4).view(np.uint16).reshape(2, 3, 2),
                 raw_dtype=Q.BF16)
    finish(w)


CASES = {
    "scalars_v3.gguf": write_scalars,
    "alignment_64.gguf": lambda p: write_tensor_set(p, 64, 5),
    "alignment_1.gguf": lambda p: write_tensor_set(p, 1, 6),
    "version_2.gguf": write_v2,
    "no_tensors.gguf": write_no_tensors,
    "vocab.gguf": write_vocab,
    "writer_reference.gguf": write_writer_reference,
}


def check_r1_writer(expected: dict) -> None:
    binary = ROOT / "build" / "tests" / "r1_io_tests"
    if not binary.exists():
        print(f"skipping the r1 GgufWriter check: {binary} is not built")
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, R1_GGUF_WRITE_DIR=tmp)
        subprocess.run([str(binary), "--gtest_filter=GgufWriterReference.*"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        written = Path(tmp) / "writer_reference.gguf"
        got = read_back(written)
    got["file"] = expected["file"]
    if got != expected:
        sys.exit("r1's GgufWriter output differs from gguf-py's when read with GGUFReader")
    print("r1's GgufWriter output reads back with GGUFReader exactly like gguf-py's own file")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ggml_types.json").write_text(json.dumps(
        {"generator": "tools/reference/gen_gguf_cases.py", "gguf": gguf.__version__
         if hasattr(gguf, "__version__") else "0.19.0", "types": ggml_types()}, indent=1) + "\n")
    cases = []
    for name, write in CASES.items():
        path = OUT / name
        write(path)
        cases.append(read_back(path))
    (OUT / "cases.json").write_text(json.dumps(
        {"generator": "tools/reference/gen_gguf_cases.py", "gguf": "0.19.0", "cases": cases},
        ensure_ascii=False, indent=None, separators=(",", ":")) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(cases)} GGUF cases to {OUT} ({total} bytes)")
    check_r1_writer(next(c for c in cases if c["file"] == "writer_reference.gguf"))


if __name__ == "__main__":
    main()
