"""``caseflow.yaml``: the agency, its staff and roles, its workflow and its plugins."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caseflow.core.ids import DIRECTORY_ID_PATTERN, STAFF_ID_PATTERN
from caseflow.errors import RepoNotFound

CONFIG_FILE = "caseflow.yaml"
REPO_ENV = "CASEFLOW_REPO"
USER_ENV = "CASEFLOW_USER"
CONFIG_FORM = "core.repository"
#: The case repository's format. 2: staff keys, signing, admin rights and the shared access
#: record (``refs/caseflow/access``). 3: new notes and other many-per-client documents are named
#: with a short random id (:data:`UNIQUE_NAMES_FORMAT`). ``caseflow upgrade`` moves a repository
#: up; a caseflow that knows only an older format refuses to write to a newer one.
FORMAT_VERSION = 3
FORMATS = (1, 2, 3)
#: What each format added to the one before (``caseflow upgrade`` says so as it migrates).
FORMAT_CHANGES = {
    2: "staff keys and signing (signing: required), the admin right (admin: roles, staff admin: true) "
    "and the shared access record (refs/caseflow/access)",
    3: "new notes and other dated documents are named with a short random id "
    "(visits/2026-11-17-phone-0k7mq.md), so two clones never make the same name; older names stay valid",
}
#: From this format on, a new many-per-client document's name ends in a short random id (a caseflow
#: that knows format 2 only would call such a name wrong); before it, in a counter (``-2``).
UNIQUE_NAMES_FORMAT = 3
#: An SSH public key as a staff entry keeps it: type and base64 body (the comment is dropped).
PUBLIC_KEY_PATTERN = (
    r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]+$"
)
ROLES = ("case_manager", "supervisor", "director")
DEFAULT_WORKFLOW = "core.behavioral-health"

#: ``rules:``, what an agency adds to its workflow without Python (:mod:`caseflow.workflow.agency_rules`);
#: ``rules.monitoring`` changes the workflow's own ``monitoring`` keys.
RISK_LEVELS = ("low", "moderate", "high")
_DAYS = {"type": "integer", "minimum": 1, "maximum": 3650}

RULES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Agency rules",
    "properties": {
        "stages": {
            "type": "object",
            "title": "Requirements added to stages",
            "additionalProperties": {
                "type": "array",
                "title": "Requirements to leave the stage",
                "items": {
                    "type": "object",
                    "title": "Requirement",
                    "properties": {
                        "check": {"type": "string", "minLength": 1, "title": "Check"},
                        "label": {"type": "string", "minLength": 1, "title": "Label"},
                    },
                    "required": ["check"],
                },
            },
        },
        "monitoring": {
            "type": "object",
            "title": "Monitoring intervals",
            "properties": {
                "contact_days_by_risk": {
                    "type": "object",
                    "title": "Days between contacts, by risk level",
                    "properties": {level: {**_DAYS, "title": f"{level} risk"} for level in RISK_LEVELS},
                    "additionalProperties": False,
                },
                "risk_by_flag": {
                    "type": "object",
                    "title": "Risk level a risk flag sets",
                    "additionalProperties": {"enum": list(RISK_LEVELS)},
                },
                "rescreen_days": {
                    "type": "object",
                    "title": "Days between screenings, by instrument",
                    "additionalProperties": _DAYS,
                },
                "plan_review_days": {**_DAYS, "title": "Days from a plan's approval to its review"},
                "referral_stale_days": {**_DAYS, "title": "Days a waiting referral may go without news"},
                "missed_appointment_followup_days": {**_DAYS, "title": "Days to make contact after a missed visit"},
                "post_discharge_followup_days": {**_DAYS, "title": "Days to make contact after a hospital discharge"},
                "consent_expiry_warning_days": {**_DAYS, "title": "Days before a release expires that it shows"},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}


CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Repository settings",
    "type": "object",
    "properties": {
        "form": {"const": CONFIG_FORM, "title": "Form"},
        "format": {"type": "integer", "minimum": 1, "title": "Format version"},
        "agency": {"type": "string", "minLength": 1, "title": "Agency"},
        "timezone": {"type": "string", "title": "Time zone"},
        "workflow": {"type": "string", "title": "Workflow"},
        "plugins": {
            "type": "object",
            "title": "Plugins",
            "properties": {
                "allow": {"type": "array", "items": {"type": "string"}, "title": "Load only these"},
                "block": {"type": "array", "items": {"type": "string"}, "title": "Never load these"},
                "config": {
                    "type": "object",
                    "title": "Settings per plugin (each plugin's by its name; the plugin checks them)",
                    "additionalProperties": {"type": "object"},
                },
            },
            "additionalProperties": False,
        },
        "rules": RULES_SCHEMA,
        "approvals": {
            "type": "object",
            "title": "Approvals",
            "properties": {
                "roles": {"type": "array", "items": {"enum": list(ROLES)}, "title": "Roles that may approve"},
                "self_approval": {"type": "boolean", "title": "May approve one's own change"},
            },
            "additionalProperties": False,
        },
        "admin": {
            "type": "object",
            "title": "Administration (changes to staff, roles, keys and rules)",
            "properties": {
                "roles": {"type": "array", "items": {"enum": list(ROLES)}, "title": "Roles with the admin right"},
            },
            "additionalProperties": False,
        },
        "signing": {
            "type": "object",
            "title": "Signed commits",
            "properties": {
                "required": {"type": "boolean", "title": "Every commit signed by its author's registered key"},
                "baseline": {
                    "type": "string",
                    "pattern": "^([0-9a-f]{40}|[0-9a-f]{64})$",
                    "title": "Last commit accepted without a signature (history from before signing)",
                },
                "access_baseline": {
                    "type": "string",
                    "pattern": "^([0-9a-f]{40}|[0-9a-f]{64})$",
                    "title": "Last commit of the access record (refs/caseflow/access) accepted without a signature",
                },
            },
            "additionalProperties": False,
        },
        "directories": {
            "type": "object",
            "title": "Provider directories",
            "properties": {
                "postal_codes": {
                    "type": "object",
                    "title": "Postal code positions ({CODE: [lat, lon]})",
                    "additionalProperties": {
                        "type": "array",
                        "items": {"type": "number"},
                        "minItems": 2,
                        "maxItems": 2,
                    },
                },
                "sources": {
                    "type": "object",
                    "title": "More directories ({ID: path inside the repository})",
                    "propertyNames": {"pattern": DIRECTORY_ID_PATTERN},
                    "additionalProperties": {
                        "title": "Directory source (a path inside the repository: no leading / and no ..)",
                        "type": "string",
                        "pattern": r"^(?!/)(?!.*(^|/)\.\.(/|$))[^\\]+$",
                    },
                },
            },
        },
        "age_of_majority": {
            "type": "integer",
            "minimum": 1,
            "maximum": 30,
            "title": "Age of majority",
        },
        "consent": {
            "type": "object",
            "title": "Consent",
            "properties": {
                "emergency_roles": {
                    "type": "array",
                    "items": {"enum": list(ROLES)},
                    "title": "Roles that may disclose without consent in an emergency",
                },
            },
            "additionalProperties": False,
        },
        "reports": {
            "type": "object",
            "title": "Reports",
            "properties": {
                "identified_roles": {
                    "type": "array",
                    "items": {"enum": list(ROLES)},
                    "title": "Roles that may run reports naming clients",
                },
                "small_cell": {
                    "type": "integer",
                    "minimum": 1,
                    "title": "Smallest count shown in a de-identified report",
                },
            },
            "additionalProperties": False,
        },
        "staff": {
            "type": "array",
            "title": "Staff",
            "items": {
                "type": "object",
                "title": "Staff member",
                "properties": {
                    "id": {"type": "string", "pattern": STAFF_ID_PATTERN, "title": "Staff id"},
                    "name": {"type": "string", "minLength": 1, "title": "Name"},
                    "email": {"type": "string", "format": "email", "title": "Email"},
                    "role": {"enum": list(ROLES), "title": "Role"},
                    "supervisor": {"type": "string", "pattern": STAFF_ID_PATTERN, "title": "Supervisor"},
                    "active": {"type": "boolean", "title": "Active"},
                    "admin": {"type": "boolean", "title": "Has the admin right whatever the role"},
                    "keys": {
                        "type": "array",
                        "title": "SSH public keys this person signs commits with",
                        "items": {"type": "string", "pattern": PUBLIC_KEY_PATTERN},
                    },
                },
                "required": ["id", "name", "email", "role"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["form", "format", "agency", "staff"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Staff:
    """A member of staff: the acting person of a command, and the author of its commit."""

    id: str
    name: str
    email: str
    role: str
    supervisor: str | None = None
    active: bool = True
    admin: bool = False
    #: SSH public keys ("ssh-ed25519 AAAA..."), as registered now; history says since when.
    keys: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "role": self.role,
            "active": self.active,
            "admin": self.admin,
            "keys": list(self.keys),
        }


@dataclass(frozen=True)
class RepoConfig:
    agency: str
    timezone: str = "UTC"
    workflow: str = DEFAULT_WORKFLOW
    plugins: Mapping[str, Any] = field(default_factory=dict)
    staff: tuple[Staff, ...] = ()
    approver_roles: tuple[str, ...] = ("supervisor", "director")
    self_approval: bool = False
    #: Who may disclose without consent in an emergency (42 CFR 2.51), always with a reason.
    emergency_roles: tuple[str, ...] = ("supervisor", "director")
    directories: Mapping[str, Any] = field(default_factory=dict)
    #: Who may run reports that name clients; and the small-cell rule for the others.
    identified_report_roles: tuple[str, ...] = ("supervisor", "director")
    small_cell: int = 11
    format: int = FORMAT_VERSION
    #: Roles with the admin right: changing staff, roles, keys and the rules themselves.
    admin_roles: tuple[str, ...] = ("director",)
    signing_required: bool = False
    signing_baseline: str | None = None
    #: The access record's commit (``refs/caseflow/access``) up to which it was accepted unsigned.
    signing_access_baseline: str | None = None
    #: ``rules:``: requirements added to stages and monitoring intervals (as data, see RULES_SCHEMA).
    rules: Mapping[str, Any] = field(default_factory=dict)
    #: A client younger than this on the day a consent is signed needs a parent, guardian or
    #: personal representative to sign, or a recorded minor-consent basis.
    age_of_majority: int = 18

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> RepoConfig:
        staff = tuple(
            Staff(
                id=s["id"],
                name=s["name"],
                email=s["email"],
                role=s["role"],
                supervisor=s.get("supervisor"),
                active=s.get("active", True),
                admin=bool(s.get("admin", False)),
                keys=tuple(s.get("keys") or ()),
            )
            for s in data.get("staff") or []
        )
        return cls(
            agency=data["agency"],
            timezone=data.get("timezone") or "UTC",
            workflow=data.get("workflow") or DEFAULT_WORKFLOW,
            plugins=data.get("plugins") or {},
            staff=staff,
            approver_roles=tuple((data.get("approvals") or {}).get("roles") or ("supervisor", "director")),
            self_approval=bool((data.get("approvals") or {}).get("self_approval", False)),
            emergency_roles=tuple((data.get("consent") or {}).get("emergency_roles") or ("supervisor", "director")),
            directories=data.get("directories") or {},
            identified_report_roles=tuple(
                (data.get("reports") or {}).get("identified_roles") or ("supervisor", "director")
            ),
            small_cell=int((data.get("reports") or {}).get("small_cell") or 11),
            format=int(data.get("format") or 1),
            admin_roles=tuple((data.get("admin") or {}).get("roles") or ("director",)),
            signing_required=bool((data.get("signing") or {}).get("required", False)),
            signing_baseline=(data.get("signing") or {}).get("baseline"),
            signing_access_baseline=(data.get("signing") or {}).get("access_baseline"),
            rules=data.get("rules") or {},
            age_of_majority=int(data.get("age_of_majority") or 18),
        )

    @property
    def newer_format(self) -> bool:
        """Is this repository of a format newer than this caseflow knows (read only here)?"""
        return self.format > FORMAT_VERSION

    def is_admin(self, member: Staff) -> bool:
        """May ``member`` change staff, roles, keys and rules? (``admin.roles``, or ``admin: true``)"""
        return member.active and (member.admin or member.role in self.admin_roles)

    @property
    def admins(self) -> tuple[Staff, ...]:
        return tuple(s for s in self.staff if self.is_admin(s))

    def staff_member(self, staff_id: str) -> Staff | None:
        return next((s for s in self.staff if s.id == staff_id), None)

    def staff_by_email(self, email: str) -> Staff | None:
        wanted = email.strip().lower()
        return next((s for s in self.staff if s.email.lower() == wanted), None)


def newer_format_message(version: int) -> str:
    """Why this caseflow only reads a repository of a newer format (one line)."""
    return (
        f"this repository uses format {version}; this caseflow knows formats up to {FORMAT_VERSION}: "
        "reading only — upgrade caseflow to change it"
    )


def initial_config_text(
    agency: str,
    timezone: str,
    *,
    admin: Staff | None = None,
    require_signing: bool = False,
) -> str:
    """The ``caseflow.yaml`` that ``caseflow init`` writes, with comments for the IT person.

    ``admin``: the first member of staff (a director: the admin right), with their keys;
    ``require_signing``: every commit after this first one signed by its author's registered key.
    """
    from caseflow.core.documents import yaml_scalar

    lines = [
        "# caseflow repository settings. Edit with care; `caseflow validate` checks this file too.",
        f"form: {CONFIG_FORM}",
        f"format: {FORMAT_VERSION}",
        f"agency: {yaml_scalar(agency)}",
        f"timezone: {yaml_scalar(timezone)}",
        f"workflow: {DEFAULT_WORKFLOW}",
        "# plugins:",
        "#   allow: [riverbend]     # load only these installed plugins",
        "#   block: [some-plugin]   # never load these",
        "#   config:                # settings per plugin, each under its name",
        "#     riverbend: {housing_reassessment_days: 90}",
        "# Requirements added to stages and monitoring intervals (caseflow stages --json lists the checks):",
        "# rules:",
        "#   stages:",
        "#     evaluation:",
        "#       - {check: document_exists, form: agency.housing-needs, title: a housing needs screen}",
        "#   monitoring:",
        "#     contact_days_by_risk: {high: 5}",
        "# Who may change staff, roles, keys and these settings (default: directors; or `admin: true`",
        "# on a staff entry, e.g. the agency's IT person):",
        "# admin:",
        "#   roles: [director]",
        "# A client younger than this on the day a consent is signed needs a parent, guardian or personal",
        "# representative to sign, unless the consent records minor_consent_basis (the state law that lets",
        "# the minor consent). The default is 18.",
        "# age_of_majority: 18",
    ]
    if require_signing:
        lines += [
            "# Every commit after the first is signed by its author's key registered below (git's SSH signing).",
            "signing:",
            "  required: true",
        ]
    else:
        lines += ["# Signed commits, recommended for every real agency: `caseflow signing require`."]
    lines.append("# Add people with `caseflow staff add ID --name NAME --email EMAIL --role ROLE`.")
    if admin is None:
        lines.append("staff: []")
    else:
        lines += [
            "staff:",
            f"  - id: {yaml_scalar(admin.id)}",
            f"    name: {yaml_scalar(admin.name)}",
            f"    email: {yaml_scalar(admin.email)}",
            f"    role: {admin.role}",
        ]
        if admin.admin:
            lines.append("    admin: true")
        if admin.keys:
            lines.append("    keys:")
            lines += [f"      - {yaml_scalar(key)}" for key in admin.keys]
    return "\n".join(lines) + "\n"


def find_root(start: Path | str | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """``start`` if given, else ``$CASEFLOW_REPO``, else the nearest folder up holding caseflow.yaml."""
    environ = os.environ if environ is None else environ
    if start is None and environ.get(REPO_ENV):
        start = environ[REPO_ENV]
    if start is not None:
        root = Path(start).expanduser().resolve()
        if not (root / CONFIG_FILE).is_file():
            raise RepoNotFound(
                f"{start} is not a case repository (it has no {CONFIG_FILE}); create one with `caseflow init`"
            )
        return root
    try:
        here = Path.cwd().resolve()
    except FileNotFoundError:
        raise RepoNotFound("the current folder no longer exists; cd to a case repository") from None
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise RepoNotFound(
        f"not inside a case repository (no {CONFIG_FILE} here or above); "
        f"use --repo PATH, set {REPO_ENV}, or `caseflow init`"
    )


def is_time_zone(name: str) -> bool:
    """An IANA time zone name (``America/Chicago``); the agency's "today" is taken there."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def config_problems(data: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """What the schema cannot say: staff ids and emails are unique; the time zone exists."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    # A newer format than FORMAT_VERSION is no problem here: it is read (with a warning) and
    # never written to (:meth:`caseflow.session.Session.check_writable`).
    timezone = data.get("timezone")
    if isinstance(timezone, str) and not is_time_zone(timezone):
        problems.append((("timezone",), f"Time zone: {timezone!r} is not an IANA time zone (e.g. America/Chicago)"))
    seen: dict[tuple[str, str], int] = {}
    for index, member in enumerate(data.get("staff") or []):
        for key in ("id", "email"):
            value = str(member.get(key, "")).lower()
            if (key, value) in seen:
                first = seen[(key, value)] + 1
                problems.append(
                    (("staff", index, key), f"staff {key} {value!r} is already used by staff entry {first}")
                )
            else:
                seen[(key, value)] = index
    return problems
