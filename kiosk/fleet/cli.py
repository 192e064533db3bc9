"""`kiosk fleet ...`: the office's side of the link on the command line (the console's fleet pages
use the same OfficeLink and queries, office/fleet.py)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from datetime import date
from pathlib import Path

from kiosk.settings import check_fleet_url
from kiosk.words import os_error_text

DEFAULT_DB = Path(os.environ.get("WARD_FLEET_DB") or Path.home() / ".local" / "state" / "ward-kiosk-office" / "fleet.sqlite")


def _store(args):
    from kiosk.fleet.office import SqliteFleetStore
    return SqliteFleetStore(args.db)


def office_account(args):
    """The office's broker account from the options (also `kiosk office`'s); ValueError or
    BrokerProblem says what is wrong."""
    from kiosk.fleet.broker import BrokerAccount, read_password

    check_fleet_url(args.broker)
    password = read_password(os.environ.get("WARD_FLEET_PASSWORD", ""), str(args.password_file or ""))
    return BrokerAccount(args.broker, args.user, password, str(args.ca or ""))


def _link(args, store, listener: bool = False):
    """The office connected to the broker, or None after saying why."""
    from kiosk.fleet.broker import BrokerProblem
    from kiosk.fleet.office import OfficeLink

    if not args.broker:
        print("chưa có địa chỉ máy chủ MQTT: thêm --broker mqtts://máy-chủ:8883 (hoặc đặt WARD_FLEET_BROKER)",
              file=sys.stderr)
        return None
    try:
        link = OfficeLink(office_account(args), store, listener)
    except (ValueError, BrokerProblem) as problem:
        print(problem, file=sys.stderr)
        return None
    if not link.wait_connected(10):
        link.close()
        print(link.why_offline(), file=sys.stderr)
        return None
    return link


def _listen(args) -> int:
    store = _store(args)
    link = _link(args, store, listener=True)
    if link is None:
        return 1
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    print(f"Đang nhận tin từ các màn hình qua {args.broker}, lưu vào {args.db}; Ctrl+C để dừng.", flush=True)
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    link.close()
    return 0


def _list(args) -> int:
    from kiosk.fleet.office import hanoi_time
    store = _store(args)
    link = _link(args, store)
    if link is None:
        return 1
    link.wait_quiet(1.0, 10.0)  # the retained statuses of every display
    link.close()
    rows = store.displays()
    if not rows:
        print("Chưa có màn hình nào báo về.")
        return 0
    for row in rows:
        status = row.status
        if row.online:
            state = f"đang chạy từ {hanoi_time(row.since)}"
        elif row.since:
            state = f"MẤT KẾT NỐI từ {hanoi_time(row.since)}"
        else:
            state = "MẤT KẾT NỐI (không rõ từ lúc nào: văn phòng chưa thấy màn hình này chạy)"
        if not status:
            print(f"{row.display}: {state}")
            continue
        print(f"{row.display}: {state}; bản tin phiên bản {status.get('feed_version') or 'mẫu'}, "
              f"đồng bộ được lần cuối {hanoi_time(status.get('last_sync'))}, "
              f"ảnh chụp màn hình {hanoi_time(row.screenshot_at)}")
        if status.get("last_error"):
            print(f"    lỗi gần nhất: {status['last_error']}")
        for warning in status.get("warnings") or []:
            print(f"    cảnh báo: {warning}")
    return 0


def _command(args, command: str, done: str) -> int:
    link = _link(args, _store(args))
    if link is None:
        return 1
    link.command(args.target, command)
    link.close()
    print(done.format(target="mọi màn hình" if args.target == "all" else f"màn hình {args.target}"))
    return 0


def _sync_now(args) -> int:
    from kiosk.fleet.topics import SYNC_NOW
    return _command(args, SYNC_NOW, "Đã yêu cầu {target} đồng bộ ngay.")


def _ask_report(args) -> int:
    from kiosk.fleet.topics import SEND_REPORT
    return _command(args, SEND_REPORT, "Đã yêu cầu {target} gửi số liệu hôm nay (nhận bằng `kiosk fleet listen`).")


def _screenshot(args) -> int:
    from kiosk.fleet.office import hanoi_time
    store = _store(args)
    link = _link(args, store)
    if link is None:
        return 1
    answer = link.screenshot(args.display)
    link.close()
    if not answer.arrived:
        print(answer.said(), file=sys.stderr)
        return 1
    jpeg, at = store.screenshot(args.display)
    out = args.out or Path(f"{args.display}.jpg")
    out.write_bytes(jpeg)
    print(f"Đã lưu ảnh màn hình {args.display} lúc {hanoi_time(at)} vào {out} ({len(jpeg) // 1024} KB).")
    return 0


def _announce(args) -> int:
    from kiosk.delivery.manifest import MANIFEST_FILE, ManifestProblem, parse
    try:
        version = parse((args.published / MANIFEST_FILE).read_bytes()).version
    except (OSError, ManifestProblem) as problem:
        reason = os_error_text(problem) if isinstance(problem, OSError) else problem
        print(f"không đọc được {args.published / MANIFEST_FILE}: {reason}; "
              f"hãy chỉ thư mục đã xuất bản bằng `kiosk publish`", file=sys.stderr)
        return 1
    return announce(args, version)


def announce(args, version: int) -> int:
    """The retained "latest version" for every display (`kiosk fleet announce`, `kiosk publish --announce`)."""
    link = _link(args, _store(args))
    if link is None:
        return 1
    link.announce(version, args.spread)
    link.close()
    print(f"Đã báo phiên bản {version} cho mọi màn hình: các màn hình đang kết nối sẽ đồng bộ trong "
          f"khoảng {args.spread:g} giây.")
    return 0


def _report(args) -> int:
    from kiosk.fleet.office import format_interest, interest_between, write_interest_csv
    try:
        report = interest_between(_store(args), args.display, args.start, args.end)
    except ValueError as problem:
        print(problem, file=sys.stderr)
        return 1
    print(format_interest(report, top=args.top), end="")
    if args.csv:
        try:
            with open(args.csv, "w", newline="", encoding="utf-8-sig") as sink:  # the BOM: Excel reads UTF-8
                write_interest_csv(report, sink)
        except OSError as error:
            print(f"không ghi được `{args.csv}`: {os_error_text(error)}", file=sys.stderr)
            return 1
        print(f"Đã ghi bảng số liệu vào {args.csv}.")
    return 0


def _day(text: str) -> date:
    from kiosk.fleet.office import parse_day
    try:
        return parse_day(text)
    except ValueError as problem:
        raise argparse.ArgumentTypeError(str(problem)) from None


def connection_options(parser, suppress=None, prefix: str = "") -> None:
    """--broker, --user, --password-file, --ca, --db (`kiosk office` names them --fleet-broker, ...)."""
    def default(value):
        return value if suppress is None else suppress

    parser.add_argument(f"--{prefix}broker", dest="broker", default=default(os.environ.get("WARD_FLEET_BROKER", "")),
                        help="máy chủ MQTT của phường, ví dụ mqtts://kiosk.dongda.hanoi.gov.vn:8883")
    parser.add_argument(f"--{prefix}user", dest="user", default=default("office"),
                        help="tài khoản của văn phòng (mặc định office)")
    parser.add_argument(f"--{prefix}password-file", dest="password_file", type=Path, default=default(None),
                        help="tệp chứa mật khẩu (hoặc đặt biến môi trường WARD_FLEET_PASSWORD)")
    parser.add_argument(f"--{prefix}ca", dest="ca", type=Path, default=default(os.environ.get("WARD_FLEET_CA") or None),
                        help="chứng chỉ CA của máy chủ (hoặc đặt WARD_FLEET_CA; mặc định: các CA của hệ thống)")
    parser.add_argument(f"--{prefix}db", dest="db", type=Path, default=default(DEFAULT_DB),
                        help=f"tệp lưu số liệu (mặc định {DEFAULT_DB})")


def add_fleet_parser(commands) -> None:
    """`kiosk fleet` and its subcommands, under the main parser's `commands`."""
    from kiosk.fleet.topics import ANNOUNCE_SPREAD  # not office: its broker and database are not needed to start
    # The connection options go before the subcommand or after it: `kiosk fleet --broker URL list`
    # and `kiosk fleet list --broker URL`. After it, they are given only when typed (SUPPRESS), so
    # that they do not undo what was typed before it.
    common = argparse.ArgumentParser(add_help=False)
    connection_options(common, argparse.SUPPRESS)

    fleet = commands.add_parser("fleet", help="các màn hình của phường: tình trạng, đồng bộ ngay, ảnh chụp, số liệu")
    connection_options(fleet)
    sub = fleet.add_subparsers(dest="fleet_command", required=True, metavar="VIỆC")
    sub.add_parser("listen", parents=[common], help="nhận và lưu mọi tin các màn hình gửi về (chạy liên tục)") \
        .set_defaults(handler=_listen)
    sub.add_parser("list", parents=[common], help="in tình trạng mọi màn hình").set_defaults(handler=_list)
    for name, handler, text in (("sync-now", _sync_now, "yêu cầu đồng bộ ngay"),
                                ("ask-report", _ask_report, "yêu cầu gửi số liệu hôm nay")):
        command = sub.add_parser(name, parents=[common], help=text)
        command.add_argument("target", help="mã màn hình, hoặc all cho mọi màn hình")
        command.set_defaults(handler=handler)
    screenshot = sub.add_parser("screenshot", parents=[common], help="chụp màn hình đang chiếu gì")
    screenshot.add_argument("display", help="mã màn hình")
    screenshot.add_argument("--out", type=Path, help="tệp JPEG lưu ảnh (mặc định MÃ.jpg)")
    screenshot.set_defaults(handler=_screenshot)
    announce = sub.add_parser("announce", parents=[common],
                              help="báo phiên bản vừa xuất bản để mọi màn hình đồng bộ ngay")
    announce.add_argument("published", type=Path, help="thư mục xuất bản (--out của `kiosk publish`), đã tải lên")
    announce.add_argument("--spread", type=float, default=ANNOUNCE_SPREAD,
                          help=f"các màn hình đồng bộ rải trong bấy nhiêu giây (mặc định {ANNOUNCE_SPREAD:g})")
    announce.set_defaults(handler=_announce)
    report = sub.add_parser("report", parents=[common], help="người dân quan tâm gì: hỏi đáp, tìm kiếm, lượt chiếu")
    report.add_argument("--display", help="chỉ màn hình này")
    report.add_argument("--from", dest="start", type=_day, help="từ ngày, ví dụ 2026-12-01")
    report.add_argument("--to", dest="end", type=_day, help="đến ngày")
    report.add_argument("--csv", type=Path, help="ghi thêm bảng số liệu ra tệp CSV")
    report.add_argument("--top", type=int, default=10, help="mỗi mục in bấy nhiêu dòng đầu")
    report.set_defaults(handler=_report)
