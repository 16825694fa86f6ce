"""Writes tests/data/quant/cases.json: ggml quantized blocks of seeded rows, as ggml makes them.

Run: build/refvenv/bin/python tools/reference/gen_quant_cases.py
(needs gguf, numpy and llama-cpp-python from requirements.txt; llama-cpp-python compiles
llama.cpp from source when pip installs it, ~10 minutes: install it with
CMAKE_ARGS="-DGGML_NATIVE=OFF" so that its CPU backend does not depend on this machine.
CI never runs this script.)

References, per type:
* quantized bytes of q8_0, q4_0, q4_1, q5_0, q5_1: gguf-py's `gguf.quants.quantize` (numpy
  ports of ggml's quantize_row_*_ref); every row is also quantized by ggml itself
  (quantize_row_*_ref from llama-cpp-python's libggml-base) and the script fails when they
  differ.
* quantized bytes of q8_1, q4_k, q5_k, q6_k, q8_k (gguf-py 0.19 cannot quantize them): ggml's
  quantize_row_*_ref called through ctypes (for q4_k/q5_k/q6_k also checked equal to
  ggml_quantize_chunk without an importance matrix, what llama-quantize writes).
* dequantized floats: ggml's dequantize_row_* (ctypes); for every type gguf-py can dequantize
  (all but q8_1 and q8_k) the script fails unless gguf-py gives the same bits. ggml has no
  dequantize_row_q8_1; its floats are qs * d computed here in float32.
* dot products: ggml's CPU backend through ctypes. `ggml_vec_dot` is the kernel that
  ggml_get_type_traits_cpu(type)->vec_dot returns on this machine (SIMD, its own summation
  order); `ggml_generic` is ggml_vec_dot_<w>_<a>_generic, the scalar code, called by symbol when
  the library exports it (null otherwise). ggml-cpu is compiled with -mfma in GNU C mode, so GCC
  may fuse its float multiply-adds; `scalar` is the same scalar algorithm evaluated here in
  float32 one rounding per operation, with no fusion: the value r1's reference must equal bit
  for bit. `abs_scale` is the sum of the magnitudes of the per-block float terms, the scale for
  comparing against the ggml values (relative tolerance on cancelling sums).

Rows (float32, seeded): see CASES. Each quantized row is stored as base64 of its bytes, each
float row as base64 of little-endian float32.
"""

import base64
import ctypes
import json
import pathlib

import gguf
import llama_cpp
import numpy as np
from gguf import GGMLQuantizationType as GT
from gguf.quants import dequantize as gguf_dequantize
from gguf.quants import quantize as gguf_quantize

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "quant" / "cases.json"
SEED = 20260301

# name, ggml type id, block elements, block bytes, gguf-py quantizes, gguf-py dequantizes
TYPES = [
    ("q8_0", 8, 32, 34, True, True),
    ("q4_0", 2, 32, 18, True, True),
    ("q4_1", 3, 32, 20, True, True),
    ("q5_0", 6, 32, 22, True, True),
    ("q5_1", 7, 32, 24, True, True),
    ("q8_1", 9, 32, 36, False, False),
    ("q4_k", 12, 256, 144, False, True),
    ("q5_k", 13, 256, 176, False, True),
    ("q6_k", 14, 256, 210, False, True),
    ("q8_k", 15, 256, 292, False, False),
]
TYPE_INFO = {t[0]: t for t in TYPES}
GGML_SUFFIX = {"q4_k": "q4_K", "q5_k": "q5_K", "q6_k": "q6_K", "q8_k": "q8_K"}
DOT_ACTIVATION = {
    "q8_0": "q8_0", "q4_0": "q8_0", "q5_0": "q8_0", "q4_1": "q8_1", "q5_1": "q8_1",
    "q4_k": "q8_k", "q5_k": "q8_k", "q6_k": "q8_k",
}


