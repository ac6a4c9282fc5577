# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import glob
import os
from unittest.mock import patch

from trytond.modules.clinic_packs.tests.tools import HEALTH
from trytond.modules.company.tests import (
    CompanyTestMixin, PartyCompanyCheckEraseMixin)
from trytond.tests import test_tryton
from trytond.tests.test_tryton import ModuleTestCase


class ClinicPacksTestCase(
        PartyCompanyCheckEraseMixin, CompanyTestMixin, ModuleTestCase):
    "Test Clinic Packs module"
    module = 'clinic_packs'

    def test_view(self):
        "Test validity of all views of the module"
        if HEALTH:
            return super().test_view()
        # view/health/ is loaded only with GNU Health's module (health.xml,
        # registered with depends=['health']); without it those files are
        # unused by design, and every other view is checked as usual.
        health_views = os.sep + os.path.join('view', 'health') + os.sep
        all_files = glob.glob

        def without_health(pattern, *args, **kwargs):
            return [f for f in all_files(pattern, *args, **kwargs)
                if health_views not in f]
        with patch.object(test_tryton.glob, 'glob', without_health):
            super().test_view()


del ModuleTestCase
