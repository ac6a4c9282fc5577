#!/usr/bin/env python3
# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Extend a copy of the demo clinic for the role-based RPC tests.

    python tests/rpc_clinic.py --config trytond.conf --database DB \\
        --output clinic.json

The database holds the demo clinic (setup/demo_data.py).  This adds, as the
admin user through proteus:

- the packs administrator `packsadmin` (Clinic Packs and Clinic Packs
  Administration) in company A, the demo's "Riverside Physio & Wellness";
- a second company B, "Harbourside Clinic" (GBP), with its fiscal year,
  chart, pack accounts and pack accounting configuration, a patient, a pack
  template and an active pack, and its front-desk user `deskb` (company B
  only);
- in company A: a transferable template, signed consents with their
  documents, packs and memberships dedicated to each test, so that the
  tests do not depend on each other's outcome.

Everything is created the way a clinic would (draft, then the workflow's
buttons).  The ids go to the --output JSON file, which the fixture reads.
"""
import argparse
import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path

from proteus import Model
from proteus import config as proteus_config

# The demo's own lookup of groups by XML id, which differs between series.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'setup'))
from demo_data import group_ids  # noqa: E402

COMPANY_A = "Riverside Physio & Wellness"
COMPANY_B = "Harbourside Clinic"

# login: (password, name, groups (XML ids), company key)
USERS = {
    'packsadmin': ('clinicboss', "Packs Administrator",
        ['clinic_packs.group_clinic_packs',
            'clinic_packs.group_clinic_packs_admin'], 'A'),
    'deskb': ('harbourdesk', "Harbourside Front Desk",
        ['clinic_packs.group_clinic_packs'], 'B'),
    # An accountant of company B only: company A's settings are not hers.
    # By XML id: the host names its groups "Accounting" on 8.0.
    'booksb': ('harbourbooks', "Harbourside Accountant",
        ['account.group_account', 'account.group_account_admin'], 'B'),
    }
# The demo's users, for the tests.
DEMO_PASSWORDS = {
    'admin': 'clinicadmin',
    'frontdesk': 'clinicdesk',
    'accountant': 'clinicbooks',
    }

# name: (patient, template key, quantity, amount, redemptions done)
PACKS_A = {
    # test_rpc_races: exactly 5 sessions left.
    'race': ("Sofia Rossi", 'physio', 5, '250.00', 0),
    # test_rpc_roles, cross-company: the pack deskb of company B aims at.
    'cross_company': ("Jane Doe", 'physio', 6, '300.00', 0),
    # test_rpc_roles, write guards: each its own pack.
    'guard_balance': ("Liam O'Brien", 'physio', 6, '300.00', 1),
    'guard_issued': ("Liam O'Brien", 'physio', 6, '300.00', 0),
    'guard_party': ("Liam O'Brien", 'physio', 6, '300.00', 0),
    'guard_redemption': ("Liam O'Brien", 'physio', 6, '300.00', 1),
    'guard_accountant': ("Liam O'Brien", 'physio', 6, '300.00', 1),
    # buttons per group
    'buttons_do': ("Aisha Khan", 'physio', 6, '300.00', 0),
    'buttons_cancel': ("Aisha Khan", 'physio', 6, '300.00', 3),
    'redeem_wizard': ("Aisha Khan", 'physio', 6, '300.00', 0),
    'extend': ("Aisha Khan", 'physio', 6, '300.00', 1),
    'refund': ("Aisha Khan", 'physio', 6, '300.00', 1),
    'merge_1': ("Tom Baker", 'physio', 6, '300.00', 2),
    'merge_2': ("Tom Baker", 'physio', 6, '300.00', 1),
    'transfer': ("Tom Baker", 'transferable', 3, '140.00', 0),
    # bounds
    'bounds_active': ("Sofia Rossi", 'physio', 6, '300.00', 0),
    'bounds_finite': ("Sofia Rossi", 'physio', 6, '300.00', 0),
    }

# name: (member, activate, start in days from today)
MEMBERSHIPS_A = {
    'race': ("Aisha Khan", False, 0),
    'active': ("Liam O'Brien", True, 0),
    'cancel_before_start': ("Sofia Rossi", True, 0),
    }


class Clinic:
    "The records created, by role, and the ids written out."

    def __init__(self, today):
        self.today = today
        self.ids = {
            'today': today.isoformat(),
            'passwords': {**DEMO_PASSWORDS,
                **{k: v[0] for k, v in USERS.items()}},
            'users': {}, 'companies': {}, 'parties': {}, 'products': {},
            'templates': {}, 'packs': {}, 'redemptions': {},
            'consents': {}, 'attachments': {}, 'memberships': {},
            'plans': {}, 'accounts': {}, 'employees': {}, 'invoices': {},
            }


def switch_company(company):
    "Make company the admin's current company, in the proteus context too."
    User = Model.get('res.user')
    config = proteus_config.get_config()
    admin = User(config.user)
    if company not in admin.companies:
        admin.companies.append(type(company)(company.id))
    admin.company = company
    admin.save()
    config._context = User.get_preferences(True, {})


def company_a(clinic):
    Company = Model.get('company.company')
    company, = Company.find([('party.name', '=', COMPANY_A)])
    clinic.company_a = company
    clinic.ids['companies']['A'] = company.id
    Party = Model.get('party.party')
    for party in Party.find([]):
        clinic.ids['parties'][party.name] = party.id
    Product = Model.get('product.product')
    for product in Product.find([]):
        clinic.ids['products'][product.template.name] = product.id
    Template = Model.get('clinic.pack.template')
    for template in Template.find([]):
        clinic.ids['templates'][template.name] = template.id
    Plan = Model.get('clinic.membership.plan')
    for plan in Plan.find([]):
        clinic.ids['plans'][plan.name] = plan.id
    Employee = Model.get('company.employee')
    for employee in Employee.find([]):
        clinic.ids['employees'][employee.party.name] = employee.id
    Configuration = Model.get('account.configuration')
    configuration = Configuration(1)
    clinic.ids['accounts']['A'] = {
        'contract_liability': configuration.contract_liability_account.id,
        }


def company_b(clinic):
    """Harbourside Clinic: a second clinic on the same server, complete
    enough to sell and redeem its own packs."""
    from trytond.modules.account.tests.tools import (
        create_chart, create_fiscalyear, get_accounts)
    from trytond.modules.account_invoice.tests.tools import (
        set_fiscalyear_invoice_sequences)
    from trytond.modules.company.tests.tools import create_company
    Party = Model.get('party.party')
    Company = Model.get('company.company')
    Account = Model.get('account.account')
    AccountType = Model.get('account.account.type')
    Journal = Model.get('account.journal')
    Category = Model.get('product.category')
    Uom = Model.get('product.uom')
    ProductTemplate = Model.get('product.template')
    Product = Model.get('product.product')
    Template = Model.get('clinic.pack.template')
    Pack = Model.get('clinic.pack')
    Configuration = Model.get('account.configuration')

    party = Party(name=COMPANY_B)
    party.save()
    create_company(party=party, currency=clinic.company_a.currency)
    company, = Company.find([('party', '=', party.id)])
    company.timezone = 'Europe/London'
    company.save()
    clinic.company_b = company
    clinic.ids['companies']['B'] = company.id
    switch_company(company)

    fiscalyear = set_fiscalyear_invoice_sequences(
        create_fiscalyear(company, clinic.today))
    fiscalyear.click('create_period')
    create_chart(company)
    accounts = get_accounts(company)

    # The liabilities the payable account is one of: "Current" under
    # "Liability" in 7.0's minimal chart, "Liabilities" in 8.0's.
    liability_type = AccountType(accounts['payable'].type.parent.id)
    revenue = accounts['revenue']
    # Beside the revenue account, under its first untyped ancestor (or the
    # root): 8.0 wants a child of a typed account to have the parent's type.
    parent = revenue.parent
    while parent.type and parent.parent:
        parent = parent.parent

    def account(name, type_):
        record = Account(name=name, type=type_, parent=parent,
            company=company, reconcile=False, party_required=False)
        record.save()
        return record

    journal, = Journal.find([('code', '=', 'MISC'), ('type', '=', 'general')])
    configuration = Configuration(1)
    configuration.contract_liability_account = account(
        "Contract Liabilities - Packs", liability_type)
    configuration.breakage_revenue_account = account(
        "Breakage Revenue", revenue.type)
    configuration.breakage_accrual_account = account(
        "Breakage Accrual", liability_type)
    configuration.unclaimed_property_account = account(
        "Unclaimed Property Payable", liability_type)
    configuration.pack_journal = journal
    configuration.save()
    clinic.ids['accounts']['B'] = {
        'contract_liability': configuration.contract_liability_account.id,
        }

    category = Category(name="Harbourside services", accounting=True)
    category.account_revenue = revenue
    category.account_expense = accounts['expense']
    category.save()
    unit, = Uom.find([('name', '=', "Unit")])
    products = {}
    for name, code, price in [
            ("Harbourside physiotherapy session", 'HB-PHYSIO', '40.00'),
            ("Harbourside 4 sessions pack", 'HB-PACK4', '150.00')]:
        template = ProductTemplate(name=name, code=code, type='service',
            default_uom=unit, list_price=Decimal(price))
        template.account_category = category
        template.save()
        product, = template.products
        products[name] = product
        clinic.ids['products'][name] = product.id

    patient = Party(name="Harriet Harbour")
    patient.save()
    clinic.ids['parties'][patient.name] = patient.id

    template = Template(
        name="Harbourside 4 sessions", company=company,
        product=products["Harbourside 4 sessions pack"],
        unit='session', quantity=Decimal(4), bonus_quantity=Decimal(0),
        validity_months=6, grace_days=0, refund_policy='pro_rata')
    template.services.append(
        Product(products["Harbourside physiotherapy session"].id))
    template.save()
    clinic.ids['templates'][template.name] = template.id

    pack = Pack(company=company, party=patient, template=template,
        currency=company.currency, start_date=clinic.today,
        quantity=Decimal(4), amount=Decimal('150.00'))
    pack.save()
    pack.click('activate')
    clinic.ids['packs']['B'] = pack.id

    switch_company(clinic.company_a)


def users(clinic):
    User = Model.get('res.user')
    Group = Model.get('res.group')
    companies = {'A': clinic.company_a, 'B': clinic.company_b}
    for login, (password, name, groups, key) in USERS.items():
        company = companies[key]
        user = User(login=login, name=name, password=password)
        user.groups.extend(Group.find([('id', 'in', group_ids(groups))]))
        # Only their own company: the default is the creating admin's.
        while user.companies:
            user.companies.pop()
        user.companies.append(type(company)(company.id))
        user.company = company
        user.save()
    for user in User.find([('login', 'in',
                    list(clinic.ids['passwords']))]):
        clinic.ids['users'][user.login] = user.id


def transferable_template(clinic):
    "A transferable pack, for the transfer wizard."
    Uom = Model.get('product.uom')
    Category = Model.get('product.category')
    ProductTemplate = Model.get('product.template')
    Product = Model.get('product.product')
    Template = Model.get('clinic.pack.template')
    unit, = Uom.find([('name', '=', "Unit")])
    category, = Category.find([('name', '=', "Treatment Packs")])
    product_template = ProductTemplate(
        name="3 Physio sessions pack (transferable)", code='PACK-PHYSIO3T',
        type='service', default_uom=unit, list_price=Decimal('140.00'))
    product_template.account_category = category
    product_template.save()
    product, = product_template.products
    template = Template(
        name="3 physiotherapy sessions, transferable",
        company=clinic.company_a, product=product, unit='session',
        quantity=Decimal(3), bonus_quantity=Decimal(0), validity_months=6,
        grace_days=0, refund_policy='pro_rata', transferable=True)
    template.services.append(
        Product(clinic.ids['products']["Physiotherapy session"]))
    template.save()
    clinic.ids['templates'][template.name] = template.id
    clinic.ids['products'][product_template.name] = product.id


def consents(clinic):
    """Signed consents of company A, each with its signed document: one for
    the cross-company tests, one for the rewrite guards."""
    Party = Model.get('party.party')
    ConsentTemplate = Model.get('clinic.consent.template')
    Consent = Model.get('clinic.consent')
    Attachment = Model.get('ir.attachment')
    terms = ConsentTemplate(
        name="Pack terms", company=clinic.company_a,
        terms="Unused sessions are refunded pro rata; packs expire after "
        "six months.")
    terms.save()
    for key, patient in [('cross_company', "Jane Doe"),
            ('rewrite', "Tom Baker")]:
        party = Party(clinic.ids['parties'][patient])
        consent = Consent(company=clinic.company_a, party=party,
            template=terms, signer_name=patient, method='in_person')
        consent.save()
        document = Attachment(
            name='consent-%s.pdf' % key, resource=consent,
            data=('%%PDF-1.4 consent signed by %s' % patient).encode())
        document.save()
        consent.document = document
        consent.save()
        consent.click('sign')
        clinic.ids['consents'][key] = consent.id
        clinic.ids['attachments'][key] = document.id


def packs(clinic):
    """Packs issued by hand (draft, then Activate), some used: each test
    has its own."""
    Party = Model.get('party.party')
    Product = Model.get('product.product')
    Template = Model.get('clinic.pack.template')
    Pack = Model.get('clinic.pack')
    Redemption = Model.get('clinic.pack.redemption')
    templates = {
        'physio': Template(clinic.ids['templates']["6 physiotherapy sessions"]),
        'transferable': Template(clinic.ids['templates'][
                "3 physiotherapy sessions, transferable"]),
        }
    service = Product(clinic.ids['products']["Physiotherapy session"])
    company = clinic.company_a
    created = {}
    for name, (patient, template, quantity, amount, used) in (
            PACKS_A.items()):
        pack = Pack(company=company, party=Party(clinic.ids['parties'][
                    patient]),
            template=templates[template], currency=company.currency,
            start_date=clinic.today, quantity=Decimal(quantity),
            amount=Decimal(amount), note="rpc test: %s" % name)
        pack.save()
        created[name] = pack
    Pack.click(list(created.values()), 'activate')
    for name, pack in created.items():
        clinic.ids['packs'][name] = pack.id
        used = PACKS_A[name][4]
        for index in range(used):
            redemption = Redemption(pack=pack, product=service,
                date=clinic.today, quantity=1)
            redemption.save()
            redemption.click('do')
            clinic.ids['redemptions']['%s_%s' % (name, index)] = (
                redemption.id)


def memberships(clinic):
    "Memberships of the demo's Wellness Monthly plan."
    Party = Model.get('party.party')
    Plan = Model.get('clinic.membership.plan')
    Membership = Model.get('clinic.membership')
    plan = Plan(clinic.ids['plans']["Wellness Monthly"])
    for name, (member, activate, days) in MEMBERSHIPS_A.items():
        membership = Membership(company=clinic.company_a,
            party=Party(clinic.ids['parties'][member]), plan=plan,
            start_date=clinic.today + dt.timedelta(days=days))
        membership.save()
        if activate:
            membership.click('activate')
        clinic.ids['memberships'][name] = membership.id


def credit_notes(clinic):
    """Two posted invoices of company A for the accountant to credit: an
    unused pack sold on an invoice, and a product sold as a plain service
    that the clinic has made a pack since."""
    Party = Model.get('party.party')
    Uom = Model.get('product.uom')
    Category = Model.get('product.category')
    ProductTemplate = Model.get('product.template')
    Product = Model.get('product.product')
    Template = Model.get('clinic.pack.template')
    Invoice = Model.get('account.invoice')
    party = Party(clinic.ids['parties']["Sofia Rossi"])

    def sell(product, price):
        invoice = Invoice(type='out', party=party, invoice_date=clinic.today)
        line = invoice.lines.new()
        line.product = product
        line.quantity = 1
        line.unit_price = Decimal(price)
        invoice.click('post')
        return invoice
    clinic.ids['invoices']['credit_pack'] = sell(
        Product(clinic.ids['products']["6 Physio sessions pack"]),
        '275.00').id

    unit, = Uom.find([('name', '=', "Unit")])
    category, = Category.find([('name', '=', "Treatment Packs")])
    product_template = ProductTemplate(
        name="4 Reflexology sessions", code='REFLEX4', type='service',
        default_uom=unit, list_price=Decimal('160.00'))
    product_template.account_category = category
    product_template.save()
    product, = product_template.products
    clinic.ids['invoices']['credit_service'] = sell(product, '160.00').id
    template = Template(
        name="4 reflexology sessions", company=clinic.company_a,
        product=product, unit='session', quantity=Decimal(4),
        bonus_quantity=Decimal(0), validity_months=6, grace_days=0,
        refund_policy='pro_rata')
    template.services.append(
        Product(clinic.ids['products']["Physiotherapy session"]))
    template.save()
    clinic.ids['templates'][template.name] = template.id


STEPS = [
    company_a,
    company_b,
    users,
    transferable_template,
    consents,
    packs,
    memberships,
    credit_notes,
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', '-c', required=True)
    parser.add_argument('--database', '-d', required=True)
    parser.add_argument('--output', '-o', required=True,
        help="the JSON file of the ids created")
    args = parser.parse_args(argv)
    proteus_config.set_trytond(
        database=args.database, config_file=args.config)
    clinic = Clinic(dt.date.today())
    for step in STEPS:
        step(clinic)
    with open(args.output, 'w') as output:
        json.dump(clinic.ids, output, indent=1, sort_keys=True)


if __name__ == '__main__':
    sys.exit(main())
