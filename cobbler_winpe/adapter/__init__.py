"""The only package that imports cobbler: maps Cobbler items and triggers onto the generators."""
