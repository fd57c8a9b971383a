#!/usr/bin/env bash
# References for tests/model/arch_reference_test.cpp: for every synthetic
# architecture shape and weight type, the model `rocmforge synth` writes and
# llama.cpp's greedy ids and top-10 log-probabilities on it.
#
# Usage: tools/refs/make_arch_refs.sh ROCMFORGE_BIN NODE_LLAMA_CPP_DIR [TYPES...]
# NODE_LLAMA_CPP_DIR holds node_modules with node-llama-cpp 3.21.1 and this
# folder's make_refs.mjs. Keep only libggml-cpu-zen4.so among its CPU
# variants (the AVX-512 build our x86 kernels reproduce bit for bit), so that
# the references do not depend on the machine that makes them.
set -euo pipefail
bin=$1
node_dir=$2
shift 2
types=("${@:-q8_0 q4_k q6_k}")
here=$(cd "$(dirname "$0")" && pwd)
out=$here/../../tests/data/refs/arch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$here/make_refs.mjs" "$node_dir/"
for shape in tiny tiny-mixtral tiny-qwen2 tiny-qwen3 tiny-qwen2moe tiny-qwen3moe tiny-gemma2 tiny-gemma3 \
             tiny-phi3 tiny-glm4; do
  for type in ${types[@]}; do
    model=$tmp/$shape-$type.gguf
    "$bin" synth "$model" --shape "$shape" --type "$type" -t 1 2>/dev/null
    (cd "$node_dir" && node make_refs.mjs --model "$model" --prompt "tok100 tok200 tok300 tok42" --n 32 --top 10) \
      > "$out/$shape-$type.json"
    echo "$shape $type"
  done
done
# Long-context RoPE variants (Q8_0 only; the context of 2048 is past the
# LongRoPE shape's original 1024, so its long factors are the ones used).
for shape in tiny-rope-linear tiny-rope-llama3 tiny-rope-yarn tiny-rope-longrope; do
  model=$tmp/$shape-q8_0.gguf
  "$bin" synth "$model" --shape "$shape" --type q8_0 -t 1 2>/dev/null
  (cd "$node_dir" && node make_refs.mjs --model "$model" --prompt "tok100 tok200 tok300 tok42" --n 32 --top 10) \
    > "$out/$shape-q8_0.json"
  echo "$shape q8_0"
done
# Real vocabularies: the tokenizer end to end (byte-level BPE, SentencePiece).
for pair in "tiny-qwen2 gpt-2" "tiny-gemma3 llama-spm"; do
  set -- $pair
  model=$tmp/$1-q8_0-$2.gguf
  "$bin" synth "$model" --shape "$1" --type q8_0 -t 1 --vocab "$here/../../tests/data/vocab/ggml-vocab-$2.gguf" 2>/dev/null
  (cd "$node_dir" && node make_refs.mjs --model "$model" --prompt "Hello world, this is a test of the tokenizer." \
    --n 32 --top 10) > "$out/$1-q8_0-$2.json"
  echo "$1 $2"
done
