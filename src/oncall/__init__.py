"""oncall: a keyboard-driven terminal console for running data incidents."""

__version__ = "0.1.0"
