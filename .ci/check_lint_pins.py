"""Fail if pre-commit and `make lint` would run different tool versions.

`make lint` and the pre-commit hooks should run the same tools at the same
versions: every `name==version` in the hooks' additional_dependencies must be
pinned, identically, in requirements-dev.txt, and django-upgrade must target the
same Django version in .pre-commit-config.yaml and the Makefile.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s,\]'\"#]+)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    return {normalise(name): version for name, version in PIN.findall(text)}


def main() -> int:
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    hooks = "".join(
        line for line in config.splitlines(True) if "additional_dependencies" in line
    )
    wanted = pins(hooks)
    requirements = pins(
        "".join(
            line.split("#", 1)[0] + "\n"
            for line in (ROOT / "requirements-dev.txt").open()
        )
    )
    if not wanted:
        print("no pinned additional_dependencies in .pre-commit-config.yaml")
        return 1
    wrong = {
        name: (version, requirements.get(name))
        for name, version in wanted.items()
        if requirements.get(name) != version
    }
    for name, (hook, dev) in sorted(wrong.items()):
        print(
            f"{name}: pre-commit pins {hook}, requirements-dev.txt {dev or 'nothing'}"
        )
    if not wrong:
        print("pre-commit and requirements-dev.txt pin the same versions:")
        print(
            ", ".join(f"{name}=={version}" for name, version in sorted(wanted.items()))
        )
    hook_target = re.findall(r"django-upgrade --target-version (\S+)", config)
    make_target = re.findall(
        r"^DJANGO_TARGET :?= *(\S+)", (ROOT / "Makefile").read_text(), re.M
    )
    if len(hook_target) != 1 or hook_target != make_target:
        print(
            f"django-upgrade targets {hook_target} in .pre-commit-config.yaml,"
            f" {make_target} in the Makefile"
        )
        return 1
    print(f"django-upgrade targets Django {make_target[0]} in both")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
