#!/usr/bin/env python3
# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Populate a freshly activated database with the Riverside demo clinic.

    python setup/demo_data.py --config trytond.conf --database clinic

The database must have clinic_packs, clinic_packs_membership and
clinic_packs_accounting activated.  The script is used both by `setup/demo`
(SQLite) and by the browser tests (PostgreSQL), so both see the same clinic.
Each step is a small function taking and extending the `Demo` namespace:
later features add their own step (sell packs, redeem sessions, enrol
members) at the end of `STEPS`.
"""
import argparse
import datetime as dt
import sys
from decimal import Decimal
from types import SimpleNamespace

from proteus import Model
from proteus import config as proteus_config

COMPANY_NAME = "Riverside Physio & Wellness"


class Demo(SimpleNamespace):
    "The records created so far, by role."


def create_currency(demo):
    "The pound sterling: the currency module ships no currency records."
    Currency = Model.get('currency.currency')
    currency, = Currency.find([('code', '=', 'GBP')]) or [None]
    if not currency:
        currency = Currency(
            name="Pound Sterling", code='GBP', numeric_code='826',
            symbol="£", digits=2, rounding=Decimal('0.01'))
        currency.save()
    demo.currency = currency


def create_company(demo):
    "The clinic; the wizard also makes it the company of the admin user."
    from trytond.modules.company.tests.tools import create_company
    Party = Model.get('party.party')
    party = Party(name=COMPANY_NAME)
    address, = party.addresses
    address.street = "12 Riverside Walk"
    address.postal_code = "BS1 4RB"
    address.city = "Bristol"
    party.contact_mechanisms.new(
        type='email', value='frontdesk@riverside-physio.example')
    party.contact_mechanisms.new(type='phone', value='+44 117 496 0000')
    party.save()
    create_company(party=party, currency=demo.currency)
    Company = Model.get('company.company')
    company, = Company.find([('party', '=', party.id)])
    company.timezone = 'Europe/London'
    company.save()
    demo.company = company


def create_fiscal_years(demo):
    """Calendar fiscal years for this year and the next, with monthly
    periods and their own move and invoice sequences."""
    FiscalYear = Model.get('account.fiscalyear')
    Sequence = Model.get('ir.sequence')
    SequenceStrict = Model.get('ir.sequence.strict')
    SequenceType = Model.get('ir.sequence.type')
    move_type, = SequenceType.find([('name', '=', "Account Move")], limit=1)
    invoice_type, = SequenceType.find([('name', '=', "Invoice")], limit=1)
    demo.fiscal_years = []
    for year in [demo.today.year, demo.today.year + 1]:
        fiscal_year = FiscalYear(
            name=str(year), company=demo.company,
            start_date=dt.date(year, 1, 1), end_date=dt.date(year, 12, 31))
        # 8.0 numbers moves from one strict sequence, 7.0 on posting.
        if 'move_sequence' in FiscalYear._fields:
            moves = fiscal_year.move_sequence = SequenceStrict()
        else:
            moves = fiscal_year.post_move_sequence = Sequence()
        moves.name = "Moves %s" % year
        moves.sequence_type = move_type
        moves.company = demo.company
        moves.prefix = "M%s-" % year
        moves.save()
        invoice_sequence = SequenceStrict(
            name="Invoices %s" % year, sequence_type=invoice_type,
            company=demo.company, prefix="INV%s-" % year)
        invoice_sequence.save()
        credit_sequence = SequenceStrict(
            name="Credit notes %s" % year, sequence_type=invoice_type,
            company=demo.company, prefix="CN%s-" % year)
        credit_sequence.save()
        sequences, = fiscal_year.invoice_sequences
        sequences.out_invoice_sequence = invoice_sequence
        sequences.in_invoice_sequence = invoice_sequence
        sequences.out_credit_note_sequence = credit_sequence
        sequences.in_credit_note_sequence = credit_sequence
        fiscal_year.click('create_period')
        demo.fiscal_years.append(fiscal_year)


def create_chart(demo):
    "The account module's minimal English chart."
    from trytond.modules.account.tests.tools import (
        create_chart, get_accounts)
    create_chart(demo.company)
    demo.accounts = get_accounts(demo.company)


def create_pack_accounts(demo):
    "The accounts packs post to, beside the chart's own."
    Account = Model.get('account.account')
    AccountType = Model.get('account.account.type')
    # The liabilities the payable account is one of: "Current" under
    # "Liability" in 7.0's minimal chart, "Liabilities" in 8.0's.
    liability_type = AccountType(demo.accounts['payable'].type.parent.id)
    revenue = demo.accounts['revenue']
    # Under the chart's root: 8.0 wants a child of a typed account to have
    # the parent's type.
    root = revenue.parent
    while root.parent:
        root = root.parent

    def account(name, type_):
        account = Account(
            name=name, type=type_, parent=root, company=demo.company,
            reconcile=False, party_required=False)
        account.save()
        return account

    demo.accounts['contract_liability'] = account(
        "Contract Liabilities - Packs", liability_type)
    demo.accounts['breakage_revenue'] = account(
        "Breakage Revenue", revenue.type)
    demo.accounts['breakage_accrual'] = account(
        "Breakage Accrual", liability_type)
    demo.accounts['unclaimed_property'] = account(
        "Unclaimed Property Payable", liability_type)


def create_payment_term(demo):
    "Patients pay at the desk: the default customer payment term."
    PaymentTerm = Model.get('account.invoice.payment_term')
    AccountConfiguration = Model.get('account.configuration')
    payment_term = PaymentTerm(name="Due on receipt")
    payment_term.lines.new(type='remainder')
    payment_term.save()
    configuration = AccountConfiguration(1)
    configuration.default_customer_payment_term = payment_term
    configuration.save()
    demo.payment_term = payment_term


PATIENTS = [
    ("Jane Doe", 'jane.doe@example.com', '+44 7700 900101'),
    ("Tom Baker", 'tom.baker@example.com', '+44 7700 900102'),
    ("Aisha Khan", 'aisha.khan@example.com', '+44 7700 900103'),
    ("Liam O'Brien", 'liam.obrien@example.com', '+44 7700 900104'),
    ("Sofia Rossi", 'sofia.rossi@example.com', '+44 7700 900105'),
    ]
PRACTITIONERS = [
    ("Dr Maya Patel", "Physiotherapist"),
    ("Ben Carter", "Massage Therapist"),
    ("Dr Grace Okafor", "Psychologist"),
    ]


def create_parties(demo):
    "Patients with an email for reminders, and practitioner parties."
    Party = Model.get('party.party')
    Category = Model.get('party.category')
    patient_category = Category(name="Patient")
    patient_category.save()
    practitioner_category = Category(name="Practitioner")
    practitioner_category.save()
    demo.patients = []
    for name, email, phone in PATIENTS:
        party = Party(name=name)
        party.categories.append(Category(patient_category.id))
        party.contact_mechanisms.new(type='email', value=email)
        party.contact_mechanisms.new(type='mobile', value=phone)
        party.customer_payment_term = demo.payment_term
        party.save()
        demo.patients.append(party)
    demo.practitioner_parties = []
    for name, role in PRACTITIONERS:
        role_category = Category(name=role, parent=practitioner_category)
        role_category.save()
        party = Party(name=name)
        party.categories.append(Category(role_category.id))
        party.save()
        demo.practitioner_parties.append(party)


def create_employees(demo):
    "The practitioners are employees of the clinic."
    Employee = Model.get('company.employee')
    demo.practitioners = []
    for party in demo.practitioner_parties:
        employee = Employee(
            party=party, company=demo.company,
            start_date=dt.date(demo.today.year, 1, 1))
        employee.save()
        demo.practitioners.append(employee)


def create_product_categories(demo):
    """Accounting categories: every invoiced product needs a revenue
    account.  The service categories are also what pack templates accept."""
    Category = Model.get('product.category')
    demo.categories = {}
    for name in [
            "Physiotherapy", "Massage", "Psychology", "Treatment Packs",
            "Memberships"]:
        category = Category(name=name, accounting=True)
        category.account_revenue = demo.accounts['revenue']
        category.account_expense = demo.accounts['expense']
        category.save()
        demo.categories[name] = category


SERVICES = [
    ("Physiotherapy session", 'PHYSIO', "Physiotherapy", '50.00'),
    ("Initial assessment", 'ASSESS', "Physiotherapy", '70.00'),
    ("Sports massage", 'MASSAGE', "Massage", '45.00'),
    ("Psychology session", 'PSYCH', "Psychology", '90.00'),
    ("6 Physio sessions pack", 'PACK-PHYSIO6', "Treatment Packs", '275.00'),
    ("Massage 5+1 pack", 'PACK-MASSAGE51', "Treatment Packs", '250.00'),
    # No template sells it yet: make one in the client to try packs out.
    ("10 Physio sessions pack", 'PACK-PHYSIO10', "Treatment Packs",
        '450.00'),
    ("Wellness membership (monthly)", 'MEMBER-WELLNESS', "Memberships",
        '49.00'),
    ("4 Psychology sessions pack", 'PACK-PSYCH4', "Treatment Packs",
        '340.00'),
    ("Massage taster (2 in 10 days)", 'PACK-TASTER', "Treatment Packs",
        '80.00'),
    ("Massage Club membership (monthly)", 'MEMBER-MASSAGE', "Memberships",
        '55.00'),
    # The massage a Massage Club period includes: its list price is the
    # credit's stand-alone selling price (the fee is split by it).
    ("Massage Club monthly massage", 'CREDIT-MASSAGE', "Treatment Packs",
        '45.00'),
    ("Psychology referral (6 sessions)", 'REFER-PSYCH6', "Treatment Packs",
        '540.00'),
    ]


CARE_CATEGORIES = {"Physiotherapy", "Massage", "Psychology"}


def create_products(demo):
    "Service products with their list prices (VAT-exempt clinical care)."
    Uom = Model.get('product.uom')
    ProductTemplate = Model.get('product.template')
    unit, = Uom.find([('name', '=', "Unit")])
    demo.products = {}
    for name, code, category, price in SERVICES:
        template = ProductTemplate(
            name=name, code=code, type='service', default_uom=unit,
            list_price=Decimal(price))
        template.account_category = demo.categories[category]
        if category in CARE_CATEGORIES:
            # The category of care: the visit-fairness report's episodes
            # are per patient and category.
            template.categories.append(
                type(demo.categories[category])(demo.categories[category].id))
        template.save()
        product, = template.products
        demo.products[name] = product


def create_pack_templates(demo):
    "The packs the clinic sells."
    Template = Model.get('clinic.pack.template')
    Product = Model.get('product.product')
    Category = Model.get('product.category')
    def template(name, product, quantity, services=(), categories=(),
            **values):
        "Save a session template of product for services or categories."
        record = Template(name=name, company=demo.company,
            product=demo.products[product], unit='session',
            quantity=Decimal(quantity),
            bonus_quantity=Decimal(values.pop('bonus', 0)),
            grace_days=values.pop('grace_days', 0), **values)
        record.services.extend(
            Product(demo.products[s].id) for s in services)
        record.service_categories.extend(
            Category(demo.categories[c].id) for c in categories)
        record.save()
        return record

    ConsentTemplate = Model.get('clinic.consent.template')
    consent = ConsentTemplate(
        name="Psychological therapy consent", company=demo.company,
        terms="I agree to the assessment and psychological therapy "
        "described to me. Sessions cancelled with less than 24 hours' "
        "notice are used from the pack. Unused sessions are refunded pro "
        "rata on request; the pack expires 12 months after purchase.")
    consent.save()
    demo.consent_templates = {consent.name: consent}
    templates = [
        template("6 physiotherapy sessions", "6 Physio sessions pack", 6,
            services=["Physiotherapy session"], validity_months=6,
            grace_days=14, refund_policy='pro_rata'),
        template("Massage: buy 5 get 1 free", "Massage 5+1 pack", 5,
            categories=["Massage"], bonus=1, validity_months=6,
            refund_policy='pro_rata'),
        template("4 psychology sessions", "4 Psychology sessions pack", 4,
            services=["Psychology session"], validity_months=12,
            refund_policy='pro_rata', consent_template=consent),
        # Sold today, it expires within the reminder days: the expiry list
        # and the reminder cron have something to show.
        template("Massage taster: 2 sessions in 10 days",
            "Massage taster (2 in 10 days)", 2, categories=["Massage"],
            validity_days=10, reminder_days=14, refund_policy='none'),
        # The monthly massage of the Massage Club plan: one session issued
        # each period, lapsing unused at its end (its value then breakage).
        template("Massage Club: 1 massage a month",
            "Massage Club monthly massage", 1, categories=["Massage"],
            validity_months=1, refund_policy='none',
            breakage_method='remote'),
        # Psychology paid by a funder (an insurer or the NHS): entered by
        # hand with the funder's approval, no consent of the clinic's own.
        template("Funded psychology referral: 6 sessions",
            "Psychology referral (6 sessions)", 6,
            services=["Psychology session"], validity_months=6,
            refund_policy='none'),
        ]
    demo.pack_templates = {t.name: t for t in templates}


def create_membership_plans(demo):
    """A monthly wellness membership, and the Massage Club: a monthly fee
    including one massage, whose fee is split between access (its
    stand-alone price, entered on the plan) and the massage credit."""
    Plan = Model.get('clinic.membership.plan')
    plan = Plan(
        name="Wellness Monthly", company=demo.company,
        product=demo.products["Wellness membership (monthly)"],
        interval='month', auto_renew=True,
        perks="Priority booking and a monthly wellness check-in.")
    plan.save()
    club = Plan(
        name="Massage Club", company=demo.company,
        product=demo.products["Massage Club membership (monthly)"],
        interval='month', auto_renew=True,
        access_selling_price=Decimal('20.00'),
        perks="One sports massage a month; an unused massage lapses at the "
        "end of the month.")
    club.allotments.new(
        pack_template=demo.pack_templates["Massage Club: 1 massage a month"],
        quantity=1)
    club.save()
    demo.membership_plans = {p.name: p for p in [plan, club]}


def configure_pack_accounting(demo):
    "Where pack postings go, in the chart's Miscellaneous journal."
    Configuration = Model.get('account.configuration')
    Journal = Model.get('account.journal')
    journal, = Journal.find([('code', '=', 'MISC'), ('type', '=', 'general')])
    configuration = Configuration(1)
    configuration.contract_liability_account = (
        demo.accounts['contract_liability'])
    configuration.breakage_revenue_account = demo.accounts['breakage_revenue']
    configuration.breakage_accrual_account = (
        demo.accounts['breakage_accrual'])
    configuration.unclaimed_property_account = (
        demo.accounts['unclaimed_property'])
    configuration.pack_journal = journal
    configuration.save()
    demo.pack_account_configuration = configuration


def create_payment_methods(demo):
    "Card and cash at the desk, in the chart's cash journal (Sell Pack)."
    Method = Model.get('account.invoice.payment.method')
    Journal = Model.get('account.journal')
    journal, = Journal.find([('type', '=', 'cash')], limit=1)
    cash = demo.accounts['cash']
    for name in ["Card", "Cash"]:
        Method(name=name, company=demo.company, journal=journal,
            credit_account=cash, debit_account=cash).save()


def close_module_configuration(demo):
    """The clinic is configured: the client must not open the "Module
    Configuration" wizard at login any more."""
    Item = Model.get('ir.module.config_wizard.item')
    items = Item.find([('state', '=', 'open')])
    for item in items:
        item.state = 'done'
    Item.save(items)


