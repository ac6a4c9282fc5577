# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.modules.company.tests import (
    CompanyTestMixin, PartyCompanyCheckEraseMixin)
from trytond.tests.test_tryton import ModuleTestCase


class ClinicPacksAccountingTestCase(
        PartyCompanyCheckEraseMixin, CompanyTestMixin, ModuleTestCase):
    "Test Clinic Packs Accounting module"
    module = 'clinic_packs_accounting'
    extras = ['clinic_packs_membership']


del ModuleTestCase
