"""Local stand-ins for Jira and Slack on 127.0.0.1: stateful, speaking the real wire protocols
as the `jira` and `slack-sdk` clients use them, and able to fail on request."""
