"""Sound effects for the client, and where the generated assets live.

Sound is a nicety: with no audio device, no mixer, or a missing or corrupt file the
game carries on silently, and the reason is logged once as a warning.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType
from typing import Literal, TypeAlias, get_args

import pygame

from ui.resources import assets_dir
from ui.results import SoundName

log = logging.getLogger(__name__)

ASSETS_DIR: Path = assets_dir()
"""The ``assets`` folder (sounds and icon, made by ``assets/make_assets.py``): the checkout's, or the installed copy."""

OnlineSound = Literal["reaction", "cue_found", "cue_turn", "cue_hurry", "cue_away", "cue_back", "cue_rematch"]
"""What online play adds: a reaction arriving (a game sound), and the attention cues (``ui.cues``: they have their own
setting, so they play whether the game's sounds are on or not)."""

AnySound: TypeAlias = SoundName | OnlineSound
SOUND_NAMES: tuple[AnySound, ...] = (*get_args(SoundName), *get_args(OnlineSound))

# Mixer format matching the files. A 1024-frame buffer (~23 ms) keeps the click prompt while
# the audio thread wakes half as often as with 512, which halves its share of an idle game's CPU.
MIXER_FREQUENCY = 44100
MIXER_SIZE = -16
MIXER_CHANNELS = 2
MIXER_BUFFER = 1024

# What loading or playing can raise when the device, the mixer or a file is unusable.
_AUDIO_ERRORS = (pygame.error, OSError, NotImplementedError, ValueError)


def icon_path() -> Path:
    """Path of the window icon (64x64 RGBA PNG)."""
    return ASSETS_DIR / "icon.png"


def mixer_format() -> tuple[int, int, int] | None:
    """The running mixer's (frequency, size, channels), or None when it is not running.

    (pygame's type stub leaves the None out; ``pygame.mixer.get_init`` does return it.)
    """
    running: tuple[int, int, int] | None = pygame.mixer.get_init()
    return running


def pre_init() -> None:
    """Ask for a small mixer buffer; call before ``pygame.init()`` for a low-latency mixer."""
    try:
        pygame.mixer.pre_init(MIXER_FREQUENCY, MIXER_SIZE, MIXER_CHANNELS, MIXER_BUFFER)
    except _AUDIO_ERRORS as exc:  # no mixer module in this pygame build
        log.debug("mixer pre_init failed: %s", exc)


class Sounds:
    """The game's sound effects, played by name; silent rather than failing when audio is unusable.

    Starts the mixer only if nobody has yet, and ``close()`` stops it again only in
    that case, so it can share a mixer that ``pygame.init()`` already started.
    """

    def __init__(self, assets_dir: Path | None = None, *, muted: bool = False) -> None:
        """Load every sound from ``assets_dir`` (default ``ASSETS_DIR``); never raises for audio."""
        self._muted = muted
        self._warned = False
        self._owns_mixer = False
        self._mixer_format: tuple[int, int, int] | None = None
        self._sounds: dict[AnySound, pygame.mixer.Sound] = {}
        if not self._start_mixer():
            return
        self._mixer_format = mixer_format()  # the sounds are converted to this format
        folder = ASSETS_DIR if assets_dir is None else Path(assets_dir)
        problems = []
        for name in SOUND_NAMES:
            path = folder / f"{name}.wav"
            try:
                self._sounds[name] = pygame.mixer.Sound(str(path))
            except _AUDIO_ERRORS as exc:
                problems.append(f"{path.name} ({exc})")
        if problems:
            self._warn("some sound effects will be silent; could not load: " + "; ".join(problems))
        if not self._sounds:
            self.close()  # nothing to play: give the audio device back

    def _start_mixer(self) -> bool:
        """Make sure the mixer runs, starting it ourselves if needed; False if it cannot."""
        try:
            if mixer_format() is not None:
                return True
            pre_init()
            pygame.mixer.init()
        except _AUDIO_ERRORS as exc:
            self._warn(f"sound is off: the audio mixer could not start ({exc})")
            return False
        self._owns_mixer = True
        return True

    def _warn(self, message: str) -> None:
        """Log the first audio problem as a warning and any later ones at debug level."""
        if self._warned:
            log.debug("%s", message)
        else:
            self._warned = True
            log.warning("%s", message)

    @property
    def muted(self) -> bool:
        """Whether ``play`` is currently silenced by the player."""
        return self._muted

    @muted.setter
    def muted(self, value: bool) -> None:
        self._muted = bool(value)

    def toggle_mute(self) -> bool:
        """Flip muting (the player's sound on/off switch); returns the new ``muted`` value."""
        self._muted = not self._muted
        return self._muted

    @property
    def available(self) -> frozenset[str]:
        """Names of the sounds that loaded and can be heard (empty when there is no audio)."""
        return frozenset(self._sounds)

    def play(self, name: AnySound, *, cue: bool = False) -> bool:
        """Start the sound ``name``; True if it started, False if muted or audio is unavailable.

        ``cue``: an attention cue, which its own setting governs (the caller checks it), not the game's mute.
        Raises ``ValueError`` for a name that is not one of ``SOUND_NAMES`` (a bug in the caller).
        """
        if name not in SOUND_NAMES:
            raise ValueError(f"unknown sound {name!r}; expected one of {', '.join(SOUND_NAMES)}")
        sound = self._sounds.get(name)
        if (self._muted and not cue) or sound is None:
            return False
        try:
            # Playing after the mixer stopped crashes pygame, and after it restarted in
            # another format plays garbage: check first.
            if mixer_format() != self._mixer_format:
                self._warn("sound is off: the audio mixer was stopped or restarted")
                return False
            return sound.play() is not None  # None when every mixer channel is busy
        except _AUDIO_ERRORS as exc:
            self._warn(f"could not play sound {name!r} ({exc})")
            return False

    def close(self) -> None:
        """Drop the sounds and stop the mixer if this object started it; safe to call twice."""
        self._sounds.clear()
        if self._owns_mixer:
            self._owns_mixer = False
            try:
                pygame.mixer.quit()
            except _AUDIO_ERRORS as exc:
                log.debug("mixer quit failed: %s", exc)

    def __enter__(self) -> Sounds:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
