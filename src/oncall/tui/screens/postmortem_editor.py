"""The post-mortem editor: one section at a time as Markdown, saved as you type.

What is typed is saved half a second after the last key (and when you leave), so a terminal that
closes loses at most that. Every save names the revision it was made from: if someone else saved
the section meanwhile, yours is kept as a copy and you are told, with their name and time; then
`ctrl+o` keeps yours over theirs, or `ctrl+t` takes theirs (both stay in the section's history:
`oncall postmortem history`). Under the text, a sentence that blames a person is pointed out,
gently, with another way to say it.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static, TextArea

from oncall.domain.postmortem import Section, blame_flags
from oncall.store.postmortems import SectionText
from oncall.tui.screens.saving import attempt
from oncall.tui.widgets.footer import KeyFooter

AUTOSAVE_SECONDS = 0.5
EDITABLE = [section for section in Section if section is not Section.ACTION_ITEMS]  # items come from the list


class PostmortemEditor(Screen[None]):
    BINDINGS = [
        Binding("escape", "close", "Done", id="postmortem.close"),
        Binding("ctrl+s", "save", "Save", id="postmortem.save"),
        Binding("ctrl+n,ctrl+down", "section(1)", "Next section", id="postmortem.next"),
        Binding("ctrl+up", "section(-1)", "Previous", id="postmortem.previous"),
        Binding("ctrl+o", "keep_mine", "Keep mine", id="postmortem.keep_mine", show=False),
        Binding("ctrl+t", "take_theirs", "Take theirs", id="postmortem.take_theirs", show=False),
    ]
    DEFAULT_CSS = """
    PostmortemEditor #pm-title { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    PostmortemEditor #pm-saved { height: 1; color: $text-muted; padding: 0 1; }
    PostmortemEditor #pm-conflict { height: auto; background: $warning 30%; padding: 0 1; display: none; }
    PostmortemEditor #pm-conflict.-shown { display: block; }
    PostmortemEditor TextArea { height: 1fr; }
    PostmortemEditor #pm-blame { height: auto; max-height: 6; color: $warning; padding: 0 1; }
    """

    def __init__(self, incident_id: int, section: Section = Section.SUMMARY) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.section = section if section in EDITABLE else Section.SUMMARY
        self.current: SectionText | None = None  # as last read or saved: its revision is our base
        self.theirs: SectionText | None = None  # someone else's save that ours conflicted with
        self._timer = None
        self._text = ""  # what is in the editor (kept here: the widget is gone when the screen unmounts)
        self._read_only = False
        self._leave_unsaved = False  # esc once more leaves although the last save failed

    @property
    def session(self):
        return self.app.session

    @property
    def service(self):
        return self.session.postmortem_service

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="pm-title", markup=False)
            yield Static("", id="pm-saved", markup=False)
            yield Static("", id="pm-conflict", markup=False)
            yield TextArea(id="pm-text", soft_wrap=True, show_line_numbers=False)  # tab moves on; esc leaves
            yield Static("", id="pm-blame", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self._open(self.section)

    # -- sections ----------------------------------------------------------------------------

    def _open(self, section: Section) -> None:
        postmortem = self.service.get(self.incident_id)
        if postmortem is None:
            self.notify("This incident has no post-mortem yet", severity="error")
            self.dismiss(None)
            return
        self.section = section
        self.current = postmortem.sections[section]
        self.theirs = None
        self._show_conflict()
        position = EDITABLE.index(section) + 1
        self.query_one("#pm-title", Static).update(
            f"INC-{self.incident_id} post-mortem ({postmortem.status.label})  ·  {section.title}  ·  "
            f"section {position} of {len(EDITABLE)}  ·  ctrl+↓ / ctrl+↑ move between sections")
        editor = self.query_one(TextArea)
        editor.load_text(self.current.text)
        self._text = self.current.text
        self._read_only = editor.read_only = postmortem.status.value == "complete"
        editor.focus()
        self._say_saved("opened")
        self._check_blame()

    def action_section(self, step: int) -> None:
        if not self._save_now():
            return
        index = (EDITABLE.index(self.section) + step) % len(EDITABLE)
        self._open(EDITABLE[index])

    # -- saving ------------------------------------------------------------------------------

    @on(TextArea.Changed)
    def _typed(self) -> None:
        self._text = self.query_one(TextArea).text
        self._leave_unsaved = False
        if self.current is not None and self._text == self.current.text:
            return  # the text loaded (or typed back to what is saved): nothing to save
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(AUTOSAVE_SECONDS, self._autosave)
        self._check_blame()

    def _autosave(self) -> None:
        self._timer = None
        self._save_now(autosave=True)

    def action_save(self) -> None:
        if self._save_now():
            self._say_saved("saved")

    def _save_now(self, autosave: bool = False) -> bool:
        """Save what is typed, unless it is unchanged or a conflict is waiting for a decision.
        False when it could not be saved (said on screen; the text stays as typed)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        text = self._text
        if self.current is None or self._read_only:
            return True
        if self.theirs is not None:
            # Waiting for a choice: what is typed meanwhile still goes into the kept copy.
            attempt(lambda _: self.service.save_section(self.incident_id, self.section, text, self.current.revision,
                                                        autosave=True), None)
            return False
        if text == self.current.text:
            return True
        saved = attempt(lambda _: self.service.save_section(self.incident_id, self.section, text,
                                                            self.current.revision, autosave=autosave), None)
        if saved.problem:
            if self.is_mounted:
                self.query_one("#pm-saved", Static).update(f"Not saved: {saved.problem} (your text is still here)")
            return False
        result = saved.result
        if result.conflict:
            self.theirs = result.current
            if self.is_mounted:
                self._show_conflict()
            return False
        self.current = result.current
        self._say_saved("saved")
        return True

    def action_keep_mine(self) -> None:
        """Yours over theirs: saved from their revision (theirs stays in the history)."""
        if self.theirs is None:
            return
        self.current, self.theirs = self.theirs, None
        self._show_conflict()
        self._save_now()

    def action_take_theirs(self) -> None:
        """Theirs in the editor (yours was kept as a copy in the history when it conflicted)."""
        if self.theirs is None:
            return
        self.current, self.theirs = self.theirs, None
        self._show_conflict()
        self.query_one(TextArea).load_text(self.current.text)
        self._text = self.current.text
        self._say_saved("took theirs")

    def _show_conflict(self) -> None:
        banner = self.query_one("#pm-conflict", Static)
        banner.set_class(self.theirs is not None, "-shown")
        if self.theirs is None:
            return
        who = self._person_name(self.theirs.saved_by)
        at = f"{self.theirs.saved_at:%H:%M} UTC" if self.theirs.saved_at else "just now"
        banner.update(f"{who} saved this section at {at} while you were typing. Your text is kept (a copy is in "
                      "the section's history) and not saved over theirs until you choose: ctrl+o keeps yours, "
                      "ctrl+t takes theirs.")

    def _say_saved(self, what: str) -> None:
        if self.current is None:
            return
        if self.current.revision == 0:
            said = "not written yet"
        else:
            at = f"{self.current.saved_at:%Y-%m-%d %H:%M} UTC" if self.current.saved_at else ""
            said = f"revision {self.current.revision}, by {self._person_name(self.current.saved_by)} at {at}"
        lock = "  ·  complete: move it back to in review (m on the tab) to edit" if self._read_only \
            else "  ·  saved as you type"
        self.query_one("#pm-saved", Static).update(f"{what}: {said}{lock}")

    # -- blame -------------------------------------------------------------------------------

    def _check_blame(self) -> None:
        names = [p.name for p in self.session.config.people] + [p.id for p in self.session.config.people]
        flags = blame_flags(self.query_one(TextArea).text, names)
        lines = [f"line {flag.line}: \u201c{_short(flag.sentence)}\u201d  {flag.suggestion}" for flag in flags[:3]]
        if len(flags) > 3:
            lines.append(f"… and {len(flags) - 3} more")
        self.query_one("#pm-blame", Static).update("\n".join(lines))

    # -- leaving -----------------------------------------------------------------------------

    def action_close(self) -> None:
        if self._save_now():
            self.dismiss(None)
        elif self.theirs is not None:
            self.notify("Choose first: ctrl+o keeps yours, ctrl+t takes theirs (yours is kept as a copy either way)",
                        severity="warning")
        elif self._leave_unsaved:
            self.dismiss(None)
        else:
            self._leave_unsaved = True
            self.notify("Not saved (the reason is above). esc again leaves without saving; copy your text first if "
                        "you need it.", severity="warning", markup=False)

    def on_unmount(self) -> None:
        try:  # the console is closing with text not yet saved: save it now (from `_text`: the widgets are gone)
            self._save_now(autosave=True)
        except Exception:  # noqa: BLE001 - never stop the console from closing
            pass

    def _person_name(self, person_id: str) -> str:
        return self.session.config.name_of(person_id) if person_id else "someone"


def _short(sentence: str, limit: int = 80) -> str:
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= limit else sentence[:limit - 1] + "…"
