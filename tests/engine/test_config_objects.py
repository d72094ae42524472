"""Variables, secrets and storage configurations through the Python API users call (Prefect's
names), on SQLite and PostgreSQL: values round-trip, secrets are encrypted at rest and never
listed, names and duplicates are refused with a message naming the field."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import text

from jupyter_orch import flow
from jupyter_orch.blocks.system import Secret
from jupyter_orch.db.session import get_engine
from jupyter_orch.filesystems import LocalFileSystem, RemoteFileSystem
from jupyter_orch.storage import StorageLocation, resolve_storage
from jupyter_orch.variables import Variable


def test_variables_set_get_overwrite_unset(orch_env: str) -> None:
    assert Variable.get("batch", default=7) == 7
    made = Variable.set("batch", {"size": 500, "days": ["mon"]}, tags=["etl"])
    assert made.name == "batch" and made.tags == ["etl"]
    assert Variable.get("batch") == {"size": 500, "days": ["mon"]}
    with pytest.raises(ValueError, match="already exists.*overwrite=True"):
        Variable.set("batch", 1)
    Variable.set("batch", 2, overwrite=True)
    assert Variable.get("batch") == 2
    with pytest.raises(ValueError, match="lowercase letters"):
        Variable.set("Not A Name", 1)
    assert Variable.unset("batch") is True and Variable.unset("batch") is False
    assert Variable.get("batch") is None


def test_variable_async_forms(orch_env: str) -> None:
    async def go() -> object:
        await Variable.aset("answer", 42)
        value = await Variable.aget("answer")
        await Variable.aunset("answer")
        return value, await Variable.aget("answer", default="gone")

    assert asyncio.run(go()) == (42, "gone")


def test_variable_methods_are_awaitable_in_async_code(orch_env: str) -> None:
    """Prefect's docs' async flow awaits `Variable.get` itself; `_sync=True` still answers a value."""

    @flow
    async def crew_flow() -> list[str]:
        await Variable.set("crew_members", ["Zaphod", "Arthur"])
        crew = await Variable.get("crew_members", default=["Backup1"])
        assert Variable.get("crew_members", _sync=True) == crew
        assert await Variable.unset("crew_members") is True
        return crew + [await Variable.get("crew_members", default="gone")]

    assert asyncio.run(crew_flow()) == ["Zaphod", "Arthur", "gone"]
    assert Variable.get("crew_members", default=1) == 1  # sync code still gets a value


def test_secret_is_encrypted_at_rest_and_masked(orch_env: str) -> None:
    secret = Secret(value="sk-live-123")
    assert "sk-live" not in repr(secret) and "sk-live" not in str(secret)
    assert "sk-live" not in secret.model_dump_json()
    secret.save("openai")
    with get_engine(orch_env).connect() as conn:
        stored = conn.execute(text("SELECT ciphertext FROM secrets WHERE name = 'openai'")).scalar_one()
    assert "sk-live" not in stored and stored.startswith("gAAAA")  # a Fernet token
    assert Secret.load("openai").get() == "sk-live-123"
    with pytest.raises(ValueError, match="already exists"):
        Secret(value="other").save("openai")
    Secret(value={"user": "u", "password": "p"}).save("openai", overwrite=True)
    assert Secret.load("openai").get() == {"user": "u", "password": "p"}
    with pytest.raises(ValueError, match="Unable to find secret 'missing'"):
        Secret.load("missing")
    assert Secret.delete("openai") is True


def test_a_secret_written_with_another_key_is_a_clear_error(
    orch_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    monkeypatch.setenv("JUPYTER_ORCH_SECRET_KEY", Fernet.generate_key().decode())
    Secret(value="one").save("keyed")
    monkeypatch.setenv("JUPYTER_ORCH_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(ValueError, match="encrypted with another key"):
        Secret.load("keyed")


def test_key_file_is_private(orch_env: str) -> None:
    Secret(value="x").save("k")
    key = Path(os.environ["JUPYTER_ORCH_HOME"]) / "secret.key"
    assert key.stat().st_mode & 0o777 == 0o600


def test_filesystems_save_load_and_resolve(orch_env: str, tmp_path: Path) -> None:
    remote = RemoteFileSystem(basepath="memory://lake/results", settings={"skip_instance_cache": True})
    remote.save("lake")
    loaded = RemoteFileSystem.load("lake")
    assert loaded.basepath == "memory://lake/results" and loaded.settings == {"skip_instance_cache": True}
    loaded.write_path("a/b.json", json.dumps({"x": 1}).encode())
    assert json.loads(RemoteFileSystem.load("lake").read_path("a/b.json")) == {"x": 1}

    LocalFileSystem(basepath=str(tmp_path / "out")).save("local-out")
    local = LocalFileSystem.load("local-out")
    written = local.write_path("r/1.txt", b"hello")
    assert Path(written).read_bytes() == b"hello" and Path(written).is_relative_to(tmp_path / "out")

    assert resolve_storage("lake") == StorageLocation("memory://lake/results", {"skip_instance_cache": True})
    assert resolve_storage("s3://bucket/x").url == "s3://bucket/x"  # a URL is taken as it is
    with pytest.raises(ValueError, match="no storage configuration named 'nope'"):
        resolve_storage("nope")


def test_filesystem_paths_answer_as_prefects_sync_compatible_methods(orch_env: str, tmp_path: Path) -> None:
    import asyncio

    local = LocalFileSystem(basepath=str(tmp_path))
    assert Path(local.write_path("x.txt", b"data", _sync=True)) == Path(local._resolve_path("x.txt"))
    assert local.read_path("x.txt", _sync=True) == b"data"
    with pytest.raises(ValueError, match="does not exist"):
        local.read_path("missing.txt")

    async def from_a_coroutine() -> bytes:
        await local.save("fs-in-coroutine")
        await local.write_path("y.txt", b"more")
        return await local.read_path("y.txt")

    assert asyncio.run(from_a_coroutine()) == b"more"


def test_result_storage_by_saved_name(orch_env: str) -> None:
    """`result_storage="lake"` writes to the saved configuration's URL, opened with its options,
    and any process loads the result back through the same name."""
    from jupyter_orch import flow, task
    from jupyter_orch.results import load_result

    RemoteFileSystem(basepath="memory://saved-lake/results", settings={"skip_instance_cache": True}).save(
        "saved-lake"
    )

    @task(result_storage="saved-lake", persist_result=True)
    def make() -> dict:
        return {"rows": 3}

    @flow
    def uses_lake() -> object:
        return make(return_state=True)

    state = uses_lake()
    record = state.data
    assert record.metadata.storage_key.startswith("memory://saved-lake/results/")
    assert record.metadata.storage_block_id == "saved-lake"
    ref = record.reference()
    assert load_result(ref) == {"rows": 3}
