"""The Lineage tab: the incident's asset as a small tree — what it reads from (where the cause may
be, with each source's last dbt freshness result) and who reads it (whom to tell, with owners) —
each asset marked with the open incidents on it, so the IC sees at once whether the cause is
upstream. Enter on an asset with an open incident opens that incident."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from oncall.domain.lineage import Branch, LineageView
from oncall.tui.tabs.base import ChosenMessage, IncidentTab

FAILING_FRESHNESS = ("error", "runtime error", "stale", "not checked")


class LineageTab(IncidentTab, Tree[str | None]):
    TAB_KEY = "7"
    TAB_NAME = "Lineage"
    BINDINGS = [
        Binding("a", "screen.choose_asset", "Asset", id="lineage.asset",
                tooltip="Choose or correct the affected asset (key: a)"),
    ]

    class Chosen(ChosenMessage):
        """Enter on an asset that has open incidents: their refs, comma-separated (INC-4,INC-13)."""

    def __init__(self) -> None:
        super().__init__("Lineage", id="lineage")
        self.show_root = False
        self.auto_expand = False  # enter opens an incident; it must not fold the tree as well
        self.guide_depth = 3
        self._key: object = None

    def show(self, view: LineageView | None, unknown: str = "") -> None:
        key = view.as_dict() if view else unknown
        if key == self._key:
            return
        self._key = key
        self.clear()
        if view is None:
            self.root.add_leaf(unknown or "No lineage is known for this asset.")
            return
        upstream = self.root.add("Upstream — what it reads: check here for the cause", expand=True)
        self._branches(upstream, view.upstream)
        if not view.upstream:
            upstream.add_leaf(Text("nothing upstream is known", style="dim"))
        self.root.add_leaf(_label(view.centre, centre=True), data=_first_ref(view.centre))
        downstream = self.root.add("Downstream — who reads it: whom to tell", expand=True)
        self._branches(downstream, view.downstream)
        if not view.downstream:
            downstream.add_leaf(Text("nothing downstream is known", style="dim"))
        if view.owners_downstream:
            self.root.add_leaf(Text("Owners downstream: " + ", ".join(view.owners_downstream)))

    def _branches(self, parent: TreeNode[str], branches: tuple[Branch, ...]) -> None:
        for branch in branches:
            if branch.children:
                node = parent.add(_label(branch), data=_first_ref(branch), expand=True)
                self._branches(node, branch.children)
            else:
                parent.add_leaf(_label(branch), data=_first_ref(branch))

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        if event.node.data:
            self.post_message(self.Chosen(event.node.data))


def _first_ref(branch: Branch) -> str | None:
    return ",".join(incident.ref for incident in branch.incidents) or None


def _label(branch: Branch, centre: bool = False) -> Text:
    asset = branch.asset
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(asset.name if asset.name else asset.id, "bold" if centre else "")
    text.append(f" · {asset.kind.value}", "dim")
    if asset.owner:
        text.append(f" · owner {asset.owner}")
    if branch.freshness:
        failing = branch.freshness.lower() in FAILING_FRESHNESS
        text.append(" · ")
        text.append(f"freshness {branch.freshness}", "bold red" if failing else "")
    for incident in branch.incidents:
        style = {"SEV-1": "bold red", "SEV-2": "bold yellow"}.get(incident.severity, "bold")
        text.append(" · ")
        text.append(f"● {incident.ref} {incident.severity} {incident.status}", style)
    if branch.repeated:
        text.append(" · (see above)", "dim")
    if centre:
        text.append(" ← this incident's asset", "dim")
    return text
