"""The lock files pin, with hashes, every dependency pyproject.toml states, inside its range.

A dependency added to or changed in pyproject.toml without `make lock` fails here, not on
the next fresh clone.
"""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)")


def pins(lock: str) -> dict[str, str]:
    found = {}
    text = (ROOT / lock).read_text()
    for block in re.split(r"\n(?=\S)", text):
        match = PIN.match(block)
        if match:
            assert "--hash=sha256:" in block, f"{lock}: {match[1]} has no hash"
            found[canonicalize_name(match[1])] = match[2]
    return found


def stated(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = project["dependencies"] + [
        d for e in extras for d in project["optional-dependencies"][e]
    ]
    return [Requirement(name) for name in names]


@pytest.mark.parametrize(
    ("lock", "extras"), [("requirements.txt", ()), ("requirements-dev.txt", ("dev",))]
)
def test_every_stated_dependency_is_pinned_inside_its_range(lock, extras):
    pinned = pins(lock)
    for requirement in stated(*extras):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{lock} does not pin {requirement.name}: run `make lock`"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} pins {requirement.name}=={pinned[name]}, outside {requirement}: "
            "run `make lock`"
        )


def test_the_dev_lock_installs_the_runtime_versions():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    differing = {name: (v, dev[name]) for name, v in runtime.items() if dev.get(name) != v}
    assert not differing, f"run `make lock`: {differing}"
