"""Make the fallback fonts in assets/fonts from Debian's Noto packages: subsets, so the game stays small.

Inter (the game's own face) draws Latin, Greek and Cyrillic. The fallbacks draw what it
cannot, each cut to what a player's name plausibly holds:

- ``NotoSansArabic-Regular.ttf``, ``NotoSansHebrew-Regular.ttf``: their scripts' blocks,
  every shaping feature kept (Arabic letters join);
- ``NotoSansCJKsc-Subset.otf``: Simplified Chinese's face, cut to the ideographs of
  GB 2312, JIS X 0208 and Big5's level 1 (the character sets of everyday Chinese,
  Japanese and traditional Chinese text, as Python's codecs define them), the 2,350
  Hangul syllables of KS X 1001, kana, CJK punctuation and full-width forms;
- ``NotoColorEmoji-Subset.ttf``: every single-code-point emoji, its colour bitmaps scaled
  from 109 to 54 pixels per em and reduced to 64 colours; no sequences (a flag shows as
  its two letters, a skin tone beside its emoji, a ZWJ family as its members).

Not run by the game, the build or the tests: a maintainer runs it when the set changes,
on Debian or Ubuntu, and commits the output::

    apt-get install fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji
    python -m venv /tmp/fontenv && /tmp/fontenv/bin/pip install fonttools==4.68.0 pillow==13.0.0
    /tmp/fontenv/bin/python packaging/make_fonts.py

The fonts are under the SIL Open Font License 1.1 (assets/fonts/OFL-Noto.txt), which
allows subsets; none of their names is reserved except "Source", which no output uses.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
NOTO = Path("/usr/share/fonts/truetype/noto")
NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_SC = 2  # the collection's faces: JP, KR, SC, TC, HK, then the monospaced ones

JOINERS = {0x20, 0xA0, 0x200C, 0x200D, 0x200E, 0x200F, 0x25CC}  # spaces, ZWNJ, ZWJ, LRM, RLM, dotted circle


def span(first: int, last: int) -> set[int]:
    return set(range(first, last + 1))


ARABIC = span(0x0600, 0x06FF) | span(0x0750, 0x077F) | span(0x08A0, 0x08FF) | span(0xFB50, 0xFDFF) | span(0xFE70, 0xFEFF)
HEBREW = span(0x0590, 0x05FF) | span(0xFB1D, 0xFB4F)
# CJK punctuation, kana, Hangul compatibility jamo, kana extensions, full- and half-width forms.
CJK_EXTRAS = span(0x3000, 0x30FF) | span(0x3130, 0x318F) | span(0x31F0, 0x31FF) | span(0xFF00, 0xFFEF)


def encodable(codec: str, codes: Iterable[int], keep: Callable[[bytes], bool]) -> set[int]:
    """The code points of ``codes`` that ``codec`` encodes to bytes that ``keep`` accepts."""
    found = set()
    for code in codes:
        try:
            data = chr(code).encode(codec)
        except UnicodeEncodeError:
            continue
        if keep(data):
            found.add(code)
    return found


def cjk_set() -> set[int]:
    """Everyday ideographs of Chinese, Japanese and traditional Chinese, common Hangul, kana and punctuation."""
    ideographs = span(0x4E00, 0x9FFF)

    def two_bytes(data: bytes) -> bool:  # the codecs' extensions (JIS X 0212, composed Hangul) use more
        return len(data) == 2

    gb2312 = encodable("gb2312", ideographs, two_bytes)
    jis_x_0208 = encodable("shift_jis", ideographs, two_bytes)
    big5_level_1 = encodable("big5", ideographs, lambda d: len(d) == 2 and (0xA440 <= int.from_bytes(d, "big") <= 0xC67E))
    ks_x_1001_hangul = encodable("euc_kr", span(0xAC00, 0xD7A3), two_bytes)  # 2,350; others take 8 bytes
    return gb2312 | jis_x_0208 | big5_level_1 | ks_x_1001_hangul | CJK_EXTRAS | JOINERS


def cut(source: Path, codes: set[int], *, font_number: int = 0, hinting: bool = True, layout: bool = True) -> TTFont:
    """The subset of ``source`` that maps ``codes``, with every name and (if ``layout``) every layout feature kept."""
    options = subset.Options()
    options.layout_features = ["*"] if layout else []
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.font_number = font_number
    options.hinting = hinting
    options.notdef_outline = True
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codes)
    subsetter.subset(font)
    return font


def shrink_emoji(source: Path, target: Path, ppem: int = 54, colours: int = 64) -> None:
    """Every single-code-point emoji of Noto Color Emoji, its bitmaps scaled to ``ppem`` and ``colours``."""
    codes = {c for c in TTFont(str(source)).getBestCmap() if c >= 0x80 and not 0xE0000 <= c <= 0xE007F and c < 0xF0000}
    # No tags, no private use, and no sequences (their ligatures would triple the size): a flag shows as its
    # two letters, a skin tone beside its emoji, a ZWJ family as its members.
    font = cut(source, codes | {0x200D, 0xFE0F}, hinting=False, layout=False)
    size = font["CBLC"].strikes[0].bitmapSizeTable
    ratio = ppem / size.ppemX
    for glyph in font["CBDT"].strikeData[0].values():
        glyph.decompile()
        image = Image.open(io.BytesIO(glyph.imageData)).convert("RGBA")
        width, height = max(1, round(image.width * ratio)), max(1, round(image.height * ratio))
        image = image.resize((width, height), Image.LANCZOS).quantize(colors=colours, method=Image.Quantize.FASTOCTREE)
        png = io.BytesIO()
        image.save(png, "PNG", optimize=True)
        glyph.imageData = png.getvalue()
        metrics = glyph.metrics
        metrics.width, metrics.height = width, height
        metrics.BearingX, metrics.BearingY = round(metrics.BearingX * ratio), round(metrics.BearingY * ratio)
        metrics.Advance = round(metrics.Advance * ratio)
    size.ppemX = size.ppemY = ppem
    for line in (size.hori, size.vert):
        for name in ("ascender", "descender", "widthMax"):
            setattr(line, name, round(getattr(line, name) * ratio))
    font.save(str(target), reorderTables=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "assets" / "fonts", help="where to write (default assets/fonts)")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    cut(NOTO / "NotoSansArabic-Regular.ttf", ARABIC | JOINERS).save(str(out / "NotoSansArabic-Regular.ttf"))
    cut(NOTO / "NotoSansHebrew-Regular.ttf", HEBREW | JOINERS).save(str(out / "NotoSansHebrew-Regular.ttf"))
    cut(NOTO_CJK, cjk_set(), font_number=CJK_SC, hinting=False).save(str(out / "NotoSansCJKsc-Subset.otf"))
    shrink_emoji(NOTO / "NotoColorEmoji.ttf", out / "NotoColorEmoji-Subset.ttf")
    for path in sorted(out.glob("Noto*")):
        sys.stdout.write(f"{path.name}: {path.stat().st_size / 1e6:.2f} MB\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
