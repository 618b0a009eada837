"""``python -m bot`` is the same as ``peerbot``."""

import sys

from bot.cli import main

sys.exit(main())