def make_cases():
    rng = np.random.default_rng(SEED)
    f32 = np.float32
    cases = []

    def add(name, values, note):
        cases.append((name, np.ascontiguousarray(values, dtype=f32), note))

    add("normal-256", rng.standard_normal(256), "N(0, 1)")
    add("weights-1024", rng.standard_normal(1024) * 0.02, "N(0, 0.02^2), like model weights")
    add("uniform-512", rng.uniform(-1, 1, 512), "U(-1, 1)")
    x = rng.standard_normal(768)
    idx = rng.choice(768, 12, replace=False)
    x[idx] *= 40
    add("outliers-768", x, "N(0, 1) with 12 values scaled by 40")
    x = rng.standard_normal(768)
    x[0:32] = 0
    x[96:128] = 0
    x[256:512] = 0
    x[700] = 0
    add("zero-blocks-768", x, "N(0, 1); elements 0-31, 96-127 and the super-block 256-511 zero")
    add("zeros-256", np.zeros(256), "all zero")
    add("tiny-256", rng.standard_normal(256) * 1e-6, "N(0, 1e-12): f16 scales are subnormal")
    add("subnormal-scale-256", rng.standard_normal(256) * 1e-20,
        "N(0, 1e-40): f16 scales round to zero, K-quant sub-blocks below GROUP_MAX_EPS")
    x = rng.standard_normal(512)
    x[37] = 30000.0
    x[300] = -20000.0
    add("huge-max-512", x, "N(0, 1) with 30000 and -20000")
    add("positive-256", rng.uniform(0.5, 2.0, 256), "U(0.5, 2): K-quant min clamped to 0")
    add("negative-256", -rng.uniform(0.5, 2.0, 256), "U(-2, -0.5)")
    add("grid-512", rng.integers(-32, 33, 512) / 4.0, "multiples of 1/4: rounding ties")
    add("constant-256", np.full(256, 0.7), "all 0.7: max == min")
    x = rng.standard_normal(256)
    x[::32] = np.abs(x[::32]) * 8
    add("first-max-256", x, "each 32-block's largest value first")
    for n in (256, 512, 768, 1024):
        add(f"activation-{n}", rng.standard_normal(n) * 0.5 + 0.1, "activation row for dot cases")
    return cases


