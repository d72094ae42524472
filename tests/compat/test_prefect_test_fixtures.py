"""The fixtures Prefect's own tests ask for by name (jupyter_orch.testing.prefect_fixtures), so its test
files run here with imports renamed instead of failing at setup."""

from __future__ import annotations

import warnings
from pathlib import Path

from jupyter_orch.filesystems import LocalFileSystem
from jupyter_orch.testing import prefect_fixtures


def test_ignore_prefect_deprecation_warnings_silences_them_while_active() -> None:
    # pytest puts its own "always" filter first during a test's call, so drive the fixture here
    fixture = prefect_fixtures.ignore_prefect_deprecation_warnings.__wrapped__()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        next(fixture)
        warnings.warn("legacy path", DeprecationWarning, stacklevel=1)
        next(fixture, None)
        warnings.warn("after", DeprecationWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["after"]


def test_local_filesystem_is_saved_on_tmp_path(local_filesystem: LocalFileSystem, tmp_path: Path) -> None:
    assert isinstance(local_filesystem, LocalFileSystem)
    loaded = LocalFileSystem.load("test-fs")
    assert Path(loaded.basepath).resolve() == tmp_path.resolve()
    local_filesystem.write_path("a.txt", b"x")
    assert (tmp_path / "a.txt").read_bytes() == b"x"
