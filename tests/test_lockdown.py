"""A passer-by cannot leave the app; staff can, with the corner gesture and the PIN."""

from pathlib import Path

from test_display_loop import run_display

REPO = Path(__file__).resolve().parents[1]


def corner_taps(at: float, count: int = 5):
    return [{"at": at + i * 0.15, "tap": [0.02, 0.98]} for i in range(count)]


def digits(at: float, pin: str):
    return [{"at": at + i * 0.2, "tap_text": d} for i, d in enumerate(pin)] + [{"at": at + len(pin) * 0.2, "tap_text": "OK"}]


def test_escape_close_and_stray_touches_do_not_leave_the_loop(tmp_path):
    # Once the first slide is up (a loaded machine can take two seconds to start), and the fifth tap
    # well over three seconds after the fourth, however late those came.
    actions = [{"at": 3.0, "key": 27}, {"at": 3.3, "close": True}, {"at": 3.6, "tap": [0.5, 0.5]},
               *corner_taps(4.0, count=4), {"at": 8.5, "tap": [0.02, 0.98]}]  # the fifth tap comes too late
    shown = run_display(tmp_path, REPO / "config", speed=1.0, seconds=9.5, actions=actions)
    assert shown["stopped_by"] == "harness", "the app kept running until the test ended it"
    assert all(action["overlay"] is None for action in shown["actions"]), shown["actions"]
    parts = shown["actions"][-1]["parts"]
    assert "TouchInvitation" not in parts and parts["host"]["h"] > 0, "a wall display invites no touch"


def test_five_corner_taps_and_the_pin_open_the_staff_panel_and_its_exit(tmp_path):
    actions = [*corner_taps(1.0), *digits(2.2, "1111"), *digits(3.6, "2468"),
               {"at": 5.2, "tap_text": "Thoát ứng dụng"}]
    shown = run_display(tmp_path, REPO / "config", speed=1.0, seconds=9, actions=actions,
                        settings={"pin": "2468"})
    overlays = [(a["did"], a["overlay"]) for a in shown["actions"]]
    assert overlays[4] == ("tap 0.02,0.98", "PinPad"), overlays
    assert overlays[9][1] == "PinPad", "a wrong PIN keeps the pad open"
    assert overlays[14][1] == "StaffPanel", overlays
    assert shown["stopped_by"] == "app", "the exit button closed the app"


def test_five_wrong_pins_lock_the_pad_even_against_the_right_one(tmp_path):
    wrong = [action for n in range(5) for action in digits(2.2 + n * 1.2, "1111")]
    actions = [*corner_taps(1.0), *wrong, *digits(8.4, "2468"), {"at": 9.8, "look": True}]
    shown = run_display(tmp_path, REPO / "config", speed=1.0, seconds=10.5, actions=actions,
                        settings={"pin": "2468"})
    records = shown["actions"]
    assert records[9]["message"] == "Sai mã PIN, hãy thử lại", records[9]
    assert "thử lại sau 5 phút" in records[29]["message"], records[29]  # the fifth wrong PIN
    assert records[-1]["overlay"] == "PinPad" and "thử lại sau" in records[-1]["message"], records[-1]


def test_a_staff_panel_left_open_closes_by_itself(tmp_path):
    actions = [*corner_taps(1.0), *digits(2.2, "2468"), {"at": 3.6, "look": True}, {"at": 6.5, "look": True}]
    shown = run_display(tmp_path, REPO / "config", speed=1.0, seconds=7, actions=actions,
                        settings={"pin": "2468"}, staff_panel_idle=2.0)
    assert [a["overlay"] for a in shown["actions"][-2:]] == ["StaffPanel", None], shown["actions"]
    assert shown["stopped_by"] == "harness"
