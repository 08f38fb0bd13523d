"""A strict, line-aware, bounded YAML loader shared by every reader.

PyYAML follows YAML 1.1: `18:30` becomes the integer 1110, `no` becomes False and
`2025-01-07` becomes a date before the reader can say which line it came from.  This loader
resolves only what YAML 1.2's core schema resolves (null, true/false, decimal ints, floats) and
leaves everything else as a string, so readers parse dates and times themselves and report
`path:line: field: message`.  Mappings and sequences remember the line of each key and item.
Duplicate keys are errors, not a silent last-one-wins.

Input is bounded before anything is built from it: nesting deeper than MAX_DEPTH, aliases
that would repeat more than MAX_ALIAS_NODES values (a "billion laughs" file), numbers longer
than MAX_DIGITS and explicit tags other than the core ones (`!!str`, `!!int`, `!!float`,
`!!bool`, `!!null`, `!!map`, `!!seq`, `!!timestamp`) are refused at their line.  Control
characters that escapes such as "\\e" or "\\x0b" put in a string are removed, with a warning.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from site_builder.errors import ContentError, Problem, shown

MAX_DEPTH = 50  # lists and mappings inside each other; the calendar needs 4
MAX_ALIAS_NODES = 10_000  # values that aliases (*name) may add to one file in all
MAX_DIGITS = 50  # of a whole number
# Control characters other than tab and newline; a vertical tab (Word's line break), a form
# feed and NEL become a space, a carriage return a newline, the rest are removed.  NUL ("\\0")
# is left for the readers to refuse where it matters (a slug or id never holds one).
_CONTROL = re.compile("[\x01-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_AS = {"\x0b": " ", "\x0c": " ", "\x85": " ", "\r": "\n"}
_CORE = "tag:yaml.org,2002:"


class _Refused(Exception):
    """Well-formed YAML this loader will not build a value from (raised at the node's line)."""

    def __init__(self, mark: Any, message: str, field: str = ""):
        super().__init__(message)
        self.line = mark.line + 1 if mark is not None else 1
        self.message, self.field = message, field


class YMap(dict):
    """A dict that knows the (1-based) line of itself and of each of its keys."""

    line: int = 1
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class YList(list):
    """A list that knows the (1-based) line of itself and of each item."""

    line: int = 1
    item_lines: list

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class _Resolver(yaml.resolver.BaseResolver):
    pass


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)
_Resolver.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


class _Constructor(yaml.constructor.SafeConstructor):
    pass


def _field(loader: Any) -> str:
    """The dotted path of the value being built (`events[2].title`), for messages."""
    return "".join(loader.field_path).lstrip(".")


def _construct_mapping(loader: Any, node: yaml.Node) -> YMap:
    if not isinstance(node, yaml.MappingNode):
        raise _Refused(node.start_mark, "!!map must be given keys and values", _field(loader))
    loader.flatten_mapping(node)
    result = YMap()
    result.line = node.start_mark.line + 1 + loader.line_offset
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key) if key is not None else ""
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {shown(key)}", key_node.start_mark
            )
        loader.field_path.append(f".{key}")
        result[key] = loader.construct_object(value_node, deep=True)
        loader.field_path.pop()
        result.key_lines[key] = key_node.start_mark.line + 1 + loader.line_offset
    return result


def _construct_sequence(loader: Any, node: yaml.Node) -> YList:
    if not isinstance(node, yaml.SequenceNode):
        raise _Refused(node.start_mark, "!!seq must be given a list", _field(loader))
    result = YList()
    for i, child in enumerate(node.value):
        loader.field_path.append(f"[{i}]")
        result.append(loader.construct_object(child, deep=True))
        loader.field_path.pop()
    result.line = node.start_mark.line + 1 + loader.line_offset
    result.item_lines = [child.start_mark.line + 1 + loader.line_offset for child in node.value]
    return result


