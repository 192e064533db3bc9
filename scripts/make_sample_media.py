#!/usr/bin/env python3
"""Generate the bundled sample media for the phường Đống Đa kiosk.

Every word drawn here comes from the ward's information plan ("Kế hoạch thông
tin, tuyên truyền về nội dung và kết quả kỳ họp thứ Nhất HĐND Thành phố ...",
2026).  No figure is invented: the only numbers used are the ones the plan
states (khóa XVI, nhiệm kỳ 2026 - 2031, 4 nhiệm kỳ, 5 điểm nghẽn, 3 trụ cột,
GRDP từ 11% trở lên, 01/4/2026).

The output is deterministic: no network, no randomness, no timestamps in PNG
metadata.  Usage:

    python scripts/make_sample_media.py

Needs Pillow; the video also needs ffpyplayer (numpy is not used).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "config" / "media"
FONTS = ROOT / "assets" / "fonts"

# Palette: flat, high-contrast colours that stay readable from 2+ metres.
RED = (0xB7, 0x1C, 0x1C)
GOLD = (0xF9, 0xC8, 0x46)
NAVY = (0x0D, 0x2B, 0x52)
WHITE = (0xFF, 0xFF, 0xFF)
# Extra tints, used only inside the illustrations and icons.
GREY = (0x5F, 0x6B, 0x7A)
WATER = (0x1E, 0x6F, 0xC0)
SKIN = (0xF2, 0xC2, 0x9B)
TRUNK = (0x7A, 0x4E, 0x2D)
LEAF_DARK = (0x2E, 0x7D, 0x32)
LEAF_LIGHT = (0x66, 0xBB, 0x6A)
STONE = (0xD9, 0xCF, 0xBA)
STONE_DARK = (0xA8, 0x9F, 0x8C)
BRONZE = (0x3B, 0x2F, 0x2A)

SS = 2  # draw at 2x and shrink: Pillow's shapes are not anti-aliased.
LINE_STEP = 1.32  # line pitch in em; stacked marks (Ể, Ố) reach ~1.04 em.
WARD = "Phường Đống~Đa"
# In text passed to the wrapper, "~" is a non-breaking space: it keeps
# Vietnamese compound words ("nhiệm~kỳ", "giao~thông") and date ranges on one
# line, since breaking between their syllables reads badly.
TERM = "2026~-~2031"


# --------------------------------------------------------------------- text

@lru_cache(maxsize=None)
def font(px: int, bold: bool = True) -> ImageFont.FreeTypeFont:
    name = "NotoSans-Bold.ttf" if bold else "NotoSans-Regular.ttf"
    return ImageFont.truetype(str(FONTS / name), px)


def _greedy(words: list[str], fnt, max_w: float) -> list[str] | None:
    """Fill lines word by word; None if a single word is wider than max_w."""
    lines: list[str] = []
    cur = ""
    for word in words:
        trial = f"{cur} {word}" if cur else word
        if fnt.getlength(trial) <= max_w:
            cur = trial
            continue
        if not cur or fnt.getlength(word) > max_w:
            return None
        lines.append(cur)
        cur = word
    lines.append(cur)
    return lines


def wrap(text: str, fnt, max_w: float) -> list[str] | None:
    """Wrap each paragraph into as few lines as fit, then even out the line
    lengths (narrowest width giving the same line count) so no word is left
    alone on the last line."""
    out: list[str] = []
    for para in text.split("\n"):
        words = [w.replace("~", "\u00a0") for w in para.split(" ")]
        lines = _greedy(words, fnt, max_w)
        if lines is None:
            return None
        lo, hi = 0, int(max_w)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            trial = _greedy(words, fnt, mid)
            if trial is not None and len(trial) == len(lines):
                hi = mid
            else:
                lo = mid
        out += _greedy(words, fnt, hi) or lines
    return out


def ink_extent(lines: list[str], fnt, size: float) -> tuple[float, float, float]:
    """(widest line, ink top, ink bottom), vertical values relative to the
    first baseline.  Uses real glyph boxes so diacritics are accounted for."""
    width, top, bottom = 0.0, 0.0, 0.0
    for i, line in enumerate(lines):
        x0, y0, x1, y1 = fnt.getbbox(line, anchor="ls")
        width = max(width, x1 - min(x0, 0))
        top = min(top, i * LINE_STEP * size + y0)
        bottom = max(bottom, i * LINE_STEP * size + y1)
    return width, top, bottom


class Pen:
    """ImageDraw wrapper taking design coordinates and drawing at SS scale."""

    def __init__(self, img: Image.Image, scale: int = SS):
        self.img = img
        self.k = scale
        self.d = ImageDraw.Draw(img)

    # -- shapes
    def _b(self, box):
        return [v * self.k for v in box]

    def _p(self, pts):
        return [(x * self.k, y * self.k) for x, y in pts]

    def _w(self, w):
        return max(1, round(w * self.k))

    def rect(self, box, fill=None, r=0, outline=None, width=0):
        kw = dict(fill=fill, outline=outline, width=self._w(width) if outline else 0)
        if r:
            self.d.rounded_rectangle(self._b(box), radius=r * self.k, **kw)
        else:
            self.d.rectangle(self._b(box), **kw)

    def ellipse(self, box, fill=None, outline=None, width=0):
        self.d.ellipse(self._b(box), fill=fill, outline=outline,
                       width=self._w(width) if outline else 0)

    def circle(self, cx, cy, r, fill=None, outline=None, width=0):
        self.ellipse((cx - r, cy - r, cx + r, cy + r), fill, outline, width)

    def pieslice(self, box, start, end, fill):
        self.d.pieslice(self._b(box), start, end, fill=fill)

    def poly(self, pts, fill=None):
        self.d.polygon(self._p(pts), fill=fill)

    def line(self, pts, fill, width, caps=True):
        self.d.line(self._p(pts), fill=fill, width=self._w(width), joint="curve")
        if caps:  # round ends look friendlier than square ones
            for x, y in (pts[0], pts[-1]):
                self.circle(x, y, width / 2, fill=fill)

    def paste(self, im: Image.Image, x, y):
        """Paste an RGBA image that is already at device scale."""
        self.img.paste(im, (round(x * self.k), round(y * self.k)), im)

    # -- text
    def fits(self, text, size, w, h, bold=True) -> bool:
        fnt = font(round(size * self.k), bold)
        lines = wrap(text, fnt, w * self.k)
        if lines is None:
            return False
        width, top, bottom = ink_extent(lines, fnt, size * self.k)
        return width <= w * self.k and bottom - top <= h * self.k

    def fit(self, texts, w, h, max_size, min_size=32, bold=True) -> int:
        """Largest size at which every text fits w x h.  Fails loudly rather
        than letting anything overflow or clip."""
        for size in range(max_size, min_size - 1, -1):
            if all(self.fits(t, size, w, h, bold) for t in texts):
                return size
        raise ValueError(f"text does not fit {w}x{h} at {min_size}px: {texts!r}")

    def text(self, text, box, size, fill, bold=True, align="center", valign="center"):
        x0, y0, x1, y1 = box
        k = self.k
        fnt = font(round(size * k), bold)
        lines = wrap(text, fnt, (x1 - x0) * k)
        assert lines is not None, text
        _, top, bottom = ink_extent(lines, fnt, size * k)
        if valign == "top":
            base = y0 * k - top
        else:  # centre the actual ink, not the font's line box
            base = (y0 + y1) / 2 * k - (top + bottom) / 2
        for i, line in enumerate(lines):
            y = base + i * LINE_STEP * size * k
            if align == "left":
                self.d.text((x0 * k, y), line, font=fnt, fill=fill, anchor="ls")
            else:
                self.d.text(((x0 + x1) / 2 * k, y), line, font=fnt, fill=fill, anchor="ms")

    def fit_text(self, text, box, max_size, fill, min_size=32, **kw) -> int:
        size = self.fit([text], box[2] - box[0], box[3] - box[1], max_size, min_size,
                        kw.get("bold", True))
        self.text(text, box, size, fill, **kw)
        return size


def canvas(w: int, h: int, bg=WHITE) -> tuple[Image.Image, Pen]:
    img = Image.new("RGB", (w * SS, h * SS), bg)
    return img, Pen(img)


def save_png(img: Image.Image, name: str) -> Path:
    """Shrink from SS scale and save without metadata (byte-for-byte stable)."""
    if img.mode == "RGB" and SS > 1:
        img = img.reduce(SS)
    path = OUT / name
    img.save(path, format="PNG", optimize=True)
    if path.stat().st_size > 400_000:  # fall back to a palette image
        img.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            path, format="PNG", optimize=True)
    return path


# ------------------------------------------------------------------- emblem

def star_points(cx, cy, r_out, r_in=None, n=5):
    r_in = r_out * 0.382 if r_in is None else r_in
    pts = []
    for i in range(2 * n):
        r = r_out if i % 2 == 0 else r_in
        a = -math.pi / 2 + i * math.pi / n
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return pts


def _arc_text(im, text, cx, cy, r, size, top, color, tracking=0.08):
    """Set text along a circle: over the top (reading clockwise) or under the
    bottom (reading anticlockwise, so both read left to right).  Each glyph is
    drawn upright on its own layer, rotated about its baseline centre, then
    composited so anti-aliased edges keep correct alpha."""
    fnt = font(round(size), True)
    widths = [fnt.getlength(ch) for ch in text]
    gap = tracking * size
    pos = -(sum(widths) + gap * (len(text) - 1)) / 2
    g = int(size * 3)
    for ch, w in zip(text, widths):
        mid = pos + w / 2
        pos += w + gap
        if ch == " ":
            continue
        if top:
            theta = -math.pi / 2 + mid / r
            rot = -(math.degrees(theta) + 90)
        else:
            theta = math.pi / 2 - mid / r
            rot = 90 - math.degrees(theta)
        glyph = Image.new("RGBA", (g, g), color + (0,))
        ImageDraw.Draw(glyph).text((g / 2, g / 2), ch, font=fnt, fill=color, anchor="ms")
        glyph = glyph.rotate(rot, resample=Image.BICUBIC)
        layer = Image.new("RGBA", im.size, (0, 0, 0, 0))
        layer.paste(glyph, (round(cx + r * math.cos(theta) - g / 2),
                            round(cy + r * math.sin(theta) - g / 2)))
        im.alpha_composite(layer)


@lru_cache(maxsize=None)
def emblem(px: int) -> Image.Image:
    """The ward's sample emblem: red disc, gold ring, gold star, ward name.
    Deliberately abstract (no rice ears, cogwheel or ribbon) so it cannot be
    mistaken for the national emblem."""
    k = 4
    n = px * k
    # Transparent pixels carry the ring colour so edges never go dark.
    im = Image.new("RGBA", (n, n), GOLD + (0,))
    d = ImageDraw.Draw(im)
    c = n / 2
    R = n / 2 - k

    def disc(r, fill):
        d.ellipse((c - r, c - r, c + r, c + r), fill=fill)

    disc(R, GOLD)
    rr = 0.955 * R
    d.ellipse((c - rr, c - rr, c + rr, c + rr), outline=RED, width=round(0.02 * R))
    disc(0.665 * R, WHITE)
    disc(0.635 * R, RED)
    d.polygon(star_points(c, c + 0.02 * R, 0.48 * R), fill=GOLD)
    _arc_text(im, "ĐỐNG ĐA", c, c, 0.705 * R, 0.22 * R, top=True, color=RED)
    _arc_text(im, "HÀ NỘI", c, c, 0.875 * R, 0.15 * R, top=False, color=RED)
    for a in (math.pi, 0.0):  # separators between the two ring texts
        x, y = c + 0.8 * R * math.cos(a), c + 0.8 * R * math.sin(a)
        disc_r = 0.035 * R
        d.ellipse((x - disc_r, y - disc_r, x + disc_r, y + disc_r), fill=RED)
    return im.resize((px, px), Image.LANCZOS)


# ---------------------------------------------------------- shared layout

def header(pen: Pen, w, h, title, subtitle=None, max_size=76):
    """Red title band with the emblem on the left and a gold rule below."""
    pen.rect((0, 0, w, h), fill=RED)
    pen.rect((0, h, w, h + 12), fill=GOLD)
    e = h - 56
    pen.paste(emblem(e * pen.k), 48, 28)
    box = (48 + e + 40, 20, w - 60, h - 20)
    if subtitle:
        split = box[1] + (box[3] - box[1]) * 0.64
        pen.fit_text(title, (box[0], box[1], box[2], split), max_size, WHITE)
        pen.fit_text(subtitle, (box[0], split + 6, box[2], box[3]), 46, GOLD)
    else:
        pen.fit_text(title, box, max_size, WHITE)


def footer(pen: Pen, w, h, height=90, text=WARD):
    pen.rect((0, h - height, w, h), fill=NAVY)
    pen.fit_text(text, (60, h - height + 10, w - 60, h - 10), 50, GOLD)


def card(pen: Pen, box, fill=NAVY, radius=30):
    pen.rect(box, fill=fill, r=radius)


def caption_minh_hoa(pen: Pen, w, h):
    """Small 'Minh họa' tag: tells viewers the picture is not a photo."""
    fnt = font(30 * pen.k, True)
    tw = fnt.getlength("Minh họa") / pen.k
    box = (w - tw - 72, h - 78, w - 28, h - 26)
    pen.rect(box, fill=NAVY, r=16)
    pen.text("Minh họa", box, 30, WHITE)


# -------------------------------------------------------------------- icons
# Each icon is drawn inside a square of side s centred on (cx, cy).

def icon_rising_bars(pen, cx, cy, s):
    base = cy + 0.36 * s
    bw, gap = 0.15 * s, 0.06 * s
    x = cx - (4 * bw + 3 * gap) / 2
    for i, hgt in enumerate((0.30, 0.42, 0.55, 0.74)):
        pen.rect((x, base - hgt * s, x + bw, base), fill=RED if i == 3 else NAVY, r=0.02 * s)
        x += bw + gap
    pen.line([(cx - 0.46 * s, base + 0.03 * s), (cx + 0.46 * s, base + 0.03 * s)], NAVY, 0.035 * s)


def check_mark(pen, cx, cy, s, fill, width=None):
    pen.line([(cx - 0.35 * s, cy), (cx - 0.1 * s, cy + 0.25 * s), (cx + 0.38 * s, cy - 0.28 * s)],
             fill, width or 0.14 * s)


def icon_ballot_box(pen, cx, cy, s):
    # Ballot paper half-way into the box, ticked.
    pen.rect((cx - 0.22 * s, cy - 0.46 * s, cx + 0.22 * s, cy + 0.05 * s), fill=WHITE, r=0.03 * s)
    check_mark(pen, cx, cy - 0.22 * s, 0.3 * s, RED)
    pen.rect((cx - 0.42 * s, cy - 0.06 * s, cx + 0.42 * s, cy + 0.42 * s), fill=NAVY, r=0.05 * s)
    pen.rect((cx - 0.28 * s, cy - 0.06 * s, cx + 0.28 * s, cy - 0.0 * s), fill=GOLD)
    pen.rect((cx - 0.12 * s, cy + 0.1 * s, cx + 0.12 * s, cy + 0.2 * s), fill=GOLD, r=0.02 * s)


def icon_shield(pen, cx, cy, s):
    pts = [(cx, cy - 0.46 * s), (cx + 0.38 * s, cy - 0.32 * s), (cx + 0.36 * s, cy + 0.05 * s),
           (cx + 0.22 * s, cy + 0.3 * s), (cx, cy + 0.46 * s), (cx - 0.22 * s, cy + 0.3 * s),
           (cx - 0.36 * s, cy + 0.05 * s), (cx - 0.38 * s, cy - 0.32 * s)]
    pen.poly(pts, fill=NAVY)
    check_mark(pen, cx, cy - 0.02 * s, 0.42 * s, GOLD)


def icon_database(pen, cx, cy, s):
    # Three stacked disks (a database) beside a ticked list (voter roll).
    x0, x1 = cx - 0.44 * s, cx + 0.08 * s
    eh = 0.12 * s
    for i in range(3):
        y = cy - 0.36 * s + i * 0.24 * s
        pen.rect((x0, y, x1, y + 0.2 * s), fill=NAVY)
        pen.ellipse((x0, y + 0.2 * s - eh / 2, x1, y + 0.2 * s + eh / 2), fill=NAVY)
        pen.ellipse((x0, y - eh / 2, x1, y + eh / 2), fill=NAVY if i else WATER)
        if i:
            pen.line([(x0, y), (x1, y)], GOLD, 0.02 * s, caps=False)
    lx0, ly0 = cx + 0.0 * s, cy - 0.12 * s
    pen.rect((lx0, ly0, lx0 + 0.44 * s, ly0 + 0.56 * s), fill=WHITE, r=0.04 * s)
    for j in range(3):
        y = ly0 + 0.13 * s + j * 0.15 * s
        pen.circle(lx0 + 0.1 * s, y, 0.035 * s, fill=RED)
        pen.line([(lx0 + 0.18 * s, y), (lx0 + 0.36 * s, y)], NAVY, 0.04 * s)


def car_side(pen, x, y, w, body):
    """Small car in side view; (x, y) is the top-left of the body."""
    h = 0.36 * w
    pen.rect((x + 0.2 * w, y - 0.3 * h, x + 0.75 * w, y + 0.2 * h), fill=body, r=0.12 * w)
    pen.rect((x + 0.3 * w, y - 0.18 * h, x + 0.66 * w, y + 0.1 * h), fill=WHITE, r=0.05 * w)
    pen.rect((x, y, x + w, y + 0.75 * h), fill=body, r=0.1 * w)
    for wx in (x + 0.22 * w, x + 0.78 * w):
        pen.circle(wx, y + 0.75 * h, 0.13 * w, fill=BRONZE)
        pen.circle(wx, y + 0.75 * h, 0.05 * w, fill=WHITE)


def icon_traffic(pen, cx, cy, s):
    # Two lanes of cars nose to tail: a queue, not a road.
    w = 0.46 * s
    for dy, colours, shift in ((-0.26, (NAVY, RED), 0.0), (0.12, (RED, NAVY), 0.04)):
        for i, c in enumerate(colours):
            car_side(pen, cx - w - 0.01 * s + shift * s + i * (w + 0.02 * s), cy + dy * s, w, c)


def cloud(pen, cx, cy, r, fill):
    pen.circle(cx - 0.9 * r, cy + 0.2 * r, 0.7 * r, fill=fill)
    pen.circle(cx + 0.9 * r, cy + 0.2 * r, 0.7 * r, fill=fill)
    pen.circle(cx, cy - 0.1 * r, r, fill=fill)
    pen.rect((cx - 0.9 * r, cy + 0.1 * r, cx + 0.9 * r, cy + 0.9 * r), fill=fill)


def icon_air(pen, cx, cy, s):
    base = cy + 0.42 * s
    pen.rect((cx + 0.1 * s, cy - 0.3 * s, cx + 0.24 * s, base), fill=NAVY)  # chimney
    pen.poly([(cx - 0.46 * s, base), (cx - 0.46 * s, cy), (cx - 0.24 * s, cy + 0.12 * s),
              (cx - 0.24 * s, cy), (cx - 0.02 * s, cy + 0.12 * s), (cx - 0.02 * s, cy),
              (cx + 0.2 * s, cy + 0.12 * s), (cx + 0.46 * s, cy + 0.12 * s),
              (cx + 0.46 * s, base)], fill=NAVY)
    for i in range(3):
        pen.rect((cx - 0.38 * s + i * 0.24 * s, cy + 0.22 * s, cx - 0.26 * s + i * 0.24 * s,
                  cy + 0.32 * s), fill=GOLD)
    cloud(pen, cx + 0.05 * s, cy - 0.4 * s, 0.1 * s, GREY)
    cloud(pen, cx - 0.25 * s, cy - 0.36 * s, 0.08 * s, GREY)


def icon_flood(pen, cx, cy, s):
    pen.rect((cx - 0.26 * s, cy - 0.1 * s, cx + 0.26 * s, cy + 0.3 * s), fill=NAVY)
    pen.poly([(cx - 0.36 * s, cy - 0.08 * s), (cx, cy - 0.4 * s), (cx + 0.36 * s, cy - 0.08 * s)],
             fill=RED)
    pen.rect((cx - 0.08 * s, cy + 0.04 * s, cx + 0.08 * s, cy + 0.3 * s), fill=GOLD)
    pen.rect((cx - 0.48 * s, cy + 0.16 * s, cx + 0.48 * s, cy + 0.46 * s), fill=WATER, r=0.03 * s)
    for row in (0.22, 0.34):  # wave crests
        pts = [(cx - 0.44 * s + i * 0.02 * s,
                cy + row * s + 0.025 * s * math.sin(i * math.pi / 6)) for i in range(45)]
        pen.line(pts, WHITE, 0.025 * s)
    for dx in (-0.36, 0.36):  # rain drops
        x, y = cx + dx * s, cy - 0.34 * s
        pen.poly([(x, y - 0.08 * s), (x - 0.04 * s, y), (x + 0.04 * s, y)], fill=WATER)
        pen.circle(x, y + 0.005 * s, 0.04 * s, fill=WATER)


def icon_urban(pen, cx, cy, s):
    base = cy + 0.4 * s
    for x0, x1, top in ((-0.46, -0.2, -0.16), (-0.17, 0.11, -0.44), (0.14, 0.34, -0.04)):
        pen.rect((cx + x0 * s, cy + top * s, cx + x1 * s, base), fill=NAVY)
        y = cy + (top + 0.08) * s
        while y < base - 0.12 * s:
            for fx in (0.22, 0.62):
                wx = cx + (x0 + (x1 - x0) * fx) * s
                pen.rect((wx, y, wx + 0.05 * s, y + 0.06 * s), fill=GOLD)
            y += 0.13 * s
    # Traffic cone on the pavement: keeping streets and pavements in order.
    kx = cx + 0.42 * s
    pen.poly([(kx - 0.1 * s, base), (kx, cy + 0.02 * s), (kx + 0.1 * s, base)], fill=RED)
    pen.rect((kx - 0.045 * s, cy + 0.18 * s, kx + 0.045 * s, cy + 0.24 * s), fill=WHITE)
    pen.rect((kx - 0.14 * s, base - 0.03 * s, kx + 0.14 * s, base + 0.03 * s), fill=RED,
             r=0.01 * s)
    pen.rect((cx - 0.5 * s, base, cx + 0.3 * s, base + 0.03 * s), fill=NAVY)


def icon_food(pen, cx, cy, s):
    for dx in (-0.15, 0.0, 0.15):  # steam
        pts = [(cx + dx * s + 0.03 * s * math.sin(i * math.pi / 5), cy - 0.42 * s + i * 0.018 * s)
               for i in range(16)]
        pen.line(pts, GREY, 0.03 * s)
    pen.line([(cx + 0.05 * s, cy - 0.05 * s), (cx + 0.45 * s, cy - 0.38 * s)], BRONZE, 0.035 * s)
    pen.line([(cx + 0.12 * s, cy - 0.02 * s), (cx + 0.48 * s, cy - 0.3 * s)], BRONZE, 0.035 * s)
    pen.pieslice((cx - 0.42 * s, cy - 0.3 * s, cx + 0.42 * s, cy + 0.34 * s), 0, 180, fill=NAVY)
    pen.rect((cx - 0.44 * s, cy - 0.02 * s, cx + 0.44 * s, cy + 0.03 * s), fill=NAVY, r=0.02 * s)
    pen.rect((cx - 0.14 * s, cy + 0.32 * s, cx + 0.14 * s, cy + 0.38 * s), fill=NAVY, r=0.02 * s)
    # badge: food that is checked and safe
    pen.circle(cx + 0.3 * s, cy + 0.28 * s, 0.17 * s, fill=RED)
    check_mark(pen, cx + 0.3 * s, cy + 0.28 * s, 0.2 * s, WHITE)


# ----------------------------------------------------------- infographics

def infographic_bau_cu():
    W, H = 1920, 1080
    img, pen = canvas(W, H)
    header(pen, W, 240, f"Bầu~cử ĐBQH khóa~XVI và HĐND các~cấp\nnhiệm~kỳ {TERM}")
    items = [
        (icon_rising_bars, "Tỷ~lệ cử~tri tham~gia cao~nhất trong 4~nhiệm~kỳ gần~đây"),
        (icon_ballot_box, "Không~phải tổ~chức bầu~lại"),
        (icon_shield, "Dân~chủ,\nđúng pháp~luật,\nan~toàn, tiết~kiệm"),
        (icon_database, "Ứng~dụng Cơ~sở~dữ~liệu quốc~gia về~dân~cư lập~danh~sách cử~tri"),
    ]
    mx, gap, top, bottom = 64, 36, 292, H - 90 - 32
    cw, ch = (W - 2 * mx - gap) / 2, (bottom - top - gap) / 2
    r_icon, pad = 100, 36
    tw, th = cw - 2 * r_icon - 3 * pad, ch - 2 * pad
    size = pen.fit([t for _, t in items], tw, th, max_size=58, min_size=40)
    for i, (draw_icon, text) in enumerate(items):
        x0, y0 = mx + (i % 2) * (cw + gap), top + (i // 2) * (ch + gap)
        card(pen, (x0, y0, x0 + cw, y0 + ch))
        icx, icy = x0 + pad + r_icon, y0 + ch / 2
        pen.circle(icx, icy, r_icon, fill=GOLD)
        draw_icon(pen, icx, icy, 1.3 * r_icon)
        tx = x0 + 2 * pad + 2 * r_icon
        pen.text(text, (tx, y0 + pad, tx + tw, y0 + ch - pad), size, WHITE, align="left")
    footer(pen, W, H)
    return save_png(img, "infographic-ket-qua-bau-cu.png")


def infographic_diem_nghen():
    W, H = 1920, 1080
    img, pen = canvas(W, H)
    header(pen, W, 220, "5 điểm~nghẽn cần giải~quyết", f"Nhiệm~kỳ {TERM}", max_size=84)
    items = [
        (icon_traffic, "Ùn~tắc giao~thông"),
        (icon_air, "Ô~nhiễm không~khí"),
        (icon_flood, "Ngập~lụt"),
        (icon_urban, "Trật~tự đô~thị"),
        (icon_food, "An~toàn vệ~sinh thực~phẩm"),
    ]
    mx, gap, top, bottom = 56, 28, 268, H - 90 - 28
    cw = (W - 2 * mx - 4 * gap) / 5
    r_num, r_icon, pad = 50, 112, 24
    label_top = top + 28 + 2 * r_num + 24 + 2 * r_icon + 28
    size = pen.fit([t for _, t in items], cw - 2 * pad, bottom - pad - label_top, 56, 40)
    for i, (draw_icon, text) in enumerate(items):
        x0 = mx + i * (cw + gap)
        cx = x0 + cw / 2
        card(pen, (x0, top, x0 + cw, bottom))
        ny = top + 28 + r_num
        pen.circle(cx, ny, r_num, fill=RED, outline=WHITE, width=5)
        pen.text(str(i + 1), (cx - r_num, ny - r_num, cx + r_num, ny + r_num), 60, WHITE)
        iy = ny + r_num + 24 + r_icon
        pen.circle(cx, iy, r_icon, fill=GOLD)
        draw_icon(pen, cx, iy, 1.4 * r_icon)
        pen.text(text, (x0 + pad, label_top, x0 + cw - pad, bottom - pad), size, WHITE,
                 valign="top")
    footer(pen, W, H)
    return save_png(img, "infographic-5-diem-nghen.png")


def infographic_tru_cot():
    W, H = 1920, 1080
    img, pen = canvas(W, H)
    header(pen, W, 200, "3 trụ~cột chiến~lược:\nThể~chế - Quy~hoạch - Mô~hình phát~triển",
           max_size=64)
    cx = W / 2
    # Roof: pediment + frieze carrying the city's vision.
    rw = 1480
    pen.poly([(cx - rw / 2, 340), (cx, 238), (cx + rw / 2, 340)], fill=NAVY)
    pen.fit_text(f"Nhiệm~kỳ {TERM}", (cx - 300, 286, cx + 300, 336), 40, GOLD)
    pen.rect((cx - rw / 2, 340, cx + rw / 2, 436), fill=NAVY)
    pen.fit_text("Hà~Nội: Văn~hiến - Văn~minh - Hiện~đại", (cx - rw / 2 + 40, 350,
                 cx + rw / 2 - 40, 426), 60, WHITE)
    pen.rect((cx - rw / 2 + 30, 436, cx + rw / 2 - 30, 452), fill=GOLD)
    # Three pillars.
    names = ["Thể~chế", "Quy~hoạch", "Mô~hình phát~triển"]
    pw, pgap, ptop, pbot = 420, 80, 452, 752
    size = pen.fit(names, pw - 88, pbot - ptop - 80, 62, 40)
    x = cx - (3 * pw + 2 * pgap) / 2
    for name in names:
        pen.rect((x - 16, ptop, x + pw + 16, ptop + 30), fill=RED)      # capital
        pen.rect((x, ptop + 30, x + pw, pbot - 30), fill=RED)
        for fx in (22, pw - 22):  # flutes, kept clear of the label
            pen.rect((x + fx - 5, ptop + 46, x + fx + 5, pbot - 46), fill=GOLD)
        pen.rect((x - 16, pbot - 30, x + pw + 16, pbot), fill=RED)      # base
        pen.text(name, (x + 44, ptop + 40, x + pw - 44, pbot - 40), size, WHITE)
        x += pw + pgap
    # Steps, then the growth target the pillars stand on.
    pen.rect((cx - rw / 2 + 30, 752, cx + rw / 2 - 30, 772), fill=NAVY)
    pen.rect((cx - rw / 2, 772, cx + rw / 2, 792), fill=NAVY)
    pen.rect((cx - rw / 2 - 20, 812, cx + rw / 2 + 20, 950), fill=GOLD, r=24)
    pen.fit_text("Mục~tiêu tăng~trưởng GRDP từ~11% trở~lên", (cx - rw / 2 + 20, 822,
                 cx + rw / 2 - 20, 940), 72, NAVY)
    footer(pen, W, H)
    return save_png(img, "infographic-3-tru-cot.png")


# ------------------------------------------------------------ illustrations

def vertical_gradient(img: Image.Image, box, top_rgb, bottom_rgb):
    """Row-by-row gradient in device pixels (flat per row: compresses well)."""
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = box
    for y in range(y0, y1):
        t = (y - y0) / max(1, y1 - y0 - 1)
        d.line([(x0, y), (x1, y)], fill=tuple(round(a + (b - a) * t)
                                              for a, b in zip(top_rgb, bottom_rgb)))


def tree(pen, x, base, h, dark=LEAF_DARK, light=LEAF_LIGHT):
    r = 0.27 * h
    pen.rect((x - 0.05 * h, base - 0.5 * h, x + 0.05 * h, base), fill=TRUNK)
    for dx, dy, rr in ((0, -0.72, 1.0), (-0.62, -0.52, 0.78), (0.62, -0.52, 0.78)):
        pen.circle(x + dx * r, base + dy * h, rr * r, fill=dark)
    pen.circle(x - 0.25 * r, base - 0.8 * h, 0.55 * r, fill=light)


def mound(cx, base, half_w, height, flat=0.7, n=90):
    pts = []
    for i in range(n + 1):
        u = -1 + 2 * i / n
        pts.append((cx + u * half_w, base - height * ((1 + math.cos(math.pi * u)) / 2) ** flat))
    return pts


def statue(pen, cx, base, h, c=BRONZE):
    """Abstract standing figure: long robe and cloak, one arm pointing ahead,
    a sword held point-down at the side.  A silhouette only, no portrait."""
    u = h / 260
    pen.poly([(cx - 34 * u, base - 196 * u), (cx + 34 * u, base - 196 * u),
              (cx + 50 * u, base), (cx - 50 * u, base)], fill=c)                # cloak + robe
    pen.rect((cx - 40 * u, base - 206 * u, cx + 40 * u, base - 170 * u), fill=c, r=16 * u)
    pen.rect((cx - 9 * u, base - 220 * u, cx + 9 * u, base - 200 * u), fill=c)  # neck
    pen.circle(cx, base - 232 * u, 19 * u, fill=c)
    pen.pieslice((cx - 24 * u, base - 270 * u, cx + 24 * u, base - 226 * u), 180, 360, c)
    pen.rect((cx - 26 * u, base - 250 * u, cx + 26 * u, base - 242 * u), fill=c, r=4 * u)
    pen.line([(cx - 32 * u, base - 192 * u), (cx - 82 * u, base - 200 * u),
              (cx - 112 * u, base - 222 * u)], c, 16 * u)                        # pointing arm
    pen.line([(cx + 32 * u, base - 190 * u), (cx + 56 * u, base - 128 * u)], c, 16 * u)
    # Sword held point-down, angled away from the robe: tapered blade, wide
    # guard and pommel so it cannot be read as a walking stick.
    hx, hy = cx + 60 * u, base - 126 * u
    pen.poly([(hx - 2 * u, hy + 12 * u), (hx + 12 * u, hy + 12 * u), (hx + 34 * u, base - 6 * u)],
             fill=c)
    pen.line([(hx - 18 * u, hy + 10 * u), (hx + 26 * u, hy + 14 * u)], c, 9 * u)
    pen.line([(hx + 3 * u, hy - 14 * u), (hx + 5 * u, hy + 10 * u)], c, 7 * u)
    pen.circle(hx + 3 * u, hy - 18 * u, 7 * u, fill=c)


def go_dong_da():
    W, H = 1600, 1000
    img, pen = canvas(W, H)
    vertical_gradient(img, (0, 0, W * SS, 720 * SS), (118, 184, 232), (255, 238, 204))
    pen.circle(1300, 190, 120, fill=(255, 233, 170))
    pen.circle(1300, 190, 80, fill=GOLD)
    cloud(pen, 300, 170, 46, WHITE)
    cloud(pen, 560, 110, 32, WHITE)
    cloud(pen, 1050, 250, 36, WHITE)
    # Distant city, pale so the monument stands out.
    x, i = 0, 0
    while x < W:
        bw = 70 + (i * 37) % 60
        bh = 60 + (i * 53) % 110
        pen.rect((x, 700 - bh, x + bw - 8, 720), fill=(178, 198, 220))
        x, i = x + bw, i + 1
    # The mound (gò) with trees on it.
    pen.poly(mound(800, 770, 760, 330) + [(1560, 800), (40, 800)], fill=(67, 141, 74))
    pen.poly(mound(720, 770, 560, 290, 0.8) + [(1280, 800), (160, 800)], fill=(92, 163, 88))
    for tx, th in ((260, 170), (400, 210), (560, 240), (1040, 240), (1200, 210), (1340, 170)):
        y = 770 - 330 * ((1 + math.cos(math.pi * (tx - 800) / 760)) / 2) ** 0.7
        tree(pen, tx, y + 40, th)
    # Plaza.
    pen.rect((0, 780, W, H), fill=STONE)
    for y in range(810, H, 44):
        pen.line([(0, y), (W, y)], STONE_DARK, 3, caps=False)
    pen.rect((0, 770, W, 790), fill=(56, 120, 62))  # hedge line
    # Steps, plinth and statue.
    for j in range(4):
        pen.rect((800 - 210 + j * 30, 860 - j * 24, 800 + 210 - j * 30, 884 - j * 24),
                 fill=STONE_DARK if j % 2 else (196, 186, 166))
    pen.rect((800 - 104, 560, 800 + 104, 596), fill=(160, 152, 138))
    pen.rect((800 - 86, 596, 800 + 86, 788), fill=(186, 177, 160))
    pen.rect((800 - 60, 630, 800 + 60, 740), fill=(160, 152, 138), r=6)
    statue(pen, 800, 560, 270)
    # Big foreground trees frame the scene.
    tree(pen, 110, 990, 430)
    tree(pen, 1490, 990, 460)
    caption_minh_hoa(pen, W, H)
    return save_png(img, "go-dong-da.png")


def heart(pen, cx, cy, size, fill):
    pts = []
    for i in range(72):
        t = 2 * math.pi * i / 72
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        pts.append((cx + x * size / 32, cy - y * size / 32))
    pen.poly(pts, fill=fill)


def person(pen, cx, foot, h, shirt, legs, hair, *, hands, skirt=False, bun=False,
           white_hair=False):
    """Friendly flat figure.  `hands` are (dx, height) pairs in units of h,
    measured from the centre line and from the ground."""
    hip, shoulder = foot - 0.42 * h, foot - 0.74 * h
    if skirt:
        for dx in (-0.07, 0.07):
            pen.rect((cx + (dx - 0.035) * h, foot - 0.2 * h, cx + (dx + 0.035) * h, foot),
                     fill=SKIN)
        pen.poly([(cx - 0.15 * h, hip - 0.04 * h), (cx + 0.15 * h, hip - 0.04 * h),
                  (cx + 0.2 * h, foot - 0.18 * h), (cx - 0.2 * h, foot - 0.18 * h)], fill=legs)
    else:
        for dx in (-0.075, 0.075):
            pen.rect((cx + (dx - 0.055) * h, hip - 0.02 * h, cx + (dx + 0.055) * h, foot),
                     fill=legs, r=0.02 * h)
    for dx in (-0.08, 0.08):
        pen.ellipse((cx + (dx - 0.07) * h, foot - 0.035 * h, cx + (dx + 0.07) * h,
                     foot + 0.015 * h), fill=BRONZE)
    pen.rect((cx - 0.16 * h, shoulder - 0.03 * h, cx + 0.16 * h, hip + 0.02 * h), fill=shirt,
             r=0.07 * h)
    for side, (hx, hy) in zip((-1, 1), hands):
        sx, sy = cx + side * 0.12 * h, shoulder + 0.03 * h
        ex, ey = cx + hx * h, foot - hy * h
        pen.line([(sx, sy), (ex, ey)], shirt, 0.08 * h)
        pen.circle(ex, ey, 0.042 * h, fill=SKIN)
    hx, hy, r = cx, foot - 0.87 * h, 0.1 * h
    pen.rect((cx - 0.035 * h, hy, cx + 0.035 * h, shoulder), fill=SKIN)
    pen.circle(hx, hy, r, fill=SKIN)
    hair_c = WHITE if white_hair else hair
    pen.pieslice((hx - 1.08 * r, hy - 1.12 * r, hx + 1.08 * r, hy + 0.75 * r), 180, 360, hair_c)
    if bun:
        pen.circle(hx, hy - 1.05 * r, 0.42 * r, fill=hair_c)
    for ex in (-0.38, 0.38):
        pen.circle(hx + ex * r, hy + 0.05 * r, 0.1 * r, fill=BRONZE)
    pen.d.arc(pen._b((hx - 0.4 * r, hy, hx + 0.4 * r, hy + 0.6 * r)), 20, 160,
              fill=BRONZE, width=pen._w(0.07 * r))


def house(pen, x0, x1, ground, wall_top):
    w = x1 - x0
    pen.rect((x0, wall_top, x1, ground), fill=(250, 236, 208))
    pen.poly([(x0 - 0.08 * w, wall_top + 6), (x0 + w / 2, wall_top - 0.42 * w),
              (x1 + 0.08 * w, wall_top + 6)], fill=RED)
    pen.rect((x0 + 0.6 * w, wall_top - 0.36 * w, x0 + 0.72 * w, wall_top - 0.12 * w), fill=RED)
    pen.rect((x0 + 0.4 * w, ground - 0.44 * w, x0 + 0.6 * w, ground), fill=NAVY, r=8)
    pen.circle(x0 + 0.56 * w, ground - 0.22 * w, 6, fill=GOLD)
    for wx in (0.1, 0.7):
        pen.rect((x0 + wx * w, wall_top + 0.1 * w, x0 + (wx + 0.2) * w, wall_top + 0.3 * w),
                 fill=(170, 214, 240), outline=NAVY, width=6)
        pen.line([(x0 + (wx + 0.1) * w, wall_top + 0.1 * w),
                  (x0 + (wx + 0.1) * w, wall_top + 0.3 * w)], NAVY, 6, caps=False)


def grocery_bag(pen, x, y, s):
    pen.line([(x - 0.25 * s, y), (x - 0.2 * s, y - 0.35 * s), (x + 0.2 * s, y - 0.35 * s),
              (x + 0.25 * s, y)], BRONZE, 0.06 * s)
    for dx, c in ((-0.2, LEAF_DARK), (0.05, (230, 120, 40)), (0.25, LEAF_LIGHT)):
        pen.circle(x + dx * s, y + 0.02 * s, 0.16 * s, fill=c)
    pen.rect((x - 0.42 * s, y, x + 0.42 * s, y + 0.7 * s), fill=GOLD, r=0.06 * s)


def nguoi_tot_viec_tot():
    W, H = 1600, 1000
    img, pen = canvas(W, H)
    vertical_gradient(img, (0, 0, W * SS, 820 * SS), (200, 228, 248), (255, 246, 226))
    pen.rect((0, 820, W, H), fill=(126, 184, 96))
    pen.poly([(296, 820), (384, 820), (560, H), (200, H)], fill=STONE)  # path to the door
    house(pen, 120, 560, 820, 520)
    tree(pen, 1460, 830, 380)
    # Banner with the programme's name.
    pen.poly([(230, 100), (310, 100), (310, 200), (230, 200), (260, 150)], fill=(150, 20, 20))
    pen.poly([(1370, 100), (1290, 100), (1290, 200), (1370, 200), (1340, 150)],
             fill=(150, 20, 20))
    pen.rect((290, 40, 1310, 180), fill=RED, r=24)
    pen.rect((306, 56, 1294, 164), outline=GOLD, width=4, r=16)
    pen.fit_text("Người~tốt, việc~tốt", (330, 62, 1270, 158), 96, WHITE)
    # A young man helps an elderly woman with a cane; a neighbour brings food.
    old_x, young_x, nb_x, foot = 820, 980, 1210, 880
    pen.line([(old_x - 0.32 * 290 + 0, foot - 0.4 * 290), (old_x - 0.36 * 290, foot)],
             TRUNK, 10)  # cane
    person(pen, old_x, foot, 290, shirt=(123, 80, 160), legs=NAVY, hair=None, skirt=True,
           bun=True, white_hair=True, hands=((-0.32, 0.4), (0.3, 0.5)))
    person(pen, young_x, foot, 350, shirt=WATER, legs=NAVY, hair=(40, 30, 25),
           hands=((-0.2, 0.48), (0.22, 0.42)))
    person(pen, nb_x, foot, 330, shirt=RED, legs=NAVY, hair=(40, 30, 25), bun=True,
           hands=((-0.3, 0.5), (0.24, 0.4)))
    grocery_bag(pen, nb_x - 0.3 * 330, foot - 0.5 * 330 + 20, 110)
    for hx, hy, hs, c in ((760, 420, 60, RED), (930, 330, 80, GOLD), (1100, 390, 56, RED),
                          (1300, 320, 70, RED), (640, 330, 44, GOLD)):
        heart(pen, hx, hy, hs, c)
    caption_minh_hoa(pen, W, H)
    return save_png(img, "nguoi-tot-viec-tot.png")


def logo():
    path = OUT / "logo.png"
    emblem(512).save(path, format="PNG", optimize=True)
    return path


# -------------------------------------------------------------------- video

VW, VH, FPS, SECONDS = 1280, 720, 25, 8


def ease(t: float) -> float:
    """Clamp to 0..1 and ease out (fast start, gentle stop)."""
    t = min(1.0, max(0.0, t))
    return 1 - (1 - t) ** 3


def text_layer(text, box, max_size, fill, min_size=32) -> Image.Image:
    layer = Image.new("RGBA", (VW, VH), fill + (0,))
    Pen(layer, 1).fit_text(text, box, max_size, fill, min_size=min_size)
    return layer


def fade(layer: Image.Image, alpha: float) -> Image.Image:
    if alpha >= 1:
        return layer
    out = layer.copy()
    out.putalpha(layer.getchannel("A").point(lambda v: round(v * alpha)))
    return out


def video_frames():
    """Yield 200 RGB frames: three title cards joined by cross-fades."""
    bg_a = Image.new("RGBA", (VW, VH), NAVY + (255,))
    Pen(bg_a, 1).rect((0, VH - 24, VW, VH), fill=GOLD)
    bg_a.alpha_composite(emblem(120), (VW // 2 - 60, 48))
    a1 = text_layer(f"Chính~quyền nhiệm~kỳ {TERM}", (80, 190, VW - 80, 420), 84, WHITE)
    a2 = text_layer("đi vào hoạt~động từ ngày 01/4/2026", (80, 450, VW - 80, 560), 58, GOLD)

    bg_b = Image.new("RGBA", (VW, VH), RED + (255,))
    b1 = text_layer("Xây~dựng chính~quyền số,\nđô~thị thông~minh", (80, 170, VW - 80, 470),
                    88, WHITE)

    bg_c = Image.new("RGBA", (VW, VH), WHITE + (255,))
    Pen(bg_c, 1).rect((0, VH - 24, VW, VH), fill=RED)
    c1 = text_layer(WARD, (80, 500, VW - 80, 640), 100, NAVY)
    big = emblem(320)

    def scene_a(t):
        f = bg_a.copy()
        e1, e2 = ease((t - 0.2) / 0.9), ease((t - 1.1) / 0.9)
        f.alpha_composite(fade(a1, e1), (0, round(50 * (1 - e1))))
        f.alpha_composite(fade(a2, e2), (0, round(50 * (1 - e2))))
        return f

    def scene_b(t):
        f = bg_b.copy()
        e = ease((t - 3.3) / 0.9)
        f.alpha_composite(fade(b1, e), (round(-120 * (1 - e)), 0) if e < 1 else (0, 0))
        bar = ease((t - 3.8) / 0.8) * 560
        if bar > 1:
            Pen(f, 1).rect((VW / 2 - bar / 2, 500, VW / 2 + bar / 2, 516), fill=GOLD)
        return f

    def scene_c(t):
        f = bg_c.copy()
        e = ease((t - 5.6) / 1.0)
        size = max(2, round(320 * (0.6 + 0.4 * e)))
        logo_img = fade(big.resize((size, size), Image.LANCZOS), e)
        f.alpha_composite(logo_img, ((VW - size) // 2, 90 + (320 - size) // 2))
        f.alpha_composite(fade(c1, ease((t - 6.2) / 0.8)))
        return f

    for i in range(FPS * SECONDS):
        t = i / FPS
        if t < 3.0:
            f = scene_a(t)
        elif t < 3.4:  # cross-fade A -> B
            f = Image.blend(scene_a(t), scene_b(t), (t - 3.0) / 0.4)
        elif t < 5.4:
            f = scene_b(t)
        elif t < 5.8:  # cross-fade B -> C
            f = Image.blend(scene_b(t), scene_c(t), (t - 5.4) / 0.4)
        else:
            f = scene_c(t)
        yield t, f.convert("RGB")


def pick_codec() -> str:
    from ffpyplayer.tools import get_codecs
    return "libx264" if "libx264" in get_codecs(encode=True, video=True) else "mpeg4"


def make_video() -> Path:
    from ffpyplayer.pic import Image as FFImage
    from ffpyplayer.writer import MediaWriter

    path = OUT / "video-nhiem-ky-moi.mp4"
    codec = pick_codec()
    # One thread and fixed settings keep the encode repeatable; yuv420p is the
    # pixel format every hardware decoder (and Kivy's player) handles.
    opts = {"threads": "1", "g": "50"}
    opts.update({"preset": "slow", "crf": "26", "tune": "animation"} if codec == "libx264"
                else {"qscale:v": "5"})
    writer = MediaWriter(str(path), [dict(pix_fmt_in="rgb24", width_in=VW, height_in=VH,
                                          pix_fmt_out="yuv420p", codec=codec,
                                          frame_rate=(FPS, 1))],
                         lib_opts=opts, overwrite=True)
    try:
        for t, frame in video_frames():
            img = FFImage(plane_buffers=[frame.tobytes()], pix_fmt="rgb24", size=(VW, VH))
            writer.write_frame(img=img, pts=t, stream=0)
    finally:
        writer.close()
    return path


# --------------------------------------------------------------------- main

def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    made = [logo(), infographic_bau_cu(), infographic_diem_nghen(), infographic_tru_cot(),
            go_dong_da(), nguoi_tot_viec_tot()]
    try:
        made.append(make_video())
    except ImportError:
        print("ffpyplayer not installed: video skipped")
    for path in made:
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
