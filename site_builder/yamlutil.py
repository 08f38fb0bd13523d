"""A strict, line-aware YAML loader shared by every reader.

PyYAML follows YAML 1.1: `18:30` becomes the integer 1110, `no` becomes False and
`2025-01-07` becomes a date before the reader can say which line it came from.  This loader
resolves only what YAML 1.2's core schema resolves (null, true/false, decimal ints, floats) and
leaves everything else as a string, so readers parse dates and times themselves and report
`path:line: field: message`.  Mappings and sequences remember the line of each key and item.
Duplicate keys are errors, not a silent last-one-wins.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from site_builder.errors import ContentError


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


def _construct_mapping(loader: "_Loader", node: yaml.MappingNode) -> YMap:
    loader.flatten_mapping(node)
    result = YMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key) if key is not None else ""
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: "_Loader", node: yaml.SequenceNode) -> YList:
    result = YList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_int(loader: "_Loader", node: yaml.ScalarNode) -> int:
    return int(loader.construct_scalar(node))


_Constructor.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Constructor.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_Constructor.add_constructor("tag:yaml.org,2002:int", _construct_int)
# Explicit !!timestamp and friends stay strings: readers parse dates with file and line.
_Constructor.add_constructor("tag:yaml.org,2002:timestamp", yaml.constructor.SafeConstructor.construct_yaml_str)


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _Constructor,
    _Resolver,
):
    def __init__(self, stream: str):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Constructor.__init__(self)
        _Resolver.__init__(self)


if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml._yaml.CParser, _Constructor, _Resolver):  # type: ignore[name-defined]
        """libyaml's parser (about 8× faster) with the same strict resolver and constructor."""

        def __init__(self, stream: str):
            yaml._yaml.CParser.__init__(self, stream)
            _Constructor.__init__(self)
            _Resolver.__init__(self)

    _LOADER: type = _FastLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _LOADER = _Loader


def load_yaml(text: str, path: str, line_offset: int = 0) -> Any:
    """Parse one YAML document; raise ContentError(path, line, "yaml", ...) on bad syntax.

    `line_offset` is added to every line number (front matter starts after the `---` line).
    """
    loader = _LOADER(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and "end of stream" in (exc.problem or ""):
            mark = exc.context_mark  # an unclosed quote or bracket: point at where it was opened
        line = (mark.line + 1 if mark else 1) + line_offset
        what = exc.problem or str(exc)
        if exc.context and "duplicate" not in what:
            what = f"{exc.context}, {what}"
        raise ContentError(path, line, "yaml", f"invalid YAML: {what}") from None
    except yaml.YAMLError as exc:  # e.g. a reader error on a control character
        raise ContentError(path, 1 + line_offset, "yaml", f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if line_offset:
        _shift(data, line_offset)
    return data


def _shift(value: Any, offset: int) -> None:
    if isinstance(value, YMap):
        value.line += offset
        value.key_lines = {k: v + offset for k, v in value.key_lines.items()}
        for item in value.values():
            _shift(item, offset)
    elif isinstance(value, YList):
        value.line += offset
        value.item_lines = [n + offset for n in value.item_lines]
        for item in value:
            _shift(item, offset)
