"""The site's icon: favicon.svg (in assets/) and a 16 + 32 px favicon.ico drawn from the same
shapes, for the browsers and tools that ask for /favicon.ico whatever the page says (no I/O)."""

from __future__ import annotations

import functools
import struct
from importlib import resources

# The shapes of assets/favicon.svg on its 32 x 32 grid: a blue rounded square, a white "i".
_BLUE = (0x91, 0x00, 0x00)  # #000091 as BGR
_WHITE = (0xFF, 0xFF, 0xFF)
_SIZES = (16, 32)
_SAMPLES = 4  # per axis, per pixel: anti-aliased edges


def favicon_svg() -> bytes:
    return (resources.files("static_site") / "assets" / "favicon.svg").read_bytes()


def _in_rounded(x: float, y: float, left: float, top: float, width: float, height: float,
                radius: float) -> bool:
    if not (left <= x <= left + width and top <= y <= top + height):
        return False
    cx = min(max(x, left + radius), left + width - radius)
    cy = min(max(y, top + radius), top + height - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def _colour_at(x: float, y: float) -> tuple[int, int, int, int] | None:
    """(B, G, R, A) of the shape under the point (x, y) of the 32 x 32 grid, or None."""
    if (x - 16) ** 2 + (y - 8.5) ** 2 <= 3.5 ** 2 or _in_rounded(x, y, 12.5, 14, 7, 13, 1.5):
        return (*_WHITE, 255)
    if _in_rounded(x, y, 0, 0, 32, 32, 6):
        return (*_BLUE, 255)
    return None


def _pixels(size: int) -> bytes:
    """BGRA rows, bottom row first (as a BMP inside an ICO stores them)."""
    rows = []
    step = 32 / size / _SAMPLES
    for row in range(size - 1, -1, -1):
        line = bytearray()
        for col in range(size):
            total = [0, 0, 0, 0]
            for sy in range(_SAMPLES):
                for sx in range(_SAMPLES):
                    hit = _colour_at((col * _SAMPLES + sx + 0.5) * step,
                                     (row * _SAMPLES + sy + 0.5) * step)
                    if hit:
                        for i in range(4):
                            total[i] += hit[i]
            n = _SAMPLES * _SAMPLES
            alpha = total[3] / n
            line += bytes(round(total[i] / n * 255 / alpha) if alpha else 0 for i in range(3))
            line.append(round(alpha))
        rows.append(bytes(line))
    return b"".join(rows)


def _bitmap(size: int) -> bytes:
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    mask_row = ((size + 31) // 32) * 4  # the AND mask: unused with alpha, but required
    return header + _pixels(size) + bytes(mask_row * size)


@functools.cache
def favicon_ico() -> bytes:
    """An ICO file with a 16 px and a 32 px 32-bit image."""
    images = [_bitmap(size) for size in _SIZES]
    offset = 6 + 16 * len(images)
    directory = b""
    for size, image in zip(_SIZES, images):
        directory += struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(image), offset)
        offset += len(image)
    return struct.pack("<HHH", 0, 1, len(images)) + directory + b"".join(images)
