# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.modules.clinic_packs.tests.tools import ViewsWithoutHealthMixin
from trytond.modules.company.tests import (
    CompanyTestMixin, PartyCompanyCheckEraseMixin)
from trytond.tests.test_tryton import ModuleTestCase


class ClinicPacksTestCase(ViewsWithoutHealthMixin,
        PartyCompanyCheckEraseMixin, CompanyTestMixin, ModuleTestCase):
    "Test Clinic Packs module"
    module = 'clinic_packs'


del ModuleTestCase
