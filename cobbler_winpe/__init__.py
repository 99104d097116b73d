"""cobbler-winpe: Windows network installs (WDS chain and wimboot) for Cobbler 3.3."""
__version__ = "0.1.0"
