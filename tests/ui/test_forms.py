"""The form screens through the pilot: a refusal is said at its field, which gets the focus; a good value goes on."""

from __future__ import annotations

from pathlib import Path

from ui.pilot import Pilot
from ui.screens.friend import FriendScreen
from ui.screens.login import LoginForm, LoginScreen
from ui.screens.name import NameScreen


def test_a_refused_name_is_said_at_its_field_and_a_good_one_goes_on(pilot: Pilot) -> None:
    done: list[str] = []
    screen = NameScreen("Player", done.append)
    pilot.app.push(screen)
    pilot.step()
    pilot.press("backspace")  # the suggestion was selected: it goes whole
    pilot.press("return")
    assert screen.error is not None and screen.error_field is screen.field and screen.field.focused and not done
    pilot.type("  Ada   Lovelace ")
    pilot.click("Continue")
    assert done == ["Ada Lovelace"] and screen.error is None and screen.error_field is None


def test_a_typed_friend_code_is_checked_and_enter_shares_our_own_when_the_field_is_empty(pilot: Pilot) -> None:
    codes: list[str] = []
    screen = FriendScreen(on_code=codes.append, on_back=lambda: None, code="K7QXM")
    pilot.app.push(screen)
    pilot.step()
    pilot.press("return")
    assert codes == ["K7QXM"], "Enter with nothing typed waits for the friend with our code"
    pilot.click(screen.field.rect.center)
    pilot.type("ab1")  # 1 is not in the alphabet: the field drops it
    pilot.press("return")
    assert "4 to 6" in (screen.error or "") and screen.field.focused and codes == ["K7QXM"]
    pilot.type("cd-e")
    pilot.click("Join")
    assert codes == ["K7QXM", "ABCDE"] and screen.error is None


def test_a_refused_key_or_authority_opens_the_advanced_settings_at_that_field(pilot: Pilot, tmp_path: Path) -> None:
    forms: list[LoginForm] = []
    screen = LoginScreen(on_submit=forms.append)
    pilot.app.push(screen)
    pilot.step()
    assert not screen.advanced and screen.ca_field not in screen.fields
    screen.ca_field.text = str(tmp_path / "missing.pem")
    pilot.press("return")
    assert screen.advanced and screen.error_field is screen.ca_field and screen.ca_field.focused and not forms
    assert screen.ca_field.rect.width > 0, "the field refused is on screen"
    screen.ca_field.text = ""
    pilot.click("Find an opponent")
    assert forms == [LoginForm(screen.name_field.text, "127.0.0.1:7350", "defaultkey", None)]
    assert screen.error is None


def test_a_refusal_from_elsewhere_is_shown_at_the_field_it_names(pilot: Pilot) -> None:
    screen = LoginScreen(on_submit=lambda _form: None, error=("key", "The server did not accept the key."))
    pilot.app.push(screen)
    pilot.step()
    assert screen.advanced and screen.error_field is screen.key_field and screen.key_field.focused
