# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The database, clinic and helpers shared by the clinic_packs unit tests."
import datetime as dt
import unittest
from contextlib import contextmanager
from decimal import Decimal
from types import SimpleNamespace

from trytond.modules.account.tests import create_chart, get_fiscalyear
from trytond.modules.account_invoice.tests import set_invoice_sequences
from trytond.modules.clinic_packs import compat
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, drop_db

__all__ = ['START', 'EXPIRY', 'ClinicTestCase', 'setup_clinic',
    'cash_account']


def cash_account(company):
    """The cash account of company's chart, as the host's tests find it.

    The test chart is the minimal chart on 7.0 ("Main Cash") and the full
    chart on 8.0 (1.1.1 "Cash and Cash Equivalents")."""
    Account = Pool().get('account.account')
    clause = (('code', '=', '1.1.1') if compat.TRYTON_8
        else ('name', '=', "Main Cash"))
    account, = Account.search([('company', '=', company.id), clause])
    return account

START = dt.date(2025, 1, 10)
EXPIRY = dt.date(2025, 7, 9)


def setup_clinic(company, accounting=False, years=None):
    """Create services, pack templates and three parties of company.

    With accounting, also a chart, the fiscal years (of START and today, or
    of years) with their periods and invoice sequences, and product
    categories with accounts, to post invoices.  Return a namespace with
    company, the unit of measure, the services physio and massage, the
    templates by key and the parties jane, joe and ndis (a funder).

    This is the clinic of every unit test (the membership, accounting and
    property tests add to it); the scenarios' is tools.setup_clinic, its
    proteus twin.
    """
    pool = Pool()
    Party = pool.get('party.party')
    Address = pool.get('party.address')
    Uom = pool.get('product.uom')
    Category = pool.get('product.category')
    ProductTemplate = pool.get('product.template')
    Template = pool.get('clinic.pack.template')
    Account = pool.get('account.account')
    FiscalYear = pool.get('account.fiscalyear')
    Sequence = pool.get('ir.sequence.strict')
    InvoiceSequence = pool.get('account.fiscalyear.invoice_sequence')

    category_values = {}
    if accounting:
        create_chart(company)
        # Refunds are dated today.
        for year in sorted(years or {START.year, dt.date.today().year}):
            fiscalyear = get_fiscalyear(company, today=dt.date(year, 1, 1))
            fiscalyear.invoice_sequences = []
            fiscalyear.save()
            set_invoice_sequences(fiscalyear)
            # 8.0's helper leaves the new sequences on the fiscal year for
            # the caller to save; 7.0's saved them itself.
            if any(s.id is None or s.id < 0
                    for s in fiscalyear.invoice_sequences):
                fiscalyear.save()
            # Credit notes are dated today, often after later-dated sales:
            # number them apart.
            invoice_sequence, = InvoiceSequence.search([
                    ('fiscalyear', '=', fiscalyear.id)])
            credit_notes = Sequence(name="Credit notes %s" % year,
                sequence_type=invoice_sequence.out_credit_note_sequence
                .sequence_type, company=company)
            credit_notes.save()
            invoice_sequence.out_credit_note_sequence = credit_notes
            invoice_sequence.save()
            FiscalYear.create_period([fiscalyear])
        revenue, = Account.search([
                ('type.revenue', '=', True),
                ('closed', '!=', True),
                ('company', '=', company.id),
                ], limit=1)
        expense, = Account.search([
                ('type.expense', '=', True),
                ('closed', '!=', True),
                ('company', '=', company.id),
                ], limit=1)
        category_values = {
            'accounting': True,
            'account_revenue': revenue.id,
            'account_expense': expense.id,
            }
    physio_category = Category(name="Physiotherapy", **category_values)
    massage_category = Category(name="Massage", **category_values)
    Category.save([physio_category, massage_category])

    unit, = Uom.search([('name', '=', 'Unit')])
    hour, = Uom.search([('name', '=', 'Hour')])

    def service(name, price, category, uom=unit):
        values = {
            'name': name,
            'type': 'service',
            'default_uom': uom.id,
            'list_price': Decimal(price),
            'categories': [('add', [category.id])],
            'products': [('create', [{}])],
            }
        if accounting:
            values['account_category'] = category.id
        template, = ProductTemplate.create([values])
        return template.products[0]

    physio = service("Physiotherapy session", '50.00', physio_category)
    massage = service("Sports massage", '45.00', massage_category)

    def template(name, price='275.00', quantity=6, uom=unit, **values):
        record = Template(name=name, company=company,
            product=service(name, price, physio_category, uom),
            quantity=Decimal(quantity), validity_months=6, grace_days=14,
            **values)
        record.save()
        return record

    templates = {
        'sessions': template("6 sessions", services=[physio]),
        'other': template("6 sessions, spring offer"),
        'gift': template("6 sessions, gift", services=[physio],
            transferable=True),
        'none': template("6 sessions, no refund", refund_policy='none'),
        'list': template("6 sessions, list price",
            refund_policy='list_price', services=[physio]),
        'money': template("Wellness credit", quantity=300, unit='money'),
        'hours': template("10 massage hours", price='500.00', quantity=10,
            unit='hour', service_categories=[massage_category]),
        'block': template("Hydrotherapy block", price='300.00', quantity=5,
            uom=hour),
        }
    jane = Party(name="Jane Doe", addresses=[Address()])
    joe = Party(name="Joe Bloggs", addresses=[Address()])
    ndis = Party(name="NDIS Plan Manager", addresses=[Address()])
    Party.save([jane, joe, ndis])
    return SimpleNamespace(company=company, unit=unit,
        physio=physio, massage=massage, templates=templates,
        jane=jane, joe=joe, ndis=ndis)


class ClinicTestCase(unittest.TestCase):
    "A database with clinic_packs activated for the tests of the class"

    @classmethod
    def setUpClass(cls):
        drop_db()
        activate_module('clinic_packs')
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    @contextmanager
    def clinic(self, accounting=False):
        "Create a company and its clinic, and work in it; yield the clinic."
        company = create_company()
        with set_company(company):
            yield setup_clinic(company, accounting=accounting)

    def issue(self, clinic, template='sessions', party=None,
            amount='275.00', activate=True, **values):
        "Issue a pack of template to party (Jane); activate it unless told."
        pool = Pool()
        Pack = pool.get('clinic.pack')
        template = clinic.templates[template]
        values.setdefault('expiry_date', EXPIRY)
        values.setdefault('quantity', template.total_quantity)
        pack = Pack(company=clinic.company,
            currency=clinic.company.currency, party=party or clinic.jane,
            template=template, start_date=START, amount=Decimal(amount),
            **values)
        pack.save()
        if activate:
            Pack.activate([pack])
        return pack

    @contextmanager
    def assertRaisesMessage(self, exception, message):
        "Assert the block raises exception with exactly message."
        with self.assertRaises(exception) as cm:
            yield cm
        self.assertEqual(cm.exception.message, message)

    def assertPack(self, pack, **values):
        "Assert the stored pack has values."
        pool = Pool()
        Pack = pool.get('clinic.pack')
        pack = Pack(pack.id)
        for name, value in values.items():
            self.assertEqual(getattr(pack, name), value, msg=name)
