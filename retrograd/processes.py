"""This host's name and whether one of its processes still runs: how ``rg.save`` tells the
temporary file of a killed save, and ``retrograd train`` the lock of a killed run, from those
of a live one."""
from __future__ import annotations

import os
import socket

HOST = socket.gethostname()


def alive(pid: int) -> bool:
    """True while the process ``pid`` of this host exists (whoever owns it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True
