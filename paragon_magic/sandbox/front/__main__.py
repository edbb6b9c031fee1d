"""``python -m paragon_magic.sandbox.front``: the sandbox's child process (see :func:`.app.main`)."""

from .app import main

main()