USERS = [
    # login, password, name, groups by XML id (their names differ between
    # series: Tryton 8.0 renamed "Account" to "Accounting")
    ('frontdesk', 'clinicdesk', "Front Desk",
        ['clinic_packs.group_clinic_packs']),
    ('accountant', 'clinicbooks', "Accountant",
        ['account.group_account', 'account.group_account_admin',
            'clinic_packs.group_clinic_packs']),
    # The clinic manager: the visit-fairness report and dispute bundles.
    ('manager', 'clinicmanager', "Clinic Manager",
        ['clinic_packs.group_clinic_packs',
            'clinic_packs.group_clinic_packs_admin']),
    ]
UK_LANGUAGE = 'en_GB'


def create_uk_language(demo):
    """British English: dates as 31/12/2025 for a clinic in Bristol.

    trytond ships English ("en") with American dates only; en_GB copies its
    number formats, needs no translation of its own (its parent is "en")
    and becomes the language of the clinic's users."""
    Lang = Model.get('ir.lang')
    english, = Lang.find([('code', '=', 'en')])
    uk, = Lang.find([('code', '=', UK_LANGUAGE)]) or [None]
    if not uk:
        uk, = Lang.duplicate([english], {
                'code': UK_LANGUAGE,
                'name': "English (United Kingdom)",
                'parent': 'en',
                'date': '%d/%m/%Y',
                # Users may only choose translatable languages.
                'translatable': True,
                })
    demo.language = uk
    # The administrator too: the demo reads as the clinic does.
    User = Model.get('res.user')
    admin, = User.find([('login', '=', 'admin')])
    admin.language = uk
    admin.save()


