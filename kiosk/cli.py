"""The `kiosk` command. Each subcommand exits 0 on success, non-zero with one line per problem."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import textwrap
from collections import Counter
from datetime import datetime
from pathlib import Path

from kiosk.feed import model
from kiosk.play.content import load_display
from kiosk.feed.validate import load_feed
from kiosk.settings import SAMPLE_FEED
from kiosk.words import day_text, moment_text, os_error_text, size_text

# An installed display names its settings file here (deploy/install.sh: /etc/ward-kiosk/display.yaml),
# so that `kiosk status` on that machine needs no --config.
DEFAULT_SETTINGS = Path(os.environ.get("WARD_KIOSK_CONFIG") or SAMPLE_FEED / "display.yaml")


def _validate(args: argparse.Namespace) -> int:
    result = load_feed(args.path, display_name=None)
    for problem in result.problems:
        print(problem)
    if result.feed is None:
        print(f"{len(result.errors)} lỗi, {len(result.warnings)} cảnh báo: bản tin chưa dùng được.", file=sys.stderr)
        return 1
    feed = result.feed
    kinds = Counter(slide.type for slide in feed.slides)
    questions = sum(len(topic.questions) for topic in feed.faq)
    print(
        f"Hợp lệ: bản tin phiên bản {feed.version} của {feed.ward.name}, hết hạn {day_text(feed.expires)}; "
        f"{len(feed.slides)} trang chiếu ({', '.join(f'{n} {kind}' for kind, n in kinds.items())}), "
        f"{questions} câu hỏi trong {len(feed.faq)} chủ đề, {len(result.warnings)} cảnh báo."
    )
    return 0


def _file_problem(error: OSError, target: Path, outcome: str) -> str:
    """One plain line for a disk or file error: what, why (never the English strerror), what did not happen."""
    where = f" (`{error.filename}`)" if error.filename and str(error.filename) != str(target) else ""
    return f"không ghi được `{target}`: {os_error_text(error)}{where}; {outcome}"


def _schema(args: argparse.Namespace) -> int:
    text = json.dumps(model.json_schema(), ensure_ascii=False, indent=2) + "\n"
    if not args.out:
        sys.stdout.write(text)
        return 0
    try:
        Path(args.out).write_text(text, encoding="utf-8")
    except OSError as error:
        print(_file_problem(error, args.out, "chưa ghi lược đồ"), file=sys.stderr)
        return 1
    return 0


def _open_display(module: str, args: argparse.Namespace) -> int:
    """The only door from the core to Kivy, opened after the feed is checked, so that a mistake is
    told in one line before any window, and staff tools never load Kivy at all."""
    loaded = load_display(args.feed, args.config)
    if loaded is None:
        return 1
    return importlib.import_module(module).main(args, loaded)


def _run(args: argparse.Namespace) -> int:
    return _open_display("screens.display", args)


def _preview(args: argparse.Namespace) -> int:
    return _open_display("screens.preview", args)


def _keygen(args: argparse.Namespace) -> int:
    from kiosk.delivery import signing, trust
    try:
        if args.root:
            private, public = trust.make_root(args.out)
        elif args.new_root:
            private, public, number = trust.hand_over_root(args.root_key, args.out)
        elif args.delegate:
            private, delegation = trust.delegate(args.root_key, args.out, args.days)
        else:
            private, _, public = signing.write_key_pair(args.out)
    except (signing.KeyProblem, trust.TrustProblem) as problem:
        print(problem, file=sys.stderr)
        return 1
    except OSError as error:
        print(_file_problem(error, args.out, "chưa tạo xong khóa"), file=sys.stderr)
        return 1
    if args.root:
        print(f"Khóa gốc: {private} (giữ trong USB, cất tủ khóa; chỉ cắm vào máy khi ủy quyền khóa xuất bản)")
        print(f"Khóa gốc công khai, chép vào `root_key` trong cài đặt của từng màn hình: {public}")
        print(f"Tiếp theo: kiosk keygen --delegate --root-key {private} --out THƯ-MỤC-KHÓA-XUẤT-BẢN --days 365")
    elif args.new_root:
        print(f"Khóa gốc mới số {number}: {private}, có giấy bàn giao do khóa gốc cũ ký; màn hình tự chuyển sang "
              f"khóa này khi nhận ủy quyền đầu tiên do nó ký. Hãy ủy quyền lại ngay:")
        print(f"kiosk keygen --delegate --root-key {private} --out THƯ-MỤC-KHÓA-XUẤT-BẢN --days 365")
    elif args.delegate:
        until = moment_text(delegation.expires, model.FEED_ZONE)
        print(f"Khóa xuất bản: {private} (ủy quyền số {delegation.serial}, dùng được đến {until}); "
              f"giữ kín, không tải lên máy chủ")
        print(f"Xuất bản với khóa này: kiosk publish BẢN-TIN --out THƯ-MỤC-XUẤT-BẢN --key {private}; "
              f"các ủy quyền cũ hơn bị thu hồi trên màn hình nào nhận bản tin này")
    else:
        print(f"Khóa bí mật: {private} (chỉ chủ tài khoản đọc được; giữ kín, không tải lên máy chủ)")
        print(f"Khóa công khai, chép vào `public_key` trong cài đặt của từng màn hình: {public}")
    return 0


def _publish(args: argparse.Namespace) -> int:
    from kiosk.delivery import publish, signing
    if args.announce and not args.broker:
        print("--announce cần địa chỉ máy chủ MQTT: thêm --broker mqtts://máy-chủ:8883 (hoặc đặt WARD_FLEET_BROKER); "
              "chưa xuất bản", file=sys.stderr)
        return 1
    try:
        key = signing.load_private_key(args.key)
        done = publish.publish(args.feed, args.out, key, key_folder=args.key.parent)
    except signing.KeyProblem as problem:
        print(problem, file=sys.stderr)
        return 1
    except publish.PublishRefused as refused:
        print("\n".join(refused.lines), file=sys.stderr)
        return 1
    except OSError as error:
        print(_file_problem(error, args.out, "chưa xuất bản"), file=sys.stderr)
        return 1
    for warning in done.warnings:
        print(warning)
    if args.key.stat().st_mode & 0o077:
        print(f"cảnh báo: người khác đọc được khóa bí mật `{args.key}`; hãy chạy: chmod 600 {args.key}")
    print(f"Đã xuất bản phiên bản {done.version} vào {done.out}: feed.yaml và {done.media_files} tệp ảnh, video "
          f"({size_text(done.media_bytes)}), dùng đến hết ngày {day_text(done.last_day)}"
          + (f"; kèm ủy quyền khóa số {done.delegation_serial} (keys.json)." if done.delegation_serial else "."))
    if not args.announce:
        print("Hãy tải cả thư mục lên máy chủ web của phường, manifest.json và manifest.json.sig sau cùng"
              + (f"; rồi chạy `kiosk fleet announce {done.out}` để các màn hình đồng bộ ngay." if args.broker else "."))
        return 0
    from kiosk.fleet.cli import announce
    if announce(args, done.version):
        print("Bản tin đã xuất bản xong; các màn hình nhận bản này ở lần đồng bộ tới "
              f"(hoặc chạy lại `kiosk fleet announce {done.out}` khi đã kết nối được).", file=sys.stderr)
        return 1
    return 0


def _display_settings(args: argparse.Namespace):
    from kiosk.settings import load_settings
    settings, problems = load_settings(args.config)
    for problem in problems:
        print(problem, file=sys.stderr)
    return settings


def _sync(args: argparse.Namespace) -> int:
    from kiosk.delivery.sync import Syncer
    from kiosk.feed.apart import load_feed_apart
    settings = _display_settings(args)
    if settings is None:
        return 1
    syncer = Syncer(settings, load=load_feed_apart)  # beside a running display: its window keeps the cores
    try:
        result = syncer.run_once()
    finally:
        syncer.close()
    if result.ok:
        print(f"Đồng bộ xong: {result.message}.")
        return 0
    kept = f"phiên bản {result.version}" if result.version is not None else "bản mẫu"
    print(f"Đồng bộ không được: {result.message}. Màn hình vẫn chiếu {kept}.", file=sys.stderr)
    return 1


def _status(args: argparse.Namespace) -> int:
    from kiosk.ops.status import status_lines
    settings = _display_settings(args)
    if settings is None:
        return 1
    lines, ok = status_lines(settings, args.config)
    print("\n".join(lines))
    return 0 if ok else 1


def _health(args: argparse.Namespace) -> int:
    from kiosk.ops.status import health_problems, inspect, staleness_warnings
    settings = _display_settings(args)
    if settings is None:
        return 1
    seen = inspect(settings, args.config)
    problems, code = health_problems(seen)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not args.quiet:
        for warning in staleness_warnings(seen):
            print(f"cảnh báo: {warning}")
        if not problems:
            print(f"Màn hình {settings.id} hoạt động bình thường.")
    return code


def _metrics(args: argparse.Namespace) -> int:
    from kiosk.ops.metrics import write_metrics
    from kiosk.ops.status import inspect
    settings = _display_settings(args)
    if settings is None:
        return 1
    try:
        write_metrics(inspect(settings, args.config), args.out)
    except OSError as error:
        print(_file_problem(error, args.out, "chưa ghi số liệu"), file=sys.stderr)
        return 1
    return 0


def _faq(args: argparse.Namespace) -> int:
    from kiosk.play.search import FaqIndex, plain_text
    loaded = load_feed(args.feed)
    if loaded.feed is None:
        for problem in loaded.problems:
            print(problem, file=sys.stderr)
        print(f"{len(loaded.errors)} lỗi: bản tin chưa dùng được, chưa tìm được.", file=sys.stderr)
        return 1
    faq = loaded.feed.faq
    found = FaqIndex(faq).search(args.query, limit=args.limit)
    if not found.words:
        print("Chưa có từ nào để tìm; ví dụ: kiosk faq config \"nghi quyet\"")
        return 0
    if not found.hits:
        print(f"Không tìm thấy “{args.query}”.")
        if found.did_you_mean:
            print(f"Có phải ý bạn là: {found.did_you_mean}")
        if found.topics:
            print("Gợi ý chủ đề: " + "; ".join(suggested.topic for suggested in found.topics))
        return 0
    shown = f", {len(found.hits)} câu đầu" if found.total > len(found.hits) else ""
    print(f"{found.total} câu hỏi cho “{args.query}”{shown}:")
    where = {"question": "", "topic": " [khớp ở chủ đề]", "answer": " [khớp ở câu trả lời]"}
    for number, hit in enumerate(found.hits, 1):
        answer = plain_text(faq[hit.topic_index].questions[hit.question_index].answer).strip()
        print(f"{number:3}. {hit.topic} › {hit.question}{where[hit.field]}")
        print(f"     {textwrap.shorten(answer.splitlines()[0], 110, placeholder=' …')}")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from kiosk.ops.stats import format_summary, summarise
    state_dir = args.state
    if state_dir is None:
        settings = _display_settings(args)
        if settings is None:
            return 1
        state_dir = settings.state_path()
    print(f"Thư mục số liệu: {state_dir}")
    print(format_summary(summarise(state_dir), top=args.top), end="")
    return 0


def _office(argv: list[str]) -> int:
    # The web console lives in office/ and brings the web framework: loaded only for this command.
    return importlib.import_module("office.cli").main(argv)


def _moment(text: str) -> datetime:
    try:
        return model.start_moment(model.to_moment(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"thời điểm `{text}` cần dạng 2026-12-01 hoặc \"2026-12-01 07:30\"") from None


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"kích thước `{text}` cần dạng RỘNGxCAO, ví dụ 1920x1080") from None
    return width, height


def _days(text: str) -> int:
    from kiosk.delivery.trust import MAX_DAYS
    if not (text.isdigit() and len(text) <= 5) or not 1 <= int(text) <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"số ngày `{text}` cần là số từ 1 đến {MAX_DAYS}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Màn hình thông tin của phường.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="LỆNH")

    validate = commands.add_parser("validate", help="kiểm tra một bản tin (thư mục có feed.yaml)")
    validate.add_argument("path", type=Path, help="thư mục bản tin hoặc tệp feed.yaml")
    validate.set_defaults(handler=_validate)

    schema = commands.add_parser("schema", help="in JSON Schema của bản tin (cho VS Code)")
    schema.add_argument("--out", type=Path, help="ghi ra tệp thay vì in ra màn hình")
    schema.set_defaults(handler=_schema)

    run = commands.add_parser("run", help="chạy màn hình")
    run.add_argument("feed", nargs="?", type=Path, default=None,
                     help="thư mục bản tin (mặc định: bản đã đồng bộ, nếu chưa có thì bản mẫu)")
    run.add_argument("--windowed", action="store_true", help="chạy trong cửa sổ (khi phát triển)")
    run.add_argument("--size", type=_size, default=None, help="kích thước cửa sổ, ví dụ 1280x720")
    run.add_argument("--screenshot", type=Path, help="chụp màn hình trang đầu vào tệp PNG rồi thoát")
    run.add_argument("--config", type=Path, default=DEFAULT_SETTINGS, help="tệp cài đặt màn hình")
    run.set_defaults(handler=_run)

    preview = commands.add_parser("preview", help="lưu hình từng trang chiếu như màn hình sẽ hiện")
    preview.add_argument("feed", type=Path, help="thư mục bản tin")
    preview.add_argument("--out", type=Path, required=True, help="thư mục lưu hình")
    preview.add_argument("--size", type=_size, default=(1920, 1080), help="kích thước, mặc định 1920x1080")
    preview.add_argument("--display", help="xem như màn hình có mã này")
    preview.add_argument("--display-tag", action="append", help="nhãn của màn hình đó (có thể lặp lại)")
    preview.add_argument("--at", type=_moment, help="thời điểm xem, ví dụ \"2026-12-01 07:30\" (mặc định: bây giờ)")
    preview.add_argument("--config", type=Path, default=DEFAULT_SETTINGS, help="tệp cài đặt màn hình")
    preview.set_defaults(handler=_preview)

    keygen = commands.add_parser("keygen", help="tạo khóa ký bản tin: khóa gốc (USB), khóa xuất bản được ủy quyền")
    keygen.add_argument("--out", type=Path, required=True, help="thư mục lưu khóa (mới, hoặc chưa có khóa)")
    step = keygen.add_mutually_exclusive_group()
    step.add_argument("--root", action="store_true", help="tạo khóa gốc (một lần; giữ trong USB, ngoại tuyến)")
    step.add_argument("--delegate", action="store_true",
                      help="tạo khóa xuất bản mới do khóa gốc ủy quyền (thu hồi khóa xuất bản trước)")
    step.add_argument("--new-root", action="store_true", help="thay khóa gốc: khóa gốc cũ ký giấy bàn giao cho khóa mới")
    keygen.add_argument("--root-key", type=Path, help="tệp khóa gốc (root-private-key.pem) cho --delegate, --new-root")
    keygen.add_argument("--days", type=_days, default=365, help="số ngày khóa xuất bản dùng được (mặc định 365)")
    keygen.set_defaults(handler=_keygen)

    from kiosk.fleet.cli import connection_options
    from kiosk.fleet.topics import ANNOUNCE_SPREAD  # not office: its broker and database are not needed to start
    publish = commands.add_parser("publish", help="kiểm tra, đánh số phiên bản và ký bản tin để tải lên máy chủ")
    publish.add_argument("feed", type=Path, help="thư mục bản tin gốc (không bị sửa)")
    publish.add_argument("--out", type=Path, required=True, help="thư mục xuất bản (dùng lại mỗi lần)")
    publish.add_argument("--key", type=Path, required=True, help="tệp khóa bí mật do `kiosk keygen` tạo")
    publish.add_argument("--announce", action="store_true",
                         help="báo ngay cho mọi màn hình qua máy chủ MQTT (khi --out là thư mục máy chủ web phục vụ)")
    publish.add_argument("--spread", type=float, default=ANNOUNCE_SPREAD,
                         help=f"với --announce: các màn hình đồng bộ rải trong bấy nhiêu giây (mặc định {ANNOUNCE_SPREAD:g})")
    connection_options(publish.add_argument_group("mạng màn hình (với --announce)"))
    publish.set_defaults(handler=_publish)

    sync = commands.add_parser("sync", help="tải bản tin mới từ máy chủ một lần")
    sync.add_argument("--config", type=Path, default=DEFAULT_SETTINGS, help="tệp cài đặt màn hình")
    sync.set_defaults(handler=_sync)

    status = commands.add_parser("status", help="in tình trạng bản tin và lần đồng bộ gần nhất")
    status.add_argument("--config", type=Path, default=DEFAULT_SETTINGS, help="tệp cài đặt màn hình")
    status.set_defaults(handler=_status)

    health = commands.add_parser("health", help="kiểm tra màn hình còn chạy và nội dung dùng được (cho systemd)")
    health.add_argument("--config", type=Path, default=DEFAULT_SETTINGS, help="tệp cài đặt màn hình")
    health.add_argument("--quiet", action="store_true", help="chỉ in các lỗi, không in cảnh báo")
    health.set_defaults(handler=_health)

    metrics = commands.add_parser("metrics", help="ghi số liệu cho Prometheus (node_exporter, textfile collector)")
    metrics.add_argument("--config", type=Path, default=DEFAULT_SETTINGS, help="tệp cài đặt màn hình")
    metrics.add_argument("--out", type=Path, required=True, help="tệp .prom cần ghi, ví dụ ward-kiosk.prom")
    metrics.set_defaults(handler=_metrics)

    faq = commands.add_parser("faq", help="tìm trong phần hỏi đáp như người dân tìm trên màn hình cảm ứng")
    faq.add_argument("feed", type=Path, help="thư mục bản tin")
    faq.add_argument("query", help="từ cần tìm, có dấu hay không dấu, ví dụ \"nghi quyet\"")
    faq.add_argument("--limit", type=int, default=10, help="in nhiều nhất bấy nhiêu câu (mặc định 10)")
    faq.set_defaults(handler=_faq)

    stats = commands.add_parser("stats", help="tóm tắt số liệu sử dụng (ẩn danh) và lượt chiếu của màn hình này")
    stats.add_argument("--state", type=Path, help="thư mục số liệu (mặc định: theo tệp cài đặt màn hình)")
    stats.add_argument("--config", type=Path, default=DEFAULT_SETTINGS, help="tệp cài đặt màn hình")
    stats.add_argument("--top", type=int, default=10, help="mỗi mục in bấy nhiêu dòng đầu (mặc định 10)")
    stats.set_defaults(handler=_stats)

    from kiosk.fleet.cli import add_fleet_parser
    add_fleet_parser(commands)
    # Listed for --help; main() hands everything after `office` to office/ (its own options).
    commands.add_parser("office", help="bảng điều khiển nội dung trên trình duyệt (kiosk office --help)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["office"]:
        return _office(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "keygen" and (args.delegate or args.new_root) and args.root_key is None:
        parser.error("--delegate và --new-root cần --root-key (tệp root-private-key.pem trong USB khóa gốc)")
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `kiosk faq ... | head` closed the pipe: nothing left to say
        sys.stderr.close()
        return 0
