"""`kiosk office ...` from the command line: accounts, the encrypted key, and the lazy hook
(kiosk/ never loads the web framework for its other commands)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _kiosk(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], input=stdin, capture_output=True, text=True,
                          cwd=REPO, timeout=60)


def test_accounts_and_the_key_are_kept_beside_the_feed_not_in_it(tmp_path):
    feed = tmp_path / "feed"
    shutil.copytree(REPO / "tests" / "feeds" / "minimal", feed)
    state = tmp_path / ".office-feed"
    made = _kiosk("office", "user", "add", "lan.nguyen", "--role", "editor", "--password-stdin", "--feed", str(feed),
                  stdin="mat-khau-rat-dai\n")
    assert made.returncode == 0, made.stderr
    assert "Đã lưu tài khoản lan.nguyen (Biên tập)" in made.stdout
    users = json.loads((state / "users.json").read_text(encoding="utf-8"))
    assert users["lan.nguyen"]["role"] == "editor" and users["lan.nguyen"]["hash"].startswith("$argon2id$")
    assert "mat-khau-rat-dai" not in (state / "users.json").read_text(encoding="utf-8")
    assert (state / "users.json").stat().st_mode & 0o077 == 0

    short = _kiosk("office", "user", "add", "hung", "--role", "approver", "--password-stdin", "--feed", str(feed),
                   stdin="ngan\n")
    assert short.returncode == 1 and "mật khẩu cần ít nhất 8 ký tự" in short.stderr

    key = _kiosk("office", "key", "new", "--passphrase-stdin", "--feed", str(feed), stdin="cum mat khau dai\n")
    assert key.returncode == 0, key.stderr
    pem = (state / "office-key.pem").read_bytes()
    assert b"BEGIN ENCRYPTED PRIVATE KEY" in pem and (state / "office-key.pem").stat().st_mode & 0o077 == 0
    assert "public_key" in key.stdout
    again = _kiosk("office", "key", "new", "--passphrase-stdin", "--feed", str(feed), stdin="cum mat khau dai\n")
    assert again.returncode == 1 and "không ghi đè" in again.stderr
    assert sorted(p.name for p in feed.rglob("*")) == sorted(p.name for p in (REPO / "tests/feeds/minimal").rglob("*"))

    inside = _kiosk("office", "--feed", str(feed), "--out", str(tmp_path / "out"), "--state", str(feed / "x"))
    assert inside.returncode == 1 and "không được nằm trong thư mục bản tin" in inside.stderr


def test_the_console_does_not_start_without_accounts(tmp_path):
    feed = tmp_path / "feed"
    shutil.copytree(REPO / "tests" / "feeds" / "minimal", feed)
    started = _kiosk("office", "--feed", str(feed), "--out", str(tmp_path / "out"))
    assert started.returncode == 1 and "chưa có tài khoản nào" in started.stderr


def test_kiosk_loads_the_web_framework_only_for_the_office_command():
    probe = ("import sys, kiosk.cli; kiosk.cli.main(['schema', '--out', '/dev/null']); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'jinja2', 'uvicorn', 'office')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
