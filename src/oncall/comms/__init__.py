"""Stakeholder communications: the message templates (`comms.templates`).

Jinja2 is imported by `oncall.comms.templates` only, never by importing this package, so the
command line starts without it."""
