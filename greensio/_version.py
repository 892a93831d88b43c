"""The package version, kept here alone so ``setup.py`` can read it without importing greensio."""

__version__ = "0.1.0"
