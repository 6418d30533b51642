"""Generate the game's sounds and window icon from code, so every asset is ours.

Standard library only. Output is deterministic: the same bytes on every run, so
the committed files can be checked against a fresh build. Usage::

    python assets/make_assets.py            # (re)write the files next to this script
    python assets/make_assets.py --out DIR  # write them somewhere else
"""

from __future__ import annotations

import argparse
import io
import math
import struct
import sys
import wave
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

# --------------------------------------------------------------------------- sounds

RATE = 44100
FULL_SCALE = 32767
FADE_IN = 0.003  # seconds; a raised-cosine ramp so no file starts with a click
FADE_OUT = 0.020  # seconds; likewise at the end

# Equal-tempered pitches in Hz.
C4, EB4, G4, C5, E5, G5, C6 = 261.63, 311.13, 392.00, 523.25, 659.26, 783.99, 1046.50

MARIMBA = ((1, 1.0), (2, 0.22), (3, 0.06))  # soft mallet: fundamental plus a little shine
WARM = ((1, 1.0), (2, 0.10))  # rounder, for the sad tones
PLAIN = ((1, 1.0), (2, 0.15))


@dataclass(frozen=True)
class Note:
    """One decaying tone: start, length, pitch (optionally gliding) and timbre."""

    start: float  # seconds from the beginning of the sound
    length: float  # seconds; the note is silent again at start + length
    freq: float  # Hz at the attack
    freq_end: float | None = None  # Hz reached after ``glide`` seconds (exponential glide)
    glide: float = 0.0
    decay: float = 0.2  # time constant of the exponential decay, seconds
    attack: float = 0.005  # raised-cosine attack, seconds
    release: float = 0.02  # raised-cosine release at the end of ``length``, seconds
    gain: float = 1.0
    partials: tuple[tuple[int, float], ...] = PLAIN


def _ramp(x: float) -> float:
    """Raised-cosine ramp from 0 (x <= 0) to 1 (x >= 1): smooth at both ends."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    return 0.5 - 0.5 * math.cos(math.pi * x)


def _add_note(buffer: list[float], note: Note) -> None:
    """Mix ``note`` into ``buffer`` (float samples at RATE), clipped to the buffer's end."""
    first = round(note.start * RATE)
    count = min(round(note.length * RATE), len(buffer) - first)
    ratio = (note.freq_end / note.freq) if note.freq_end else 1.0
    phase = 0.0
    for i in range(count):
        t = i / RATE
        if ratio != 1.0 and note.glide > 0.0:
            freq = note.freq * ratio ** min(t / note.glide, 1.0)
        else:
            freq = note.freq * ratio
        envelope = (
            note.gain
            * _ramp(t / note.attack)
            * _ramp((note.length - t) / note.release)
            * math.exp(-t / note.decay)
        )
        value = 0.0
        for multiple, weight in note.partials:
            value += weight * math.sin(multiple * phase)
        buffer[first + i] += envelope * value
        phase += 2.0 * math.pi * freq / RATE
        if phase > 2.0 * math.pi * 64:  # keep the phase small; multiples of 2*pi change nothing
            phase -= 2.0 * math.pi * 64


def render(notes: Sequence[Note], duration: float, peak: float) -> list[int]:
    """Mix ``notes`` into ``duration`` seconds of 16-bit samples, the loudest at ``peak`` x full."""
    buffer = [0.0] * round(duration * RATE)
    for note in notes:
        _add_note(buffer, note)
    fade_in, fade_out = round(FADE_IN * RATE), round(FADE_OUT * RATE)
    last = len(buffer) - 1
    for i in range(fade_in):
        buffer[i] *= _ramp(i / fade_in)
    for i in range(fade_out):
        buffer[last - i] *= _ramp(i / fade_out)
    loudest = max(abs(x) for x in buffer)
    scale = peak * FULL_SCALE / loudest
    return [max(-FULL_SCALE, min(FULL_SCALE, round(x * scale))) for x in buffer]


def place_sound() -> list[int]:
    """A short, soft pop: a quick downward chirp that dies away in a few tens of milliseconds."""
    pop = Note(0.0, 0.075, 1100.0, freq_end=520.0, glide=0.035, decay=0.018, attack=0.0015,
               release=0.015, partials=PLAIN)
    body = Note(0.0, 0.075, 260.0, decay=0.02, attack=0.002, release=0.015, gain=0.35,
                partials=((1, 1.0),))
    return render([pop, body], 0.08, peak=0.35)