def _construct_str(loader: Any, node: yaml.Node) -> str:
    value = loader.construct_scalar(node)
    if _CONTROL.search(value):
        found = sorted(set(_CONTROL.findall(value)))
        value = _CONTROL.sub(lambda m: _CONTROL_AS.get(m.group(), ""), value.replace("\r\n", "\n"))
        codes = ", ".join(f"\\x{ord(c):02x}" for c in found)
        loader.warnings.append(Problem(
            loader.path, node.start_mark.line + 1 + loader.line_offset, _field(loader) or "yaml",
            f"control character{'s' if len(found) > 1 else ''} {codes} removed: a page or a calendar "
            f"cannot show {'them' if len(found) > 1 else 'it'} (was it an escape such as \\e or \\x0b in double quotes?)",
            "warning"))
    return value


def _scalar(loader: Any, node: yaml.Node, tag: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise _Refused(node.start_mark, f"{tag} must be given a single value, not a list or mapping", _field(loader))
    return loader.construct_scalar(node)


def _construct_int(loader: Any, node: yaml.Node) -> int:
    text = _scalar(loader, node, "!!int").strip()
    digits = text.lstrip("+-")
    if not re.fullmatch(r"[-+]?[0-9]+", text):
        raise _Refused(node.start_mark, f"!!int needs a whole number such as 12, got {shown(text)}", _field(loader))
    if len(digits) > MAX_DIGITS:
        raise _Refused(node.start_mark, f"number too long ({len(digits)} digits; at most {MAX_DIGITS}): "
                       "put it in quotes if it is text", _field(loader))
    return int(text)


def _construct_float(loader: Any, node: yaml.Node) -> float:
    text = _scalar(loader, node, "!!float")
    if len(text) <= 100:
        try:
            return yaml.constructor.SafeConstructor.construct_yaml_float(loader, node)
        except ValueError:
            pass
    raise _Refused(node.start_mark, f"!!float needs a number such as 1.5, got {shown(text)}", _field(loader))


def _construct_bool(loader: Any, node: yaml.Node) -> bool:
    text = _scalar(loader, node, "!!bool").strip()
    if text.lower() not in ("true", "false"):
        raise _Refused(node.start_mark, f"!!bool needs true or false, got {shown(text)}", _field(loader))
    return text.lower() == "true"


def _refuse_tag(loader: Any, node: yaml.Node) -> Any:
    tag = node.tag.replace(_CORE, "!!", 1) if node.tag.startswith(_CORE) else node.tag
    raise _Refused(node.start_mark, f"the tag {shown(tag)} is not supported here: remove it "
                   "(values are text, numbers, true/false, lists and mappings)", _field(loader))


_Constructor.add_constructor(_CORE + "map", _construct_mapping)
_Constructor.add_constructor(_CORE + "seq", _construct_sequence)
_Constructor.add_constructor(_CORE + "str", _construct_str)
_Constructor.add_constructor(_CORE + "int", _construct_int)
_Constructor.add_constructor(_CORE + "float", _construct_float)
_Constructor.add_constructor(_CORE + "bool", _construct_bool)
# Explicit !!timestamp and friends stay strings: readers parse dates with file and line.
_Constructor.add_constructor(_CORE + "timestamp", _construct_str)
for _tag in ("binary", "omap", "pairs", "set"):
    _Constructor.add_constructor(_CORE + _tag, _refuse_tag)
_Constructor.add_constructor(None, _refuse_tag)  # !!python/object, !local and every other tag


class _State:
    """What the constructors need to know besides the node: where lines start, which file,
    the field being built, the warnings found."""

    def _start(self, path: str, line_offset: int) -> None:
        self.path, self.line_offset = path, line_offset
        self.field_path: list[str] = []
        self.warnings: list[Problem] = []


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _Constructor,
    _Resolver,
    _State,
):
    def __init__(self, stream: str):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Constructor.__init__(self)
        _Resolver.__init__(self)


if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml._yaml.CParser, _Constructor, _Resolver, _State):  # type: ignore[name-defined]
        """libyaml's parser (about 8× faster) with the same strict resolver and constructor.
        libyaml itself stops at 1,000 levels of nesting, so composing can never overflow."""

        def __init__(self, stream: str):
            yaml._yaml.CParser.__init__(self, stream)
            _Constructor.__init__(self)
            _Resolver.__init__(self)

    _LOADER: type = _FastLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _LOADER = _Loader


