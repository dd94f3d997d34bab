"""The `[email]` section of oncall.toml: the mail relay stakeholder updates go through, and who
gets them at each severity. The password never lives here: see `secrets.py`.

Values are checked when the file loads, so a typo in an address is reported with its key
instead of surfacing as a refused recipient at 2 a.m.
"""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from oncall.domain.email_address import email_address  # noqa: F401 (also imported from here)
from oncall.domain.severity import Severity

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """True for this machine (127.0.0.1 and the rest of 127/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class EmailConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1)  # the relay, e.g. smtp.example.com
    port: int = Field(default=587, ge=1, le=65535)  # 587 is mail submission with STARTTLS
    sender: str  # the From address, a bare name@domain
    sender_name: str = "oncall"  # shown as the From name: `oncall <oncall@example.com>`
    username: str = ""  # empty: the relay takes mail without a login
    starttls: bool = True
    ca_file: str = ""  # a PEM file of extra CAs (a company relay with its own CA); empty: the system's
    stakeholders: dict[str, list[str]] = Field(default_factory=dict)  # severity -> addresses
    timeout: float = Field(default=10.0, gt=0, le=120)
    concurrency: int = Field(default=1, ge=1, le=4)  # messages in flight at once; relays dislike many

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip()
        if not value or any(ch.isspace() for ch in value) or "://" in value:
            raise ValueError("host must be a host name or an address, such as smtp.example.com")
        return value

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return email_address(value)

    @field_validator("sender_name")
    @classmethod
    def _sender_name(cls, value: str) -> str:
        if any(ch in value for ch in "\r\n"):
            raise ValueError("sender_name must be one line")
        return value.strip()

    @field_validator("starttls")
    @classmethod
    def _starttls(cls, value: bool, info: ValidationInfo) -> bool:
        host = info.data.get("host")
        if not value and host is not None and not is_loopback(host):
            raise ValueError(
                f"starttls = false is allowed only for a mail server on this machine (127.0.0.1, ::1, "
                f"localhost), not {host!r}: without STARTTLS the password and the messages would cross "
                "the network in clear"
            )
        return value

    @field_validator("stakeholders")
    @classmethod
    def _stakeholders(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        lists: dict[str, list[str]] = {}
        for key, addresses in value.items():
            severity = Severity.parse(key).value
            merged = lists.setdefault(severity, [])
            for given in addresses:
                try:
                    address = email_address(given)
                except ValueError as error:
                    raise ValueError(f"in the {severity} list, {error}") from None
                if address.lower() not in (known.lower() for known in merged):
                    merged.append(address)
        return lists

    @property
    def domain(self) -> str:
        """The sender's domain, which Message-IDs are made in."""
        return self.sender.rsplit("@", 1)[1]

    @property
    def server(self) -> str:
        """`host:port`, for messages."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def recipients_for(self, severity: Severity) -> list[str]:
        return list(self.stakeholders.get(severity.value, []))
