"""The cobbler-winpe command line."""
