"""Calling plugins one at a time, and the generic registry behind every ``register_*`` hook.

:class:`PluginCalls` calls each plugin that implements a hook separately, so that every result
and every failure is attributed to its plugin. A :class:`Kind` describes one kind of contribution
(its hook, the spec type it accepts, the word for it in messages, how to get an item's id); a
:class:`Registry` collects that kind once, checks types and ids, and remembers who owns what.
:class:`caseflow.plugins.PluginHost` holds one registry per kind.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pluggy

from caseflow.errors import PluginError
from caseflow.plugins.manager import disable_hint

T = TypeVar("T")


def failure(name: str, hook: str, exc: Exception) -> str:
    """The message for a plugin that raised in a hook."""
    return f"plugin '{name}' raised {type(exc).__name__} in {hook}: {exc}; " + disable_hint(name)


class PluginCalls:
    """Each implementing plugin of a hook, called on its own.

    pluggy stops at the first exception and does not say which plugin returned what. Here each
    plugin is called through its own pluggy subset caller (in pluggy's order: ``tryfirst``, then
    the newest registered first, ``trylast`` last; wrappers and all), so that every result and
    failure can be attributed, and one failure need not stop the rest.
    """

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self._callers: dict[str, list[tuple[str, Any]]] = {}

    def each(self, hook_name: str, **kwargs: Any) -> Iterator[tuple[str, Callable[[], list[Any]]]]:
        """(plugin name, call) per implementing plugin; a call returns that plugin's results as a list."""
        hook = getattr(self.pm.hook, hook_name)
        if hook_name not in self._callers:
            plugins: list[object] = []
            for impl in reversed(hook.get_hookimpls()):
                if not any(impl.plugin is seen for seen in plugins):  # plugins need not be hashable
                    plugins.append(impl.plugin)
            self._callers[hook_name] = [
                (
                    self.pm.get_name(plugin) or repr(plugin),
                    self.pm.subset_hook_caller(hook_name, [p for p in plugins if p is not plugin]),
                )
                for plugin in plugins
            ]
        firstresult = bool(hook.spec.opts.get("firstresult"))
        for name, caller in self._callers[hook_name]:
            yield name, functools.partial(_as_list, caller, firstresult, kwargs)

    def collect(self, kind: Kind[T], **kwargs: Any) -> list[tuple[str, Any]]:
        """(plugin, item) for everything ``kind``'s hook returns, each checked for type.

        A plugin that raises, or returns something of another type, is an error naming it.
        """
        accepts = (kind.spec, *kind.also)
        collected: list[tuple[str, Any]] = []
        for name, call in self.each(kind.hook, **kwargs):
            try:
                contributed = [item for result in call() for item in result or ()]
            except Exception as exc:
                raise PluginError(failure(name, kind.hook, exc)) from exc
            for item in contributed:
                if not isinstance(item, accepts):
                    wanted = " or ".join(t.__name__ for t in accepts)
                    raise PluginError(f"plugin '{name}' returned {item!r} from {kind.hook}, not a {wanted}")
                collected.append((name, item))
        return collected

    def registration_order(self, owned: list[tuple[str, T]]) -> list[tuple[str, T]]:
        """``owned`` sorted by when each owner was registered (stable: a plugin's own order stays)."""
        order = {name: index for index, (name, _) in enumerate(self.pm.list_name_plugin())}
        return sorted(owned, key=lambda pair: order.get(pair[0], len(order)))


@dataclass(frozen=True)
class Kind(Generic[T]):
    """One kind of contribution, as a registration hook returns it."""

    #: the ``register_*`` hook that returns this kind
    hook: str
    #: the spec type every item must be, and owns an id
    spec: type[T]
    #: the word for it in messages ("form", "due rule")
    label: str
    #: more types the hook may return, without ids, kept apart (e.g. ``WorkflowExtension``)
    also: tuple[type, ...] = ()
    #: an item's unique id
    key: Callable[[T], str] = operator.attrgetter("id")
    #: ids taken before any plugin registers, and by whom (built-in rules)
    reserved: Mapping[str, str] = field(default_factory=dict)


class Registry(Generic[T]):
    """Every item of one :class:`Kind`, by unique id, collected once and cached.

    Items are in the order :class:`PluginCalls` calls plugins; an id registered twice is an error
    naming both plugins (the one called first, then the other).
    """

    def __init__(self, calls: PluginCalls, kind: Kind[T]) -> None:
        self.calls = calls
        self.kind = kind
        self._items: dict[str, T] | None = None
        self._owners: dict[str, str] = {}
        self._extras: list[tuple[str, Any]] = []

    def items(self) -> Mapping[str, T]:
        """Every item by id (collected on the first call)."""
        if self._items is None:
            kind = self.kind
            items: dict[str, T] = {}
            owners = dict(kind.reserved)
            extras = []
            for name, item in self.calls.collect(kind):
                if not isinstance(item, kind.spec):
                    extras.append((name, item))
                    continue
                item_id = kind.key(item)
                if item_id in owners:
                    raise PluginError(
                        f"{kind.label} '{item_id}' is registered by both '{owners[item_id]}' and '{name}'; "
                        f"rename one or block a plugin in caseflow.yaml"
                    )
                items[item_id] = item
                owners[item_id] = name
            self._owners = {item_id: owners[item_id] for item_id in items}
            self._extras = extras
            self._items = items
        return self._items

    @property
    def owners(self) -> Mapping[str, str]:
        """The plugin that registered each id."""
        self.items()
        return self._owners

    def owned(self) -> list[tuple[str, T]]:
        """(plugin, item) for every item, in order."""
        return [(self.owners[item_id], item) for item_id, item in self.items().items()]

    @property
    def extras(self) -> list[tuple[str, Any]]:
        """(plugin, item) for the items of ``kind.also`` types, in the order plugins were called."""
        self.items()
        return self._extras


def _as_list(caller: Any, firstresult: bool, kwargs: dict[str, Any]) -> list[Any]:
    result = caller(**kwargs)
    if firstresult:
        return [] if result is None else [result]
    return list(result)
