"""Tokenizer and parser for FHIRPath expressions, producing a small immutable syntax tree.

The grammar follows the FHIRPath normative precedence table; the compiler decides which of the
parsed constructs it supports, so an unsupported one is reported with the whole expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache


class FhirPathSyntaxError(ValueError):
    """The text is not a FHIRPath expression."""


@dataclass(frozen=True, slots=True)
class Member:
    source: Expr | None  # None: the identifier starts a path (it may be a type name)
    name: str


@dataclass(frozen=True, slots=True)
class Call:
    source: Expr | None  # None: a function called on the focus
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Index:
    source: Expr
    index: Expr


@dataclass(frozen=True, slots=True)
class Literal:
    value: str | bool | int | Decimal
    type: str


@dataclass(frozen=True, slots=True)
class Variable:
    name: str  # "%resource", "$this", ...


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class TypeTest:
    op: str  # "is" or "as"
    source: Expr
    type_name: str


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: Expr


Expr = Member | Call | Index | Literal | Variable | Binary | TypeTest | Unary

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*|`[^`]+`)
  | (?P<variable>%[A-Za-z_][A-Za-z0-9_]*|%`[^`]+`|\$[a-z]+)
  | (?P<op><=|>=|!=|!~|[.\[\](),|=~<>+\-*/&])
    )""",
    re.VERBOSE,
)
_ESCAPES = {"'": "'", '"': '"', "`": "`", "\\": "\\", "/": "/", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}

# Binary operators by precedence level, loosest first (FHIRPath spec section 6.x ordering).
_LEVELS: tuple[frozenset[str], ...] = (
    frozenset({"implies"}),
    frozenset({"or", "xor"}),
    frozenset({"and"}),
    frozenset({"in", "contains"}),
    frozenset({"=", "~", "!=", "!~"}),
    frozenset({"<", ">", "<=", ">="}),
    frozenset({"|"}),
    frozenset({"is", "as"}),  # type operators: the right-hand side is a type specifier
    frozenset({"+", "-", "&"}),
    frozenset({"*", "/", "div", "mod"}),
)
_WORD_OPERATORS = frozenset().union(*_LEVELS) - {"=", "~", "!=", "!~", "<", ">", "<=", ">=", "|", "+", "-"}


def _unescape(quoted: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), quoted[1:-1])


def tokenize(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs; kind is string, number, ident, variable, op or end."""
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise FhirPathSyntaxError(f"unexpected character at {position} in {text!r}")
        kind, value = match.lastgroup, match.group(match.lastgroup)
        if kind == "ident" and value.startswith("`"):
            value = value[1:-1]
        tokens.append((kind, value))
        position = match.end()
    tokens.append(("end", ""))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.position = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position]

    def advance(self) -> tuple[str, str]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expect(self, value: str) -> None:
        kind, text = self.advance()
        if text != value or kind in ("string", "end"):
            raise FhirPathSyntaxError(f"expected {value!r} but found {text or 'end'!r} in {self.text!r}")

    def binary_op(self, level: int) -> str | None:
        kind, text = self.peek()
        is_operator = kind == "op" or (kind == "ident" and text in _WORD_OPERATORS)
        return text if is_operator and text in _LEVELS[level] else None

    def expression(self, level: int = 0) -> Expr:
        if level == len(_LEVELS):
            return self.unary()
        left = self.expression(level + 1)
        while (op := self.binary_op(level)) is not None:
            self.advance()
            if op in ("is", "as"):
                left = TypeTest(op, left, self.type_specifier())
            else:
                left = Binary(op, left, self.expression(level + 1))
        return left

    def type_specifier(self) -> str:
        kind, name = self.advance()
        if kind != "ident":
            raise FhirPathSyntaxError(f"expected a type name in {self.text!r}")
        while self.peek() == ("op", "."):  # a qualified name such as FHIR.Patient: keep the last part
            self.advance()
            name = self.advance()[1]
        return name

    def unary(self) -> Expr:
        if self.peek() in (("op", "-"), ("op", "+")):
            op = self.advance()[1]
            return Unary(op, self.unary())
        return self.postfix(self.term())

    def postfix(self, expr: Expr) -> Expr:
        while True:
            token = self.peek()
            if token == ("op", "."):
                self.advance()
                expr = self.invocation(expr)
            elif token == ("op", "["):
                self.advance()
                index = self.expression()
                self.expect("]")
                expr = Index(expr, index)
            else:
                return expr

    def term(self) -> Expr:
        kind, text = self.peek()
        if kind == "string":
            self.advance()
            return Literal(_unescape(text), "string")
        if kind == "number":
            self.advance()
            return Literal(Decimal(text), "decimal") if "." in text else Literal(int(text), "integer")
        if kind == "variable":
            self.advance()
            return Variable(text.replace("`", ""))
        if kind == "ident" and text in ("true", "false"):
            self.advance()
            return Literal(text == "true", "boolean")
        if (kind, text) == ("op", "("):
            self.advance()
            inner = self.expression()
            self.expect(")")
            return inner
        if kind == "ident":
            return self.invocation(None)
        raise FhirPathSyntaxError(f"unexpected {text or 'end'!r} in {self.text!r}")

    def invocation(self, source: Expr | None) -> Expr:
        kind, name = self.advance()
        if kind != "ident":
            raise FhirPathSyntaxError(f"expected a name after '.' but found {name!r} in {self.text!r}")
        if self.peek() != ("op", "("):
            return Member(source, name)
        self.advance()
        args: list[Expr] = []
        while self.peek() != ("op", ")"):
            args.append(self.expression())
            if self.peek() != ("op", ")"):
                self.expect(",")
        self.advance()
        return Call(source, name, tuple(args))


@lru_cache(maxsize=4096)
def parse(text: str) -> Expr:
    """Parse one FHIRPath expression; raises FhirPathSyntaxError on malformed text."""
    parser = _Parser(text)
    expr = parser.expression()
    if parser.peek()[0] != "end":
        raise FhirPathSyntaxError(f"unexpected {parser.peek()[1]!r} in {text!r}")
    return expr
