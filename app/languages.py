"""Content negotiation by ``Accept-Language``: below the routes, the fast path and the problems that all use it.

Only the primary subtag counts (``de-AT`` is German); ``*`` means "anything",
which is English. An unsupported or malformed header is never an error: the
answer is English, the fallback, and ``Content-Language`` says so.
"""

from __future__ import annotations

from functools import lru_cache

from app.catalogue.translations import DEFAULT_LANGUAGE, LANGUAGES

MAX_HEADER = 512  # longer headers are not parsed (and get English)
VARY = "Accept-Language"


@lru_cache(maxsize=256)
def choose_language(header: str | None) -> str:
    """The best supported language for an ``Accept-Language`` value (RFC 9110 §12.5.4)."""
    if not header or len(header) > MAX_HEADER:
        return DEFAULT_LANGUAGE
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        q = _quality(params)
        primary = tag.strip().lower().split("-")[0]
        language = DEFAULT_LANGUAGE if primary == "*" else primary
        if q is not None and q > best_q and language in LANGUAGES:
            best, best_q = language, q
    return best


def _quality(params: str) -> float | None:
    """The ``q`` weight (1 when absent), or None when it is malformed."""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return None
            return q if 0.0 <= q <= 1.0 else None
    return 1.0


def language_headers(language: str) -> dict[str, str]:
    return {"Content-Language": language, "Vary": VARY}


# For the API document: what a language-dependent 200 carries.
LOCALISED: dict[int | str, dict[str, object]] = {
    200: {
        "headers": {
            "Content-Language": {
                "description": "The language of the texts: `en` or `de` (see Accept-Language).",
                "schema": {"type": "string", "enum": list(LANGUAGES)},
            },
            "Vary": {
                "description": "`Accept-Language`: caches keep one copy per language.",
                "schema": {"type": "string"},
            },
        }
    }
}
