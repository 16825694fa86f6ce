"""What a model file costs: its size, the bytes of weights one decoded token reads, KV bytes."""
import functools
import json
import pathlib
import struct

EMBEDDINGS = {"token_embd.weight", "model.embed_tokens.weight"}
OUTPUTS = {"output.weight", "lm_head.weight"}


@functools.lru_cache(maxsize=None)  # reading a GGUF's header takes seconds (its vocabulary)
def _tensor_bytes(path):
    """{name: bytes} of every tensor in a GGUF file or a safetensors folder/file."""
    path = pathlib.Path(path)
    if path.is_dir():
        path = path / "model.safetensors"
    if path.suffix == ".gguf":
        from gguf import GGUFReader
        return {t.name: int(t.n_bytes) for t in GGUFReader(str(path)).tensors}
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
    return {name: v["data_offsets"][1] - v["data_offsets"][0]
            for name, v in header.items() if name != "__metadata__"}


def file_size(path):
    path = pathlib.Path(path)
    if path.is_dir():
        return sum(p.stat().st_size for p in path.glob("*.safetensors"))
    return path.stat().st_size


def bytes_per_token(path):
    """Weights a decode step streams from memory: every tensor but the token embedding (one row
    of it is read), unless the embedding doubles as the output matrix (tied)."""
    tensors = _tensor_bytes(str(path))
    tied = not any(name in tensors for name in OUTPUTS)
    return sum(b for name, b in tensors.items() if tied or name not in EMBEDDINGS)


def kv_bytes(config_json, positions, bytes_per_value):
    config = json.loads(pathlib.Path(config_json).read_text())
    head_dim = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads", config["num_attention_heads"])
    return 2 * config["num_hidden_layers"] * kv_heads * head_dim * positions * bytes_per_value
