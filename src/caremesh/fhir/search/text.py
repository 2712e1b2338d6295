"""Text helpers: the normalisation indexing uses (search applies the same), LIKE escapes, prefix ranges."""

from __future__ import annotations

from caremesh.fhir.indexing.normalize import normalize_string

__all__ = ["like_escape", "normalize_string", "prefix_upper_bound"]


def like_escape(text: str) -> str:
    """Escape LIKE wildcards; every LIKE in the search SQL says ``ESCAPE '\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix`` (code-point order).

    ``value >= prefix AND value < bound`` is an index range equal to "starts with"; ``None`` means
    there is no upper bound (the prefix is all U+10FFFF).
    """
    chars = list(prefix)
    while chars:
        last = ord(chars.pop())
        if last < 0x10FFFF:
            following = last + 1
            if 0xD800 <= following <= 0xDFFF:  # surrogates cannot be encoded; skip over them
                following = 0xE000
            return "".join(chars) + chr(following)
    return None