def win_sound() -> list[int]:
    """A bright rising arpeggio, C major up to the octave, ringing out over ~0.6 s."""
    notes = [
        Note(0.10 * k, 0.60 - 0.10 * k, freq, decay=0.16 + 0.06 * k, release=0.15,
             partials=MARIMBA)
        for k, freq in enumerate((C5, E5, G5, C6))
    ]
    return render(notes, 0.60, peak=0.5)


def loss_sound() -> list[int]:
    """Three falling minor tones, the last one sagging a little flat, over ~0.6 s."""
    notes = [
        Note(0.00, 0.22, G4, decay=0.20, attack=0.008, release=0.04, partials=WARM),
        Note(0.17, 0.22, EB4, decay=0.20, attack=0.008, release=0.04, gain=0.9, partials=WARM),
        Note(0.34, 0.26, C4, freq_end=C4 * 0.96, glide=0.22, decay=0.25, attack=0.008,
             release=0.08, gain=0.85, partials=WARM),
    ]
    return render(notes, 0.60, peak=0.45)


def draw_sound() -> list[int]:
    """A neutral two-tone "ding-dong" (a falling major third), ~0.4 s."""
    notes = [
        Note(0.00, 0.22, E5, decay=0.12, partials=MARIMBA),
        Note(0.17, 0.23, C5, decay=0.14, partials=MARIMBA),
    ]
    return render(notes, 0.40, peak=0.45)


# The online sounds: a reaction arriving, and the attention cues (distinct, short, soft: they
# reach a player whose window is behind another one). Pitches in Hz.
D5, A5, B5, D6, E6 = 587.33, 880.00, 987.77, 1174.66, 1318.51
BELL = ((1, 1.0), (2, 0.30), (3, 0.10), (4, 0.05))  # a little brighter, to carry from a background window


def reaction_sound() -> list[int]:
    """A soft, quick upward "bloop" (two short notes, a fifth apart), ~0.2 s: the opponent said something."""
    notes = [
        Note(0.00, 0.10, G5, decay=0.05, attack=0.004, release=0.03, gain=0.8, partials=((1, 1.0), (2, 0.08))),
        Note(0.07, 0.13, D6, decay=0.06, attack=0.004, release=0.05, gain=0.7, partials=((1, 1.0), (2, 0.08))),
    ]
    return render(notes, 0.20, peak=0.30)


def cue_found_sound() -> list[int]:
    """Opponent found: three quick bright notes rising (C5, E5, G5) and a ring, ~0.5 s."""
    notes = [Note(0.07 * k, 0.50 - 0.07 * k, freq, decay=0.10 + 0.05 * k, release=0.12, partials=BELL)
             for k, freq in enumerate((C5, E5, G5))]
    return render(notes, 0.50, peak=0.45)


def cue_turn_sound() -> list[int]:
    """Your turn: the same clear note twice ("ding-ding", A5), ~0.35 s."""
    notes = [Note(0.00, 0.16, A5, decay=0.07, partials=BELL),
             Note(0.14, 0.21, A5, decay=0.09, release=0.06, partials=BELL)]
    return render(notes, 0.35, peak=0.42)


def cue_hurry_sound() -> list[int]:
    """Five seconds left: three short high ticks (E6), ~0.4 s, quicker than anything else the game plays."""
    notes = [Note(0.12 * k, 0.06, E6, decay=0.02, attack=0.002, release=0.015, partials=PLAIN) for k in range(3)]
    return render(notes, 0.40, peak=0.40)


def cue_away_sound() -> list[int]:
    """The opponent dropped: a falling fourth (G5 to D5), soft and warm, ~0.45 s."""
    notes = [Note(0.00, 0.20, G5, decay=0.12, attack=0.008, release=0.05, partials=WARM),
             Note(0.16, 0.29, D5, decay=0.16, attack=0.008, release=0.08, gain=0.9, partials=WARM)]
    return render(notes, 0.45, peak=0.40)


def cue_back_sound() -> list[int]:
    """The opponent is back: the same fourth rising (D5 to G5), brighter, ~0.4 s."""
    notes = [Note(0.00, 0.18, D5, decay=0.10, partials=MARIMBA),
             Note(0.13, 0.27, G5, decay=0.14, release=0.08, partials=MARIMBA)]
    return render(notes, 0.40, peak=0.42)


