""""Nghe": a button that reads a counter page aloud in Vietnamese, for residents who cannot read
the screen well. Nghe starts it, Dừng stops it, Nghe lại says it again.

The speech is made by espeak-ng and loaded in a worker thread (kiosk.play.speech), handed to
Kivy's thread with Clock.schedule_once and played through SDL. stop() (the button, or the page
closing) kills a synthesis still running and stops and unloads the sound; every sound starts at
the display's volume, so nothing a resident did carries over to the next."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from kivy.clock import Clock
from kivy.properties import BooleanProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.play.speech import SpeechCancelled, SpeechFailed, Synthesis, engine_available
from screens.theme import load_rules
from screens.widgets import Themed

load_rules(__file__)

log = logging.getLogger("kiosk.speech")

# Many older residents double-tap: a second tap this soon is the same press, not "Dừng".
REPEAT_TAP_SECONDS = 0.5

LABELS = {"ready": ("Nghe", "Máy đọc to trang này"), "preparing": ("Dừng", "Đang chuẩn bị đọc…"),
          "playing": ("Dừng", "Đang đọc…"), "finished": ("Nghe lại", "Chạm để nghe lại từ đầu"),
          "failed": ("Nghe", "Máy chưa đọc được, bà con nhờ cán bộ giúp")}


class Speaker:
    """How this display speaks: where the engine's WAV files are kept and the volume (0 to 1)."""

    def __init__(self, cache: Path, volume: float):
        self.cache = Path(cache)
        self.volume = volume


def speaker_for(settings) -> Speaker | None:
    """The counter display's speaker; None on a loop display, with `speech: false`, or without the
    engine (logged: the counter works on without the button)."""
    if settings.mode != "counter" or not settings.speech:
        return None
    if not engine_available():
        log.warning("Không có espeak-ng: nút \"Nghe\" không hiện (cài gói espeak-ng)")
        return None
    # SDL's own audio provider: Kivy's first choice, ffpyplayer, refuses espeak-ng's mono WAV. Its
    # import opens the audio device: here, on Kivy's thread, once.
    import kivy.core.audio.audio_sdl2  # noqa: F401

    return Speaker(settings.state_path() / "cache" / "speech", settings.speech_volume / 100)


class SpeakerIcon(Widget):
    """A loudspeaker with sound waves, or a stop square, drawn from shapes (no picture file)."""

    stop = BooleanProperty(False)


class ListenButton(Themed, ButtonBehavior, BoxLayout):
    """Reads `words` aloud. `phase`: ready (Nghe), preparing or playing (Dừng), finished (Nghe lại),
    failed (no sound device, or the engine failed: logged, and said on the screen)."""

    phase = OptionProperty("ready", options=tuple(LABELS))
    label = StringProperty(LABELS["ready"][0])
    hint = StringProperty(LABELS["ready"][1])

    def __init__(self, speaker: Speaker, words: str, **kwargs):
        self.speaker = speaker
        self.words = words
        self.sound = None
        self._synthesis: Synthesis | None = None
        self._tapped_at = -REPEAT_TAP_SECONDS
        super().__init__(**kwargs)

    def on_phase(self, _, phase):
        self.label, self.hint = LABELS[phase]

    def on_release(self):
        now = time.monotonic()
        if now - self._tapped_at < REPEAT_TAP_SECONDS:
            return
        self._tapped_at = now
        if self.phase in ("preparing", "playing"):
            self.stop()
        else:
            self.play()

    def play(self) -> None:
        self.stop()
        synthesis = self._synthesis = Synthesis(self.words, self.speaker.cache)
        self.phase = "preparing"
        threading.Thread(target=self._synthesise, args=(synthesis,), name="speech", daemon=True).start()

    def _synthesise(self, synthesis: Synthesis) -> None:
        """In the worker thread: the WAV file, read into a sound (file I/O stays off Kivy's thread),
        then back to Kivy's thread."""
        try:
            wav = synthesis.run()
        except SpeechCancelled:
            return
        except (SpeechFailed, OSError) as problem:
            log.warning("Không đọc được trang: %s", problem)
            Clock.schedule_once(lambda _: self._give_up(synthesis), 0)
            return
        from kivy.core.audio.audio_sdl2 import SoundSDL2  # imported already by speaker_for

        sound = SoundSDL2(source=str(wav))
        Clock.schedule_once(lambda _: self._start_sound(synthesis, sound, wav), 0)

    def _start_sound(self, synthesis: Synthesis, sound, wav: Path) -> None:
        if synthesis is not self._synthesis:  # stopped, or the page closed, while it was being made
            sound.unload()
            return
        self._synthesis = None
        if not sound.length:
            log.warning("Không phát được tiếng đọc %s (không có thiết bị âm thanh?)", wav.name)
            sound.unload()
            self.phase = "failed"
            return
        sound.volume = self.speaker.volume
        sound.bind(on_stop=self._ended)
        self.sound = sound
        sound.play()
        self.phase = "playing"

    def _give_up(self, synthesis: Synthesis) -> None:
        if synthesis is self._synthesis:
            self._synthesis = None
            self.phase = "failed"

    def _ended(self, sound) -> None:
        if sound is self.sound:  # played to the end
            self._release_sound()
            self.phase = "finished"

    def _release_sound(self) -> None:
        sound, self.sound = self.sound, None
        if sound is not None:
            sound.unbind(on_stop=self._ended)
            sound.stop()
            sound.unload()

    def stop(self) -> None:
        """Silence now: the synthesis killed, the sound stopped and unloaded."""
        synthesis, self._synthesis = self._synthesis, None
        if synthesis is not None:
            synthesis.cancel()
        self._release_sound()
        if self.phase in ("preparing", "playing"):
            self.phase = "finished"
