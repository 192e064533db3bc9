"""`kiosk fleet ...`: the office's side of the link, on the command line (until the web console)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from datetime import date, datetime
from pathlib import Path

from kiosk.settings import check_fleet_url

DEFAULT_DB = Path(os.environ.get("WARD_FLEET_DB") or Path.home() / ".local" / "state" / "ward-kiosk-office" / "fleet.sqlite")
SCREENSHOT_WAIT = 20.0  # seconds: a display takes the picture on its own loop, then sends ~100 KB


def _store(args):
    from kiosk.fleet.office import SqliteFleetStore
    return SqliteFleetStore(args.db)


def _link(args, store, listener: bool = False):
    """The office connected to the broker, or None after saying why."""
    from kiosk.fleet.broker import BrokerAccount, BrokerProblem, read_password
    from kiosk.fleet.office import OfficeLink

    if not args.broker:
        print("chưa có địa chỉ máy chủ MQTT: thêm --broker mqtts://máy-chủ:8883 (hoặc đặt WARD_FLEET_BROKER)",
              file=sys.stderr)
        return None
    try:
        check_fleet_url(args.broker)
        password = read_password(os.environ.get("WARD_FLEET_PASSWORD", ""), str(args.password_file or ""))
        link = OfficeLink(BrokerAccount(args.broker, args.user, password, str(args.ca or "")), store, listener)
    except (ValueError, BrokerProblem) as problem:
        print(problem, file=sys.stderr)
        return None
    if not link.wait_connected(10):
        link.close()
        print(f"không kết nối được tới máy chủ MQTT {args.broker}"
              + (f": máy chủ từ chối ({link.refused}); kiểm tra tài khoản và mật khẩu" if link.refused
                 else "; kiểm tra mạng, địa chỉ và chứng chỉ (--ca)"), file=sys.stderr)
        return None
    return link


def _local(iso: str | None) -> str:
    """A moment as the ward reads it: Hanoi time, whatever the server's own time zone."""
    from kiosk.feed.model import FEED_ZONE

    if not iso:
        return "chưa có"
    try:
        return f"{datetime.fromisoformat(iso).astimezone(FEED_ZONE):%d/%m/%Y %H:%M}"
    except ValueError:
        return iso


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
            state = f"đang chạy từ {_local(row.since)}"
        elif row.since:
            state = f"MẤT KẾT NỐI từ {_local(row.since)}"
        else:
            state = "MẤT KẾT NỐI (không rõ từ lúc nào: văn phòng chưa thấy màn hình này chạy)"
        if not status:
            print(f"{row.display}: {state}")
            continue
        print(f"{row.display}: {state}; bản tin phiên bản {status.get('feed_version') or 'mẫu'}, "
              f"đồng bộ được lần cuối {_local(status.get('last_sync'))}, "
              f"ảnh chụp màn hình {_local(row.screenshot_at)}")
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
    from kiosk.fleet.topics import TAKE_SCREENSHOT
    store = _store(args)
    before = store.screenshot(args.display)
    link = _link(args, store)
    if link is None:
        return 1
    link.command(args.display, TAKE_SCREENSHOT)
    refused = []

    def answered() -> bool:
        refused[:] = [reply for display, reply in link.replies if display == args.display]
        return bool(refused) or store.screenshot(args.display) != before

    arrived = link.wait_for(answered, SCREENSHOT_WAIT)
    link.close()
    if refused:
        print(f"Màn hình {args.display} không chụp: {refused[0].get('reason', 'không rõ lý do')}", file=sys.stderr)
        return 1
    if not arrived:
        print(f"Màn hình {args.display} không gửi ảnh trong {SCREENSHOT_WAIT:g} giây (đang tắt hoặc mất mạng?)",
              file=sys.stderr)
        return 1
    jpeg, at = store.screenshot(args.display)
    out = args.out or Path(f"{args.display}.jpg")
    out.write_bytes(jpeg)
    print(f"Đã lưu ảnh màn hình {args.display} lúc {_local(at)} vào {out} ({len(jpeg) // 1024} KB).")
    return 0


