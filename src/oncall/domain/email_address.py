"""What counts as an email address, wherever one is typed (`[email]` in oncall.toml, a reporter,
an update's recipients): one check, so an address accepted in one place is never refused by the
mail relay's side of the sync. Pure: no I/O."""

from __future__ import annotations

import re

# ASCII addresses only, with a dotted domain: internationalised addresses need SMTPUTF8, which
# not every relay offers, and a domain without a dot is far more often a typo than a real host.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$")


def email_address(value: str) -> str:
    """`value` without spaces, if it is a plain `name@domain` address; else say what is wrong."""
    address = value.strip()
    if not _ADDRESS.match(address) or ".." in address or address.startswith(".") or ".@" in address:
        raise ValueError(f"{value!r} is not an email address (write it as name@example.com)")
    return address
