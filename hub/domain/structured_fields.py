"""The part of RFC 8941 (Structured Field Values for HTTP) that HTTP Message Signatures
(RFC 9421) and Digest Fields (RFC 9530) use: dictionaries whose members are inner lists
or items (strings, tokens, integers, booleans, byte sequences) with parameters.

Parsing is strict (RFC 8941 section 4.2): anything else raises `FieldSyntaxError`.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re

Bare = str | int | bool | bytes


class Token(str):
    """An sf-token (serialised without quotes), as opposed to an sf-string."""


@dataclasses.dataclass(frozen=True)
class Item:
    value: Bare
    params: tuple[tuple[str, Bare], ...] = ()

    def param(self, name: str) -> Bare | None:
        return dict(self.params).get(name)


@dataclasses.dataclass(frozen=True)
class InnerList:
    items: tuple[Item, ...]
    params: tuple[tuple[str, Bare], ...] = ()

    def param(self, name: str) -> Bare | None:
        return dict(self.params).get(name)


Member = Item | InnerList


class FieldSyntaxError(ValueError):
    """A header value that is not a valid structured field."""


_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_INTEGER = re.compile(r"-?[0-9]{1,15}")
_STRING = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"')
_ESCAPE = re.compile(r'\\(["\\])')


def parse_dictionary(text: str) -> dict[str, Member]:
    """An sf-dictionary; a key seen twice keeps its last value (RFC 8941 4.2.2)."""
    parser = _Parser(text.strip(" "))
    members: dict[str, Member] = {}
    while not parser.done():
        key = parser.key()
        if parser.peek() == "=":
            parser.pos += 1
            members[key] = parser.member()
        else:
            members[key] = Item(True, parser.params())
        parser.skip_ows()
        if parser.done():
            break
        parser.expect(",")
        parser.skip_ows()
        if parser.done():
            raise FieldSyntaxError("trailing comma")
    return members


def serialize_inner_list(inner: InnerList) -> str:
    """The canonical serialisation (RFC 8941 4.1.1.1), as `@signature-params` needs it."""
    items = " ".join(_bare(item.value) + _params(item.params) for item in inner.items)
    return f"({items}){_params(inner.params)}"


def serialize_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _params(params: tuple[tuple[str, Bare], ...]) -> str:
    return "".join(f";{key}" if value is True else f";{key}={_bare(value)}" for key, value in params)


def _bare(value: Bare) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    if isinstance(value, Token):
        return str(value)
    return serialize_string(value)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def done(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos:self.pos + 1]  # "" at the end

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise FieldSyntaxError(f"expected {char!r} at {self.pos}")
        self.pos += 1

    def skip_ows(self) -> None:
        while self.peek() in (" ", "\t"):
            self.pos += 1

    def _match(self, pattern: re.Pattern[str], what: str) -> str:
        found = pattern.match(self.text, self.pos)
        if not found:
            raise FieldSyntaxError(f"expected {what} at {self.pos}")
        self.pos = found.end()
        return found.group()

    def key(self) -> str:
        return self._match(_KEY, "a key")

    def member(self) -> Member:
        if self.peek() == "(":
            return self.inner_list()
        return Item(self.bare(), self.params())

    def inner_list(self) -> InnerList:
        self.expect("(")
        items: list[Item] = []
        while True:
            while self.peek() == " ":
                self.pos += 1
            if self.peek() == ")":
                self.pos += 1
                return InnerList(tuple(items), self.params())
            items.append(Item(self.bare(), self.params()))
            if self.peek() not in (" ", ")"):
                raise FieldSyntaxError(f"unexpected character at {self.pos}")

    def params(self) -> tuple[tuple[str, Bare], ...]:
        found: dict[str, Bare] = {}
        while self.peek() == ";":
            self.pos += 1
            while self.peek() == " ":
                self.pos += 1
            key = self.key()
            value: Bare = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare()
            found[key] = value
        return tuple(found.items())

    def bare(self) -> Bare:
        char = self.peek()
        if char == '"':
            return self.string()
        if char == ":":
            return self.bytes()
        if char == "?":
            flag = self.text[self.pos + 1:self.pos + 2]
            if flag not in ("0", "1"):
                raise FieldSyntaxError(f"bad boolean at {self.pos}")
            self.pos += 2
            return flag == "1"
        if char == "-" or char.isdigit():
            text = self._match(_INTEGER, "an integer")
            if self.peek() == ".":
                raise FieldSyntaxError("decimals are not used here")
            return int(text)
        return Token(self._match(_TOKEN, "a token"))

    def string(self) -> str:
        found = _STRING.match(self.text, self.pos)
        if not found:
            raise FieldSyntaxError(f"bad string at {self.pos} (printable ASCII, \\\" and \\\\ escapes)")
        self.pos = found.end()
        return _ESCAPE.sub(r"\1", found.group(1))

    def bytes(self) -> bytes:
        self.expect(":")
        end = self.text.find(":", self.pos)
        if end < 0:
            raise FieldSyntaxError("unterminated byte sequence")
        encoded, self.pos = self.text[self.pos:end], end + 1
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise FieldSyntaxError("byte sequence is not base64") from exc
