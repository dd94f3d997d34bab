"""What a person can do to incidents, shared by the console and the command line.

Each action checks the lifecycle rules, writes the incident and its timeline event (and so the
outbox row) in one transaction, and returns the result. No Textual, no network.
"""
