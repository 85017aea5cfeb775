"""Ctrl-C in a real terminal: the CLI runs in a pseudo-terminal, ^C is typed mid-COPY, and
what PostgreSQL holds afterwards must be what the message says, within two seconds."""

from __future__ import annotations

import fcntl
import os
import pty
import sqlite3
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import psycopg2.extensions
import pytest
from helpers import isolate_environment, pg_count, pg_one, pg_table_exists

from sqlite2pg_tui.core.errors import EXIT_INTERRUPTED

BIG = 1_500_000  # long enough that ^C lands while its COPY runs


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sigint") / "big.db"
    conn = sqlite3.connect(path)
    conn.executescript(f"""
        CREATE TABLE big(id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER, at TEXT);
        CREATE TABLE small(id INTEGER PRIMARY KEY, label TEXT);
        INSERT INTO small VALUES (1, 'one'), (2, 'two');
        WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT {BIG})
        INSERT INTO big SELECT x, 'row ' || x, x * 3,
            printf('2024-%02d-%02d 10:00:00', 1 + x % 12, 1 + x % 28) FROM c;
    """)
    conn.commit()
    conn.close()
    return path


class Terminal:
    """The CLI on a pseudo-terminal that is its controlling terminal, as in a shell: a typed
    ^C reaches it as SIGINT through the terminal, not through a kill from the test."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()

        def become_foreground() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     preexec_fn=become_foreground, close_fds=True)
        os.close(slave)
        self.chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            self.chunks.append(data)

    @property
    def output(self) -> str:
        return b"".join(self.chunks).decode(errors="replace").replace("\r\n", "\n")

    def type_ctrl_c(self) -> None:
        os.write(self.master, b"\x03")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(2)
        os.close(self.master)


def _wait_for(cond: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _copy_in_progress(conn: psycopg2.extensions.connection, table: str) -> int:
    """Rows PostgreSQL has taken so far from a COPY into ``table`` still running (0: none)."""
    return pg_one(conn, "SELECT coalesce(max(tuples_processed), 0) FROM pg_stat_progress_copy "
                        "WHERE relid = to_regclass(%s)", (f"public.{table}",))


def _has_primary_key(conn: psycopg2.extensions.connection, table: str) -> bool:
    return bool(pg_one(conn, "SELECT count(*) FROM pg_index WHERE indisprimary AND indrelid = "
                             "to_regclass(%s)", (f"public.{table}",)))


def test_ctrl_c_mid_copy_rolls_back_and_says_what_postgres_holds(
        src: Path, tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_environment(monkeypatch, tmp_path)
    term = Terminal([sys.executable, "-m", "sqlite2pg_tui", "run", str(src), "--pg", pg_dsn,
                     "--reject-dir", str(tmp_path / "rejects"), "--workers", "2"],
                    dict(os.environ))
    try:
        # small is copied and committed at once, and its key built beside the copy of big
        # (finisher.py); big is still streaming.
        _wait_for(lambda: pg_table_exists(pg_conn, "small") and pg_count(pg_conn, "small") == 2
                  and _has_primary_key(pg_conn, "small")
                  and _copy_in_progress(pg_conn, "big") > 0, 60, "the COPY of big to start")
        assert term.proc.poll() is None
        term.type_ctrl_c()
        pressed = time.monotonic()
        code = term.proc.wait(timeout=10)
        took = time.monotonic() - pressed
    finally:
        term.close()
    out = term.output
    assert code == EXIT_INTERRUPTED, out
    assert took < 2.0, f"took {took:.2f}s to stop\n{out}"
    # What PostgreSQL holds is exactly what the message says.
    assert pg_count(pg_conn, "small") == 2
    assert not pg_table_exists(pg_conn, "big")
    assert pg_one(pg_conn, "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'COPY%%'"
                           " AND datname = current_database()") == 0
    tail = out[out.index("sqlite2pg-tui: error: cancelled:"):]
    assert tail.splitlines()[:3] == [
        "sqlite2pg-tui: error: cancelled: PostgreSQL now holds: public.small: 2 row(s), copied "
        "in full, with its primary key — no foreign keys yet",
        "  rolled back and dropped (their copy never committed): big",
        "  a rerun with --resume keeps the tables copied in full and copies the rest "
        "(--if-exists replace drops them and copies everything again; a plain rerun stops at "
        "'target tables already exist')",
    ]
    assert "rolled back" not in out[:out.index("cancelling")]


def test_ctrl_c_while_inspecting_says_nothing_was_written(
        src: Path, tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_environment(monkeypatch, tmp_path)
    term = Terminal([sys.executable, "-m", "sqlite2pg_tui", "run", str(src), "--pg", pg_dsn,
                     "--reject-dir", str(tmp_path / "rejects")], dict(os.environ))
    try:
        _wait_for(lambda: "phase: inspect" in term.output, 30, "the inspect phase")
        time.sleep(0.3)  # inside the profile's scan of big
        assert term.proc.poll() is None
        term.type_ctrl_c()
        pressed = time.monotonic()
        code = term.proc.wait(timeout=10)
        took = time.monotonic() - pressed
    finally:
        term.close()
    out = term.output
    assert code == EXIT_INTERRUPTED, out
    assert took < 2.0, f"took {took:.2f}s to stop\n{out}"
    assert not pg_table_exists(pg_conn, "big") and not pg_table_exists(pg_conn, "small")
    assert ("sqlite2pg-tui: error: cancelled: cancelled while reading the SQLite file: nothing "
            "was written to PostgreSQL") in out
    assert "rolled back" not in out


def test_the_server_going_away_mid_copy_is_one_line_not_a_traceback(
        src: Path, tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An administrator (or a restart) ends our connections while big is copied."""
    isolate_environment(monkeypatch, tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "sqlite2pg_tui", "run", str(src), "--pg", pg_dsn,
                             "--reject-dir", str(tmp_path / "rejects"), "--quiet",
                             "--workers", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: _copy_in_progress(pg_conn, "big") > 0, 60, "the COPY of big to start")
        pg_one(pg_conn, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                        "datname = current_database() AND pid <> pg_backend_pid()")
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 2, (out, err)
    assert "Traceback" not in err
    # Our one line closes stderr. psycopg2's C code may print the server's message and a
    # SystemError of its own above it (it decodes the message with an exception already
    # set; no Python hook sees that print), so only the last line is ours to promise.
    ours = [line for line in err.splitlines() if line.startswith("sqlite2pg-tui:")]
    assert len(ours) == 1 and err.strip().splitlines()[-1] == ours[0], err
    assert ours[0].startswith(
        "sqlite2pg-tui: error: PostgreSQL stopped the run during the data phase: "), err
    # One table at a time, largest first: big was being copied, small not begun.
    assert "; left empty: big, small; `run --resume`" in ours[0]
