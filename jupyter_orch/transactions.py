"""Transactions, as Prefect's `prefect.transactions`: a block whose staged values and side effects
are committed together when it succeeds, or rolled back (each rollback hook called, newest first)
when it raises or `rollback()` is called.

```python
with transaction(key="load-2026-01-01") as txn:
    txn.set("rows", 10)             # shared with nested transactions (`get_transaction().get`)
    txn.stage(result, on_rollback_hooks=[undo], on_commit_hooks=[announce])
```

A transaction nested in another commits with its parent (its hooks run when the outermost one
commits) and rolls the parent back when it fails. With a `store` (anything with `exists(key)`,
`read(key)` and `write(key, value)`) and a key, the staged value is written on commit and a
transaction whose key is already there starts COMMITTED with that value (`txn.read()`), so
the work can be skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

from jupyter_orch.enums import AutoEnum
from jupyter_orch.exceptions import ConfigurationError
from jupyter_orch.results import ResultStore

_log = logging.getLogger("jupyter_orch.transactions")


class _HookFailed(Exception):
    """A commit or rollback hook raised (already logged)."""


class IsolationLevel(AutoEnum):
    READ_COMMITTED = AutoEnum.auto()
    SERIALIZABLE = AutoEnum.auto()


class CommitMode(AutoEnum):
    EAGER = AutoEnum.auto()  # commit when the block ends, even when nested
    LAZY = AutoEnum.auto()  # commit with the parent
    OFF = AutoEnum.auto()  # never commit (the block is a dry run)


#: PENDING -> ACTIVE -> STAGED -> COMMITTED, or ROLLED_BACK from any of the first three
TransactionState = AutoEnum("TransactionState", "PENDING ACTIVE STAGED COMMITTED ROLLED_BACK")


_current: ContextVar[Transaction | None] = ContextVar("jupyter_orch_transaction", default=None)
Hook = Callable[["Transaction"], Any]


@dataclass(eq=False)
class Transaction:
    """One transaction; use it with `with` (or `transaction(...)`)."""

    key: str | None = None
    store: Any = None
    commit_mode: CommitMode | None = None
    isolation_level: IsolationLevel | None = None
    overwrite: bool = False
    write_on_commit: bool = True
    logger: logging.Logger | logging.LoggerAdapter = _log
    state: Any = TransactionState.PENDING
    children: list[Transaction] = field(default_factory=list)
    on_commit_hooks: list[Hook] = field(default_factory=list)
    on_rollback_hooks: list[Hook] = field(default_factory=list)
    _staged_value: Any = field(default=None, repr=False)
    _values: dict[str, Any] = field(default_factory=dict, repr=False)
    _parent: Transaction | None = field(default=None, repr=False)
    _token: Token[Transaction | None] | None = field(default=None, repr=False)
    _holder: str | None = field(default=None, repr=False)  # of the key's lock (SERIALIZABLE)

    # -- the block ----------------------------------------------------------------------------
    def __enter__(self) -> Transaction:
        if self._token is not None:
            raise RuntimeError("this transaction is already open: it cannot be entered twice")
        self._parent = _current.get()
        if self.commit_mode is None:
            self.commit_mode = self._parent.commit_mode if self._parent else CommitMode.LAZY
        if self._parent is not None:
            self._parent.add_child(self)
        if self.state is TransactionState.PENDING:
            self.begin()
        self._token = _current.set(self)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        token, self._token = self._token, None
        if token is not None:
            _current.reset(token)
        try:
            if exc_type is not None:
                self.rollback()
            elif self.commit_mode is CommitMode.OFF:
                return
            elif self._parent is None or self.commit_mode is CommitMode.EAGER:
                self.commit()
            elif self.state is TransactionState.ACTIVE:
                self.state = TransactionState.STAGED
        finally:
            if self.state is not TransactionState.STAGED:  # a staged one keeps its lock until it commits
                self._unlock()

    def begin(self) -> None:
        """ACTIVE, or COMMITTED already when the store holds this key (and `overwrite` is off).
        SERIALIZABLE: the key's lock is taken first (held until commit or rollback), so of two
        transactions of one key the second sees the first's record."""
        if self.isolation_level == IsolationLevel.SERIALIZABLE and self.key:
            locks = getattr(self.store, "lock_manager", None)
            if locks is None:
                raise ConfigurationError(
                    "Isolation level SERIALIZABLE is not supported by provided configuration: "
                    "give the transaction a store with a lock_manager"
                )
            self._holder = f"txn-{id(self)}-{threading.get_ident()}"
            locks.acquire_lock(self.key, self._holder)
        if self.key and self.store is not None and not self.overwrite and self.store.exists(self.key):
            self.state = TransactionState.COMMITTED
        else:
            self.state = TransactionState.ACTIVE

    # -- values shared along the nesting ------------------------------------------------------
    def set(self, name: str, value: Any) -> None:
        self._values[name] = value

    def get(self, name: str, default: Any = ...) -> Any:
        """The value set here or in an enclosing transaction; `default`, else a ValueError."""
        txn: Transaction | None = self
        while txn is not None:
            if name in txn._values:
                return txn._values[name]
            txn = txn._parent
        if default is ...:
            raise ValueError(f"Could not retrieve value for unknown key: {name}")
        return default

    def get_parent(self) -> Transaction | None:
        return self._parent

    def add_child(self, child: Transaction) -> None:
        self.children.append(child)

    def get_active_children(self) -> list[Transaction]:
        return [c for c in self.children if c.state not in (TransactionState.ROLLED_BACK,)]

    # -- staging, commit and rollback ---------------------------------------------------------
    def stage(
        self,
        value: Any,
        on_rollback_hooks: list[Hook] | None = None,
        on_commit_hooks: list[Hook] | None = None,
    ) -> None:
        """Hold `value` (what the store receives on commit) and the hooks to call then."""
        if self.state is TransactionState.COMMITTED:
            return
        self._staged_value = value
        self.on_rollback_hooks.extend(on_rollback_hooks or ())
        self.on_commit_hooks.extend(on_commit_hooks or ())
        self.state = TransactionState.STAGED

    def read(self) -> Any:
        """The committed value of this key in the store (None without one)."""
        if self.store is None or not self.key or not self.store.exists(self.key):
            return self._staged_value if self.state is TransactionState.COMMITTED else None
        return self.store.read(self.key)

    def commit(self) -> bool:
        """Commit the children, write the staged value, run the commit hooks; False (after a
        rollback) when a hook raises."""
        if self.state in (TransactionState.COMMITTED, TransactionState.ROLLED_BACK):
            return self.state is TransactionState.COMMITTED
        try:
            for child in self.children:
                if child.state is not TransactionState.ROLLED_BACK:
                    child.commit()
            for hook in self.on_commit_hooks:
                self._call_hook(hook, "commit")
            if self.store is not None and self.key and self.write_on_commit:
                self.store.write(self._staged_value, key=self.key)  # None too: the record says it is done
            self.state = TransactionState.COMMITTED
            return True
        except Exception as exc:
            if not isinstance(exc, _HookFailed):
                self.logger.exception("An error was encountered while committing transaction %r", self.key)
            self.rollback()
            return False
        finally:
            self._unlock()

    def _unlock(self) -> None:
        """Give back the key's lock a SERIALIZABLE transaction took in `begin`."""
        holder, self._holder = self._holder, None
        if holder is not None:
            self.store.lock_manager.release_lock(self.key, holder)

    def rollback(self) -> bool:
        """Call every rollback hook (this transaction's, newest first, then its children's) and
        roll the enclosing transaction back too; False if it was already committed or rolled back."""
        if self.state in (TransactionState.COMMITTED, TransactionState.ROLLED_BACK):
            return False
        self.state = TransactionState.ROLLED_BACK
        self._unlock()
        for hook in reversed(self.on_rollback_hooks):
            try:
                self._call_hook(hook, "rollback")
            except _HookFailed:
                pass  # logged; the other hooks still run
        for child in reversed(self.children):
            child.rollback()
        if self._parent is not None and self._parent.state is not TransactionState.ROLLED_BACK:
            self._parent.rollback()
        return True

    def _call_hook(self, hook: Hook, kind: str) -> None:
        """Call a commit or rollback hook, saying so in the transaction's logger (Prefect's
        messages); one that raises is logged with its traceback and raises `_HookFailed`."""
        name = getattr(hook, "__name__", None) or type(hook).__name__
        self.logger.info("Running %s hook %r", kind, name)
        try:
            hook(self)
        except Exception as exc:
            self.logger.error("An error was encountered while running %s hook %r", kind, name, exc_info=exc)
            raise _HookFailed(name) from exc
        self.logger.info("%s hook %r finished running successfully", kind.capitalize(), name)

    # -- state predicates ---------------------------------------------------------------------
    def is_pending(self) -> bool:
        return self.state is TransactionState.PENDING

    def is_active(self) -> bool:
        return self.state is TransactionState.ACTIVE

    def is_staged(self) -> bool:
        return self.state is TransactionState.STAGED

    def is_committed(self) -> bool:
        return self.state is TransactionState.COMMITTED

    def is_rolled_back(self) -> bool:
        return self.state is TransactionState.ROLLED_BACK

    @classmethod
    def get_active(cls) -> Transaction | None:
        return _current.get()


def get_transaction() -> Transaction | None:
    """The innermost open transaction, or None."""
    return _current.get()


@contextmanager
def transaction(key: str | None = None, store: Any = None, **options: Any) -> Iterator[Transaction]:
    """Open a transaction for the block (see the module's docstring); `options` as `Transaction`'s
    (`commit_mode`, `isolation_level`, `overwrite`, `write_on_commit`, `logger`)."""
    if options.get("logger") is None:
        options.pop("logger", None)
    if key and store is None:  # a keyed transaction records its commit (Prefect's default store)
        store = ResultStore()
    with Transaction(key, store, **options) as txn:
        yield txn


__all__ = [
    "CommitMode",
    "IsolationLevel",
    "Transaction",
    "TransactionState",
    "get_transaction",
    "transaction",
]
