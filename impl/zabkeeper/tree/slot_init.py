"""A faster ``__init__`` for frozen, slotted dataclasses: the records built for every request.

The ``__init__`` that ``dataclass(frozen=True)`` generates stores each field with
``object.__setattr__(self, "name", value)``, a lookup by name plus a generic call per field;
a Stat (11 fields) then costs more to build than everything apply does to the tree for a
setData. ``install_slot_init`` gives such a class an ``__init__`` that calls each slot's own
descriptor instead: the same parameters (names, order, defaults) and the same resulting object
in about half the time, and assigning a field afterwards still raises FrozenInstanceError (that
goes through the class's ``__setattr__``, which is left alone).

This is the technique ``dataclasses`` itself uses (an ``__init__`` built from source text), only
with a cheaper store, so the classes remain ordinary dataclasses for ``fields``, ``replace``,
equality, hashing and mypy.
"""

from __future__ import annotations

import dataclasses
from typing import Any


def install_slot_init(cls: type) -> None:
    """Replace the generated ``__init__`` of the frozen, slotted dataclass ``cls``."""
    params = getattr(cls, "__dataclass_params__", None)
    assert params is not None and params.frozen and params.init, cls
    assert "__slots__" in cls.__dict__ and not hasattr(cls, "__post_init__"), cls
    fields = dataclasses.fields(cls)
    if not fields:
        return
    namespace: dict[str, Any] = {}
    parameters: list[str] = []
    stores: list[str] = []
    for index, field in enumerate(fields):
        assert field.init and field.default_factory is dataclasses.MISSING, (cls, field.name)
        namespace[f"_store{index}"] = cls.__dict__[field.name].__set__
        if field.default is dataclasses.MISSING:
            parameters.append(field.name)
        else:
            namespace[f"_default{index}"] = field.default
            parameters.append(f"{field.name}=_default{index}")
        stores.append(f"    _store{index}(self, {field.name})\n")
    exec(f"def __init__(self, {', '.join(parameters)}):\n{''.join(stores)}", namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = f"Store the {len(fields)} fields of {cls.__name__} (see zabkeeper.tree.slot_init)."
    type.__setattr__(cls, "__init__", init)
