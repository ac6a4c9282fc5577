# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Suite-wide hooks for running Tryton's tests under pytest."
import pytest


@pytest.fixture(autouse=True)
def close_tryton_connections():
    """Release the test database after each test.

    Tryton's own runner drops the database after each scenario; under pytest
    the next scenario restores the template over a database whose pooled
    connections are still open, which PostgreSQL refuses.
    """
    yield
    import os

    from trytond import backend
    from trytond.tests.test_tryton import DB_NAME

    # A session running only browser tests never opens it (their server is
    # another process), and opening a pool just to close it would fail.
    opened = getattr(backend.Database, '_databases', None)
    if opened is None or DB_NAME in opened.get(os.getpid(), {}):
        backend.Database(DB_NAME).close()