class Ggml:
    """ggml's own functions from the llama-cpp-python libraries."""

    def __init__(self):
        lib_dir = pathlib.Path(llama_cpp.__file__).parent / "lib"
        self.base = ctypes.CDLL(str(lib_dir / "libggml-base.so"), mode=ctypes.RTLD_GLOBAL)
        self.cpu = ctypes.CDLL(str(lib_dir / "libggml-cpu.so"), mode=ctypes.RTLD_GLOBAL)
        self.cpu.ggml_cpu_init.restype = None
        self.cpu.ggml_cpu_init()
        self.base.ggml_quantize_chunk.restype = ctypes.c_size_t
        self.base.ggml_quantize_chunk.argtypes = [
            ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64,
            ctypes.c_int64, ctypes.c_void_p]

        class TraitsCpu(ctypes.Structure):
            _fields_ = [("from_float", ctypes.c_void_p), ("vec_dot", ctypes.c_void_p),
                        ("vec_dot_type", ctypes.c_int), ("nrows", ctypes.c_int64)]

        self.cpu.ggml_get_type_traits_cpu.restype = ctypes.POINTER(TraitsCpu)
        self.cpu.ggml_get_type_traits_cpu.argtypes = [ctypes.c_int]
        self.vec_dot_type = ctypes.CFUNCTYPE(
            None, ctypes.c_int, ctypes.POINTER(ctypes.c_float), ctypes.c_size_t, ctypes.c_void_p,
            ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)

    @staticmethod
    def _suffix(name):
        return GGML_SUFFIX.get(name, name)

    def quantize(self, name, x):
        _, _, blk, size, _, _ = TYPE_INFO[name]
        out = ctypes.create_string_buffer(len(x) // blk * size)  # zero-filled
        fn = getattr(self.base, f"quantize_row_{self._suffix(name)}_ref")
        fn.restype = None
        fn(x.ctypes.data_as(ctypes.c_void_p), out, ctypes.c_int64(len(x)))
        return out.raw

    def quantize_chunk(self, name, x):
        _, tid, blk, size, _, _ = TYPE_INFO[name]
        out = ctypes.create_string_buffer(len(x) // blk * size)
        written = self.base.ggml_quantize_chunk(tid, x.ctypes.data, out, 0, 1, len(x), None)
        assert written == len(out.raw), (name, written)
        return out.raw

    def dequantize(self, name, data, n):
        if name == "q8_1":  # ggml has no dequantize_row_q8_1
            blocks = np.frombuffer(data, dtype=np.uint8).reshape(-1, 36)
            d = blocks[:, 0:2].copy().view("<f2").astype(np.float32)
            qs = blocks[:, 4:].copy().view(np.int8).astype(np.float32)
            return (qs * d).reshape(-1)
        out = np.zeros(n, dtype=np.float32)
        fn = getattr(self.base, f"dequantize_row_{self._suffix(name)}")
        fn.restype = None
        buf = ctypes.create_string_buffer(data, len(data))
        fn(buf, out.ctypes.data_as(ctypes.c_void_p), ctypes.c_int64(n))
        return out

    def _call_dot(self, fn, n, w, a):
        s = ctypes.c_float(0)
        wb = ctypes.create_string_buffer(w, len(w))
        ab = ctypes.create_string_buffer(a, len(a))
        fn(n, ctypes.byref(s), 0, ctypes.cast(wb, ctypes.c_void_p), 0,
           ctypes.cast(ab, ctypes.c_void_p), 0, 1)
        return float(s.value)

    def vec_dot(self, name, n, w, a):
        traits = self.cpu.ggml_get_type_traits_cpu(TYPE_INFO[name][1]).contents
        assert traits.vec_dot_type == TYPE_INFO[DOT_ACTIVATION[name]][1], name
        return self._call_dot(self.vec_dot_type(traits.vec_dot), n, w, a)

    def vec_dot_generic(self, name, n, w, a):
        symbol = (f"ggml_vec_dot_{self._suffix(name)}_"
                  f"{self._suffix(DOT_ACTIVATION[name])}_generic")
        try:
            address = ctypes.cast(getattr(self.cpu, symbol), ctypes.c_void_p).value
        except AttributeError:
            return None
        return self._call_dot(self.vec_dot_type(address), n, w, a)


def f16(raw, offset):
    return np.frombuffer(raw[offset:offset + 2], dtype="<f2").astype(np.float32)[0]


def blocks(raw, size):
    return [raw[i:i + size] for i in range(0, len(raw), size)]


def int8s(raw):
    return np.frombuffer(raw, dtype=np.int8).astype(np.int64)


def u8s(raw):
    return np.frombuffer(raw, dtype=np.uint8).astype(np.int64)


def scale_min_k4(sc):
    scales, mins = [], []
    for j in range(8):
        if j < 4:
            scales.append(sc[j] & 63)
            mins.append(sc[j + 4] & 63)
        else:
            scales.append((sc[j + 4] & 0xF) | ((sc[j - 4] >> 6) << 4))
            mins.append((sc[j + 4] >> 4) | ((sc[j] >> 6) << 4))
    return scales, mins


def legacy_weights(name, b):
    """(d, m or None, the 32 integer weights) of one legacy block."""
    if name == "q8_0":
        return f16(b, 0), None, int8s(b[2:34])
    if name in ("q4_0", "q4_1"):
        off = 2 if name == "q4_0" else 4
        qs = u8s(b[off:off + 16])
        q = np.concatenate([qs & 0xF, qs >> 4])
        if name == "q4_0":
            return f16(b, 0), None, q - 8
        return f16(b, 0), f16(b, 2), q
    off = 2 if name == "q5_0" else 4
    qh = int.from_bytes(b[off:off + 4], "little")
    qs = u8s(b[off + 4:off + 20])
    high = np.array([(qh >> j) & 1 for j in range(32)], dtype=np.int64) << 4
    q = np.concatenate([qs & 0xF, qs >> 4]) | high
    if name == "q5_0":
        return f16(b, 0), None, q - 16
    return f16(b, 0), f16(b, 2), q


def k_weights(name, b):
    """(d, dmin, per-element scale, per-sub-block mins, 256 integer weights) of a K block."""
    if name == "q6_k":
        ql, qh = u8s(b[0:128]), u8s(b[128:192])
        sc = int8s(b[192:208])
        q = np.zeros(256, dtype=np.int64)
        for h in range(2):
            l_, h_ = ql[64 * h:64 * h + 64], qh[32 * h:32 * h + 32]
            for l in range(32):
                q[128 * h + l] = ((l_[l] & 0xF) | (((h_[l] >> 0) & 3) << 4)) - 32
                q[128 * h + l + 32] = ((l_[l + 32] & 0xF) | (((h_[l] >> 2) & 3) << 4)) - 32
                q[128 * h + l + 64] = ((l_[l] >> 4) | (((h_[l] >> 4) & 3) << 4)) - 32
                q[128 * h + l + 96] = ((l_[l + 32] >> 4) | (((h_[l] >> 6) & 3) << 4)) - 32
        return f16(b, 208), None, np.repeat(sc, 16), None, q
    d, dmin = f16(b, 0), f16(b, 2)
    scales, mins = scale_min_k4(u8s(b[4:16]))
    qs = u8s(b[16:144]) if name == "q4_k" else u8s(b[48:176])
    qh = u8s(b[16:48]) if name == "q5_k" else None
    q = np.zeros(256, dtype=np.int64)
    for g in range(4):
        for l in range(32):
            lo, hi = qs[32 * g + l] & 0xF, qs[32 * g + l] >> 4
            if qh is not None:
                lo |= ((qh[l] >> (2 * g)) & 1) << 4
                hi |= ((qh[l] >> (2 * g + 1)) & 1) << 4
            q[64 * g + l], q[64 * g + 32 + l] = lo, hi
    return d, dmin, np.repeat(np.array(scales), 32), mins, q


def fma(a, b, c):
    """float32 fused multiply-add (via float64: a*b is exact there; the one rounding of the sum
    to float64 before float32 can only matter on exact float64 ties, a diagnostic-only risk)."""
    return np.float32(float(a) * float(b) + float(c))


def scalar_dot(name, w, a, fused=False):
    """ggml's scalar vec_dot in float32, one rounding per operation, no fused multiply-add.
    Returns (value, abs_scale). With fused=True, the multiply-adds GCC contracts in ggml-cpu
    (built with -mfma, GNU C) are fused instead: a diagnostic of where ggml_generic differs."""
    f = np.float32
    if name in ("q8_0", "q4_0", "q4_1", "q5_0", "q5_1"):
        wsize = TYPE_INFO[name][3]
        asize = TYPE_INFO[DOT_ACTIVATION[name]][3]
        sumf, abs_scale = f(0), 0.0
        for wb, ab in zip(blocks(w, wsize), blocks(a, asize)):
            dx, mx, qx = legacy_weights(name, wb)
            dy = f16(ab, 0)
            qy = int8s(ab[2:34]) if asize == 34 else int8s(ab[4:36])
            sumi = f(int(np.dot(qx, qy)))
            if fused:
                if name == "q8_0":
                    sumf = fma(sumi, dx * dy, sumf)
                elif name == "q4_0":
                    sumf = fma(sumi * dx, dy, sumf)
                elif name == "q5_0":
                    sumf = fma(dx * dy, sumi, sumf)
                else:
                    sumf = f(sumf + fma(dx * dy, sumi, mx * f16(ab, 2)))
            elif name == "q8_0":
                sumf = f(sumf + sumi * (dx * dy))
            elif name == "q4_0":
                sumf = f(sumf + (sumi * dx) * dy)
            elif name == "q5_0":
                sumf = f(sumf + (dx * dy) * sumi)
            else:
                sumf = f(sumf + ((dx * dy) * sumi + mx * f16(ab, 2)))
            abs_scale += abs(float((dx * dy) * sumi)) + (abs(float(mx * f16(ab, 2))) if mx is not None else 0)
        return float(sumf), abs_scale
    sums = np.zeros(8, dtype=np.float32)
    sumf, abs_scale = f(0), 0.0
    for wb, ab in zip(blocks(w, TYPE_INFO[name][3]), blocks(a, 292)):
        dx, dmin, scale, mins, qx = k_weights(name, wb)
        yd = np.frombuffer(ab[0:4], dtype="<f4")[0]
        qy = int8s(ab[4:260])
        bsums = np.frombuffer(ab[260:292], dtype="<i2").astype(np.int64)
        prod = scale * qx * qy
        lanes = [int(prod[l::8].sum()) for l in range(8)]
        d = f(dx * yd)
        for l in range(8):
            if fused:
                sums[l] = fma(d, f(lanes[l]), sums[l])
            else:
                sums[l] = f(sums[l] + f(d * f(lanes[l])))
            abs_scale += abs(float(d) * lanes[l])
        if mins is not None:
            sumi = int(sum(int(bsums[j]) * mins[j // 2] for j in range(16)))
            dm = f(dmin * yd)
            sumf = fma(-dm, f(sumi), sumf) if fused else f(sumf - f(dm * f(sumi)))
            abs_scale += abs(float(dm) * sumi)
    for l in range(8):
        sumf = f(sumf + sums[l])
    return float(sumf), abs_scale


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


def rel_rms(x, y):
    rms = float(np.sqrt(np.mean(np.square(x.astype(np.float64)))))
    err = float(np.sqrt(np.mean(np.square(x.astype(np.float64) - y.astype(np.float64)))))
    return err / rms if rms > 0 else 0.0


def main():
    ggml = Ggml()
    cases = make_cases()
    out_cases = []
    quantized = {}
    for name, x, note in cases:
        entry = {"name": name, "note": note, "n": len(x), "input": b64(x.astype("<f4").tobytes()),
                 "types": {}}
        for tname, tid, blk, size, gg_q, gg_dq in TYPES:
            ref = ggml.quantize(tname, x)
            source = "ggml quantize_row_ref"
            if gg_q:
                mine = gguf_quantize(x.reshape(1, -1), GT(tid)).tobytes()
                if mine != ref:
                    raise SystemExit(f"gguf-py and ggml disagree: {tname} {name}")
                source = "gguf-py quantize (= ggml quantize_row_ref)"
            if tname in ("q4_k", "q5_k", "q6_k") and ggml.quantize_chunk(tname, x) != ref:
                raise SystemExit(f"ggml_quantize_chunk differs from the _ref: {tname} {name}")
            deq = ggml.dequantize(tname, ref, len(x))
            if gg_dq:
                theirs = gguf_dequantize(np.frombuffer(ref, dtype=np.uint8).reshape(1, -1), GT(tid))
                if theirs.astype(np.float32).reshape(-1).tobytes() != deq.tobytes():
                    raise SystemExit(f"gguf-py and ggml dequantize differ: {tname} {name}")
            quantized[(name, tname)] = ref
            entry["types"][tname] = {"source": source, "blocks": b64(ref),
                                     "dequantized": b64(deq.astype("<f4").tobytes()),
                                     "rel_rms_error": rel_rms(x, deq)}
        out_cases.append(entry)

    dots = []
    generic_seen = set()
    fused_explains = []
    for name, x, _ in cases:
        if name.startswith("activation-"):
            continue
        act = f"activation-{len(x)}"
        for wname, aname in DOT_ACTIVATION.items():
            w = quantized[(name, wname)]
            a = quantized[(act, aname)]
            scalar, abs_scale = scalar_dot(wname, w, a)
            generic = ggml.vec_dot_generic(wname, len(x), w, a)
            if generic is not None:
                generic_seen.add(wname)
            if generic is not None and generic != scalar:
                fused_value = scalar_dot(wname, w, a, fused=True)[0]
                fused_explains.append(fused_value == generic)
            dots.append({"weights": name, "activations": act, "weight_type": wname,
                         "activation_type": aname, "scalar": scalar,
                         "ggml_vec_dot": ggml.vec_dot(wname, len(x), w, a),
                         "ggml_generic": generic, "abs_scale": abs_scale})

    # Accuracy of quantize -> dequantize on N(0, 1) rows (64 rows of 1024, seeded).
    rng = np.random.default_rng(SEED + 1)
    gauss = rng.standard_normal(64 * 1024).astype(np.float32)
    accuracy = {}
    for tname, *_ in TYPES:
        deq = ggml.dequantize(tname, ggml.quantize(tname, gauss), len(gauss))
        accuracy[tname] = rel_rms(gauss, deq)

    doc = {
        "generator": "tools/reference/gen_quant_cases.py",
        "versions": {"gguf": gguf.__version__ if hasattr(gguf, "__version__") else "0.19.0",
                     "numpy": np.__version__, "llama_cpp_python": llama_cpp.__version__},
        "seed": SEED,
        "ggml_generic_exported": sorted(generic_seen),
        "accuracy_normal": accuracy,
        "cases": out_cases,
        "dots": dots,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")

    print(f"wrote {OUT} ({OUT.stat().st_size} bytes): {len(out_cases)} rows, {len(dots)} dots")
    print("generic vec_dot exported for:", sorted(generic_seen) or "none")
    print(f"ggml_generic != scalar in {len(fused_explains)} of {len(dots)} dots; fusing the "
          f"multiply-adds reproduces ggml_generic in {sum(fused_explains)} of them")
    worst = {}
    for d in dots:
        for key in ("ggml_vec_dot", "ggml_generic"):
            if d[key] is None:
                continue
            rel = abs(d[key] - d["scalar"]) / max(d["abs_scale"], 1e-30)
            k = (d["weight_type"], key)
            worst[k] = max(worst.get(k, 0.0), rel)
    for (t, key), rel in sorted(worst.items()):
        print(f"  {t:5} {key:13} max |ggml - scalar| / abs_scale = {rel:.3g}")
    print("relative RMS error on N(0, 1):")
    for t, v in accuracy.items():
        print(f"  {t:5} {v:.6f}")


if __name__ == "__main__":
    main()
