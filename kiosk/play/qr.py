"""QR codes as a matrix of modules, drawn by the screen with whole pixels per module."""

from __future__ import annotations

from dataclasses import dataclass

import qrcode
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of light margin the standard asks for


@dataclass(frozen=True)
class QrMatrix:
    size: int  # modules per side, quiet zone included
    rows: tuple[tuple[bool, ...], ...]  # True is a dark module

    def luminance_bytes(self, flip_vertically: bool = True) -> bytes:
        """One byte per module (0 dark, 255 light), bottom row first as OpenGL textures expect."""
        rows = reversed(self.rows) if flip_vertically else self.rows
        return bytes(0 if dark else 255 for row in rows for dark in row)

    def module_pixels(self, side_px: float) -> int:
        """Whole pixels per module so that the code fits in side_px (at least 1)."""
        return max(1, int(side_px // self.size))


def qr_matrix(url: str) -> QrMatrix:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=1)
    code.add_data(url)
    code.make(fit=True)
    rows = tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())
    return QrMatrix(len(rows), rows)