def group_ids(xml_ids):
    "The ids of the groups named by XML id (module.id)"
    from trytond.modules.clinic_packs.compat import TRYTON_8
    ModelData = Model.get('ir.model.data')
    if TRYTON_8:
        # 8.0 answers get_id over RPC and no longer search.
        return [ModelData._proxy.get_id(*xml_id.split('.'), {})
            for xml_id in xml_ids]
    ids = []
    for xml_id in xml_ids:
        module, fs_id = xml_id.split('.')
        data, = ModelData.find([
                ('module', '=', module),
                ('fs_id', '=', fs_id),
                ('model', '=', 'res.group'),
                ])
        ids.append(data.db_id)
    return ids


def create_users(demo):
    """A front-desk user (sell and redeem) and an accountant (ledgers and
    pack accounting), who log in with the passwords in USERS."""
    User = Model.get('res.user')
    Group = Model.get('res.group')
    demo.users = {}
    for login, password, name, groups in USERS:
        user = User(login=login, name=name, password=password,
            language=demo.language)
        user.groups.extend(Group.find([('id', 'in', group_ids(groups))]))
        user.companies.append(type(demo.company)(demo.company.id))
        user.company = demo.company
        user.save()
        demo.users[login] = user


def sell_packs(demo):
    """Today's sales: Jane's six physiotherapy sessions (two used) and Tom's
    massage 5+1 pack (one used), sold on invoices like any other service."""
    Invoice = Model.get('account.invoice')
    Pack = Model.get('clinic.pack')
    Redemption = Model.get('clinic.pack.redemption')
    sales = [
        ("Jane Doe", "6 Physio sessions pack", "Physiotherapy session", 2,
            "Dr Maya Patel"),
        ("Tom Baker", "Massage 5+1 pack", "Sports massage", 1, "Ben Carter"),
        # Expires in 10 days with a session left: "Expiring in 30 days"
        # and the expiry reminder.
        ("Aisha Khan", "Massage taster (2 in 10 days)", "Sports massage", 1,
            "Ben Carter"),
        ]
    patients = {p.name: p for p in demo.patients}
    practitioners = {e.party.name: e for e in demo.practitioners}
    for patient, pack_product, service, used, practitioner in sales:
        invoice = Invoice(type='out', party=patients[patient],
            invoice_date=demo.today)
        line = invoice.lines.new()
        line.product = demo.products[pack_product]
        line.quantity = 1
        line.unit_price = demo.products[pack_product].template.list_price
        invoice.click('post')
        pack, = Pack.find([
                ('origin', '=', 'account.invoice.line,%s'
                    % invoice.lines[0].id)])
        for _ in range(used):
            redemption = Redemption(pack=pack,
                product=demo.products[service], date=demo.today,
                employee=practitioners[practitioner])
            redemption.save()
            redemption.click('do')


