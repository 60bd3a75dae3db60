"""The shipped protocol files, installed as the package `bot.shipped_protocols` (see setup.py).

This file only makes the folder installable; the protocols are the YAML files beside it.
"""
