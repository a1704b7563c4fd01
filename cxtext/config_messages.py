"""Pydantic's validation errors as the one-line `ConfigError` the CLI prints: the key, the file, the fix.

Validators raise `problem(...)` for a broken rule; unknown keys (pydantic's ``extra_forbidden``, or
``unknown_field`` for a source's columns) get the nearest known key.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from cxtext.errors import ConfigError


def problem(text: str, key: str | None = None) -> PydanticCustomError:
    """A rule broken; *key* names the offending entry below the validated field, if any."""
    return PydanticCustomError("cxtext", "{problem}", {"problem": text, "key": key})


#: What a value must be, by pydantic error type.
_EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


def one_line_error(exc: ValidationError, model: type[BaseModel], where: str, prefix: tuple = ()) -> ConfigError:
    """The first problem pydantic found as one line naming the key and *where* (the file)."""
    errors = exc.errors(include_url=False)
    error, more = errors[0], len(errors) - 1
    ctx = error.get("ctx") or {}
    loc = tuple(error["loc"])
    key = _dotted(prefix + loc + ((ctx["key"],) if ctx.get("key") else ()))
    kind, value = error["type"], error.get("input")
    if kind in ("extra_forbidden", "unknown_field"):
        node, _ = _field_at(model, loc[:-1] if kind == "extra_forbidden" else loc)
        known = ctx.get("known") or (list(node.model_fields) if _is_model(node) else [])
        parent = _dotted(prefix + loc[:-1] if kind == "extra_forbidden" else prefix + loc)
        word = "field" if kind == "unknown_field" else "setting"
        name = key.rsplit(".", 1)[-1]
        line = f"{where}: unknown {word} {key!r}; {suggest(name, known, parent)}"
    else:
        _, info = _field_at(model, loc)
        hint = f" ({info.description})" if info is not None and info.description else ""
        if kind == "cxtext":
            what = ctx["problem"]
        elif kind == "missing":
            what = f"is required{hint}"
        elif kind == "literal_error":
            what = f"must be one of {ctx['expected']}, got {_shown_value(value)}"
        elif kind in ("greater_than_equal", "greater_than"):
            bound = ctx.get("ge", ctx.get("gt"))
            what = f"must be {'at least' if kind == 'greater_than_equal' else 'above'} {bound}{hint}, got {_shown_value(value)}"
        elif kind in _EXPECTED:
            what = f"must be {_EXPECTED[kind]}{hint}, got {_shown_value(value)}"
        else:
            what = f"{error['msg']}, got {_shown_value(value)}"
        line = f"{where}: {key}: {what}" if key else f"{where}: {what}"
    return ConfigError(line + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""))


def suggest(name: str, known, parent: str = "") -> str:
    """'did you mean ...?' with the closest known key, or the list of known keys."""
    near = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if near:
        return f"did you mean {_dotted((parent, near[0]) if parent else (near[0],))!r}?"
    return f"known: {', '.join(known)}"


def _field_at(model: type[BaseModel], loc: tuple):
    """The type at a validation error's location and the last model field on the way (for its description)."""
    node, info = model, None
    for part in loc:
        if _is_model(node):
            info = next((f for n, f in node.model_fields.items() if part in (n, f.alias)), None)
            if info is None:
                return None, None
            node = info.annotation
        elif get_origin(node) in (dict, list):
            node = get_args(node)[-1]
        else:
            return None, info
    return node, info


def _is_model(node) -> bool:
    return isinstance(node, type) and issubclass(node, BaseModel)


def _dotted(loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _shown_value(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def shown_path(path: Path) -> str:
    """A file as a message names it: relative to the working folder when it is inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
