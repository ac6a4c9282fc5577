# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Suite-wide hooks for running Tryton's tests under pytest."
import os

import pytest
from _pytest.doctest import DoctestItem


@pytest.fixture(autouse=True)
def release_tryton_database(request):
    """Release the test database after each test, as Tryton's runner does.

    Tryton's own runner drops the database and its caches after each
    scenario; under pytest the next scenario would otherwise restore the
    template over a database whose pooled connections are still open (which
    PostgreSQL refuses) and keep caches of the previous one (access rights,
    for example).
    """
    yield
    from trytond import backend
    from trytond.tests.test_tryton import DB_NAME, drop_db

    # A session running only browser tests never opens it (their server is
    # another process), and opening a pool just to close it would fail.
    opened = getattr(backend.Database, '_databases', None)
    if opened is not None and DB_NAME not in opened.get(os.getpid(), {}):
        return
    if isinstance(request.node, DoctestItem):
        drop_db()
    else:
        backend.Database(DB_NAME).close()
