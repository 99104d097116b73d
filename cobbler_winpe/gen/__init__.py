"""Generators: pure functions from the small model in gen.model to the files a Windows netboot needs."""
