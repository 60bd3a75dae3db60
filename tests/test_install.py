"""What an administrator installs: a built wheel carries the shipped protocols, and an installed
bot reads them from inside its package, wherever it is started from."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from bot.config import REPO_ROOT

# The files a build needs, as the Dockerfile copies them.
COPIED = ["pyproject.toml", "setup.py", "README.md", "LICENSE", "bot", "protocols"]
SHIPPED = sorted(p.stem for p in (REPO_ROOT / "protocols").glob("*.yaml"))


def copy_sources(destination: Path) -> Path:
    """What the Dockerfile copies into the image, and nothing else (no build/ left from before)."""
    destination.mkdir()
    for name in COPIED:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, destination / name)
    return destination


def test_the_dockerfile_copies_what_the_build_needs():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    copied = [
        word for line in dockerfile.splitlines() if line.startswith("COPY ") for word in line.split()[1:-1]
    ]
    assert sorted(copied) == sorted(COPIED)


def test_a_built_wheel_installed_in_a_fresh_venv_lists_the_shipped_protocols(tmp_path: Path):
    wheels = tmp_path / "wheels"
    sources = copy_sources(tmp_path / "src")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(sources)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("coachbot-*.whl")
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=False)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(fresh), "platbase": str(fresh)}))
    # The dependencies come from the test environment's site-packages. A path listed in a .pth
    # file is not itself scanned for .pth files, so the editable install's finder (which would
    # import `bot` from this checkout) stays out: `bot` can only come from the wheel.
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    python = fresh / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    listed = subprocess.run(
        [str(fresh / "bin" / "coachbot"), "protocols", "list"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == SHIPPED

    validated = subprocess.run(
        [str(fresh / "bin" / "coachbot"), "protocols", "validate"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert validated.returncode == 0, validated.stderr
    paths = [Path(line.removesuffix(": OK")) for line in validated.stdout.splitlines()]
    assert len(paths) == len(SHIPPED)
    assert all(path.is_relative_to(site / "bot" / "shipped_protocols") for path in paths)
