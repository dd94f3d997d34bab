"""No token reaches the database, a log line, or an error message: not on success, not on failure."""

from __future__ import annotations

import logging

from oncall.cli import main
from oncall.store.outbox import OutboxStore
from oncall.sync.status import sync_status
from oncall.workspace.secrets import Secret, redact
from test_faults import declare_with_notes


def test_tokens_stay_out_of_the_database_logs_and_errors(synced, service, jira_server, slack_server, make_worker,
                                                          monkeypatch, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # every library logger, at its chattiest
    declare_with_notes(service)
    jira_server.fail("auth", match="POST /rest/api/2/issue")
    slack_server.fail("503", match="chat.postMessage")
    first = make_worker(synced).drain()
    OutboxStore(service.db).retry_all_failed("jira", 0)
    second = make_worker(synced).drain()
    assert second.complete
    monkeypatch.setenv("ONCALL_SLACK_TOKEN", "xoxb-a-wrong-token")
    monkeypatch.setenv("ONCALL_JIRA_TOKEN", "a-wrong-jira-token")
    assert main(["doctor", "--workspace", str(synced.root)]) == 1
    assert main(["sync", "--workspace", str(synced.root)]) == 1  # the pull is refused: said, and exit 1

    secrets = [jira_server.token, slack_server.token, "a-wrong-jira-token", "xoxb-a-wrong-token"]
    output = capsys.readouterr()
    database_bytes = b"".join(p.read_bytes() for p in synced.database_path.parent.glob("oncall.db*"))
    texts = {
        "log": caplog.text,
        "errors": "\n".join(first.lines() + second.lines()),
        "status": sync_status(service.db, synced.config).text,
        "stdout": output.out,
        "stderr": output.err,
    }
    assert "Jira refused the credentials" in texts["errors"]
    assert "invalid_auth" in output.out
    for secret in secrets:
        assert secret.encode() not in database_bytes
        for name, text in texts.items():
            assert secret not in text, f"a token leaked into the {name}"


def test_a_secret_never_prints_itself():
    secret = Secret("s3cr3t")
    assert "s3cr3t" not in f"{secret} {secret!r} {[secret]}"
    assert redact("token s3cr3t, headers {'Authorization': 'Basic abc=='}", secret) == \
        "token ***, headers {'Authorization': '***'}"
