"""Bytes ↔ text for source files, keeping encoding and BOM exactly as found."""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    bom: bool

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding)
        return BOM + data if self.bom else data


def decode_python(data: bytes) -> Decoded:
    """Decode as Python does (BOM, then a PEP 263 coding cookie, else UTF-8)."""
    bom = data.startswith(BOM)
    body = data[len(BOM) :] if bom else data
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    return Decoded(body.decode(encoding), encoding, bom)


def decode_utf8(data: bytes, lenient: bool = False) -> Decoded:
    """Notebooks (JSON) and Markdown are UTF-8; a BOM is kept if present.

    ``lenient`` (Markdown) falls back to latin-1, which maps every byte to one character and back, so
    prose in a legacy encoding survives a rewrite of the code blocks byte for byte.
    """
    bom = data.startswith(BOM)
    body = data[len(BOM) :] if bom else data
    try:
        return Decoded(body.decode("utf-8"), "utf-8", bom)
    except UnicodeDecodeError:
        if not lenient:
            raise
        return Decoded(body.decode("latin-1"), "latin-1", bom)
