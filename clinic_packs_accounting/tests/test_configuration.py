# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"The pack accounts: settings of the host's accounting configuration"
from sql import Table

from trytond.modules.clinic_packs.tests import unit
from trytond.modules.clinic_packs_accounting.exceptions import (
    PackPostingError)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, drop_db, with_transaction
from trytond.transaction import Transaction

from .unit import configure_accounting

FIELDS = ['contract_liability_account', 'breakage_revenue_account',
    'breakage_accrual_account', 'unclaimed_property_account']


class AccountingConfigurationTestCase(unit.ClinicTestCase):
    "Test the pack accounting settings"

    @classmethod
    def setUpClass(cls):
        drop_db()
        activate_module('clinic_packs_accounting')
        super(unit.ClinicTestCase, cls).setUpClass()

    @with_transaction()
    def test_settings_per_company(self):
        "Each company posts to its own pack accounts"
        pool = Pool()
        Configuration = pool.get('account.configuration')
        with self.clinic(accounting=True) as riverside:
            accounts_a, _ = configure_accounting(riverside.company)
        with self.clinic(accounting=True) as harbourside:
            with self.assertRaises(PackPostingError) as cm:
                Configuration.pack_accounts(
                    harbourside.company, harbourside.jane)
            self.assertEqual(cm.exception.message,
                'To post "Jane Doe", configure the pack accounts of company '
                f'"{harbourside.company.rec_name}" (Clinic Packs > '
                'Configuration > Pack Accounting Configuration, or the '
                'Clinic Packs part of the accounting configuration).')
            accounts_b, _ = configure_accounting(harbourside.company)
            self.assertEqual(
                Configuration(1).contract_liability_account,
                accounts_b.contract_liability_account)
            # Read once per transaction until written: the refusal above
            # was not kept, and a change shows at once.
            self.assertEqual(Configuration.pack_accounts(
                    harbourside.company,
                    harbourside.jane).contract_liability_account,
                accounts_b.contract_liability_account)
            Configuration.write([Configuration(1)], {
                    'contract_liability_account': None})
            with self.assertRaises(PackPostingError):
                Configuration.pack_accounts(
                    harbourside.company, harbourside.jane)
            Configuration.write([Configuration(1)], {
                    'contract_liability_account':
                    accounts_b.contract_liability_account.id})
        self.assertNotEqual(accounts_a.contract_liability_account,
            accounts_b.contract_liability_account)
        self.assertEqual(
            accounts_a.contract_liability_account.company, riverside.company)

    @with_transaction()
    def test_migration_from_own_model(self):
        "Upgrading from 7.0.0 keeps each company's pack accounts"
        pool = Pool()
        Configuration = pool.get('account.configuration')
        Value = pool.get('account.configuration.pack_account')
        cursor = Transaction().connection.cursor()
        with self.clinic(accounting=True) as clinic:
            accounts, _ = configure_accounting(clinic.company)
        # The database as 7.0.0 left it: the settings in a table of their
        # own, and no settings table of the accounting configuration.
        cursor.execute('CREATE TABLE clinic_pack_account_configuration ('
            'id INTEGER, company INTEGER, contract_liability_account INTEGER, '
            'breakage_revenue_account INTEGER, '
            'breakage_accrual_account INTEGER, '
            'unclaimed_property_account INTEGER, journal INTEGER)')
        old = Table('clinic_pack_account_configuration')
        cursor.execute(*old.insert(
                [old.id, old.company, old.journal] + [
                    getattr(old, name) for name in FIELDS],
                [[1, clinic.company.id, accounts.pack_journal.id] + [
                        getattr(accounts, name).id for name in FIELDS]]))
        cursor.execute('DROP TABLE account_configuration_pack_account')

        Value.__register__('clinic_packs_accounting')

        migrated = Configuration.pack_accounts(clinic.company, clinic.jane)
        for name in FIELDS + ['pack_journal']:
            self.assertEqual(
                getattr(migrated, name), getattr(accounts, name), msg=name)
        self.assertEqual(Value.search([], count=True), 1)
