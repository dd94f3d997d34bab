"""YAML the workspace's people write (runbook front matter, evidence blocks, drill scenarios),
read safely: PyYAML's safe loader in Python (its C twin crashes the process on deep nesting),
refusing aliases (a few hundred bytes of them expand to gigabytes) and nesting past a depth."""

from __future__ import annotations

import yaml

MAX_DEPTH = 20  # a list in a table is two levels: twenty is far past any honest file


def safe_loader(what: str, max_depth: int = MAX_DEPTH) -> type[yaml.SafeLoader]:
    """A loader class whose errors name `what` ("a runbook", "a scenario")."""

    class Loader(yaml.SafeLoader):
        _depth = 0

        def compose_node(self, parent, index):  # noqa: ANN001 (PyYAML's signature)
            if self.check_event(yaml.AliasEvent):
                raise yaml.composer.ComposerError(None, None, f"aliases (*name) are not allowed in {what}",
                                                  self.peek_event().start_mark)
            self._depth += 1
            try:
                if self._depth > max_depth:
                    raise yaml.composer.ComposerError(None, None, f"nested more than {max_depth} levels deep",
                                                      self.peek_event().start_mark)
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    return Loader
