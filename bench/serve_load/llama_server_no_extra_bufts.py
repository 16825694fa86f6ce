"""`python -m llama_cpp.server` with llama.cpp's extra buffer types off (no AMX kernels, no
weight repacking), as `llama-bench -nr 1`: on this machine llama-cpp-python 0.3.36's AMX path
(ggml_backend_amx_mul_mat) segfaults on Q8_0 / Q4_K weights mid-stream. The server has no
option for it, so the model parameters' default is patched before it starts. Same arguments as
`python -m llama_cpp.server`."""
import runpy
import sys

import llama_cpp.llama_cpp as bindings

_default_params = bindings.llama_model_default_params


def _without_extra_bufts():
    params = _default_params()
    params.use_extra_bufts = False
    return params


bindings.llama_model_default_params = _without_extra_bufts
sys.argv[0] = "llama_cpp.server"
runpy.run_module("llama_cpp.server", run_name="__main__")
