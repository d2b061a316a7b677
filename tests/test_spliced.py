"""app/api/spliced.py: a body of a shared head and its own tail, its ETag and its gzip made from the head's, and
GET /workouts with fresh seeds sent that way (identity and gzip, as Python's gzip, zlib and httpx read it)."""

from __future__ import annotations

import gzip
import zlib

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api import spliced
from app.api.representations import body_etag
from app.api.spliced import Spliced


def _decoded(packed: bytes) -> bytes:
    """The body of a gzip stream that must be one member, with nothing after it (every reader agrees)."""
    reader = zlib.decompressobj(wbits=31)
    body = reader.decompress(packed) + reader.flush()
    assert reader.eof and reader.unused_data == b""
    assert gzip.decompress(packed) == body == zlib.decompress(packed, wbits=31)
    return body


@settings(max_examples=300, deadline=None)
@given(head=st.binary(max_size=9000), tail=st.binary(max_size=600))
def test_a_spliced_body_is_its_bytes_with_their_etag_and_a_gzip_of_them(head: bytes, tail: bytes) -> None:
    body = Spliced(head, tail)
    assert body == head + tail
    assert body.etag() == body_etag(head + tail)
    assert _decoded(body.gzip()) == head + tail
    assert Spliced(head, tail).gzip() == body.gzip()  # deterministic: the gzip's ETag stays strong


@pytest.mark.parametrize("size", [0, 1, spliced.MAX_STORED, spliced.MAX_STORED + 1, 2 * spliced.MAX_STORED + 7])
def test_a_tail_longer_than_a_stored_block_takes_several(size: int) -> None:
    head, tail = b'{"a":' * 300, bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    assert _decoded(Spliced(head, tail).gzip()) == head + tail


def test_a_heads_derived_parts_are_kept_once_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    head = b"h" * 2000
    first, second = Spliced(head, b"1"), Spliced(head, b"2")
    assert first.head is second.head  # one digest and one deflate for every answer of this head
    monkeypatch.setattr(spliced, "MAX_HEADS", 1)
    assert Spliced(b"another head", b"").head is not first.head
    assert len(spliced._heads) == 1


QUERIES = [
    "goal=balanced&level=beginner&minutes=20",
    "goal=rehab&level=intermediate&equipment=ball,mini_band,bench&pain=knee&minutes=25",
    "goal=warmup&level=advanced&equipment=mini_band&minutes=10",
    "goal=rehab&pain_level=9",  # a referral: one head for every seed
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.sampled_from(QUERIES), seed=st.integers(0, 2**31 - 1))
def test_a_fresh_seeds_gzip_is_its_identity_answer(client: TestClient, query: str, seed: int) -> None:
    url = f"/workouts?{query}&seed={seed}"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.headers["etag"] == body_etag(plain.content)
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as packed:
        raw = b"".join(packed.iter_raw())
        assert packed.headers["content-encoding"] == "gzip"
        assert packed.headers["content-length"] == str(len(raw))
        assert packed.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    assert _decoded(raw) == plain.content
    assert client.get(url, headers={"Accept-Encoding": "gzip"}).content == plain.content  # as httpx decodes it


def test_an_unseeded_workouts_gzip_is_its_body(client: TestClient) -> None:
    with client.stream("GET", "/workouts?goal=mobility", headers={"Accept-Encoding": "gzip"}) as packed:
        raw = b"".join(packed.iter_raw())
        assert packed.headers["content-encoding"] == "gzip" and "etag" not in packed.headers
    body = _decoded(raw)
    seed = body.rsplit(b'"seed":', 1)[1].split(b",", 1)[0].decode()
    assert client.get(f"/workouts?goal=mobility&seed={seed}", headers={"Accept-Encoding": "identity"}).content == body
