"""oncall: a keyboard-driven terminal console for running data incidents."""

import os

__version__ = "0.1.0"

# oncall uses no pydantic plugins; looking for them scans every installed package's metadata
# (~45 ms of the console's start-up). Set PYDANTIC_DISABLE_PLUGINS yourself to change this.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
