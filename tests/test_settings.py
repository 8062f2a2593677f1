"""Settings the first start makes for itself: the signing key kept in the data folder."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from lorebase.settings import Settings


def _key_of(data_dir: str) -> bytes:
    return Settings(data_dir=Path(data_dir)).resolved_secret()


def test_processes_starting_together_on_an_empty_data_folder_share_one_signing_key(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        keys = pool.map(_key_of, [str(data_dir)] * 32)

    assert len(set(keys)) == 1
    assert len(keys[0]) == 64
    assert (data_dir / "secret.key").read_bytes() == keys[0]
    assert (data_dir / "secret.key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in data_dir.iterdir()] == ["secret.key"]  # no staged file left


def test_a_configured_key_wins_and_nothing_is_written(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", secret_key="shared-by-every-node")
    assert settings.resolved_secret() == b"shared-by-every-node"
    assert not (tmp_path / "data").exists()
