"""A video played to its end (or its limit), muted unless the feed asks for sound."""

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.video import Video

from kiosk.feed.media import probe_mp4
from screens.slides.base import SlideView
from screens.theme import load_rules

load_rules(__file__)

PREVIEW_WAIT_SECONDS = 8.0  # `kiosk preview` waits this long for the first frame (a busy machine decodes slowly)


class SlideVideo(Video):
    """Kivy's Video, except that a file gone by the time Kivy loads it (the frame after the view is
    built: two feeds installed while the slide waited for its turn) is `gone`, not an error in Kivy's
    clock that stops the app (Kivy 2.3.1 hands the missing file's None to ffpyplayer and fails)."""

    gone = BooleanProperty(False)

    def _do_video_load(self, *largs):
        if self.source and not Path(self.source).is_file():
            self.unload()
            self.gone = True
            return
        super()._do_video_load(*largs)


class VideoSlideView(SlideView):
    """A video played to its end (or its limit), muted unless the feed asks for sound. Prepared, it
    decodes its first frame and waits on it, so that the fade brings in that frame, never black."""

    broken = StringProperty("")  # why it does not play, once known
    READY_WAIT_SECONDS = 2.0  # a decoder slower than this to its first frame does not hold the loop longer

    def __init__(self, entry, folder, **kwargs):
        super().__init__(entry, folder, **kwargs)
        self._on_finished = None
        self._limit = None
        self._entered = False
        self._on_ready = None
        path = Path(self.media(self.slide.file))
        self.info = probe_mp4(path) if path.suffix.lower() in (".mp4", ".m4v") else None
        # An MP4 whose header cannot be read will not play: skip it before showing a black box.
        if path.suffix.lower() in (".mp4", ".m4v") and self.info is None:
            self.broken = f"không đọc được video {self.slide.file}"

    @property
    def failure(self) -> str:
        return self.broken

    @property
    def pace_reason(self) -> str:
        return f"video {id(self)}"  # the outgoing video leaves after the next one started

    def prepare(self):
        if self.broken:
            return
        video = self.ids.video
        video.volume = 0  # silent until its turn
        video.bind(loaded=self._first_frame, gone=self._gone)
        try:
            video.state = "play"  # paused again at its first frame
        except (ValueError, OSError):
            pass  # enter tries again and says why

    def _first_frame(self, video, loaded):
        if not loaded:
            return
        if not self._entered:
            video.state = "pause"
        self._ready()

    def _gone(self, _video, gone):
        if gone:
            self.broken = f"không còn tệp video {self.slide.file}"
            self._ready()
            if self._on_finished:  # on screen already: the player moves on
                self._finished()

    def when_ready(self, then):
        if self.broken or self.ids.video.loaded:
            then()
            return
        self._on_ready = then
        Clock.schedule_once(self._ready, self.READY_WAIT_SECONDS)

    def _ready(self, *_):
        then, self._on_ready = self._on_ready, None
        if then:
            then()

    def enter(self, on_finished):
        self._on_finished = on_finished
        self._entered = True
        video = self.ids.video
        video.volume = 1 if self.slide.sound else 0
        video.bind(eos=self._finished, loaded=self._loaded)
        self.pace.hold(self.pace_reason)  # each new frame drawn as it comes
        try:
            video.state = "play"
        except (ValueError, OSError) as error:  # ffpyplayer could not open the file or the sound device
            reason = f"không mở được video ({error})"
            Clock.schedule_once(lambda *_: self._fail(reason), 0)  # the player moves on after enter returns
            return
        # A video that never starts or never ends must not hold the loop.
        limit = self.slide.max_seconds or 600
        self._limit = Clock.schedule_once(self._finished, limit)
        Clock.schedule_once(self._check_started, 5)

    def before_preview(self, drawn):
        """Played to its first frame (as long as a busy machine needs), then held there for the shot."""
        self.enter(lambda: None)
        waited = 0.0
        while not self.ids.video.loaded and waited < PREVIEW_WAIT_SECONDS and not self.broken:
            yield 0.1
            waited += 0.1
        self.ids.video.state = "pause"
        yield drawn  # the paused frame on screen

    def _loaded(self, video, loaded):
        if loaded and video.duration and video.duration < 1:
            self._fail("video quá ngắn hoặc hỏng")

    def _check_started(self, *_):
        video = self.ids.video
        if self._on_finished and not video.loaded:
            self._fail("không phát được video")

    def _fail(self, reason):
        """The player sees the failure when the view finishes, says it once and skips the slide a while."""
        self.broken = f"{reason}: {self.slide.file}"
        self._finished()

    def _finished(self, *_):
        callback, self._on_finished = self._on_finished, None
        if callback:
            callback()

    def page_seconds(self) -> float:
        return 0  # the video's end decides

    def shown_seconds(self) -> float:
        """How long it stays on screen: to its end, or its limit (0 when the file says nothing)."""
        limit = self.slide.max_seconds or 600
        seconds = self.info.seconds if self.info and self.info.seconds else self.ids.video.duration
        return min(limit, seconds) if seconds and seconds > 0 else 0

    def pause(self):
        if self._limit:
            self._limit.cancel()
        self.ids.video.state = "pause"
        self.pace.release(self.pace_reason)

    def resume(self) -> bool:
        video = self.ids.video
        if self.broken or video.eos or self._on_finished is None:
            return False
        video.state = "play"
        self.pace.hold(self.pace_reason)
        self._limit = Clock.schedule_once(self._finished, self.slide.max_seconds or 600)
        return True

    def leave(self):
        if self._limit:
            self._limit.cancel()
        self._on_finished = self._on_ready = None
        video = self.ids.video
        video.state = "stop"
        video.unload()
        self.pace.release(self.pace_reason)
