"""`Block.load("type/name")`: saved secrets by slug; an unknown block type is a clear ValueError."""

from __future__ import annotations

import pytest

from jupyter_orch.blocks.core import Block
from jupyter_orch.blocks.system import Secret


def test_block_load_by_slug(orch_env):
    Secret(value="s3cr3t").save("api-key")
    assert Block.load("secret/api-key").get() == "s3cr3t"
    with pytest.raises(ValueError, match="'slack-webhook'"):
        Block.load("slack-webhook/my-slack-webhook")
    with pytest.raises(ValueError, match="block-type-slug/block-name"):
        Block.load("api-key")


def test_get_current_settings_has_prefects_api_url(monkeypatch, tmp_path):
    from jupyter_orch.settings import get_current_settings

    monkeypatch.setenv("JUPYTER_ORCH_API_URL", "http://orch.example/orch/api")
    monkeypatch.setenv("JUPYTER_ORCH_HOME", str(tmp_path))
    current = get_current_settings()
    assert current.api.url == "http://orch.example/orch/api" and current.home == tmp_path
