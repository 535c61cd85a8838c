"""Building ISO 20022 documents: a small element builder, fragments and atomic file writes."""

import os
import tempfile
from pathlib import Path

from lxml import etree


class Builder:
    """Makes elements in one message namespace; `add` creates a path, reusing a trailing parent.

    `add(tx, "Amt/InstdAmt", "100", Ccy="VND")` appends `<Amt><InstdAmt Ccy="VND">100</InstdAmt></Amt>`;
    a second `add(tx, "Amt/...")` right after reuses that `Amt`. Callers add in schema order.
    """

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def tag(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def root(self, name: str) -> etree._Element:
        return etree.Element(self.tag(name), nsmap={None: self.ns})

    def add(self, parent: etree._Element, path: str, text: str | None = None, **attrs: str) -> etree._Element:
        node = parent
        *steps, last = path.split("/")
        for step in steps:
            tail = node[-1] if len(node) else None
            node = (
                tail
                if tail is not None and tail.tag == self.tag(step)
                else etree.SubElement(node, self.tag(step))
            )
        leaf = etree.SubElement(node, self.tag(last), attrs)
        leaf.text = text
        return leaf

    def opt(self, parent: etree._Element, path: str, text: str | None, **attrs: str) -> None:
        """`add` only when there is a value: optional elements stay out rather than empty."""
        if text is not None:
            self.add(parent, path, text, **attrs)

    def fragment(self, elem: etree._Element) -> bytes:
        """Serialise a subtree for a streamed document whose root already declares the namespace."""
        data = etree.tostring(elem, encoding="UTF-8", pretty_print=True)
        return data.replace(f' xmlns="{self.ns}"'.encode(), b"", 1)


def document_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over `path`.

    A reader polling the folder sees either no file or the whole file, never half of one;
    temporary names start with a dot so that folder watchers ignore them.
    """
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
