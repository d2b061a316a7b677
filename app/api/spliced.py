"""A body made of a head many answers share and a short tail of its own, with its ETag and gzip made the same way.

A fresh-seed workout is one of a few heads plus a tail naming the seed
(``app.workouts.generator.generate_parts``). Hashing or compressing the
whole body for every seed cost more than making it; here the head is
digested and compressed once, and each answer only adds its tail:

- the ETag, ``body_etag(body)``, from a copy of the head's hash state
  updated with the tail: the same value, for a fraction of the work;
- the gzip: the head deflated once, flushed with ``Z_SYNC_FLUSH`` so it
  ends on a byte boundary without ending the stream, then the tail as a
  final *stored* deflate block, the CRC-32 continued over the tail and the
  length summed: one valid gzip member that decodes to exactly the body.
  It is deterministic for a body, so the gzip ETag stays strong.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from typing import Any

# Level 9 (as app.api.delivery's remembered bodies): a head is compressed once and sent many times.
LEVEL = 9
# ID1 ID2, deflate, no flags, mtime 0, XFL 2 (the best compression), OS unknown: gzip.compress(..., 9, mtime=0)'s.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
MAX_STORED = 0xFFFF  # a stored block's most bytes
MAX_HEADS = 2048  # heads kept; past it, all are dropped and made again as asked


class Head:
    """What is derived once from a head: its hash state and, when first asked, its deflate and CRC-32."""

    __slots__ = ("data", "digest", "packed", "crc")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.digest = hashlib.blake2b(data, digest_size=12)  # (as representations.body_etag)
        self.packed: bytes | None = None
        self.crc = 0

    def deflated(self) -> bytes:
        """The gzip header and the head's deflate, flushed to a byte boundary, the stream left open."""
        if self.packed is None:
            packer = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
            self.crc = zlib.crc32(self.data)
            self.packed = GZIP_HEADER + packer.compress(self.data) + packer.flush(zlib.Z_SYNC_FLUSH)
        return self.packed


_heads: dict[bytes, Head] = {}


def head_of(data: bytes) -> Head:
    """The ``Head`` of these bytes (kept by the bytes, which are the same object for a head's every answer)."""
    head = _heads.get(data)
    if head is None:
        if len(_heads) >= MAX_HEADS:
            _heads.clear()
        head = _heads[data] = Head(data)
    return head


class Spliced(bytes):
    """The body ``head + tail``, as bytes, that also gives its ETag and gzip without reading the head again."""

    head: Head
    tail: bytes

    def __new__(cls, head: bytes, tail: bytes) -> Spliced:
        body = super().__new__(cls, head + tail)
        body.head, body.tail = head_of(head), tail
        return body

    def etag(self) -> str:
        """``body_etag(self)``: the head's hash state, copied, updated with the tail."""
        digest = self.head.digest.copy()
        digest.update(self.tail)
        return '"' + digest.hexdigest() + '"'

    def gzip(self) -> bytes:
        """A gzip of the body: the head's kept deflate, the tail in stored blocks, the last one final."""
        head, tail = self.head, self.tail
        parts: list[Any] = [head.deflated()]  # (which also sets head.crc)
        for start in range(0, len(tail), MAX_STORED):
            chunk = tail[start : start + MAX_STORED]
            final = start + MAX_STORED >= len(tail)
            parts += [struct.pack("<BHH", final, len(chunk), len(chunk) ^ 0xFFFF), chunk]
        if not tail:
            parts.append(struct.pack("<BHH", 1, 0, 0xFFFF))
        parts.append(struct.pack("<II", zlib.crc32(tail, head.crc), len(self) & 0xFFFFFFFF))
        return b"".join(parts)
