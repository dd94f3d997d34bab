"""The update composer (`u` on an incident): pick the template (the one due next is proposed),
fill in what only a person knows, see exactly what will be posted, and send.

Sending is one timeline event (`service/comms.py`); the outbox takes it from there. A template
that cannot be rendered says why here and sends nothing.
"""

from __future__ import annotations

from datetime import timedelta

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static

from oncall.tui.widgets.plain_option import Option
from oncall.tui.screens.saving import attempt

# The free text the composer asks for, by template field.
FREE_TEXT = (("doing", "What is being done"), ("workaround", "What to do meanwhile (the workaround)"),
             ("eta", "ETA for a fix (blank: none given)"),
             ("cause", "What was wrong (blank: the reason it was marked identified with)"),
             ("data_loss", "Was any data lost? yes, no, or blank for not known"),
             ("backfill", "What must be backfilled, from when to when (blank: nothing said)"),
             ("reason", "Why it is not an incident (blank: the reason it was dismissed with)"))


class ComposerScreen(ModalScreen[str | None]):
    """Dismisses with the template sent, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="composer.cancel"),
                Binding("ctrl+s", "send", "Send", id="composer.send")]
    DEFAULT_CSS = """
    ComposerScreen #composer-templates { height: auto; max-height: 7; }
    ComposerScreen #composer-preview { height: 1fr; min-height: 4; border: round $panel; padding: 0 1; }
    ComposerScreen .modal-form { height: 90%; }
    /* 80×24: one line a field, so the preview and the buttons stay on screen */
    ComposerScreen.-short #composer-templates { max-height: 5; }
    ComposerScreen.-short Input { height: 1; border: none; padding: 0 1; margin-bottom: 0; }
    ComposerScreen.-short #composer-preview { height: 7; min-height: 3; border: none; }
    ComposerScreen.-short .modal-buttons { height: 1; }
    ComposerScreen.-short Button { height: 1; border: none; min-width: 14; }
    """

    def __init__(self, incident_id: int, proposed: str | None = None) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.proposed = proposed
        self._done = False
        self._rendered: tuple[str, str] | None = None  # (for Slack, as text)
        self._fields: dict[str, str] = {}  # what was typed into the rendered text (kept with the update)

    @property
    def session(self):
        return self.app.session

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-form"):
            yield Static("Send an update  ·  ctrl+s sends  ·  esc cancels", classes="modal-title")
            yield OptionList(id="composer-templates")
            for field, label in FREE_TEXT:
                yield Input(placeholder=label, id=f"composer-{field}")
            yield Input(placeholder="Next update in minutes (blank: the cadence's interval)", id="composer-next")
            yield Static("", id="composer-to", markup=False)
            with VerticalScroll(id="composer-preview"):
                yield Static(id="composer-text", markup=False)
            yield Static("", id="composer-error", classes="field-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Send (ctrl+s)", variant="primary", id="send")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        templates = self.session.comms_templates()
        names = sorted(templates.templates)
        options = self.query_one("#composer-templates", OptionList)
        options.add_options([Option(f"{name}  ({templates.templates[name]})", id=name) for name in names])
        if self.proposed in names:
            options.highlighted = names.index(self.proposed)
            self.call_after_refresh(options.scroll_to_highlight)
        elif names:
            options.highlighted = 0
        self.query_one("#composer-doing", Input).focus()
        self._preview()

    @property
    def template(self) -> str | None:
        option = self.query_one("#composer-templates", OptionList).highlighted_option
        return option.id if option else None

    @on(OptionList.OptionHighlighted)
    @on(Input.Changed)
    def _changed(self) -> None:
        self._preview()

    def _next_update(self):
        field = self.query_one("#composer-next", Input)
        text = field.value.strip()
        if not text or not field.display:
            return None
        minutes = int(text)  # ValueError: said by the caller
        if minutes <= 0 or minutes > 7 * 24 * 60:
            raise ValueError("the next update is 1 minute to a week away")
        return self.session.clock.now() + timedelta(minutes=minutes)

    def _show_fields(self, name: str) -> None:
        """The inputs for the fields the template reads; the rest are hidden (what they hold is kept)."""
        try:
            wanted = self.session.comms_templates().fields_used(name)
        except Exception:  # a template that cannot be parsed is said by the preview: ask for the usual
            wanted = frozenset({"doing", "workaround", "eta", "next_update_text"})
        for field, _ in FREE_TEXT:
            self.query_one(f"#composer-{field}", Input).display = field in wanted
        self.query_one("#composer-next", Input).display = bool({"next_update", "next_update_text"} & wanted)
        try:
            where = self.session.comms_service.destination(self.incident_id, name.split("-", 1)[0])
        except Exception as problem:  # the incident went away meanwhile: said, nothing sent
            where = f"Cannot tell where it goes: {problem}"
        self.query_one("#composer-to", Static).update(where)

    def _preview(self) -> None:
        name = self.template
        error = self.query_one("#composer-error", Static)
        if name is None:
            error.update("No templates: see oncall comms templates")
            return
        self._show_fields(name)
        try:
            next_update = self._next_update()
        except ValueError as problem:
            error.update(f"Next update: {problem}")
            return
        extra = {field: widget.value.strip() for field, _ in FREE_TEXT
                 if (widget := self.query_one(f"#composer-{field}", Input)).display}
        self._fields = {k: v for k, v in extra.items() if v}
        try:
            self._rendered = self.session.render_update(self.incident_id, name, next_update, self._fields)
        except Exception as problem:  # a template the workspace broke: said here, nothing sent
            self._rendered = None
            error.update(f"Cannot render {name}: {problem}")
            return
        error.update("")
        self.query_one("#composer-text", Static).update(self._rendered[0])

    @on(Button.Pressed, "#send")
    def action_send(self) -> None:
        if self._done or self._rendered is None or self.template is None:
            return
        name = self.template
        audience = name.split("-", 1)[0]
        slack_text, text = self._rendered
        try:
            next_update = self._next_update()
        except ValueError as problem:
            self.query_one("#composer-error", Static).update(f"Next update: {problem}")
            return
        service = self.session.comms_service
        saved = attempt(lambda _: service.send(self.incident_id, name, audience, text, slack_text, next_update,
                                               self._fields), None)
        if saved.problem:
            self.query_one("#composer-error", Static).update(f"Not sent: {saved.problem}")
            return
        self._done = True
        self.dismiss(name)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self._done:
            self._done = True
            self.dismiss(None)
