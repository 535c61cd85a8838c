"""Typed values read from one element, with the element path and line in every error.

Amounts are integer đồng: VND has no minor unit, so `500000.00` is read as 500000 but
`500000.50` is refused rather than rounded, and a currency other than VND is refused.
A date-time without an offset is taken as Vietnam time (UTC+07:00), the banks' local time.
"""

import re
from datetime import UTC, date, datetime, timedelta, timezone

from lxml import etree

from payments.adapters.iso20022.xmlsafe import MalformedMessage, element_path

VIETNAM = timezone(timedelta(hours=7))
_AMOUNT = re.compile(r"^\s*(\d{1,18})(?:\.(\d{1,17}))?\s*$")


_LAYOUTS: dict[tuple, dict[str, tuple[int, ...]]] = {}
_MAX_LAYOUTS = 256  # distinct element shapes remembered; a file of endless shapes is only slower


def _layout(nodes: list[etree._Element], cut: int, opaque: frozenset[str]) -> dict[str, tuple[int, ...]]:
    """{relative path: positions in `nodes`} for an element's descendants in document order.

    The paths follow from the tags and child counts alone, and a statement repeats a few
    entry shapes a million times, so they are worked out once per shape: indexing an entry
    is then two C-level passes over its descendants instead of a Python walk of its tree.
    Comments and processing instructions take a position but have no path; the descendants
    of an `opaque` path are left out (each is read through `Here.at`).
    """
    tags, sizes = tuple([node.tag for node in nodes]), tuple(map(len, nodes))
    key = (cut, opaque, tags, sizes)
    found = _LAYOUTS.get(key)
    if found is not None:
        return found
    layout: dict[str, list[int]] = {}
    open_parents: list[list] = [[len(nodes) + 1, ""]]  # [children still to come, path prefix or None]
    for position, (tag, size) in enumerate(zip(tags, sizes, strict=True)):
        while open_parents[-1][0] == 0:
            open_parents.pop()
        parent = open_parents[-1]
        parent[0] -= 1
        if parent[1] is None or not isinstance(tag, str):  # inside an opaque part; a comment or PI
            name = None
        else:
            name = parent[1] + tag[cut:]
            layout.setdefault(name, []).append(position)
        if size:
            open_parents.append([size, None if name is None or name in opaque else name + "/"])
    frozen = {name: tuple(positions) for name, positions in layout.items()}
    if len(_LAYOUTS) < _MAX_LAYOUTS:
        _LAYOUTS[key] = frozen
    return frozen


