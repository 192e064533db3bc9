"""`kiosk office ...`: start the console, add staff accounts, keep the signing key encrypted.

    kiosk office --feed FOLDER --out PUBLISHED [--listen 127.0.0.1:8080] [--state DIR]
    kiosk office user add NAME --role editor|approver [--password-stdin] --feed FOLDER
    kiosk office key new|import [PEM] [--passphrase-stdin] --feed FOLDER"""

from __future__ import annotations

import argparse
import getpass
import sqlite3
import sys
from pathlib import Path

from kiosk.delivery.signing import KeyProblem
from kiosk.fleet.cli import connection_options, office_account
from kiosk.words import os_error_text
from office.state import ROLES, StateProblem, Users, check_apart, default_state, store_delegation, store_key


def _where(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"`{text}` cần dạng ĐỊA-CHỈ:CỔNG, ví dụ 127.0.0.1:8080")
    return host.strip("[]"), int(port)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--feed", type=Path, required=True, help="thư mục bản tin (có feed.yaml)")
    parser.add_argument("--state", type=Path, help="thư mục riêng của bảng điều khiển "
                                                   "(mặc định: .office-TÊN bên cạnh thư mục bản tin)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk office", description="Bảng điều khiển nội dung trên trình duyệt.")
    sub = parser.add_subparsers(dest="action")
    serve = sub.add_parser("serve", help="chạy bảng điều khiển (mặc định)")
    _common(serve)
    serve.add_argument("--out", type=Path, required=True, help="thư mục xuất bản cho máy chủ web")
    serve.add_argument("--listen", type=_where, default=("127.0.0.1", 8080),
                       help="địa chỉ và cổng, mặc định 127.0.0.1:8080 (chỉ máy này)")
    serve.add_argument("--secure-cookies", action="store_true",
                       help="chỉ gửi cookie qua HTTPS (khi đứng sau proxy HTTPS của phường)")
    # The fleet page and the interest report: the store `kiosk fleet listen` fills, and the broker for
    # the buttons (the same options as `kiosk fleet`, named --fleet-...).
    connection_options(serve.add_argument_group("mạng màn hình (trang Các màn hình, Bà con quan tâm gì)"),
                       prefix="fleet-")
    user = sub.add_parser("user", help="tài khoản cán bộ")
    user_sub = user.add_subparsers(dest="user_action", required=True)
    add = user_sub.add_parser("add", help="thêm hoặc đặt lại mật khẩu một tài khoản")
    add.add_argument("name", help="tên đăng nhập, ví dụ lan.nguyen")
    add.add_argument("--role", choices=sorted(ROLES), required=True, help="editor: biên tập; approver: duyệt, xuất bản")
    add.add_argument("--password-stdin", action="store_true", help="đọc mật khẩu từ dòng đầu của đầu vào")
    _common(add)
    key = sub.add_parser("key", help="khóa ký của văn phòng, cất có mã hóa")
    key.add_argument("key_action", choices=["new", "import"], help="new: tạo khóa mới; import: mã hóa khóa của `kiosk keygen`")
    key.add_argument("pem", nargs="?", type=Path, help="với import: tệp khóa bí mật chưa mã hóa")
    key.add_argument("--passphrase-stdin", action="store_true", help="đọc cụm mật khẩu từ dòng đầu của đầu vào")
    _common(key)
    return parser


def _secret(prompt: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"{prompt}: ")
    if getpass.getpass(f"Nhập lại {prompt.lower()}: ") != first:
        raise StateProblem("hai lần nhập không giống nhau; chưa lưu gì")
    return first


def _state(args) -> Path:
    state = args.state or default_state(args.feed)
    check_apart(state, args.feed, getattr(args, "out", None))
    return state


def _serve(args) -> int:
    import uvicorn

    from office.app import build_app
    from office.web import Console

    if not (args.feed / "feed.yaml").is_file():
        print(f"không thấy `{args.feed / 'feed.yaml'}`", file=sys.stderr)
        return 1
    from kiosk.fleet.broker import BrokerProblem
    from office.fleet_link import FleetOffice

    account = problem = None
    if args.broker:
        try:
            account = office_account(args)
        except (ValueError, BrokerProblem) as wrong:
            problem = f"Cài đặt máy chủ MQTT chưa dùng được: {wrong}"
            print(f"cảnh báo: {problem}; trang Các màn hình chỉ hiện số liệu đã lưu", file=sys.stderr)
    try:
        fleet = FleetOffice(args.db, account, problem)
    except (OSError, sqlite3.Error) as error:
        print(f"không mở được tệp số liệu các màn hình `{args.db}`: {error}; chọn chỗ khác với --fleet-db",
              file=sys.stderr)
        return 1
    console = Console(args.feed, args.out, _state(args), secure_cookies=args.secure_cookies, fleet=fleet)
    if not console.users.all():
        print(f"chưa có tài khoản nào; hãy chạy: kiosk office user add TÊN --role editor --feed {args.feed}",
              file=sys.stderr)
        return 1
    host, port = args.listen
    if host not in ("127.0.0.1", "localhost", "::1") and not args.secure_cookies:
        print("cảnh báo: bảng điều khiển nghe ở mạng ngoài mà không qua HTTPS: mật khẩu đi qua mạng không mã hóa; "
              "hãy để 127.0.0.1 và đặt sau proxy HTTPS của phường (xem README)", file=sys.stderr)
    print(f"Bảng điều khiển: http://{host}:{port}/ (thư mục riêng: {console.state})")
    uvicorn.run(build_app(console), host=host, port=port, log_level="warning", proxy_headers=True,
                server_header=False)
    return 0


def _user(args) -> int:
    password = _secret("Mật khẩu", args.password_stdin)
    Users(_state(args)).add(args.name, args.role, password)
    print(f"Đã lưu tài khoản {args.name.strip()} ({ROLES[args.role]}).")
    return 0


def _key(args) -> int:
    from kiosk.delivery import signing

    if args.key_action == "import":
        if args.pem is None:
            raise StateProblem("hãy ghi tệp khóa cần nhập, ví dụ: kiosk office key import khoa/kiosk-private-key.pem")
        private = signing.load_private_key(args.pem)
    else:
        private = signing.new_private_key()
    passphrase = _secret("Cụm mật khẩu của khóa", args.passphrase_stdin)
    state = _state(args)
    if args.key_action == "import" and store_delegation(state, private, args.pem.parent):
        print(f"Đã cất ủy quyền của khóa ({args.pem.parent / 'keys.json'}): xuất bản kèm theo mỗi bản tin")
    path = store_key(state, private, passphrase)
    print(f"Đã cất khóa có mã hóa: {path}")
    print(f"Khóa công khai, chép vào `public_key` trong cài đặt của từng màn hình: {signing.public_key_text(private)}")
    if args.key_action == "import":
        print(f"Hãy xóa bản chưa mã hóa `{args.pem}` sau khi giữ một bản sao an toàn.")
    return 0


def main(argv: list[str]) -> int:
    if argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["serve", *argv]  # `kiosk office --feed ...` starts the console
    args = build_parser().parse_args(argv)
    if args.action is None:
        build_parser().print_help()
        return 2
    try:
        return {"serve": _serve, "user": _user, "key": _key}[args.action](args)
    except (StateProblem, KeyProblem) as problem:
        print(problem, file=sys.stderr)
        return 1
    except OSError as error:
        print(f"không ghi được: {os_error_text(error)}", file=sys.stderr)
        return 1
