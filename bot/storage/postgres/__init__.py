"""PostgreSQL storage (``DATABASE_URL``): the hosted backend, several processes on one database.

Modules, one concept each: :mod:`.connection` (pool, errors, ``describe``), :mod:`.schema`
(versioned migrations under an advisory lock), :mod:`.turn` (one transaction per update,
serialised per pseudonym across processes), :mod:`.outbox` (leases per chat),
:mod:`.maintenance` (expiry, counters, recent message ids), :mod:`.store` (the
:class:`PostgresStore` that ties them to :class:`bot.storage.base.Store`).
"""

from .store import PostgresStore

__all__ = ["PostgresStore"]
