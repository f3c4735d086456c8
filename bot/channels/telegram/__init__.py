"""The Telegram channel: python-telegram-bot's ``Bot`` as transport, the engine as the brain.

Modules, from the outside in:

- :mod:`.runner`: ``entraide run [--webhook]``; signals, start and orderly stop.
- :mod:`.polling` and :mod:`.webhook`: the two update sources; each confirms an update to
  Telegram only once its turn is committed. The webhook server also answers ``/healthz``.
- :mod:`.app`: assembles the bot (the same function for production and tests).
- :mod:`.ordering`: updates of one user in order, different users concurrently.
- :mod:`.handlers`: one entry point per update; one committed turn per update id, with
  its replies queued in the outbox in the same transaction.
- :mod:`.delivery`: the outbox worker (claims, sends, settles); :mod:`.pacing` (Telegram's
  rate limits) and :mod:`.failures` (429, 5xx, 403, 400) decide when and whether.
- :mod:`.payload` and :mod:`.address`: what an outbox entry holds; the chat id sealed.
- :mod:`.render` and :mod:`.keyboard`: pure; engine replies to HTML and inline keyboards.
- :mod:`.admin` and :mod:`.staff_alerts`: ``/stats``, ``/version``, content alerts.
- :mod:`.settings`, :mod:`.limits`, :mod:`.redact`: configuration, limits, log hygiene.

Nothing here holds words the user reads: they all come from ``flows/`` and ``knowledge/``.
"""
