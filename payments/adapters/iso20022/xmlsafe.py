"""Hardened XML reading for files that come from outside, with errors that say where.

Statement and status files come from banks, and through people's hands: entity resolution,
DTD loading and network access are off, and a DOCTYPE is refused outright (no ISO 20022
message has one, so its presence is either a mistake or an attack such as XXE or an entity
bomb). Every error names the element path and the line, in plain words, so that a
reconciliation clerk can tell the bank what is wrong with its file.
"""

import io
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from typing import BinaryIO

from lxml import etree

from payments.errors import InvalidInput

Source = str | os.PathLike[str] | bytes | BinaryIO
"""A file path, the file's bytes, or a seekable binary file object."""

_HARDENED = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}


class MalformedMessage(InvalidInput):
    """A file that is not the ISO 20022 message it claims to be; `path` and `line` say where."""

    code = "malformed_message"
    title = "Malformed ISO 20022 message"

    def __init__(self, reason: str, path: str = "", line: int | None = None, file: str = "") -> None:
        where = " ".join(part for part in (path, f"(line {line})" if line else "") if part)
        detail = f"{where}: {reason}" if where else reason
        super().__init__(f"{file}: {detail}" if file else detail, path=path, line=line, file=file)
        self.reason = reason
        self.path = path
        self.line = line
        self.file = file

    def in_file(self, file: str) -> "MalformedMessage":
        """The same error, naming the file it was found in."""
        return MalformedMessage(self.reason, self.path, self.line, file)


class WrongMessage(MalformedMessage):
    """Well-formed XML, but another message than the one expected (a camt.052 for a camt.053)."""


def local_name(elem: etree._Element) -> str:
    return etree.QName(elem).localname


def element_path(elem: etree._Element, stop: etree._Element | None = None) -> str:
    """`/Document/.../Ntry[3]/Amt`: local names, with an index where a name repeats."""
    parts: list[str] = []
    node: etree._Element | None = elem
    while node is not None and node is not stop:
        parts.append(_step(node))
        node = node.getparent()
    return "/" + "/".join(reversed(parts))


def _step(node: etree._Element) -> str:
    name = local_name(node)
    before = sum(1 for _ in node.itersiblings(node.tag, preceding=True))
    after = next(node.itersiblings(node.tag), None) is not None
    return f"{name}[{before + 1}]" if before or after else name


@contextmanager
def opened(source: Source) -> Iterator[BinaryIO]:
    """A seekable binary stream over any `Source`; closes only what it opened."""
    if isinstance(source, bytes):
        yield io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as stream:
            yield stream
    else:
        source.seek(0)
        yield source


def probe(stream: BinaryIO) -> etree._Element:
    """The root element (children unread); refuses a DOCTYPE; leaves the stream at its start."""
    empty = stream.read(1) == b""
    stream.seek(0)
    if empty:
        raise MalformedMessage("the file is empty", line=1)
    etree.clear_error_log()  # so that a failure below reports its own cause, not an older one
    reader = etree.iterparse(stream, events=("start",), **_HARDENED)
    try:
        _event, root = next(reader)
    except etree.XMLSyntaxError as exc:
        reason, line = _syntax(exc)
        raise MalformedMessage(reason, line=line) from exc
    except StopIteration as exc:
        raise MalformedMessage("the file holds no XML element", line=1) from exc
    finally:
        stream.seek(0)
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise MalformedMessage("a DOCTYPE is not allowed in an ISO 20022 message", line=1)
    return root


def message_namespace(root: etree._Element, families: Sequence[str]) -> str:
    """The root's namespace if it is some version of one of `families` (`camt.053`), else raise."""
    name = etree.QName(root)
    ns = name.namespace or ""
    for family in families:
        if name.localname == "Document" and ns.startswith(f"urn:iso:std:iso:20022:tech:xsd:{family}."):
            return ns
    found = ns.rsplit(":", 1)[-1] or "no namespace"
    wanted = " or ".join(families)
    raise WrongMessage(f"this is not a {wanted} message ({found})", "/" + name.localname, root.sourceline)


FAMILIES = ("pain.001", "pain.002", "camt.053", "camt.054")


