"""Packaging that pyproject.toml cannot say alone: the repository's `protocols/` folder, where an
organization reads and edits its protocols, is installed inside the package as
`bot.shipped_protocols`, so every install (wheel, sdist, editable) carries the shipped protocols."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["bot*"]), "bot.shipped_protocols"],
    package_dir={"bot.shipped_protocols": "protocols"},
)
