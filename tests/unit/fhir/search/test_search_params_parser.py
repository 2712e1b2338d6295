"""The query syntax: names, OR lists, escapes (hypothesis round trips plus the spec's examples)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from caremesh.fhir.search.params import ParamName, escape, or_values, parse_name, split_unescaped, unescape
from caremesh.fhir.search.values import TokenValue, parse_token

any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=20)
separator_heavy = st.text(alphabet=",$|\\ab", max_size=12)
values = st.one_of(any_text, separator_heavy)
identifier = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,12}", fullmatch=True)


@given(st.lists(values, min_size=1, max_size=5))
def test_escaped_values_split_back_into_the_same_values(alternatives: list[str]) -> None:
    joined = ",".join(escape(v) for v in alternatives)
    assert [unescape(part) for part in or_values(joined)] == alternatives


@given(st.lists(st.lists(values, min_size=1, max_size=3), min_size=1, max_size=3))
def test_nested_separators_split_level_by_level(groups: list[list[str]]) -> None:
    # OR-ed composites of pipe-separated parts: "," then "$" then "|", escapes kept between levels.
    text = ",".join("$".join(escape(part) for part in group) for group in groups)
    parsed = [[unescape(p) for p in split_unescaped(alt, "$")] for alt in or_values(text)]
    assert parsed == groups


@given(values)
def test_unescape_inverts_escape(value: str) -> None:
    assert unescape(escape(value)) == value


@given(st.one_of(st.none(), values), st.one_of(st.none(), values))
def test_tokens_round_trip_through_escapes(system: str | None, code: str | None) -> None:
    if not system and not code:
        return
    parsed = parse_token(f"{escape(system or '')}|{escape(code or '')}")
    assert parsed == TokenValue(code=code or None, system=system or None, system_given=True)


@given(identifier, st.one_of(st.none(), identifier), st.lists(st.tuples(identifier, st.none()), max_size=3))
def test_names_parse_into_code_modifier_and_chain(code: str, modifier: str | None, chain: list) -> None:
    name = code + (f":{modifier}" if modifier else "") + "".join(f".{c}" for c, _ in chain)
    assert parse_name(name) == ParamName(code, modifier, tuple(chain))


def test_the_spec_examples() -> None:
    assert or_values("a,b") == ["a", "b"]
    assert or_values(r"a\,b") == [r"a\,b"]
    assert unescape(r"a\,b") == "a,b"
    assert [unescape(v) for v in or_values(r"a\\,b")] == ["a\\", "b"]
    assert unescape(r"1\$2\|3") == "1$2|3"
    assert unescape(r"C:\temp") == r"C:\temp"  # not a search escape: kept literally


def test_tokens() -> None:
    assert parse_token("1234") == TokenValue("1234")
    assert parse_token("http://loinc.org|1234") == TokenValue("1234", "http://loinc.org", True)
    assert parse_token("|1234") == TokenValue("1234", None, True)
    assert parse_token("http://loinc.org|") == TokenValue(None, "http://loinc.org", True)
    assert parse_token(r"urn:x\|y|a\,b") == TokenValue("a,b", "urn:x|y", True)


def test_chained_names_and_bad_names() -> None:
    assert parse_name("subject:Patient.organization.name:exact") == ParamName(
        "subject", "Patient", (("organization", None), ("name", "exact"))
    )
    for bad in [
        "",
        "name'; DROP TABLE fhir_resource;--",
        "na me",
        "a..b",
        "a:",
        ":x",
        "a.b:",
        "1abc",
        "name:ex act",
    ]:
        assert parse_name(bad) is None, bad
