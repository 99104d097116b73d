"""The WIM format: header, XML metadata and extraction through wimlib."""
