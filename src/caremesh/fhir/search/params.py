"""The syntax of a search query: ``name[:modifier][.chain...]=value``, before any definition is consulted.

Commas separate OR-ed values, a repeated parameter is AND-ed, and ``\\,`` ``\\$`` ``\\|`` ``\\\\``
escape the separators inside a value (FHIR R4 3.1.1.5.7). Splitting keeps the escapes so that a
value can be split again on the next separator (``,`` then ``$`` then ``|``); :func:`unescape`
removes them at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Names and modifiers are identifiers; anything else is not a parameter this server can know.
_NAME_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


@dataclass(frozen=True)
class ParamName:
    """``code[:modifier]`` followed by chained parts, each ``code[:modifier]`` again."""

    code: str
    modifier: str | None
    chain: tuple[tuple[str, str | None], ...] = ()

    @property
    def is_chained(self) -> bool:
        return bool(self.chain)


def split_unescaped(text: str, separator: str) -> list[str]:
    """Split on ``separator`` where it is not escaped by a backslash; escapes are kept."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def unescape(text: str) -> str:
    """Remove the search escapes: ``\\,`` ``\\$`` ``\\|`` ``\\\\``; other backslashes stay literal."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in ",$|\\":
            out.append(text[i + 1])
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def escape(text: str) -> str:
    """The inverse of :func:`unescape`, for values this server writes into links."""
    return text.replace("\\", "\\\\").replace(",", "\\,").replace("$", "\\$").replace("|", "\\|")


def _code_and_modifier(part: str) -> tuple[str, str | None] | None:
    code, sep, modifier = part.partition(":")
    if not _NAME_PART.match(code):
        return None
    if sep and not _NAME_PART.match(modifier):
        return None
    return code, (modifier if sep else None)


def parse_name(name: str) -> ParamName | None:
    """Parse ``code[:modifier](.code[:modifier])*``; ``None`` when it is not a well-formed name.

    ``_has`` names (``_has:Type:param:...``) carry colons of their own and are parsed by the chain
    module from the raw name.
    """
    parts = name.split(".")
    parsed = [_code_and_modifier(part) for part in parts]
    if any(p is None for p in parsed):
        return None
    head = parsed[0]
    assert head is not None
    rest = tuple(p for p in parsed[1:] if p is not None)
    return ParamName(code=head[0], modifier=head[1], chain=rest)


def or_values(value: str) -> list[str]:
    """The OR-ed alternatives of one parameter value, still escaped."""
    return split_unescaped(value, ",")