def cue_rematch_sound() -> list[int]:
    """A rematch offered: up and back down (C5, G5, E5, B5), playful, ~0.55 s."""
    notes = [Note(0.09 * k, 0.55 - 0.09 * k, freq, decay=0.08 + 0.03 * k, release=0.12, partials=MARIMBA)
             for k, freq in enumerate((C5, G5, E5, B5))]
    return render(notes, 0.55, peak=0.42)


def wav_bytes(samples: Sequence[int]) -> bytes:
    """A 16-bit mono 44.1 kHz WAV file holding ``samples``."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return out.getvalue()


SOUNDS: dict[str, Callable[[], list[int]]] = {
    "place.wav": place_sound,
    "win.wav": win_sound,
    "loss.wav": loss_sound,
    "draw.wav": draw_sound,
    "reaction.wav": reaction_sound,
    "cue_found.wav": cue_found_sound,
    "cue_turn.wav": cue_turn_sound,
    "cue_hurry.wav": cue_hurry_sound,
    "cue_away.wav": cue_away_sound,
    "cue_back.wav": cue_back_sound,
    "cue_rematch.wav": cue_rematch_sound,
}

# --------------------------------------------------------------------------- icon

ICON_SIZE = 64
SUPERSAMPLE = 8  # samples per pixel along each axis (64 per pixel)

Color = tuple[int, int, int]
Segment = tuple[float, float, float, float]  # x0, y0, x1, y1


def _hex(code: str) -> Color:
    """``"#rrggbb"`` -> (r, g, b)."""
    return (int(code[1:3], 16), int(code[3:5], 16), int(code[5:7], 16))


BACKGROUND = _hex("#1e2430")
GRID = _hex("#3a4356")
X_COLOR = _hex("#ff6b6b")
O_COLOR = _hex("#4ecdc4")

# Geometry in icon pixels (0..64), pixel centres at k + 0.5.
TILE_MIN, TILE_MAX, TILE_RADIUS = 2.0, 62.0, 12.0
BOARD_MIN, BOARD_MAX = 10.0, 54.0
CELL = (BOARD_MAX - BOARD_MIN) / 3
GRID_HALF_WIDTH = 1.25
MARK_HALF_WIDTH = 2.0
X_CENTER = (BOARD_MIN + 0.5 * CELL, BOARD_MIN + 0.5 * CELL)  # top-left cell
X_ARM = 0.26 * CELL  # half the width of the X
O_CENTER = (BOARD_MIN + 1.5 * CELL, BOARD_MIN + 1.5 * CELL)  # centre cell
O_RADIUS = 0.30 * CELL


def _in_tile(x: float, y: float) -> bool:
    """Whether (x, y) lies inside the rounded tile."""
    if x < TILE_MIN or x > TILE_MAX or y < TILE_MIN or y > TILE_MAX:
        return False
    inner_min, inner_max = TILE_MIN + TILE_RADIUS, TILE_MAX - TILE_RADIUS
    dx = max(inner_min - x, 0.0, x - inner_max)
    dy = max(inner_min - y, 0.0, y - inner_max)
    return dx * dx + dy * dy <= TILE_RADIUS * TILE_RADIUS


def _segment_distance(x: float, y: float, segment: Segment) -> float:
    """Distance from (x, y) to a segment (so a thick segment gets round caps)."""
    ax, ay, bx, by = segment
    vx, vy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)))
    return math.hypot(ax + t * vx - x, ay + t * vy - y)


@dataclass(frozen=True)
class Shape:
    """A filled shape drawn over the tile: its colour, bounding box and inside test."""

    color: Color
    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    contains: Callable[[float, float], bool]

    def touches(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        """Whether the bounding box overlaps the rectangle (x0, y0)-(x1, y1)."""
        bx0, by0, bx1, by1 = self.box
        return bx0 <= x1 and x0 <= bx1 and by0 <= y1 and y0 <= by1


def _strokes(color: Color, segments: Sequence[Segment], half_width: float) -> Shape:
    """Thick round-capped strokes along ``segments``."""
    box = (
        min(min(s[0], s[2]) for s in segments) - half_width,
        min(min(s[1], s[3]) for s in segments) - half_width,
        max(max(s[0], s[2]) for s in segments) + half_width,
        max(max(s[1], s[3]) for s in segments) + half_width,
    )
    return Shape(color, box,
                 lambda x, y: any(_segment_distance(x, y, s) <= half_width for s in segments))


def _ring(color: Color, center: tuple[float, float], radius: float, half_width: float) -> Shape:
    """A circle outline of the given radius and stroke half-width."""
    cx, cy = center
    outer = radius + half_width
    return Shape(color, (cx - outer, cy - outer, cx + outer, cy + outer),
                 lambda x, y: abs(math.hypot(x - cx, y - cy) - radius) <= half_width)


def _icon_shapes() -> list[Shape]:
    """What is drawn on the tile, topmost first: the O, the X, then the board lines."""
    cx, cy = X_CENTER
    x_segments = [
        (cx - X_ARM, cy - X_ARM, cx + X_ARM, cy + X_ARM),
        (cx - X_ARM, cy + X_ARM, cx + X_ARM, cy - X_ARM),
    ]
    inset = 1.0  # keeps the lines' round caps inside the board
    grid_segments = []
    for k in (1, 2):
        at = BOARD_MIN + k * CELL
        grid_segments.append((at, BOARD_MIN + inset, at, BOARD_MAX - inset))
        grid_segments.append((BOARD_MIN + inset, at, BOARD_MAX - inset, at))
    return [
        _ring(O_COLOR, O_CENTER, O_RADIUS, MARK_HALF_WIDTH),
        _strokes(X_COLOR, x_segments, MARK_HALF_WIDTH),
        _strokes(GRID, grid_segments, GRID_HALF_WIDTH),
    ]


def _sample(x: float, y: float, shapes: Sequence[Shape]) -> Color | None:
    """The colour at one sample point, or None where the icon is transparent."""
    if not _in_tile(x, y):
        return None
    for shape in shapes:
        if shape.contains(x, y):
            return shape.color
    return BACKGROUND


def _pixel(col: int, row: int, shapes: Sequence[Shape]) -> bytes:
    """One RGBA pixel: the straight-alpha average of SUPERSAMPLE**2 samples across it."""
    near = [s for s in shapes if s.touches(col, row, col + 1, row + 1)]
    corners_inside = all(_in_tile(col + dx, row + dy) for dx in (0, 1) for dy in (0, 1))
    if corners_inside and not near:  # the tile is convex: plain background, nothing to sample
        return bytes((*BACKGROUND, 255))
    n = SUPERSAMPLE
    offsets = [(k + 0.5) / n for k in range(n)]
    red = green = blue = covered = 0
    for oy in offsets:
        for ox in offsets:
            color = _sample(col + ox, row + oy, near)
            if color is not None:
                red, green, blue = red + color[0], green + color[1], blue + color[2]
                covered += 1
    if not covered:
        return b"\0\0\0\0"
    # Average only the covered samples (straight alpha), so the edge gets no dark fringe.
    return bytes((round(red / covered), round(green / covered), round(blue / covered),
                  round(255 * covered / (n * n))))


def icon_pixels() -> bytes:
    """The icon as ICON_SIZE rows of straight-alpha RGBA pixels, antialiased by supersampling."""
    shapes = _icon_shapes()
    return b"".join(_pixel(col, row, shapes)
                    for row in range(ICON_SIZE) for col in range(ICON_SIZE))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC of type + data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(rgba: bytes, width: int, height: int) -> bytes:
    """A minimal 8-bit RGBA PNG (no filtering, zlib level 9) of ``rgba`` rows."""
    stride = width * 4
    raw = b"".join(b"\0" + rgba[y * stride:(y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(raw, 9))
        + _png_chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------- main


def build() -> dict[str, bytes]:
    """Every asset file, by name, as the bytes to write."""
    files = {name: wav_bytes(make()) for name, make in SOUNDS.items()}
    files["icon.png"] = png_bytes(icon_pixels(), ICON_SIZE, ICON_SIZE)
    return files


def main(argv: Sequence[str] | None = None) -> int:
    """Write every asset into the output folder (default: the folder of this script)."""
    parser = argparse.ArgumentParser(description="Generate the game's sounds and icon.")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="folder to write into (default: next to this script)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in build().items():
        (args.out / name).write_bytes(data)
        print(f"wrote {name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
