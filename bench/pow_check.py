"""The server CPU that one more step's proof-of-work check costs per signature.

Times ``actions.abuse.challenge.check`` (unsign the challenge, one SHA-256,
mark it used) with ``time.process_time`` over 10,000 solved challenges, each
checked once, and prints the CPU per check. Issuing the challenges and
solving them (the browser's work) is outside the timing.

    .venv/bin/python bench/pow_check.py            # in-process cache
    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/pow_check.py

With REDIS_URL set, "mark it used" is a real SET NX in Redis; the wall time
then includes the round trips, the CPU time only this process's share.
"""

import itertools
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")
os.environ.setdefault("ABUSE_POW_DIFFICULTY", "8")  # quick to solve here

import django  # noqa: E402

django.setup()

from actions.abuse import challenge  # noqa: E402

N = 10_000
PETITION = 1


def _solve(token: str) -> str:
    bits = challenge.difficulty(token)
    return next(
        str(n) for n in itertools.count() if challenge.is_solution(token, str(n), bits)
    )


def main() -> None:
    carried = challenge.carry(
        {
            "first_name": "Sokha",
            "last_name": "Chan",
            "email": "sokha.chan@example.org",
            "country": "KH",
            "wants_updates": True,
            "source": "newsletter",
        }
    )
    answers = []
    for _ in range(N):
        token = challenge.issue(petition_id=PETITION, carried=carried)
        answers.append((token, _solve(token)))
    wall, cpu = time.perf_counter(), time.process_time()
    outcomes = [
        challenge.check(
            challenge=token, petition_id=PETITION, carried=carried, nonce=nonce
        )
        for token, nonce in answers
    ]
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert outcomes == [challenge.Outcome.PASSED] * N, set(outcomes)
    print(
        f"{N} checks: {cpu * 1000 / N:.3f} ms CPU per check "
        f"({wall * 1000 / N:.3f} ms wall), cache: "
        f"{'Redis' if os.environ.get('REDIS_URL') else 'in-process'}"
    )


if __name__ == "__main__":
    main()
