"""`jupyter orch variable|secret|storage`, against the database and a live server: values round-trip
as JSON, secret values are read from stdin and never printed, credentials come from the
environment and are masked, errors name the field."""

from __future__ import annotations

import json

from jupyter_orch.blocks.system import Secret
from jupyter_orch.filesystems import RemoteFileSystem
from jupyter_orch.variables import Variable


def test_variable_commands(cli) -> None:
    made = cli("variable", "set", "cfg-1", '{"size": 3}', "--tag", "etl", "--json")
    assert made.returncode == 0, made
    assert json.loads(made.stdout)["value"] == {"size": 3}
    assert cli("variable", "set", "cfg-2", "plain text").returncode == 0
    assert cli("variable", "get", "cfg-2").stdout.strip() == '"plain text"'
    assert Variable.get("cfg-1") == {"size": 3}  # what a flow reads, the same way the CLI went
    dup = cli("variable", "set", "cfg-1", "4")
    assert dup.returncode != 0 and "already exists" in dup.stderr
    assert cli("variable", "set", "cfg-1", "4", "--overwrite").returncode == 0
    listing = cli("variable", "ls", "--prefix", "cfg-", "--json")
    assert [(v["name"], v["value"]) for v in json.loads(listing.stdout)] == [
        ("cfg-1", 4),
        ("cfg-2", "plain text"),
    ]
    table = cli("variable", "ls", "--prefix", "cfg-").stdout
    assert table.splitlines()[0].split() == ["NAME", "VALUE", "TAGS", "UPDATED"] and "cfg-2" in table
    bad = cli("variable", "set", "Bad Name", "1")
    assert bad.returncode != 0 and "name" in bad.stderr
    assert cli("variable", "unset", "cfg-1").returncode == 0
    missing = cli("variable", "get", "cfg-1")
    assert missing.returncode != 0 and "not found" in missing.stderr


def test_secret_commands_never_print_the_value(cli) -> None:
    stored = cli("secret", "set", "api-token", "--json", input="tok-XYZ-987\n")
    assert stored.returncode == 0, stored
    assert "tok-XYZ" not in stored.stdout + stored.stderr
    listing = cli("secret", "ls")
    assert "api-token" in listing.stdout and "tok-XYZ" not in listing.stdout
    assert "tok-XYZ" not in cli("secret", "ls", "--json").stdout
    assert Secret.load("api-token").get() == "tok-XYZ-987"
    empty = cli("secret", "set", "other", input="")
    assert empty.returncode == 2 and "no value given" in empty.stderr
    assert cli("secret", "delete", "api-token").returncode == 0
    assert cli("secret", "delete", "api-token").returncode != 0


def test_storage_commands_take_credentials_from_the_environment(cli, monkeypatch) -> None:
    monkeypatch.setenv("LAKE_TOKEN", "very-secret-token")
    made = cli(
        "storage",
        "create",
        "lake",
        "memory://lake/out",
        "--option",
        "skip_instance_cache=true",
        "--credential-from-env",
        "token=LAKE_TOKEN",
    )
    assert made.returncode == 0, made
    shown = cli("storage", "show", "lake", "--json")
    assert json.loads(shown.stdout)["credentials"] == {"token": "********"}
    assert "very-secret" not in shown.stdout + cli("storage", "ls").stdout
    loaded = RemoteFileSystem.load("lake")  # the process that opens it gets the credentials
    assert loaded.settings == {"skip_instance_cache": True, "token": "very-secret-token"}
    unset = cli("storage", "create", "x", "memory://x", "--credential-from-env", "token=NOT_SET_ANYWHERE")
    assert unset.returncode == 2 and "NOT_SET_ANYWHERE" in unset.stderr
    bad = cli("storage", "create", "y", "nosuch://bucket")
    assert bad.returncode != 0 and "url" in bad.stderr
    assert cli("storage", "delete", "lake").returncode == 0
