"""The generated assets are valid and reproducible; sound plays, mutes and fails silently."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import io
import logging
import shutil
import struct
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest

from ui.audio import ASSETS_DIR, SOUND_NAMES, Sounds, icon_path

REPO = Path(__file__).resolve().parents[2]
GENERATOR = REPO / "assets" / "make_assets.py"
ONLINE_FILES = {"reaction.wav", "cue_found.wav", "cue_turn.wav", "cue_hurry.wav", "cue_away.wav", "cue_back.wav",
                "cue_rematch.wav"}
ASSET_FILES = {"place.wav", "win.wav", "loss.wav", "draw.wav", "icon.png", *ONLINE_FILES}

# Expected length of each sound in seconds (low, high).
DURATIONS = {"place": (0.03, 0.15), "win": (0.5, 0.7), "loss": (0.5, 0.7), "draw": (0.3, 0.5),
             "reaction": (0.1, 0.3), "cue_found": (0.3, 0.6), "cue_turn": (0.25, 0.5), "cue_hurry": (0.3, 0.5),
             "cue_away": (0.3, 0.6), "cue_back": (0.3, 0.6), "cue_rematch": (0.3, 0.6)}
FULL_SCALE = 32767


def _run_generator(out: Path) -> dict[str, bytes]:
    """Run make_assets.py in a fresh interpreter, writing into ``out``; the files it wrote."""
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(out)], check=True,
                   capture_output=True, timeout=60)
    return {path.name: path.read_bytes() for path in out.iterdir()}


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], ...]:
    """Two independent runs of the generator."""
    return (_run_generator(tmp_path_factory.mktemp("first")),
            _run_generator(tmp_path_factory.mktemp("second")))


def _read_wav(path: Path) -> tuple[tuple[int, int, int], float, tuple[int, ...]]:
    """(channels, sample width, rate), duration in seconds and the frames as 16-bit integers."""
    with wave.open(str(path), "rb") as wav:
        params = wav.getparams()
        frames = wav.readframes(params.nframes)
    fmt = (params.nchannels, params.sampwidth, params.framerate)
    return fmt, params.nframes / params.framerate, struct.unpack(f"<{len(frames) // 2}h", frames)


def _pixels(png: bytes) -> bytes:
    """The RGBA pixels of PNG file contents."""
    return pygame.image.tobytes(pygame.image.load(io.BytesIO(png), "icon.png"), "RGBA")


@pytest.fixture
def own_mixer() -> Iterator[None]:
    """Run the test with no mixer running, then put back whatever mixer ran before."""
    before = pygame.mixer.get_init()
    pygame.mixer.quit()
    yield
    pygame.mixer.quit()
    if before:
        pygame.mixer.init(*before)


# --------------------------------------------------------------------------- generator


def test_generator_writes_every_asset_identically_each_run(two_builds) -> None:
    first, second = two_builds
    assert set(first) == ASSET_FILES
    assert first == second


def test_committed_assets_are_what_the_generator_makes(two_builds) -> None:
    fresh, _ = two_builds
    for name in ASSET_FILES - {"icon.png"}:
        committed = (ASSETS_DIR / name).read_bytes()
        assert committed == fresh[name], f"{name} is stale: rerun make_assets.py"
    # Compare the icon by pixels: zlib builds may compress the same pixels differently.
    committed = _pixels(icon_path().read_bytes())
    assert committed == _pixels(fresh["icon.png"]), "icon.png is stale: rerun make_assets.py"


@pytest.mark.parametrize("name", SOUND_NAMES)
def test_sound_files_are_mono_16bit_44k_audible_and_unclipped(name: str) -> None:
    fmt, duration, samples = _read_wav(ASSETS_DIR / f"{name}.wav")
    assert fmt == (1, 2, 44100)  # mono, 16-bit, 44.1 kHz
    low, high = DURATIONS[name]
    assert low <= duration <= high
    peak = max(abs(s) for s in samples)
    rms = (sum(s * s for s in samples) / len(samples)) ** 0.5
    assert rms > 0.02 * FULL_SCALE, "sound is (nearly) silent"
    assert 0.2 * FULL_SCALE < peak < 0.8 * FULL_SCALE, "volume should be moderate, never clipping"
    # Faded in and out: no click at the start or the end.
    assert abs(samples[0]) < 0.01 * FULL_SCALE and abs(samples[-1]) < 0.01 * FULL_SCALE


def test_icon_is_a_64px_rounded_tile_in_the_game_palette() -> None:
    icon = pygame.image.load(str(icon_path()))
    assert icon.get_size() == (64, 64)
    # Rounded tile: the corners are transparent.
    assert icon.get_at((0, 0)).a == 0 and icon.get_at((63, 63)).a == 0
    assert tuple(icon.get_at((32, 4))) == (0x1E, 0x24, 0x30, 255)  # opaque slate tile
    colors = {tuple(icon.get_at((x, y)))[:3] for x in range(64) for y in range(64)}
    for wanted in ((0x3A, 0x43, 0x56), (0xFF, 0x6B, 0x6B), (0x4E, 0xCD, 0xC4)):  # grid, X, O
        assert wanted in colors
    alphas = {icon.get_at((x, y)).a for x in range(64) for y in range(64)}
    assert len(alphas) > 4, "edges should be antialiased"


# --------------------------------------------------------------------------- Sounds


def test_assets_dir_is_the_repository_assets_folder() -> None:
    assert ASSETS_DIR == REPO / "assets"
    assert icon_path() == ASSETS_DIR / "icon.png" and icon_path().is_file()


def test_every_sound_plays_under_the_dummy_driver(own_mixer, caplog) -> None:
    caplog.set_level(logging.WARNING)
    with Sounds() as sounds:
        assert sounds.available == frozenset(SOUND_NAMES)
        for name in SOUND_NAMES:
            pygame.mixer.stop()  # more sounds than the mixer's eight channels: each plays on a free one
            assert sounds.play(name) is True
        assert pygame.mixer.get_busy()
    assert pygame.mixer.get_init() is None, "the mixer Sounds started is stopped again on close"
    assert not caplog.records


def test_an_attention_cue_plays_while_the_game_sounds_are_off(own_mixer) -> None:
    with Sounds(muted=True) as sounds:
        pygame.mixer.stop()
        assert sounds.play("cue_turn") is False  # as a game sound: muted
        assert sounds.play("cue_turn", cue=True) is True  # as a cue: its own setting decides (the caller's)
        assert sounds.play("reaction") is False


def test_muted_sounds_play_nothing_until_unmuted(own_mixer) -> None:
    with Sounds(muted=True) as sounds:
        assert sounds.muted
        pygame.mixer.stop()
        assert sounds.play("win") is False
        assert not pygame.mixer.get_busy()
        assert sounds.toggle_mute() is False and not sounds.muted
        assert sounds.play("win") is True
        assert pygame.mixer.get_busy()
        assert sounds.toggle_mute() is True and sounds.muted


def test_an_unknown_sound_name_is_a_clear_error(own_mixer) -> None:
    with Sounds() as sounds, pytest.raises(ValueError, match="unknown sound 'boom'"):
        sounds.play("boom")  # type: ignore[arg-type]


def test_sounds_share_a_mixer_someone_else_started(own_mixer) -> None:
    pygame.mixer.init()
    with Sounds() as sounds:
        assert sounds.play("place") is True
    assert pygame.mixer.get_init() is not None, "Sounds must not stop a mixer it did not start"


def test_a_missing_assets_folder_is_silent_with_one_warning(own_mixer, tmp_path, caplog) -> None:
    caplog.set_level(logging.WARNING)
    with Sounds(assets_dir=tmp_path / "nowhere") as sounds:
        assert sounds.available == frozenset()
        for name in SOUND_NAMES:
            assert sounds.play(name) is False
    assert len(caplog.records) == 1 and caplog.records[0].levelno == logging.WARNING
    assert pygame.mixer.get_init() is None, "nothing to play: the audio device is given back"


def test_a_corrupt_file_silences_only_that_sound(own_mixer, tmp_path, caplog) -> None:
    caplog.set_level(logging.WARNING)
    for name in SOUND_NAMES:
        shutil.copy(ASSETS_DIR / f"{name}.wav", tmp_path)
    (tmp_path / "place.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" + bytes(range(64)))
    with Sounds(assets_dir=tmp_path) as sounds:
        assert sounds.available == frozenset(SOUND_NAMES) - {"place"}
        assert sounds.play("place") is False
        assert sounds.play("win") is True
    assert len(caplog.records) == 1 and "place.wav" in caplog.records[0].getMessage()


def test_a_mixer_stopped_behind_its_back_makes_play_silent(own_mixer, caplog) -> None:
    caplog.set_level(logging.WARNING)
    sounds = Sounds()
    pygame.mixer.quit()
    assert sounds.play("draw") is False
    assert sounds.play("draw") is False
    assert len(caplog.records) == 1
    sounds.close()


def test_without_an_audio_device_sounds_are_silent_and_warn_once() -> None:
    script = (
        "import logging\n"
        "from ui.audio import SOUND_NAMES, Sounds\n"
        "logging.basicConfig(level=logging.INFO, format='%(levelname)s %(message)s')\n"
        "sounds = Sounds()\n"
        "assert sounds.available == frozenset(), sounds.available\n"
        "assert [sounds.play(n) for n in SOUND_NAMES] == [False] * len(SOUND_NAMES)\n"
        "sounds.toggle_mute()\n"
        "assert sounds.play('win') is False\n"
        "sounds.close()\n"
        "print('ok')\n"
    )
    env = dict(os.environ, SDL_AUDIODRIVER="no-such-audio-driver", PYTHONPATH=str(REPO),
               PYGAME_HIDE_SUPPORT_PROMPT="1")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    warnings = [line for line in result.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1 and "mixer could not start" in warnings[0]
