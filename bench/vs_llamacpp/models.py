"""The model files of the benchmark, made once and cached under build/bench-models/.

Every file has the real DeepSeek-R1-Distill-Qwen-1.5B shape and the same random weights (r1
make-random-model, seed 1). Its name says which tool made it:
  hf-bf16/, hf-f16/                     r1 make-random-model (Hugging Face safetensors)
  <fmt>.llamacpp-convert.gguf           llama.cpp's convert_hf_to_gguf.py (bf16, f16)
  <fmt>.llamacpp-quantize.gguf          llama_cpp.llama_model_quantize from the BF16 GGUF
  <fmt>.r1-quantize.gguf                `r1 quantize` from hf-bf16/ (once r1 has it)
"""
import ctypes
import pathlib
import subprocess
import sys

PRESET = "deepseek-r1-distill-qwen-1.5b"
SEED = 1

# format -> (llama.cpp converter --outtype or quantize ftype name, r1 quantize --type)
FORMATS = {
    "bf16": ("convert", "bf16", "bf16"),
    "f16": ("convert", "f16", "f16"),
    "q8_0": ("quantize", "LLAMA_FTYPE_MOSTLY_Q8_0", "q8_0"),
    "q4_k_m": ("quantize", "LLAMA_FTYPE_MOSTLY_Q4_K_M", "q4_k"),
    "q5_k_m": ("quantize", "LLAMA_FTYPE_MOSTLY_Q5_K_M", "q5_k_m"),
    "q4_0": ("quantize", "LLAMA_FTYPE_MOSTLY_Q4_0", "q4_0"),
}


class Models:
    def __init__(self, root, r1, say):
        self.root = pathlib.Path(root)
        self.dir = self.root / "build" / "bench-models"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.r1 = r1
        self.say = say
        self.llama_src = next((self.root / "build" / "bench-cache").glob("llama_cpp_python-*/vendor/llama.cpp"))
        self.convert_python = self.root / "build" / "bench-convert-venv" / "bin" / "python"
        self._r1_quantize = None

    def _run(self, args, what):
        self.say(f"[models] {what}: {' '.join(map(str, args))}")
        log = self.dir / "make.log"
        with open(log, "a") as out:
            proc = subprocess.run([str(a) for a in args], stdout=out, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            raise RuntimeError(f"{what} failed (exit {proc.returncode}); see {log}")

    def hf(self, dtype):
        """The r1 make-random-model checkpoint folder in bf16 or f16."""
        folder = self.dir / f"hf-{dtype}"
        if not (folder / "model.safetensors").exists() or not (folder / "config.json").exists():
            self._run([self.r1, "make-random-model", "--preset", PRESET, "--dtype", dtype,
                       "--seed", SEED, "--out", folder], f"random {dtype} model")
        return folder

    def r1_can_quantize(self):
        if self._r1_quantize is None:
            proc = subprocess.run([self.r1, "quantize", "--help"], capture_output=True, text=True)
            self._r1_quantize = proc.returncode == 0
        return self._r1_quantize

    def llamacpp_file(self, fmt):
        """The GGUF of `fmt` made by llama.cpp's own tools."""
        kind, how, _ = FORMATS[fmt]
        path = self.dir / f"{fmt}.llamacpp-{kind}.gguf"
        if path.exists():
            return path
        tmp = path.with_suffix(".part")
        if kind == "convert":
            source = self.hf("f16" if fmt == "f16" else "bf16")
            self._run([self.convert_python, self.llama_src / "convert_hf_to_gguf.py", source,
                       "--outtype", how, "--outfile", tmp], f"llama.cpp convert to {fmt}")
        else:  # in a child process, so that llama.cpp's log goes to make.log
            source = self.llamacpp_file("bf16")
            self._run([sys.executable, __file__, "--quantize", source, tmp, how],
                      f"llama_model_quantize to {fmt}")
        tmp.rename(path)
        return path

    def r1_file(self, fmt):
        """The GGUF of `fmt` made by `r1 quantize`, or None while r1 has no quantize command."""
        if not self.r1_can_quantize():
            return None
        _, _, r1_type = FORMATS[fmt]
        path = self.dir / f"{r1_type}.r1-quantize.gguf"
        if not path.exists():
            tmp = path.with_suffix(".part.gguf")
            self._run([self.r1, "quantize", "--model", self.hf("bf16"), "--out", tmp,
                       "--type", r1_type], f"r1 quantize to {r1_type}")
            tmp.rename(path)
        return path

    def files(self, fmt):
        """([(label, path)], notes) of `fmt`: llama.cpp's file, then r1's when r1 makes it. A
        failing `r1 quantize` becomes a note (llama.cpp's file still runs); a failing llama.cpp
        tool raises."""
        out = [(f"{fmt} (llama.cpp {FORMATS[fmt][0]})", self.llamacpp_file(fmt))]
        notes = []
        try:
            r1_path = self.r1_file(fmt)
            if r1_path is not None:
                out.append((f"{FORMATS[fmt][2]} (r1 quantize)", r1_path))
        except RuntimeError as e:
            notes.append(f"{fmt}: {e}")
        return out, notes


def _quantize(source, target, ftype_name):
    """llama_cpp.llama_model_quantize with the package's defaults and all cores."""
    import llama_cpp
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, ftype_name)
    params.nthread = 0
    return llama_cpp.llama_model_quantize(source.encode(), target.encode(), ctypes.byref(params))


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "--quantize":
    sys.exit(1 if _quantize(*sys.argv[2:]) != 0 else 0)
