"""The words of the product as pure Python: incidents, severities, the lifecycle, people, assets.

Nothing here does I/O or imports Textual; every rule that depends on time takes a clock.
"""
