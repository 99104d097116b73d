"""Unit tests by layer (formats/, gen/, adapter/, cli/, bench/): their shared fixture modules import by bare name."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
for folder in sorted(os.listdir(HERE)):
    if os.path.isdir(os.path.join(HERE, folder)) and not folder.startswith(("_", ".")):
        if os.path.join(HERE, folder) not in sys.path:
            sys.path.insert(0, os.path.join(HERE, folder))
