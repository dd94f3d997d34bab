"""The update composer: it proposes the update the incident owes, previews exactly what will be
posted, sends it as one timeline event, and the overdue flag clears."""

from __future__ import annotations

from oncall.domain.incident import EventKind
from oncall.tui.screens.composer import ComposerScreen
from oncall.tui.screens.incident import IncidentScreen

from tui_support import SIZE, painted, settled


async def test_compose_preview_and_send_an_update(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("enter")  # INC-1: the SEV-1 whose initial notice is overdue
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, IncidentScreen)
        assert "update overdue 48m (u)" in " ".join(painted(screen.query_one("#incident-header")))
        await pilot.press("u")
        composer = app.screen
        assert isinstance(composer, ComposerScreen)
        assert composer.template == "technical-initial.md.j2", "the one owed is proposed"
        await pilot.press(*"reloading the CRM export <!channel>")
        await pilot.pause()
        preview = "\n".join(painted(composer.query_one("#composer-text")))
        assert "reloading the CRM export" in preview and "<!channel>" not in preview
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert app.screen is screen
        sent = app.session.service.events(1)[-1]
        assert sent.kind is EventKind.UPDATE_SENT and sent.data["template"] == "technical-initial.md.j2"
        assert "reloading the CRM export" in sent.data["text"]
        header = " ".join(painted(screen.query_one("#incident-header")))
        assert "overdue" not in header and "update due in 30m" in header, header


async def test_an_update_falling_due_rings_once_and_says_so(demo_app):
    from datetime import timedelta

    app = demo_app()
    rung = []
    app.bell = lambda: rung.append(app.clock.now())
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        # At start INC-1's initial notice is already overdue: red in the queue, counted on the
        # summary line, no bell.
        assert rung == []
        # INC-13's next update falls due while the console runs: one bell, one notification.
        app.clock.advance(timedelta(minutes=51))
        app.check_updates_due()
        app.check_updates_due()
        await pilot.pause()
        assert len(rung) == 1
        messages = [str(n.message) for n in app._notifications]
        assert any("INC-13 (SEV-2) owes a stakeholder update now" in m for m in messages), messages


async def test_the_composer_says_where_it_goes_and_asks_only_what_the_template_reads(demo_app):
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("enter")  # INC-1, reported by Sofia Castro
        await settled(pilot)
        await pilot.press("u")
        composer = app.screen
        assert isinstance(composer, ComposerScreen)
        options = composer.query_one("#composer-templates")
        visible = lambda: {w.id.removeprefix("composer-") for w in composer.query("Input") if w.display}  # noqa: E731
        assert visible() == {"doing", "workaround", "eta", "next"}
        assert "the timeline only" in " ".join(painted(composer.query_one("#composer-to")))
        names = [options.get_option_at_index(i).id for i in range(options.option_count)]
        options.highlighted = names.index("reporter-dismissed.md.j2")
        await pilot.pause()
        assert visible() == {"reason"}, "a dismissal asks why, and nothing else"
        options.highlighted = names.index("stakeholders-resolved.md.j2")
        await pilot.pause()
        assert visible() == {"cause", "data_loss", "backfill"}
        options.highlighted = names.index("reporter-acknowledged.md.j2")
        await pilot.pause()
        preview = "\n".join(painted(composer.query_one("#composer-text")))
        assert "Hi Sofia Castro" in preview
