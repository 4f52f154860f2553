"""The stamp of a file read (`connectors.file_writing.FileStamp`): what tells, before a
withdrawal, that the file on disk is no longer the one read."""

import dataclasses
import os

from connectors.file_writing import read_settled


def test_a_file_as_read_has_not_changed(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"a;b\r\n1;2\r\n")
    raw, stamp = read_settled(path)
    assert raw == b"a;b\r\n1;2\r\n"
    assert not stamp.changed_since() and not stamp.changed_since(content=True)


def test_appended_rewritten_replaced_or_gone_is_changed(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"a;b\r\n1;2\r\n")
    _, stamp = read_settled(path)
    with path.open("ab") as export:  # the writer resumed
        export.write(b"3;4\r\n")
    assert stamp.changed_since()
    _, stamp = read_settled(path)
    fresh = tmp_path / "new.csv"
    fresh.write_bytes(path.read_bytes().replace(b"3;4", b"3;5"))
    os.utime(fresh, ns=(stamp.stat[1], stamp.stat[1]))
    os.replace(fresh, path)  # saved as a new file renamed over it: same size and time
    assert stamp.changed_since()
    os.remove(path)
    assert stamp.changed_since()


def test_other_bytes_under_the_same_stamp_are_caught_by_the_content(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"a;b\r\n1;2\r\n")
    _, stamp = read_settled(path)
    other = dataclasses.replace(stamp, digest=bytes(16))  # as if rewritten keeping times
    assert not other.changed_since()  # the stat alone cannot tell
    assert other.changed_since(content=True)


def test_the_same_bytes_touched_copied_over_or_linked_are_the_file_read(tmp_path):
    """A backup tool's hard link, a touch, a chmod or an identical copy renamed over the
    export change its stat, not what was read: no false alarm stops the withdrawals."""
    path = tmp_path / "export.csv"
    path.write_bytes(b"a;b\r\n1;2\r\n")
    _, stamp = read_settled(path)
    os.utime(path)
    os.chmod(path, 0o640)
    os.link(path, tmp_path / "backup.csv")
    assert not stamp.changed_since() and not stamp.changed_since(content=True)
    fresh = tmp_path / "new.csv"
    fresh.write_bytes(path.read_bytes())
    os.replace(fresh, path)
    assert not stamp.changed_since() and not stamp.changed_since(content=True)
