"""The allowed-signers files git checks signatures against: one per content, never shared by name
with another command (a half-written or another's file once made a good signature read "no key")."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import pytest

from caseflow.core import signature_cache

KEY = 'casey@example.org namespaces="git" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly{}'


def test_each_content_has_its_own_file_read_back_whole(tmp_path: Path) -> None:
    one = signature_cache.allowed_signers_file([KEY.format(1)], tmp_path, "allowed_signers")
    other = signature_cache.allowed_signers_file([KEY.format(2), KEY.format(1)], tmp_path, "allowed_signers")
    again = signature_cache.allowed_signers_file([KEY.format(1), KEY.format(1)], tmp_path, "allowed_signers")
    assert one == again != other
    assert one.read_text() == KEY.format(1) + "\n"
    assert other.read_text() == KEY.format(1) + "\n" + KEY.format(2) + "\n"
    assert oct(one.stat().st_mode & 0o777) == "0o600"


def test_commands_at_once_with_other_keys_never_read_each_other(tmp_path: Path) -> None:
    seen: list[bool] = []

    def check(number: int) -> None:
        for _ in range(50):
            path = signature_cache.allowed_signers_file([KEY.format(number)], tmp_path, "allowed_signers")
            seen.append(path.read_text() == KEY.format(number) + "\n")

    threads = [threading.Thread(target=check, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 200 and all(seen)


def test_without_a_state_folder_the_file_is_in_a_folder_of_this_process_own(tmp_path: Path) -> None:
    path = signature_cache.allowed_signers_file([KEY.format(1)], None, "allowed_signers")
    assert path.parent != Path(tempfile.gettempdir())
    assert path.parent.parent == Path(tempfile.gettempdir()) and path.parent.name.startswith("caseflow-signers-")
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert path.read_text() == KEY.format(1) + "\n"


def test_a_state_folder_that_cannot_be_written_gives_way_to_this_process_own(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "state"
    not_a_folder.write_text("")  # (a file where the folder should be: nothing can be written in it, even as root)
    path = signature_cache.allowed_signers_file([KEY.format(3)], not_a_folder, "allowed_signers")
    assert path.parent.name.startswith("caseflow-signers-") and path.read_text() == KEY.format(3) + "\n"


def test_files_of_another_content_are_removed_once_stale(tmp_path: Path) -> None:
    old = signature_cache.allowed_signers_file([KEY.format(1)], tmp_path, "allowed_signers")
    long_ago = old.stat().st_mtime - signature_cache._STALE_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    recent = signature_cache.allowed_signers_file([KEY.format(2)], tmp_path, "allowed_signers")
    newer = signature_cache.allowed_signers_file([KEY.format(3)], tmp_path, "allowed_signers")
    assert not old.exists() and recent.exists() and newer.exists()


def test_verdicts_kept_before_files_were_one_per_content_are_asked_again_unless_no_file_changes_them(
    tmp_path: Path,
) -> None:
    import json

    from caseflow.core.git.replay import Signature

    earlier = {"a" * 40: ["G", "SHA256:x"], "b" * 40: ["N", ""], "c" * 40: ["U", "SHA256:y"], "d" * 40: ["B", ""]}
    (tmp_path / signature_cache.FILE).write_text(json.dumps(earlier))
    assert signature_cache.load(tmp_path) == {"a" * 40: Signature("G", "SHA256:x"), "b" * 40: Signature("N", "")}
    kept = {"c" * 40: Signature("U", "SHA256:y"), "e" * 40: Signature("E", "")}
    signature_cache.save(tmp_path, kept)
    assert signature_cache.load(tmp_path) == {"c" * 40: Signature("U", "SHA256:y")}  # (E: asked again)


def test_a_writable_state_folder_makes_no_folder_of_the_process_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signature_cache, "_scratch", lambda: pytest.fail("a private folder was made"))
    path = signature_cache.allowed_signers_file([KEY.format(4)], tmp_path, "allowed_signers")
    assert path.parent == tmp_path