class Here:
    """An element being read, with its full path for errors (which streaming cannot recompute).

    Looking up a child path is a dict get: the subtree is indexed by relative path on first
    use (see `_layout`), which is several times faster than lxml's `find` for the thirty-odd
    reads of an entry.
    """

    __slots__ = ("_layout", "_nodes", "_parent", "_path", "_prefix", "elem", "ns", "opaque")

    def __init__(
        self,
        elem: etree._Element,
        ns: str,
        path: str | None = None,
        parent: "Here | None" = None,
        opaque: frozenset[str] = frozenset(),
    ) -> None:
        self.elem = elem
        self.ns = ns
        self.opaque = opaque  # child paths indexed but not entered: each is read through `at`
        self._path = path
        self._parent = parent
        self._nodes: list[etree._Element] = []
        self._layout: dict[str, tuple[int, ...]] | None = None
        self._prefix = ""  # a view into its parent's index (see `each`) reads under this path

    @property
    def path(self) -> str:
        if self._path is None:
            self._path = (
                self._parent.where(self.elem) if self._parent is not None else element_path(self.elem)
            )
        return self._path

    def where(self, node: etree._Element) -> str:
        return self.path if node is self.elem else self.path + element_path(node, stop=self.elem)

    def fail(self, reason: str, node: etree._Element | None = None, missing: str = "") -> MalformedMessage:
        node = self.elem if node is None else node
        path = self.where(node) + (f"/{missing}" if missing else "")
        return MalformedMessage(reason, path, node.sourceline)

    def _paths(self) -> dict[str, tuple[int, ...]]:
        self._nodes = list(self.elem.iterdescendants())
        self._layout = _layout(self._nodes, len(self.ns) + 2, self.opaque)
        return self._layout

    def find(self, path: str) -> etree._Element | None:
        found = (self._layout if self._layout is not None else self._paths()).get(self._prefix + path)
        return self._nodes[found[0]] if found else None

    def findall(self, path: str) -> list[etree._Element]:
        found = (self._layout if self._layout is not None else self._paths()).get(self._prefix + path, ())
        return [self._nodes[position] for position in found]

    def at(self, node: etree._Element) -> "Here":
        return Here(node, self.ns, parent=self)

    def each(self, path: str) -> list["Here"]:
        """A Here for each element at `path`. The only one there is read through this index
        (no second walk of its subtree); one of several, through its own."""
        found, full = self.findall(path), self._prefix + path
        if len(found) != 1 or full in self.opaque:  # an opaque part has no index here: its own
            return [self.at(node) for node in found]
        view = Here(found[0], self.ns, parent=self, opaque=self.opaque)  # opaque paths are the index's
        view._nodes, view._layout, view._prefix = self._nodes, self._layout, f"{full}/"
        return [view]

    def child(self, path: str) -> "Here":
        """The element at `path`, which must be there."""
        node = self.find(path)
        if node is None:
            raise self.fail(f"required element {path.rsplit('/', 1)[-1]} is missing", missing=path)
        return self.at(node)

    def text(self, path: str) -> str | None:
        """The stripped text at `path`, or None when the element is absent or empty."""
        found = (self._layout if self._layout is not None else self._paths()).get(self._prefix + path)
        value = self._nodes[found[0]].text if found else None  # inlined find: ~25 times per entry
        return (value.strip() or None) if value else None

    def required(self, path: str) -> str:
        node = self.find(path)
        if node is None:
            raise self.fail(f"required element {path.rsplit('/', 1)[-1]} is missing", missing=path)
        if not (node.text or "").strip():
            raise self.fail(f"{path.rsplit('/', 1)[-1]} is empty", node)
        return node.text.strip()

    def amount_vnd(self, path: str, *, required: bool = True) -> int | None:
        """Integer đồng from an amount element with Ccy="VND"."""
        node = self.find(path)
        if node is None:
            if required:
                raise self.fail(f"required amount {path.rsplit('/', 1)[-1]} is missing", missing=path)
            return None
        currency = node.get("Ccy")
        if currency is not None and currency != "VND":
            raise self.fail(f"currency {currency} is not supported: amounts must be in VND", node)
        return self._whole_dong(node)

    def _whole_dong(self, node: etree._Element) -> int:
        match = _AMOUNT.match(node.text or "")
        if not match:
            raise self.fail(f"{node.text!r} is not an amount", node)
        if match.group(2) and match.group(2).strip("0"):
            raise self.fail(f"{match.group(0).strip()} has a fraction of a đồng; VND has no minor unit", node)
        return int(match.group(1))

    def credit_debit(self, path: str) -> str:
        value = self.required(path)
        if value not in ("CRDT", "DBIT"):
            raise self.fail(f"{value!r} is neither CRDT nor DBIT", self.find(path))
        return value

    def count(self, path: str) -> int | None:
        value = self.text(path)
        if value is None:
            return None
        if not value.isdigit():
            raise self.fail(f"{value!r} is not a whole number", self.find(path))
        return int(value)

    def day(self, path: str) -> date | None:
        """The date of a DateAndDateTime2Choice (`Dt`, or the Vietnam-local date of `DtTm`)."""
        found = self.find(f"{path}/Dt")
        if found is not None and (text := (found.text or "").strip()):
            return self._iso_date(text, found)
        if self.text(f"{path}/DtTm") is not None:
            return self.moment(f"{path}/DtTm").astimezone(VIETNAM).date()
        node = self.find(path)
        if node is None:
            return None
        raise self.fail("neither Dt nor DtTm is given", node)

    def required_day(self, path: str) -> date:
        self.child(path)  # raises when the element is missing
        found = self.day(path)
        assert found is not None  # present, so Dt or DtTm, or day() raised
        return found

    def moment(self, path: str) -> datetime:
        """An ISODateTime as aware UTC."""
        text = self.required(path)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise self.fail(f"{text!r} is not an ISO date-time", self.find(path)) from None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM)).astimezone(UTC)

    def _iso_date(self, text: str, node: etree._Element | None) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise self.fail(f"{text!r} is not an ISO date (YYYY-MM-DD)", node) from None
