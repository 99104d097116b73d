"""Lets `python -m cobbler_winpe` run the command line."""
import sys

from cobbler_winpe.cli.main import main

sys.exit(main())
