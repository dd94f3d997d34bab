"""The blameless post-mortem as a document: a draft written from an incident's timeline
(`draft.py`, reading the record through `record.py`), and the finished document as Markdown or
one self-contained HTML page (`export.py`). Pure: the caller passes in the incident, its
events, its people and the clock; nothing here reads a database or a terminal.

The post-mortem's statuses, sections and the blame check are words of the domain
(`domain/postmortem.py`).
"""
