"""The console's last resort: an error of its own ends it with one line and a file, never a traceback."""

from __future__ import annotations


def test_a_console_that_stops_on_its_own_error_shows_one_line_not_a_traceback(isolated_environment, capsys):
    from textual.app import App

    from oncall.cli.console import run_console

    class Broken(App):
        def on_mount(self) -> None:
            raise KeyError("a bug of ours")

    assert run_console(Broken(), headless=True) == 70
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    [report] = (isolated_environment / "logs").glob("crash-*.txt")
    assert str(report) in err and "a bug of ours" in report.read_text()