class _AliasBlame(_Loader):
    """The pure-Python composer, which sees each alias (*name) where it is written: used only
    once a document is known to expand too far, to report the alias that crosses the limit."""

    def _start_blame(self) -> None:
        self.added, self.sizes, self.keys = 0, {}, [""]

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = self.anchors.get(event.anchor)
            if node is not None:
                self.added += _graph(node, self.sizes)[1]
                if self.added > MAX_ALIAS_NODES:
                    raise _Refused(event.start_mark, f"the alias *{event.anchor[:40]} makes this file repeat "
                                   f"more than {MAX_ALIAS_NODES:,} values; write the values out instead "
                                   "(aliases inside aliases can exhaust the memory)", self.keys[-1])
        if not isinstance(index, yaml.ScalarNode):  # not a mapping's value: the key around it stays
            return super().compose_node(parent, index)
        self.keys.append(str(index.value))
        try:
            return super().compose_node(parent, index)
        finally:
            self.keys.pop()


def _children(node: yaml.Node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return node.value
    return []


def _graph(root: yaml.Node, sizes: dict) -> tuple[int, int, int]:
    """(height, expanded size, nodes written) of a node graph, without recursion; `sizes` memoizes
    id(node) → (height, size) for lists and mappings, so a node shared through aliases is
    measured once.  Raises _Refused for an alias inside the list or mapping it names."""
    scalar, limit = yaml.ScalarNode, 10**15  # sizes are capped far above any file's node count
    if root.__class__ is scalar:
        return 1, 1, 1
    written = 0
    open_ids: set[int] = set()
    stack: list[tuple[yaml.Node, list | None]] = [(root, None)]
    while stack:
        node, kids = stack.pop()
        key = id(node)
        if kids is not None:  # every child measured: measure the node
            open_ids.discard(key)
            height, size = (1 if kids else 0), 1
            written += 1
            for kid in kids:
                if kid.__class__ is scalar:
                    size += 1
                    written += 1
                else:
                    h, n = sizes[id(kid)]
                    size += n
                    if h > height:
                        height = h
            sizes[key] = (height + 1, min(size, limit))
        elif key in open_ids:
            raise _Refused(node.start_mark, "an alias (*name) refers to the list or mapping that holds it")
        elif key not in sizes:
            open_ids.add(key)
            kids = _children(node)
            stack.append((node, kids))
            stack.extend((k, None) for k in kids if k.__class__ is not scalar and id(k) not in sizes)
    return (*sizes[id(root)], written)


def _check_bounds(root: yaml.Node, text: str) -> None:
    """Refuse a document nested deeper than MAX_DEPTH or expanding (through aliases) by more
    than MAX_ALIAS_NODES values, before a single value is built from it."""
    sizes: dict[int, tuple[int, int]] = {}
    height, size, written = _graph(root, sizes)
    if height > MAX_DEPTH:
        node, depth, field = root, 1, ""
        while depth <= MAX_DEPTH:  # follow the deepest branch down to the first level too many
            parent = node
            node = max(_children(node), key=lambda k: sizes.get(id(k), (1,))[0])
            if isinstance(parent, yaml.MappingNode):
                field = next((str(k.value) for k, v in parent.value if v is node and isinstance(k, yaml.ScalarNode)), field)
            depth += 1
        raise _Refused(node.start_mark, f"lists and mappings are nested more than {MAX_DEPTH} deep here; "
                       "flatten the structure", field)
    if size - written > MAX_ALIAS_NODES:
        blame = _AliasBlame(text)
        blame._start_blame()
        try:
            blame.get_single_node()
        finally:
            blame.dispose()
        raise _Refused(None, f"aliases (*name) make this file repeat more than {MAX_ALIAS_NODES:,} values")


def _quoted(value: str) -> str:
    """`value` as a YAML double-quoted scalar, every character that does not print (a tab, a
    zero-width joiner, a line separator) written as its escape: one printable line."""
    def one(ch: str) -> str:
        if ch in '"\\':
            return "\\" + ch
        return ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")

    return '"' + "".join(map(one, value)) + '"'


def _in_words(problem: str, mark: Any, text: str, line_offset: int) -> str | None:
    """The two syntax mistakes volunteers make most, said so they can fix them (None: another).

    A tab anywhere YAML reads indentation ("found character that cannot start any token"): where
    it is, and that YAML indents with spaces.  `title: Picket: Friday` ("mapping values are not
    allowed"): a colon and a space inside a value need quotes, and the line as it should be."""
    lines = text.splitlines()
    if mark is None or not 0 <= mark.line < len(lines):
        return None
    row = lines[mark.line]
    at = row[mark.column] if mark.column < len(row) else ""
    if "tab" in problem or at == "\t" or ("cannot start any token" in problem and "\t" in row):
        if "\t" not in row:
            return None
        column = row.index("\t") + 1
        return (f"line {mark.line + 1 + line_offset}, column {column} holds a tab; YAML indents with spaces, "
                "never tabs: replace the tab with spaces (as many as the lines around it use)")
    if "mapping values are not allowed" not in problem or at != ":":
        return None
    found = re.match(r"(\s*(?:-\s+)*)([^\s:#'\"][^:#]*?):\s+(.*?)\s*$", row)
    if found is None or found.end(2) >= mark.column:  # the colon is the line's own: `  date: ...`
        if row[:1].isspace():
            return ("this line is indented more than the line above it; the keys of one entry start in the "
                    "same column (indent with spaces, and only under a key that ends with a colon)")
        return None
    start, key, value = found.groups()
    value = re.split(r"\s+#", value)[0]  # (a comment stays a comment)
    if value[:1] in ("'", '"', "[", "{", "|", ">"):
        return None
    return (f"a colon followed by a space inside a value needs quotes around the whole value: "
            f"write {start.lstrip()}{key}: {_quoted(value)}")


def entry_field(section: str, entry: Any, index: int, named_by: str = "title") -> str:
    """How a problem names one entry of a list: by its id, `events["kaiser-picket"]`; without
    one by its title, `events[title="Kaiser picket"]`; else by its place, counted from 1,
    `events[entry 2]` (never `events[1]`, which a volunteer reads as the first)."""
    def said(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
            return None
        text = " ".join(str(value).split())
        return _quoted(text if len(text) <= 40 else text[:39] + "…")

    if isinstance(entry, dict):
        if ident := said(entry.get("id")):
            return f"{section}[{ident}]"
        if name := said(entry.get(named_by)):
            return f"{section}[{named_by}={name}]"
    return f"{section}[entry {index + 1}]"


def load_yaml(text: str, path: str, line_offset: int = 0, warnings: list[Problem] | None = None) -> Any:
    """Parse one YAML document; raise ContentError(path, line, field, ...) on bad syntax or on
    input refused by the bounds above.

    `line_offset` is added to every line number (front matter starts after the `---` line).
    Warnings (control characters removed from a string) are appended to `warnings`.
    """
    loader = _LOADER(text)
    loader._start(path, line_offset)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_bounds(node, text)
        data = loader.construct_document(node)
    except _Refused as exc:
        raise ContentError(path, exc.line + line_offset, exc.field or "yaml", exc.message) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and "end of stream" in (exc.problem or ""):
            mark = exc.context_mark  # an unclosed quote or bracket: point at where it was opened
        line = (mark.line + 1 if mark else 1) + line_offset
        what = exc.problem or str(exc)
        if exc.context and "duplicate" not in what:
            what = f"{exc.context}, {what}"
        what = _in_words(exc.problem or "", mark, text, line_offset) or what
        raise ContentError(path, line, "yaml", f"invalid YAML: {what}") from None
    except yaml.YAMLError as exc:  # e.g. a reader error on a control character
        raise ContentError(path, 1 + line_offset, "yaml", f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if warnings is not None:
        warnings.extend(loader.warnings)
    return data
