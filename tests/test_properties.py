"""Property-based tests (hypothesis) for what reads hostile bytes: the YAML reader, the validator,
the manifest parser and the key files. Any byte string gets a located message or a valid result,
never an exception, and within a time bound proportional to its size.

The default profile keeps to a few dozen examples per property, so these run in seconds;
HYPOTHESIS_PROFILE=long runs thousands."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings, strategies as st

from kiosk.delivery import manifest, trust
from kiosk.feed.problems import Problem
from kiosk.feed.validate import KNOWN_FIELDS, load_feed
from kiosk.feed.yamlsource import load_yaml

settings.register_profile("default", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("long", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

MINIMAL = Path(__file__).resolve().parent / "feeds" / "minimal"
SECONDS_PER_BYTE = 20e-6  # 50 KB/s: ten times slower than the pure-Python parser on a large feed
BASE_SECONDS = 2.5  # a loaded machine's share: 1.2 s was seen for 1.7 KB with seven suites on two cores


def within_bound(size: int, started: float) -> None:
    elapsed = time.perf_counter() - started
    assert elapsed < BASE_SECONDS + size * SECONDS_PER_BYTE, f"{size} bytes took {elapsed:.2f} s"


def located(problems: list[Problem], path: str) -> None:
    assert problems, "refused without a word"
    for problem in problems:
        assert problem.file == path and problem.line >= 1 and problem.column >= 1 and problem.message.strip()


# Text made of what YAML gives meaning to, with the feed's own field names: reaches far more of the
# parser and the validator than random bytes.
_TOKENS = st.sampled_from(["[", "]", "{", "}", ",", ":", ": ", "- ", "? ", "&a ", "*a", "!!str ", "!x ", "|", ">",
                           "#", "'", '"', "\\", "\n", "\n  ", "\n    ", "\t", " ", "0", "1", "07", "2026-12-01",
                           "9999-12-31", "0x1F", "1e999", ".inf", "~", "null", "yes", "---", "...", "%YAML 1.1\n",
                           "\ufeff", "\u00a0", "Phường", "\u0301", "\x00", "\x85", '"\\ud800"', '"a\\0b"', '"\\U0010FFFF"']
                          + [f"{name}: " for name in KNOWN_FIELDS])
YAMLISH = st.lists(_TOKENS | st.text(max_size=8), max_size=60).map("".join)


def _bytes_of(text: str) -> bytes:
    return text.encode("utf-8")


HOSTILE = [b"", b"\xef\xbb\xbf", b"[" * 30000, b"a: " + b"{a: " * 5000, b"- " * 3000 + b"x",
           b"version: " + b"9" * 5000, b"&a [*a, *a]", b"\x00" * 1000, b"\xff\xfe", b"a: 'b\n", b"? [a]\n: b"]


def with_examples(*values):
    """Each value as an explicit example, tried before the generated ones."""
    def decorate(test):
        for value in values:
            test = example(value).via("hostile")(test)
        return test
    return decorate


@given(YAMLISH.map(_bytes_of) | st.binary(max_size=300))
@with_examples(*HOSTILE)
def test_the_yaml_reader_answers_any_bytes_with_data_or_located_problems(raw):
    started = time.perf_counter()
    doc, problems = load_yaml(raw, "feed.yaml")
    within_bound(len(raw), started)
    if doc is None:
        located(problems, "feed.yaml")
    else:
        for problem in problems:
            assert problem.line >= 1 and problem.column >= 1


@pytest.fixture(scope="module")
def feed_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("feed") / "feed"
    shutil.copytree(MINIMAL, folder)
    return folder


MINIMAL_TEXT = (MINIMAL / "feed.yaml").read_text(encoding="utf-8")


@st.composite
def damaged_feeds(draw) -> bytes:
    """The minimal valid feed with a few of its characters replaced by YAML-ish text."""
    text = MINIMAL_TEXT
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 20))
        text = text[:at] + draw(YAMLISH) + text[at + cut:]
    return _bytes_of(text)


@given(damaged_feeds() | YAMLISH.map(_bytes_of) | st.binary(max_size=200))
@example(MINIMAL_TEXT.encode("utf-8")).via("the valid feed")
@example(MINIMAL_TEXT.replace("expires: 2027-06-30", "expires: 9999-12-31").encode()).via("hostile")
@example(MINIMAL_TEXT.replace("version: 1", "version: 9007199254740992").encode()).via("hostile")
@example(MINIMAL_TEXT.replace("file: media/logo.png", "file: /etc/passwd").encode()).via("hostile")
@example(MINIMAL_TEXT.replace("file: media/logo.png", "file: media/../../x.png").encode()).via("hostile")
def test_the_validator_answers_any_feed_file_with_a_feed_or_located_errors(feed_folder, raw):
    (feed_folder / "feed.yaml").write_bytes(raw)
    started = time.perf_counter()
    result = load_feed(feed_folder)
    within_bound(len(raw), started)
    if result.feed is None:
        assert result.errors, "refused with no error"
        located(result.errors, str(feed_folder / "feed.yaml"))
    else:
        assert not result.errors


_JSON_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
                 | st.sampled_from(["2026-12-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00",
                                    "feed.yaml", "media/a.png", "../x", "a" * 64, manifest.KIND, trust.KEYS_KIND]))
JSON_VALUES = st.recursive(_JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.sampled_from(["type", "format", "version", "issued", "expires",
                                                              "files", "path", "size", "sha256", "serial",
                                                              "root_serial", "publishing_key", "valid_from",
                                                              "root_key"]) | st.text(max_size=5), inner, max_size=7),
                           max_leaves=20)


@st.composite
def manifests_near_valid(draw) -> bytes:
    data = {"type": manifest.KIND, "format": 1, "version": 3, "issued": "2026-12-01T00:00:00Z",
            "expires": "2027-12-01T00:00:00Z",
            "files": [{"path": "feed.yaml", "size": 10, "sha256": "a" * 64}]}
    for key in draw(st.lists(st.sampled_from(sorted(data)), max_size=3)):
        data[key] = draw(JSON_VALUES)
    if draw(st.booleans()):
        data["files"] = draw(st.lists(JSON_VALUES, max_size=4))
    return json.dumps(data).encode()


def _json_bytes(value) -> bytes:
    return json.dumps(value).encode()


@given(manifests_near_valid() | JSON_VALUES.map(_json_bytes) | st.binary(max_size=300))
@example(b"[" * 200000).via("hostile")
@example(b'{"a":' * 50000).via("hostile")
@example(b'{"version": ' + b"9" * 5000 + b"}").via("hostile")
def test_the_manifest_parser_answers_any_bytes_with_a_manifest_or_a_problem(raw):
    started = time.perf_counter()
    try:
        parsed = manifest.parse(raw)
    except manifest.ManifestProblem as problem:
        assert str(problem).strip()
    else:
        assert parsed.version >= 0 and any(entry.path == manifest.FEED_FILE for entry in parsed.files)
        assert parsed.issued.tzinfo is not None and parsed.expires.tzinfo is not None
    within_bound(len(raw), started)


@given(JSON_VALUES.map(_json_bytes) | st.binary(max_size=300))
@example(b"[" * 200000).via("hostile")
@example(json.dumps({"type": trust.KEYS_KIND, "format": 1, "serial": 1, "root_serial": 1,
                     "publishing_key": "A" * 43 + "=", "valid_from": "0001-01-01T00:00:00+14:00",
                     "expires": "9999-12-31T23:59:59-23:59"}).encode()).via("hostile")
def test_the_key_files_answer_any_bytes_with_a_delegation_or_a_problem(raw):
    for parse in (trust.parse_delegation, lambda data: trust.parse_root(data, "root-2.json")):
        try:
            parse(raw)
        except trust.TrustProblem as problem:
            assert str(problem).strip()


def test_a_parsed_feed_round_trips_through_yaml_dump():
    """What publish writes (yaml.dump of the parsed data) reads back as the same data."""
    doc, problems = load_yaml(MINIMAL_TEXT.encode(), "feed.yaml")
    assert doc is not None and not problems
    again, _ = load_yaml(yaml.safe_dump(doc.data, allow_unicode=True).encode(), "feed.yaml")
    assert again.data == doc.data


@pytest.fixture(scope="module")
def root_private():
    from kiosk.delivery import signing

    return signing.new_private_key()


@pytest.fixture(scope="module")
def root_key_text(root_private) -> str:
    from kiosk.delivery import signing

    return signing.public_key_text(root_private)


@st.composite
def delegations_near_valid(draw) -> dict:
    from kiosk.delivery import signing

    data = {"type": trust.KEYS_KIND, "format": 1, "serial": 2, "root_serial": 1,
            "publishing_key": signing.public_key_text(signing.new_private_key()),
            "valid_from": "2026-11-30T00:00:00Z", "expires": "2027-11-30T00:00:00Z"}
    for key in draw(st.lists(st.sampled_from(sorted(data)), max_size=3)):
        data[key] = draw(JSON_VALUES)
    return data


@given(delegations_near_valid(), st.binary(max_size=100), JSON_VALUES.map(_json_bytes))
def test_a_root_signed_delegation_with_any_fields_is_taken_or_refused_in_words(tmp_path_factory, root_private,
                                                                             root_key_text, data, signature, state):
    """keys.json signed by the real root, with hostile values in its fields, and any state file:
    the manifest (whose signature here is never right) is refused with a message, and what the
    display remembers stays readable."""
    from kiosk.delivery import signing

    raw = json.dumps(data).encode()
    files = {trust.KEYS_FILE: raw, trust.KEYS_SIGNATURE: signing.sign(root_private, raw, trust.DELEGATION_CONTEXT)}
    folder = _refused_in_words(tmp_path_factory, root_key_text, files, signature, state)
    json.loads((folder / trust.STATE_FILE).read_text())


def _refused_in_words(tmp_path_factory, root_key_text, files, signature, state) -> Path:
    """The trust check over a server's files and a state file must refuse with a message; the state folder."""
    folder = tmp_path_factory.mktemp("trust")
    (folder / trust.STATE_FILE).write_bytes(state)
    with pytest.raises(trust.TrustProblem) as refused:
        trust.check_manifest_signature(root_key_text, folder, b"{}", signature, lambda name, limit: files.get(name))
    assert str(refused.value).strip()
    return folder


