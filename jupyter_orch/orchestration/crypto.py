"""Encryption at rest for secrets and storage credentials (Fernet: AES-128-CBC with HMAC-SHA256).

The key is `JUPYTER_ORCH_SECRET_KEY` (a Fernet key; every server sharing a database must have the
same) or, when that is unset, a key file `secret.key` in `JUPYTER_ORCH_HOME`, created on first
use readable by its owner only. Losing the key loses the secrets, not the rest of the database.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from jupyter_orch.orchestration.errors import Invalid
from jupyter_orch.settings import get_settings

KEY_ENV = "JUPYTER_ORCH_SECRET_KEY"
KEY_FILE = "secret.key"
_lock = threading.Lock()
_cache: dict[str, Fernet] = {}


def _key_from_file(path: Path) -> bytes:
    """Read the key file, creating it (mode 0600, atomically: O_EXCL) when it does not exist."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key


def fernet() -> Fernet:
    """The Fernet for this process's key (read once per key source)."""
    env = os.environ.get(KEY_ENV)
    source = f"env:{env}" if env else f"file:{get_settings().home / KEY_FILE}"
    with _lock:
        found = _cache.get(source)
        if found is None:
            key = env.encode() if env else _key_from_file(get_settings().home / KEY_FILE)
            try:
                found = _cache[source] = Fernet(key)
            except ValueError as exc:
                raise RuntimeError(f"{KEY_ENV} or {KEY_FILE} is not a Fernet key: {exc}") from None
        return found


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str, name: str) -> str:
    """The plaintext; a 422 naming the secret if this server's key did not encrypt it."""
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise Invalid(
            f"secret {name!r} was encrypted with another key (set {KEY_ENV} as on the server that wrote it)",
            field="name",
        ) from None
