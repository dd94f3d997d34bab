"""The incident screen's tabs, one module each. A tab arrives with its capability: no empty ones."""
