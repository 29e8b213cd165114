"""The ``retrograd`` command line: ``train``, ``sweep``, ``eval``, ``datasets``, ``check`` and
``explain`` (the last two are defined in ``retrograd.check.cli`` and ``retrograd.explain.cli``).

``retrograd.cli.main.main(argv)`` runs it from Python and returns the exit status.
"""
