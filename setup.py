"""Shim for tools that still call setup.py (the RPM spec's %py3_build); the metadata lives in setup.cfg."""
from setuptools import setup

setup()
