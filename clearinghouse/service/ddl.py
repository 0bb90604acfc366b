"""Creating the tables of a PostgreSQL store from several processes at once.

Every application creates its schema and tables when it is first opened
(``CREATE SCHEMA/TABLE IF NOT EXISTS``, the library's default). PostgreSQL
does not make those statements safe against each other: when the API, the
relay and the workers of a new deployment start together, two of them can
collide in the catalogue ("tuple concurrently updated", or a duplicate key in
``pg_type``). So service processes open applications while holding one
PostgreSQL advisory lock per database: the first creates, the others wait a
moment and find everything there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse

from clearinghouse.store import StoreConfig

#: the advisory lock's key (any constant; "clearinghouse" in ASCII, truncated)
LOCK_KEY = 0x636C6561


@contextmanager
def creating_tables(store: StoreConfig) -> Iterator[None]:
    """Hold the store's table-creation lock (a no-op but for PostgreSQL)."""
    if store.kind != "postgres" or not store.database_url:
        yield
        return
    import psycopg  # only with the postgres extra
    from eventsourcing.persistence import OperationalError

    # the connection string without our own ?schema= parameter
    url = urlunparse(urlparse(store.database_url)._replace(query=""))
    try:
        conn = psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError as error:  # as the library reports an unreachable store
        raise OperationalError(str(error)) from error
    with conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
