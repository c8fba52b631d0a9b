"""Deterministic 64-bit mixing and vectorised fixed-width id strings.

Ids and hashes for millions of rows are built with numpy and handed to Arrow as
raw buffers, so no Python loop runs per row.

>>> hex_strings(np.array([255], dtype=np.uint64), prefix=b"u_", width=4).to_pylist()
['u_00ff']
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# Two hex digits per byte value, as the uint16 whose memory holds them in order.
_HEX_PAIRS = np.ascontiguousarray(
    np.stack([_HEX_DIGITS[np.arange(256) >> 4], _HEX_DIGITS[np.arange(256) & 15]], axis=1)
).view(np.uint16).ravel()
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def mix64(values: np.ndarray | np.integer | int) -> np.ndarray:
    """The splitmix64 finaliser: a bijection on uint64, so distinct inputs stay distinct."""
    x = np.asarray(values, dtype=np.uint64).copy()
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def combine(*parts: np.ndarray | int) -> np.ndarray:
    """Hash several integer parts (scalars or equal-length arrays) into one uint64 each."""
    h = mix64(np.asarray(parts[0], dtype=np.uint64) + _GOLDEN)
    for part in parts[1:]:
        h = mix64(h ^ (np.asarray(part, dtype=np.uint64) + _GOLDEN))
    return h


def unit_floats(values: np.ndarray) -> np.ndarray:
    """Uniform floats in (0, 1) drawn from the top 53 bits of hashes."""
    return ((values >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


def hex_strings(values: np.ndarray, *, prefix: bytes = b"", width: int = 16) -> pa.StringArray:
    """`prefix` + the low `width` hex digits of each uint64 (width even, ≤ 16)."""
    if width % 2 or not 2 <= width <= 16:
        raise ValueError("width must be an even number from 2 to 16")
    n = len(values)
    raw = np.ascontiguousarray(values, dtype=np.uint64).astype(">u8").view(np.uint8).reshape(n, 8)
    raw = raw[:, 8 - width // 2 :]
    length = len(prefix) + width
    out = np.empty((n, length), dtype=np.uint8)
    if prefix:
        out[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
    out[:, len(prefix) :] = _HEX_PAIRS[raw].view(np.uint8).reshape(n, width)
    if n * length >= 2**31:
        raise ValueError("too many strings for one Arrow string array; write smaller chunks")
    offsets = np.arange(0, (n + 1) * length, length, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out))
