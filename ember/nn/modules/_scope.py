"""Which module is running: the dotted path of each forward, for error messages and anomaly mode.

``Module.__call__`` enters a scope around ``forward``: the path (e.g. ``features.3``) is pushed
on ``ember.autograd.anomaly``'s scope so anomaly reports name the layer, and an exception escaping
a submodule gets the path and class of the innermost module prepended to its message, once.
"""

from __future__ import annotations

from ember.autograd.anomaly import pop_scope, push_scope

# (module, path) of every forward running now, innermost last; the path is relative to the
# outermost module ("" for it). NOTE: shared by threads, like anomaly's scope stack.
_CALL_STACK: list = []


def _child_path(parent, child) -> str:
    """Dotted name of ``child`` inside ``parent`` (cached on the parent, validated on use)."""
    cache = parent.__dict__.get("_scope_cache")
    if cache is not None:
        entry = cache.get(id(child))
        if entry is not None:
            m = parent
            for atom in entry[1]:
                m = m._modules.get(atom)
                if m is None:
                    break
            if m is child:
                return entry[0]
    # first call, or the tree changed: index every descendant once
    cache = {}
    for name, m in parent.named_modules():
        if m is not parent and id(m) not in cache:
            cache[id(m)] = (name, tuple(name.split(".")))
    parent.__dict__["_scope_cache"] = cache
    entry = cache.get(id(child))
    return entry[0] if entry is not None else f"<{type(child).__name__}>"


def enter(module) -> str:
    """Push ``module``'s scope; returns its path ("" for the outermost module)."""
    if _CALL_STACK:
        parent, parent_path = _CALL_STACK[-1]
        name = _child_path(parent, module)
        path = name if not parent_path else parent_path + "." + name
    else:
        path = ""
    _CALL_STACK.append((module, path))
    push_scope(path or type(module).__name__)
    return path


def leave() -> None:
    _CALL_STACK.pop()
    pop_scope()


def annotate(exc: Exception, module, path: str) -> None:
    """Prefix the message of an exception escaping a submodule with its path and class, once."""
    if not path or getattr(exc, "_ember_module_path", None) is not None:
        return
    try:
        exc._ember_module_path = path
    except AttributeError:  # exception types without a __dict__
        return
    where = f"{path} ({type(module).__name__})"
    args = exc.args
    if len(args) == 1 and isinstance(args[0], str) and type(exc).__str__ is BaseException.__str__:
        exc.args = (f"{where}: {args[0]}",)
    elif hasattr(exc, "add_note"):  # messages we can't rewrite (KeyError, custom __str__)
        exc.add_note(f"(raised in module {where})")
