#!/usr/bin/python3
"""Reads and checks a .safetensors file without the `safetensors` package.

    scripts/safetensors_check.py FILE...   prints each tensor's name, dtype and shape
                                           and the metadata; exits 1 on any inconsistency

As a module (sys.path.insert(0, "scripts"); import safetensors_check):
    load_file(path) -> dict[str, torch.Tensor]     like safetensors.torch.load_file
    load_metadata(path) -> dict[str, str]
    save_file(tensors, path, metadata=None)       like safetensors.torch.save_file

The checks are the format's (https://github.com/huggingface/safetensors) and those of
gan/io/safetensors.hpp: u64 little-endian header length within the file, a JSON object
header, known dtypes, non-negative integer shapes, and data_offsets whose spans match the
shapes and tile the data section with no gap or overlap.
"""

import json
import struct
import sys

import torch

DTYPES = {
    "BOOL": torch.bool, "U8": torch.uint8, "I8": torch.int8, "I16": torch.int16,
    "I32": torch.int32, "I64": torch.int64, "F16": torch.float16, "BF16": torch.bfloat16,
    "F32": torch.float32, "F64": torch.float64,
}
MAX_HEADER = 100_000_000


class FormatError(ValueError):
    pass


def _read(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise FormatError(f"{path}: {len(blob)} bytes, too short for the header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8 or n > MAX_HEADER:
        raise FormatError(f"{path}: header length {n} exceeds the {len(blob) - 8} bytes after it")
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FormatError(f"{path}: invalid JSON header: {e}") from None
    if not isinstance(header, dict):
        raise FormatError(f"{path}: the JSON header is not an object")
    metadata = header.pop("__metadata__", {}) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise FormatError(f"{path}: __metadata__ is not an object of strings")
    return header, metadata, memoryview(blob)[8 + n:]


def _check(path, header, data):
    spans = []
    for name, e in header.items():
        where = f"{path}: tensor '{name}'"
        if not isinstance(e, dict) or set(e) != {"dtype", "shape", "data_offsets"}:
            raise FormatError(f"{where}: expected keys dtype, shape, data_offsets")
        if e["dtype"] not in DTYPES:
            raise FormatError(f"{where}: unsupported dtype {e['dtype']!r}")
        shape, offsets = e["shape"], e["data_offsets"]
        if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)):
            raise FormatError(f"{where}: bad shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and
                all(type(o) is int and o >= 0 for o in offsets)):
            raise FormatError(f"{where}: bad data_offsets {offsets!r}")
        begin, end = offsets
        numel = 1
        for d in shape:
            numel *= d
        need = numel * torch.tensor([], dtype=DTYPES[e["dtype"]]).element_size()
        if end < begin or end > len(data):
            raise FormatError(f"{where}: data_offsets {offsets} outside {len(data)} data bytes")
        if end - begin != need:
            raise FormatError(f"{where}: {e['dtype']} {shape} needs {need} bytes, spans {end - begin}")
        spans.append((begin, end, name))
    at, previous = 0, None
    for begin, end, name in sorted(spans):
        if begin != at:
            raise FormatError(f"{path}: '{name}' starts at {begin}, expected {at} "
                              f"({'overlaps ' + repr(previous) if begin < at else 'gap'})")
        at, previous = end, name
    if at != len(data):
        raise FormatError(f"{path}: {len(data) - at} data bytes after the last tensor")
    return [name for _, _, name in sorted(spans)]


def load_file(path):
    """All tensors of a checked file, by name, in data order (little-endian host assumed)."""
    header, _, data = _read(path)
    out = {}
    for name in _check(path, header, data):
        e = header[name]
        begin, end = e["data_offsets"]
        dtype = DTYPES[e["dtype"]]
        if begin == end:
            out[name] = torch.empty(e["shape"], dtype=dtype)
        else:
            out[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype).reshape(e["shape"])
    return out


def load_metadata(path):
    return dict(_read(path)[1])


def save_file(tensors, path, metadata=None):
    """Writes tensors (a dict name -> torch.Tensor) in the order given."""
    names = {v: k for k, v in DTYPES.items()}
    header, chunks, at = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        raw = t.detach().cpu().contiguous().numpy().tobytes() if t.dtype != torch.bfloat16 else \
            t.detach().cpu().contiguous().view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape),
                        "data_offsets": [at, at + len(raw)]}
        chunks.append(raw)
        at += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print(f"usage: {argv[0]} FILE...", file=sys.stderr)
        return 2
    status = 0
    for path in argv[1:]:
        try:
            tensors = load_file(path)
            metadata = load_metadata(path)
        except (OSError, FormatError) as e:
            print(f"error: {e}", file=sys.stderr)
            status = 1
            continue
        print(f"{path}: {len(tensors)} tensors")
        for name, t in tensors.items():
            print(f"  {name}: {str(t.dtype).replace('torch.', '')} {list(t.shape)}")
        for key, value in sorted(metadata.items()):
            shown = value if len(value) <= 60 else value[:57] + "..."
            print(f"  [{key}] {shown}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