KEY_FILE_NAMES = [trust.KEYS_FILE, trust.KEYS_SIGNATURE, "root-2.json", "root-2.json.sig", "root-3.json",
                  "root-3.json.sig"]


@given(st.dictionaries(st.sampled_from(KEY_FILE_NAMES), JSON_VALUES.map(_json_bytes) | st.binary(max_size=200)),
       st.binary(max_size=100), JSON_VALUES.map(_json_bytes))
def test_the_trust_check_answers_any_server_and_any_state_with_a_refusal_in_words(tmp_path_factory, root_key_text,
                                                                                files, signature, state):
    """Whatever the server sends as keys.json, its signature and root handovers, and whatever the
    state file holds, a display refuses with a message (no key here is the root's, so it must)."""
    _refused_in_words(tmp_path_factory, root_key_text, files, signature, state)


@st.composite
def feeds_with_any_text(draw) -> bytes:
    """The minimal feed with any text in its words (written out by PyYAML, so always good YAML)."""
    data = yaml.safe_load(MINIMAL_TEXT)
    data["slides"][0]["title"] = draw(st.text(min_size=1, max_size=80))
    data["slides"][0]["body"] = draw(st.text(max_size=300))
    data["ward"]["name"] = draw(st.text(min_size=1, max_size=60))
    data["ticker"] = draw(st.lists(st.text(max_size=80), max_size=3))
    return yaml.safe_dump(data, allow_unicode=draw(st.booleans())).encode("utf-8")


@given(damaged_feeds() | feeds_with_any_text())
@example(MINIMAL_TEXT.replace("title: Lịch tiếp công dân", 'title: "Lịch \\0 \\x85 \\u2028 \\U0001F600"').encode())
def test_whatever_validates_publishes_or_is_refused_in_words(tmp_path_factory, feed_folder, raw):
    """A feed the validator takes is one publish can write out, sign and read back."""
    from kiosk.delivery import signing
    from kiosk.delivery.publish import PublishRefused, publish

    (feed_folder / "feed.yaml").write_bytes(raw)
    if load_feed(feed_folder).feed is None:
        return
    out = tmp_path_factory.mktemp("out")
    try:
        done = publish(feed_folder, out, signing.new_private_key())
    except PublishRefused as refused:
        assert refused.lines and all(line.strip() for line in refused.lines)
    else:
        assert load_feed(out).feed is not None and done.version >= 0
