"""Build a synthetic case repository: N fictional clients x 6 documents, committed once.

python bench/synthetic.py PATH --clients 1000
"""

from __future__ import annotations

import argparse
import random
import subprocess
from pathlib import Path

from caseflow.bootstrap import init_repository
from caseflow.core.ids import random_client_id

# Fictional staff; not caseflow.testing's list, which would need pytest on a runtime-only install.
STAFF = (
    ("casey", "Casey Rivera", "casey@riverbend.example", "case_manager"),
    ("robin", "Robin Okafor", "robin@riverbend.example", "case_manager"),
    ("sam", "Sam Whitfield", "sam@riverbend.example", "supervisor"),
)

GIVEN = ["Ana", "Luis", "Mei", "Omar", "Priya", "Sam", "Tomás", "Zoë", "Kwame", "Ines"]
FAMILY = ["Example", "Sample", "Testperson", "Fictional", "Placeholder"]


def client_files(client_id: str, rng: random.Random) -> dict[str, str]:
    name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
    worker = rng.choice(["casey", "robin"])
    base = f"clients/{client_id}"
    consent_id = random_client_id("CN-")
    referral_id = random_client_id("R-")
    return {
        f"{base}/client.yaml": f"""form: core.client
id: {client_id}
name: {name}
dob: 19{rng.randint(50, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}
phone: 555-01{rng.randint(10, 99)}
language: English
assigned_worker: {worker}
intake_date: 2026-0{rng.randint(1, 9)}-0{rng.randint(1, 9)}
stage: active
stage_history:
  - to: intake
    on: 2026-01-05
    by: {worker}
    reason: intake
  - from: intake
    to: active
    on: 2026-02-05
    by: sam
risk_flags: []
""",
        f"{base}/plan.yaml": f"""# Service plan
form: core.plan
client: {client_id}
created: 2026-02-01
author: {worker}
review_date: 2026-05-01
goals:
  - id: g1
    title: Stable housing
    status: active
    target_date: 2026-06-01
    objectives:
      - id: g1-o1
        statement: Submit the housing application
        target_date: 2026-03-01
        responsible: client with case manager
    interventions:
      - id: g1-i1
        action: Weekly check-in about the application
        responsible: case manager
        frequency: weekly
  - id: g2
    title: Feel less depressed
    status: active
""",
        f"{base}/consents/{consent_id}.yaml": f"""form: core.consent
id: {consent_id}
client: {client_id}
kind: release
regulation: hipaa
patient_name: {name}
disclosing_party: Test Agency
information_covered:
  - Contact details and service plan goals
recipients:
  - name: Eastside Counseling
    provider: eastside-counseling
purposes:
  - Coordinating counseling services
right_to_revoke: In writing, at any time, to the case manager.
expires_on: 2027-01-31
signed_by:
  name: {name}
  relationship: self
signed_on: 2026-02-01
redisclosure_notice: true
conditioning_statement: true
status: active
""",
        f"{base}/referrals/{referral_id}.yaml": f"""form: core.referral
id: {referral_id}
client: {client_id}
provider: eastside-counseling
service: Individual counseling
category: counseling
consent: {consent_id}
requested_on: 2026-02-02
status: accepted
history:
  - status: requested
    on: 2026-02-02
  - status: accepted
    on: 2026-02-09
""",
        f"{base}/visits/2026-03-02-home.md": f"""---
form: core.visit
client: {client_id}
date: 2026-03-02
type: home
duration_minutes: 45
author: {worker}
---
# Contact note

## What happened

Met at home; talked through the housing application and the first counseling session.

## Next steps

- Bring the pay stubs next week.
""",
        f"{base}/visits/2026-03-09-phone.md": f"""---
form: core.visit
client: {client_id}
date: 2026-03-09
type: phone
duration_minutes: 10
author: {worker}
---
Brief check-in. Application submitted.
""",
    }


def build(path: Path, clients: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    init_repository(path, agency="Bench Agency")
    staff = "".join(f"  - id: {i}\n    name: {n}\n    email: {e}\n    role: {r}\n" for i, n, e, r in STAFF)
    config = (path / "caseflow.yaml").read_text().replace("staff: []\n", "staff:\n" + staff)
    (path / "caseflow.yaml").write_text(config)
    used: set[str] = set()
    for _ in range(clients):
        client_id = random_client_id()
        while client_id in used:
            client_id = random_client_id()
        used.add(client_id)
        for rel, text in client_files(client_id, rng).items():
            target = path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    subprocess.run(["git", "add", "-A"], cwd=path, check=True)
    env = {
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@x.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@x.invalid",
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(["git", "commit", "-qm", "synthetic caseload"], cwd=path, check=True, env=env)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--clients", type=int, default=1000)
    args = parser.parse_args()
    build(args.path, args.clients)