def message_family(source: Source) -> str:
    """Which message a file holds (`pain.002`, `camt.053`, ...), from its root namespace.

    Raises `MalformedMessage` for a file that is not well-formed, has a DOCTYPE, or is none of
    `FAMILIES`. Reads only the start of the file.
    """
    with opened(source) as stream:
        root = probe(stream)
    return message_namespace(root, FAMILIES).rsplit(":", 1)[-1][:8]


@contextmanager
def streamed(
    source: Source, families: Sequence[str], names: Sequence[str], events: Sequence[str] = ("end",)
) -> Iterator[tuple[str, Iterator[tuple[str, etree._Element]]]]:
    """(namespace, events) streaming only the elements with the given local names.

    The caller clears what it has read, so memory stays bounded whatever the file size.
    Whitespace between elements (a file's indentation) is not kept: every reader strips the
    text it reads, and keeping it cost about 2 µs of the 35 that reading a camt entry takes.
    """
    with opened(source) as stream:
        ns = message_namespace(probe(stream), families)
        tags = [f"{{{ns}}}{name}" for name in names]
        parser = etree.iterparse(stream, events=tuple(events), tag=tags, remove_blank_text=True, **_HARDENED)
        yield ns, _guarded(stream, parser)


def _guarded(
    stream: BinaryIO, parser: Iterator[tuple[str, etree._Element]]
) -> Iterator[tuple[str, etree._Element]]:
    try:
        yield from parser
    except etree.XMLSyntaxError as exc:
        stream.seek(0)
        reason, line = _syntax(exc)
        raise MalformedMessage(reason, _open_path_at_error(stream), line) from exc


def _syntax(exc: etree.XMLSyntaxError) -> tuple[str, int | None]:
    """The parser's own words and line; iterparse sometimes reports only "no element found" at
    line 0 and keeps the real cause (an undefined entity, say) in its error log."""
    last = exc.error_log.last_error if exc.error_log else None
    if exc.lineno or last is None:
        return f"not well-formed XML: {exc.msg}", exc.lineno
    return f"not well-formed XML: {last.message}", last.line


def _open_path_at_error(stream: BinaryIO) -> str:
    """Parse again with every event, only after a failure, to name the element that was open."""
    stack: list[str] = []
    counters: list[dict[str, int]] = [{}]
    try:
        for event, elem in etree.iterparse(stream, events=("start", "end"), **_HARDENED):
            if event == "start":
                name = local_name(elem)
                counters[-1][name] = counters[-1].get(name, 0) + 1
                stack.append(f"{name}[{counters[-1][name]}]" if counters[-1][name] > 1 else name)
                counters.append({})
            else:
                stack.pop()
                counters.pop()
                elem.clear()
    except etree.XMLSyntaxError:
        return "/" + "/".join(stack)
    return "/" + "/".join(stack)


def parse_tree(source: Source) -> etree._ElementTree:
    """The whole document as a tree, for small files (status reports, notifications, our own)."""
    with opened(source) as stream:
        probe(stream)
        parser = etree.XMLParser(**_HARDENED)
        try:
            return etree.parse(stream, parser)
        except etree.XMLSyntaxError as exc:
            stream.seek(0)
            reason, line = _syntax(exc)
            raise MalformedMessage(reason, _open_path_at_error(stream), line) from exc


@lru_cache(maxsize=8)
def schema(file_name: str) -> etree.XMLSchema:
    """An official schema shipped in `schemas/` (compiled once per process)."""
    with resources.as_file(resources.files(__package__) / "schemas" / file_name) as path:
        return etree.XMLSchema(etree.parse(str(path), etree.XMLParser(**_HARDENED)))


def validate(tree: etree._ElementTree, file_name: str) -> None:
    """Raise `MalformedMessage` at the first place where `tree` breaks the schema."""
    checker = schema(file_name)
    if checker.validate(tree):
        return
    error = checker.error_log[0]
    found = tree.xpath(error.path) if error.path else []
    path = element_path(found[0]) if found else error.path
    raise MalformedMessage(f"does not match {file_name}: {_plain(error.message)}", path, error.line)


def _plain(message: str) -> str:
    """Schema messages repeat the namespace in every element name; drop it for humans."""
    return re.sub(r"\{[^}]*\}", "", message)
