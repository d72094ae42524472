"""`Block.load("type/name")` (Prefect's `prefect.blocks.core.Block`): loads a saved configuration
object by its type slug. The types kept here are `secret` (`jupyter_orch.blocks.system.Secret`);
any other slug (Slack webhooks, cloud credentials, ...) is a ValueError naming it, since those
block types are not provided."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from jupyter_orch.blocks.system import Secret

#: block type slug -> the class that loads a saved object of that type
BLOCK_TYPES: dict[str, Any] = {"secret": Secret}


class Block(BaseModel):
    """Loads saved configuration by `"type-slug/name"`; a subclass declares fields as a pydantic
    model does (Prefect's custom blocks: `class Creds(Block): user: str`)."""

    @classmethod
    def load(cls, name: str, validate: bool = True) -> Any:
        slug, _, block_name = name.partition("/")
        if not block_name:
            raise ValueError(f"Block name {name!r} must be given as 'block-type-slug/block-name'")
        loader = BLOCK_TYPES.get(slug)
        if loader is None:
            raise ValueError(
                f"Unable to find block document named {block_name!r} for block type {slug!r}: "
                f"block types here are {sorted(BLOCK_TYPES)} (a saved storage configuration "
                "replaces storage blocks; notification blocks are not provided)"
            )
        return loader.load(block_name)


__all__ = ["BLOCK_TYPES", "Block"]
