"""The Telegram channel: python-telegram-bot as transport, the engine as the brain.

Modules, from the outside in:

- :mod:`.runner`: ``entraide run [--webhook]``; signals, start and orderly stop.
- :mod:`.webhook`: the HTTPS endpoint Telegram posts to (secret checked in constant time).
- :mod:`.app`: builds the PTB ``Application`` (the same function for production and tests).
- :mod:`.handlers`: one entry point per update; turns updates into engine events.
- :mod:`.sender`: sends and deletes messages with Telegram's error rules (403, 400, ...).
- :mod:`.network`: rate limits and retries (429, 5xx, network errors).
- :mod:`.ordering`: updates of one user in order, different users concurrently.
- :mod:`.render` and :mod:`.keyboard`: pure; engine replies to HTML and inline keyboards.
- :mod:`.admin`: ``/stats`` and ``/version`` for operators.
- :mod:`.settings`, :mod:`.limits`, :mod:`.redact`: configuration, limits, log hygiene.

Nothing here holds words the user reads: they all come from ``flows/`` and ``knowledge/``.
"""
