"""``python -m retrograd``: the same as the ``retrograd`` command."""
import sys

from .cli.main import main

sys.exit(main())
