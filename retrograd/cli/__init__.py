"""The ``retrograd`` command line: ``train``, ``sweep``, ``eval`` and ``datasets``.

``retrograd.cli.main.main(argv)`` runs it from Python and returns the exit status.
"""