def _announce(args) -> int:
    from kiosk.delivery.manifest import MANIFEST_FILE, ManifestProblem, parse
    try:
        version = parse((args.published / MANIFEST_FILE).read_bytes()).version
    except (OSError, ManifestProblem) as problem:
        print(f"không đọc được {args.published / MANIFEST_FILE}: {getattr(problem, 'strerror', None) or problem}; "
              f"hãy chỉ thư mục đã xuất bản bằng `kiosk publish`", file=sys.stderr)
        return 1
    link = _link(args, _store(args))
    if link is None:
        return 1
    link.announce(version, args.spread)
    link.close()
    print(f"Đã báo phiên bản {version} cho mọi màn hình: các màn hình đang kết nối sẽ đồng bộ trong "
          f"khoảng {args.spread:g} giây.")
    return 0


def _report(args) -> int:
    from kiosk.fleet.office import format_interest, interest_report, write_interest_csv
    store = _store(args)
    report = interest_report(store.reports(args.display, args.start and args.start.isoformat(),
                                           args.end and args.end.isoformat()))
    print(format_interest(report, top=args.top), end="")
    if args.csv:
        try:
            write_interest_csv(report, args.csv)
        except OSError as error:
            print(f"không ghi được `{args.csv}`: {error.strerror or error}", file=sys.stderr)
            return 1
        print(f"Đã ghi bảng số liệu vào {args.csv}.")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ngày `{text}` cần dạng 2026-12-01") from None


def _connection_options(parser, suppress) -> None:
    def default(value):
        return value if suppress is None else suppress

    parser.add_argument("--broker", default=default(os.environ.get("WARD_FLEET_BROKER", "")),
                        help="máy chủ MQTT của phường, ví dụ mqtts://kiosk.dongda.hanoi.gov.vn:8883")
    parser.add_argument("--user", default=default("office"), help="tài khoản của văn phòng (mặc định office)")
    parser.add_argument("--password-file", type=Path, default=default(None),
                        help="tệp chứa mật khẩu (hoặc đặt biến môi trường WARD_FLEET_PASSWORD)")
    parser.add_argument("--ca", type=Path, default=default(os.environ.get("WARD_FLEET_CA") or None),
                        help="chứng chỉ CA của máy chủ (hoặc đặt WARD_FLEET_CA; mặc định: các CA của hệ thống)")
    parser.add_argument("--db", type=Path, default=default(DEFAULT_DB), help=f"tệp lưu số liệu (mặc định {DEFAULT_DB})")


def add_fleet_parser(commands) -> None:
    """`kiosk fleet` and its subcommands, under the main parser's `commands`."""
    # The connection options go before the subcommand or after it: `kiosk fleet --broker URL list`
    # and `kiosk fleet list --broker URL`. After it, they are given only when typed (SUPPRESS), so
    # that they do not undo what was typed before it.
    common = argparse.ArgumentParser(add_help=False)
    _connection_options(common, argparse.SUPPRESS)

    fleet = commands.add_parser("fleet", help="các màn hình của phường: tình trạng, đồng bộ ngay, ảnh chụp, số liệu")
    _connection_options(fleet, None)
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
    announce.add_argument("--spread", type=float, default=5.0,
                          help="các màn hình đồng bộ rải trong bấy nhiêu giây (mặc định 5)")
    announce.set_defaults(handler=_announce)
    report = sub.add_parser("report", parents=[common], help="người dân quan tâm gì: hỏi đáp, tìm kiếm, lượt chiếu")
    report.add_argument("--display", help="chỉ màn hình này")
    report.add_argument("--from", dest="start", type=_day, help="từ ngày, ví dụ 2026-12-01")
    report.add_argument("--to", dest="end", type=_day, help="đến ngày")
    report.add_argument("--csv", type=Path, help="ghi thêm bảng số liệu ra tệp CSV")
    report.add_argument("--top", type=int, default=10, help="mỗi mục in bấy nhiêu dòng đầu")
    report.set_defaults(handler=_report)