HISTORY_PATIENTS = [
    "Oliver Hughes", "Amelia Clarke", "Noah Evans", "Isla Turner",
    "George Wright", "Ava Mitchell", "Harry Walker", "Mia Roberts",
    "Jack Green", "Emily Hall", "Charlie Wood", "Grace Lewis",
    "Jacob Harris", "Lily Young", "Oscar King", "Freya Scott",
    "Leo Adams", "Poppy Baker", "Arthur Hill", "Evie Moore",
    "Theo Ward", "Ruby Cooper", "Henry Bell", "Daisy Reed",
    ]
# Massage Club members, with the day of the history each joined.
MEMBERS = [
    ("Sophie Bennett", 0), ("Alfie Price", 0), ("Chloe Fisher", 7),
    ("Archie Lloyd", 7), ("Ella Morgan", 14), ("Finley Shaw", 21),
    ("Millie Webb", 28), ("Toby Rees", 35), ("Nancy Holt", 49),
    ("Rowan Pike", 63),
    ]
# Patients whose psychology a funder pays for.
FUNDED_PATIENTS = [
    "Zara Hussain", "Samuel Brooks", "Imogen Kelly", "Reuben Ellis",
    "Phoebe Grant", "Joshua Palmer", "Harriet Doyle", "Elliot Marsh",
    "Matilda Cole", "Callum Reid",
    ]
