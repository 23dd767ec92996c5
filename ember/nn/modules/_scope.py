"""Which module is running: the dotted path of each forward, for error messages and anomaly mode.

``Module.__call__`` pushes the module on ``CALL_STACK`` around ``forward`` (one list append and
pop: this is on every layer call). The dotted path (e.g. ``features.3``) is worked out only when
someone asks: an exception escaping a submodule gets the path and class of the innermost module
prepended to its message, once, and anomaly mode names the layer an op was created in.
"""

from __future__ import annotations

from ember.autograd import anomaly

# modules whose forward is running now, outermost first. NOTE: shared by threads, like anomaly's
# scope.
CALL_STACK: list = []


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


def current_path() -> str:
    """Dotted path of the innermost running module relative to the outermost ("" for that one,
    or when no module is running)."""
    parts = [_child_path(CALL_STACK[i - 1], CALL_STACK[i]) for i in range(1, len(CALL_STACK))]
    return ".".join(parts)


def _anomaly_scope() -> str:
    """What anomaly messages call the running layer: its path, or the outermost class name."""
    if not CALL_STACK:
        return ""
    return current_path() or type(CALL_STACK[0]).__name__


anomaly.set_scope_provider(_anomaly_scope)


def annotate(exc: Exception, module) -> None:
    """Prefix the message of an exception escaping a submodule with its path and class, once.

    Called from ``module``'s ``__call__`` while ``module`` is still the top of ``CALL_STACK``.
    """
    if getattr(exc, "_ember_module_path", None) is not None:
        return
    path = current_path()
    if not path:
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
