"""Key files: made once with their folders and modes, replaced whole, and never read half-written."""

import os

import pytest

from services.common import keyfiles


@pytest.fixture
def no_umask():
    # the modes asked for, as they are: a umask would hide a wrong one
    old = os.umask(0)
    yield
    os.umask(old)


def test_a_new_key_file_is_made_with_its_folders_private_and_ending_in_a_newline(tmp_path, no_umask):
    path = tmp_path / "data" / "keys" / "k.key"
    assert keyfiles.read_or_create(path, lambda: " abc \n") == "abc"
    assert path.read_bytes() == b"abc\n"  # the newline tells a reader the one write is whole
    assert path.stat().st_mode & 0o777 == 0o600
    assert keyfiles.read_or_create(path, lambda: "never") == "abc"


def test_a_replaced_file_is_made_with_its_folders_readable_by_all_and_whole(tmp_path, no_umask):
    path = tmp_path / "data" / "keys" / "k.pub"
    keyfiles.replace(path, " abc \n")
    assert path.read_bytes() == b"abc\n"
    assert path.stat().st_mode & 0o777 == 0o644
    keyfiles.replace(path, "def")
    assert path.read_bytes() == b"def\n" and os.listdir(path.parent) == ["k.pub"]  # no temp file left
    keyfiles.replace(tmp_path / "own.key", "s", mode=0o600)
    assert (tmp_path / "own.key").stat().st_mode & 0o777 == 0o600


class Clock:
    """keyfiles' ``time``: a clock that moves only while the reader naps, by ``step`` a nap; ``during(now)``
    runs during the nap that starts at ``now`` (the writer's next step)."""

    def __init__(self, step=0.5, during=None):
        self.now, self.step, self.during, self.naps = 100.0, step, during, []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.naps.append(seconds)
        if self.during is not None:
            self.during(self.now)
        self.now += self.step


def existing(tmp_path, text):
    path = tmp_path / "k.key"
    path.write_text(text)
    return path


def test_a_whole_key_file_is_read_at_the_first_look(tmp_path, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(keyfiles, "time", clock)
    assert keyfiles.read_or_create(existing(tmp_path, "abc\n"), lambda: "never", wait_seconds=0) == "abc"
    assert clock.naps == []


def test_a_key_file_written_in_two_steps_is_read_once_the_second_is_done(tmp_path, monkeypatch):
    path = existing(tmp_path, "ab")  # the writer's first step: no newline yet

    def second_step(now):
        if now == 100.0:
            with path.open("a") as file:
                file.write("c\n")

    clock = Clock(during=second_step)
    monkeypatch.setattr(keyfiles, "time", clock)
    assert keyfiles.read_or_create(path, lambda: "never") == "abc"
    assert len(clock.naps) == 1 and all(0 < nap <= 0.1 for nap in clock.naps)  # it looks again soon


def test_a_key_file_without_a_newline_is_whole_once_it_stays_the_same(tmp_path, monkeypatch):
    # files written before the newline was the writer's mark of a whole key have none
    clock = Clock()
    monkeypatch.setattr(keyfiles, "time", clock)
    assert keyfiles.read_or_create(existing(tmp_path, "abc"), lambda: "never", wait_seconds=5) == "abc"
    assert len(clock.naps) == 1


def test_a_file_of_blanks_is_empty_and_the_reader_gives_up_after_its_wait_naming_it(tmp_path, monkeypatch):
    path = existing(tmp_path, " \n")
    monkeypatch.setattr(keyfiles, "time", Clock())
    with pytest.raises(RuntimeError) as refused:
        keyfiles.read_or_create(path, lambda: "never", wait_seconds=1)
    assert str(refused.value) == f"{path} stayed empty for 1s: its writer died; remove it to start over"


def test_the_reader_waits_its_whole_wait_and_reads_a_key_finished_at_the_deadline(tmp_path, monkeypatch):
    path = existing(tmp_path, "")

    def finish(now):
        if now == 101.0:  # the deadline: 100 + 1 s
            path.write_text("abc\n")

    monkeypatch.setattr(keyfiles, "time", Clock(during=finish))
    assert keyfiles.read_or_create(path, lambda: "never", wait_seconds=1) == "abc"
