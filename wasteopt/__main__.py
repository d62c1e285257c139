"""``python -m wasteopt`` runs the command line."""

import sys

from wasteopt.cli import main

sys.exit(main())