FUNDERS = [
    ("Westcountry Health Insurance", 'WHI'),
    ("Bristol Talking Therapies (NHS)", 'BTT'),
    ]
HISTORY_DAYS = 175


def create_history(demo):
    """Months of care before today, for the visit-fairness report and the
    dispute bundle, by the three practitioners on all four payment routes:

    - 24 patients paid per visit (posted invoices of the service, with the
      practitioner), from physiotherapy and massage packs (redemptions, two
      packs discharged) and a psychology pack sold under signed terms;
    - 10 Massage Club members enrolled months back: their fees invoiced and
      posted month by month by the renewal (Membership.renew on each day a
      period starts), most monthly massages redeemed with Ben Carter before
      the next renewal, the others lapsed;
    - 10 psychology patients with Dr Okafor on funded referrals (packs
      entered by hand with the funder's approval, at 0.00: no invoice paid
      for them, so they hold no contract liability);
    - a few per-visit massages of the funded patients and psychology of the
      members, so that Ben Carter's and Dr Okafor's per-visit episodes (10
      each) are enough for the report's verdict on the membership and
      funder routes (10 or more episodes each: a member's lapsed month can
      leave over 60 days between two massages, a new episode).

    The access part of the fees is recognised through today, as the daily
    cron does.

    Physiotherapy with Dr Patel has 12 episodes paid per visit and 12 from
    packs, so the report gives a difference with its interval.  Everything
    is built in lists (few calls) and dated no earlier than 1 January, in
    the fiscal years the demo has; invoices are posted in date order (the
    host numbers them so), the membership fees among the others."""
    from proteus import Wizard
    from proteus.config import get_config
    Party = Model.get('party.party')
    Category = Model.get('party.category')
    Invoice = Model.get('account.invoice')
    Pack = Model.get('clinic.pack')
    Redemption = Model.get('clinic.pack.redemption')
    Membership = Model.get('clinic.membership')
    Period = Model.get('clinic.membership.period')
    today = demo.today
    start = max(dt.date(today.year, 1, 1),
        today - dt.timedelta(days=HISTORY_DAYS))

    def day(offset):
        "The date offset days into the history, never after yesterday."
        return min(start + dt.timedelta(days=offset),
            max(start, today - dt.timedelta(days=1)))

    patient_category, = Category.find([('name', '=', "Patient")])

    def patients(names):
        parties = []
        for name in names:
            party = Party(name=name)
            party.categories.append(Category(patient_category.id))
            party.contact_mechanisms.new(type='email',
                value='%s@example.com' % name.lower().replace(' ', '.'))
            party.customer_payment_term = demo.payment_term
            parties.append(party)
        Party.save(parties)
        return parties
    parties = patients(HISTORY_PATIENTS)
    members = patients([name for name, _ in MEMBERS])
    funded = patients(FUNDED_PATIENTS)
    funders = [Party(name=name) for name, _ in FUNDERS]
    Party.save(funders)
    demo.history_patients = parties
    demo.members = members
    demo.funded_patients = funded
    demo.funders = funders
    maya, ben, grace = demo.practitioners
    products = demo.products

    def invoice(party, product, date, practitioner=None):
        record = Invoice(type='out', party=party, invoice_date=date)
        # Due from today: a payment date in the past is refused with a
        # warning (the patients of the history have not paid yet).
        record.payment_term_date = today
        line = record.lines.new()
        line.product = product
        line.quantity = 1
        line.unit_price = product.template.list_price
        if practitioner:
            line.practitioner = practitioner
        return record

    # Paid per visit: physiotherapy with Dr Patel (12 episodes of 2 to 5
    # visits, weekly), massage with Ben Carter and psychology with
    # Dr Okafor (6 episodes each, and 4 more each below).
    visits = []
    for i, party in enumerate(parties[:12]):
        for k in range(2 + i % 4):
            visits.append(invoice(party, products["Physiotherapy session"],
                    day(i * 5 + k * 7), maya))
    for i, party in enumerate(parties[12:18]):
        for k in range(1 + i % 3):
            visits.append(invoice(party, products["Sports massage"],
                    day(10 + i * 9 + k * 10), ben))
    for i, party in enumerate(parties[:6]):
        for k in range(3 + i % 2):
            visits.append(invoice(party, products["Psychology session"],
                    day(20 + i * 8 + k * 14), grace))
    # A massage paid at the desk for four funded psychology patients, and
    # psychology paid per visit for four members (other categories of
    # care than their pack's: other episodes).
    for i, party in enumerate(funded[:4]):
        for k in range(1 + i % 3):
            visits.append(invoice(party, products["Sports massage"],
                    day(12 + i * 20 + k * 10), ben))
    for i, party in enumerate(members[6:]):
        for k in range(2 + i % 2):
            visits.append(invoice(party, products["Psychology session"],
                    day(30 + i * 15 + k * 14), grace))
    # Signed terms for the psychology pack: the dispute bundle holds them.
    psychology_patient = parties[6]
    Consent = Model.get('clinic.consent')
    Attachment = Model.get('ir.attachment')
    consent = Consent(party=psychology_patient,
        template=demo.consent_templates["Psychological therapy consent"],
        signer_name=psychology_patient.name)
    consent.save()
    document = Attachment(name="consent-%s.pdf"
        % psychology_patient.name.lower().replace(' ', '-'),
        resource=consent,
        data=b'%PDF-1.4\n% Psychological therapy consent, signed by '
        + psychology_patient.name.encode() + b'\n%%EOF\n')
    document.save()
    consent.document = document
    consent.click('sign')
    # Packs: physiotherapy with Dr Patel (12, 3 to 6 sessions used: the
    # full ones exhaust), massage 5+1 with Ben Carter (6) and psychology.
    sales = []
    for i, party in enumerate(parties[12:]):
        sales.append((invoice(party, products["6 Physio sessions pack"],
                    day(i * 6)), products["Physiotherapy session"], maya,
                [i * 6 + k * 7 for k in range(3 + i % 4)]))
    for i, party in enumerate(parties[:6]):
        sales.append((invoice(party, products["Massage 5+1 pack"],
                    day(30 + i * 7)), products["Sports massage"], ben,
                [30 + i * 7 + k * 9 for k in range(2 + i % 5)]))
    sales.append((invoice(psychology_patient,
                products["4 Psychology sessions pack"], day(40)),
            products["Psychology session"], grace, [40, 54]))
    # Numbered in date order: the history before today's sales, the
    # membership fees among it (below).
    pending = sorted(visits + [s[0] for s in sales],
        key=lambda i: i.invoice_date)
    Invoice.save(pending)

    def post_through(date):
        "Post the pending invoices dated date or earlier."
        nonlocal pending
        due = [i for i in pending if i.invoice_date <= date]
        if due:
            Invoice.click(due, 'post')
            pending = pending[len(due):]

    # The Massage Club: each member joins on their day; on each day a
    # period starts the renewal invoices its fee and issues its massage,
    # after the massages of the period before were used (or lapse).
    club = demo.membership_plans["Massage Club"]
    club_template = demo.pack_templates["Massage Club: 1 massage a month"]
    memberships = [Membership(company=demo.company, party=party, plan=club,
            start_date=day(offset))
        for party, (_, offset) in zip(members, MEMBERS)]
    Membership.save(memberships)
    member_index = {p.id: i for i, p in enumerate(members)}
    issued = {}
    planned = []

    def redeem_before(date):
        "Redeem the planned massages dated before date."
        nonlocal planned
        due = sorted((d, p) for d, p in planned if d < date)
        planned = [(d, p) for d, p in planned if d >= date]
        records = [Redemption(pack=Pack(pack_id),
                product=products["Sports massage"], date=d, employee=ben)
            for d, pack_id in due]
        if records:
            Redemption.save(records)
            Redemption.click(records, 'do')

    context = get_config().context
    ids = [m.id for m in memberships]
    while True:
        due = {}
        for membership in Membership.find([('id', 'in', ids)]):
            date = (membership.start_date if membership.state == 'draft'
                else membership.next_period_start)
            if date and date <= today:
                due.setdefault(date, []).append(membership)
        if not due:
            break
        date = min(due)
        post_through(date)
        redeem_before(date)
        drafts = [m for m in due[date] if m.state == 'draft']
        if drafts:
            Membership.click(drafts, 'activate')
        if len(drafts) < len(due[date]):
            Membership.renew(date, context)
        # Most months a member uses the massage, some months it lapses.
        for pack in Pack.find([
                    ('template', '=', club_template.id),
                    ('start_date', '=', date),
                    ]):
            i = member_index[pack.party.id]
            k = issued[i] = issued.get(i, -1) + 1
            used = date + dt.timedelta(days=2 + (3 * i + 5 * k) % 20)
            if (i + k) % 4 != 3 and used <= pack.expiry_date and used < today:
                planned.append((used, pack.id))
    post_through(dt.date.max)
    redeem_before(today)
    # The access part of the fees earned so far, as the daily cron does.
    Period.recognise_fees(today, context)

    # Funded psychology with Dr Okafor: each referral approves six sessions
    # for six months; 3 to 6 used, fortnightly.
    funded_packs = []
    for i, party in enumerate(funded):
        name, prefix = FUNDERS[i % len(FUNDERS)]
        begin = day(15 + i * 12)
        pack = Pack(company=demo.company, party=party,
            template=demo.pack_templates[
                "Funded psychology referral: 6 sessions"])
        pack.start_date = begin
        pack.quantity = Decimal(6)
        # Entered by hand, not sold: no invoice credited a liability.
        pack.amount = Decimal('0.00')
        pack.funder = funders[i % len(funders)]
        pack.funder_reference = '%s-%04d' % (prefix, 2100 + 37 * i)
        pack.funder_start_date = begin
        pack.funder_end_date = begin + dt.timedelta(days=182)
        funded_packs.append((pack, [15 + i * 12 + k * 14
                    for k in range(3 + i % 4)]))
    Pack.save([p for p, _ in funded_packs])
    Pack.click([p for p, _ in funded_packs], 'activate')

    redemptions = []
    packs = []
    for sale, service, practitioner, offsets in sales:
        pack, = Pack.find([
                ('origin', '=', 'account.invoice.line,%s'
                    % sale.lines[0].id)])
        packs.append(pack)
        for offset in offsets:
            redemptions.append(Redemption(pack=pack, product=service,
                    date=day(offset), employee=practitioner))
    for pack, offsets in funded_packs:
        for offset in offsets:
            redemptions.append(Redemption(pack=pack,
                    product=products["Psychology session"],
                    date=day(offset), employee=grace))
    Redemption.save(redemptions)
    Redemption.click(redemptions, 'do')
    # Two physiotherapy patients recovered after three sessions: care is
    # complete, the unused sessions are refunded.
    for pack in [packs[0], packs[4]]:
        pack.reload()
        last = max(r.date for r in pack.redemptions)
        discharge = Wizard('clinic.pack.discharge', [pack])
        discharge.form.date = last
        discharge.form.employee = maya
        discharge.form.reason = "Goals met: pain-free and back to running."
        discharge.execute('discharge')
    demo.history_packs = packs
    demo.funded_packs = [p for p, _ in funded_packs]
    demo.memberships = memberships
    demo.dispute_pack = packs[-1]


STEPS = [
    create_currency,
    create_company,
    create_fiscal_years,
    create_chart,
    create_pack_accounts,
    create_payment_term,
    create_parties,
    create_employees,
    create_product_categories,
    create_products,
    create_pack_templates,
    create_membership_plans,
    configure_pack_accounting,
    create_payment_methods,
    close_module_configuration,
    create_uk_language,
    create_users,
    create_history,
    sell_packs,
    ]


def populate(today=None):
    """Create the demo clinic in the current proteus configuration.

    Return the Demo namespace, or None when the clinic already exists."""
    Company = Model.get('company.company')
    if Company.find([('party.name', '=', COMPANY_NAME)]):
        return None
    demo = Demo(today=today or dt.date.today())
    for step in STEPS:
        step(demo)
    return demo


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', '-c', required=True,
        help="the trytond configuration file")
    parser.add_argument('--database', '-d', required=True)
    args = parser.parse_args(argv)
    proteus_config.set_trytond(
        database=args.database, config_file=args.config)
    if populate() is None:
        print("%s already exists in %s: nothing to do"
            % (COMPANY_NAME, args.database))
    else:
        print("Created %s in %s" % (COMPANY_NAME, args.database))


if __name__ == '__main__':
    sys.exit(main())
