"""Registry hive (regf) files: a writer and a checking reader."""
