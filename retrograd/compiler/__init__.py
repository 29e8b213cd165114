"""Lazy evaluation: ``rg.compile`` records a step once and replays it as a straight-line program
over arrays (``recorder`` watches an eager call, ``tape`` is the program, ``compiled`` the
callable with its guards)."""
from .compiled import CompiledFunction, compile
from .tape import Tape

__all__ = ["compile", "CompiledFunction", "Tape"]
