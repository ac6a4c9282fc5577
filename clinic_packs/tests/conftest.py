# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Skip what needs GNU Health where its module is absent (Tryton 8.0)."
import pytest

from trytond.modules.clinic_packs.tests.tools import HEALTH


def pytest_collection_modifyitems(config, items):
    if HEALTH:
        return
    skip = pytest.mark.skip(
        reason="GNU Health's health module is not installed "
        "(GNU Health 5.0 runs on Tryton 7.0 only)")
    for item in items:
        if 'scenario_health_' in item.nodeid:
            item.add_marker(skip)
