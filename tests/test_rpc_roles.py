# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What each role may do over JSON-RPC, against real trytond servers.

The users (see tests/rpc_clinic.py): `frontdesk` (group Clinic Packs) and
`packsadmin` (Clinic Packs and Clinic Packs Administration) of company A,
the demo's Riverside Physio & Wellness; `accountant` (the demo's, with the
Account groups); `deskb` (Clinic Packs) and `booksb` (the Account groups)
of company B, Harbourside Clinic, only.  The allowed calls work; every
forbidden call is refused with the modules' message (read from their
message.xml) and writes nothing: the
row counts of the tables a call could touch and the rows it aims at are
compared in SQL before and after.
"""
import datetime as dt
from decimal import Decimal

import pytest

from trytond.modules.clinic_packs.compat import TRYTON_8

from .rpc import (
    SPARE_BALANCE_ACCOUNT, RPCError, assert_access_refused, assert_clean_refusal, assert_message,
    assert_one_of_messages, assert_state_refused, refused)

PACK = 'clinic.pack'
REDEMPTION = 'clinic.pack.redemption'
MEMBERSHIP = 'clinic.membership'


@pytest.fixture(scope='module')
def clinic(rpc_clinic):
    return rpc_clinic


@pytest.fixture(scope='module')
def today(clinic):
    return dt.date.fromisoformat(clinic.ids['today'])


@pytest.fixture(scope='module')
def frontdesk(clinic):
    return clinic.login('frontdesk')


@pytest.fixture(scope='module')
def packsadmin(clinic):
    # On the second server: both serve the same clinic.
    return clinic.login('packsadmin', server=1)


@pytest.fixture(scope='module')
def accountant(clinic):
    return clinic.login('accountant')


@pytest.fixture(scope='module')
def deskb(clinic):
    return clinic.login('deskb', server=1)


@pytest.fixture(scope='module')
def booksb(clinic):
    return clinic.login('booksb')


def ids(clinic, kind, name):
    return clinic.ids[kind][name]


# --- a. company isolation ------------------------------------------------

def test_deskb_redeem_wizard_refuses_company_a_pack(clinic, deskb, today):
    """deskb opens the redeem wizard on its own patient and types the id of
    a company A pack (and its patient): refused, nothing written in A."""
    pack_id = ids(clinic, 'packs', 'cross_company')
    own_patient = ids(clinic, 'parties', "Harriet Harbour")
    before = clinic.snapshot(('clinic_pack', pack_id))
    wizard = deskb.wizard('clinic.pack.redeem', 'party.party', [own_patient],
        action_id=clinic.action_id('clinic_packs.wizard_redeem_party'))
    try:
        wizard.execute('start')
        error = refused(wizard.submit, 'start', 'redeem',
            party=ids(clinic, 'parties', "Jane Doe"),
            pack=pack_id,
            product=ids(clinic, 'products', "Physiotherapy session"),
            date=today, quantity=1.0, uom=None, employee=None)
    finally:
        wizard.delete()
    clinic.assert_unchanged(before, ('clinic_pack', pack_id))
    assert_message(error, 'clinic_packs.msg_company_forbidden', id=pack_id)


def test_deskb_cannot_create_redemption_on_company_a_pack(
        clinic, deskb, today):
    "A redemption of company B on a company A pack is refused."
    Redemption = deskb.model(REDEMPTION)
    pack_id = ids(clinic, 'packs', 'cross_company')
    before = clinic.snapshot(('clinic_pack', pack_id))
    error = refused(Redemption.create, [{
                'pack': pack_id,
                'party': ids(clinic, 'parties', "Jane Doe"),
                'company': ids(clinic, 'companies', 'B'),
                'product': ids(clinic, 'products', "Physiotherapy session"),
                'date': today,
                'quantity': 1.0,
                }])
    clinic.assert_unchanged(before, ('clinic_pack', pack_id))
    assert_access_refused(error, [
            'clinic_packs.msg_company_forbidden',
            'clinic_packs.msg_redemption_company'])


def test_pack_figures_of_party_stay_in_company(clinic, frontdesk, deskb):
    """The front desk of A sees Jane's pack figures; deskb, of company B
    only, never gets them, not even with company A in its context."""
    jane = ids(clinic, 'parties', "Jane Doe")
    names = ['pack_balance', 'pack_sessions_left']
    (own,) = frontdesk.model('party.party').read([jane], names)
    assert own['pack_balance'] > 0 and own['pack_sessions_left'] > 0, own

    (in_b,) = deskb.model('party.party').read([jane], names)
    assert not in_b['pack_balance'] and not in_b['pack_sessions_left'], (
        in_b)

    context = deskb.with_context(company=ids(clinic, 'companies', 'A'))
    try:
        (in_a,) = deskb.model('party.party').read(
            [jane], names, context=context)
    except RPCError as error:  # refusing is fine, cleanly
        assert_clean_refusal(error)
    else:
        assert not in_a['pack_balance'] and not in_a['pack_sessions_left'], (
            "deskb read company A's figures: %s" % in_a)


def test_consent_document_of_other_company(clinic, frontdesk, deskb):
    """deskb can neither read nor overwrite the signed document of a
    company A consent, given its id; the front desk of A reads it."""
    attachment = ids(clinic, 'attachments', 'cross_company')
    Attachment = deskb.model('ir.attachment')
    (data,) = frontdesk.model('ir.attachment').read([attachment], ['data'])
    assert data['data'].startswith(b'%PDF'), data

    error = refused(Attachment.read, [attachment], ['data'])
    assert_clean_refusal(error)

    before = clinic.snapshot(('ir_attachment', attachment))
    error = refused(Attachment.write, [attachment],
        {'data': b'%PDF-1.4 forged'})
    clinic.assert_unchanged(before, ('ir_attachment', attachment))
    assert_clean_refusal(error)
    (after,) = frontdesk.model('ir.attachment').read([attachment], ['data'])
    assert after['data'] == data['data']


def test_deskb_sees_only_company_b_packs(clinic, deskb, frontdesk):
    "Searches and reads of packs stay in the user's companies."
    company_b = ids(clinic, 'companies', 'B')
    expected = {i for i, in clinic.query(
            "SELECT id FROM clinic_pack WHERE company = %s", (company_b,))}
    found = set(deskb.model(PACK).search([]))
    assert found == expected
    assert ids(clinic, 'packs', 'B') in found

    error = refused(deskb.model(PACK).read,
        [ids(clinic, 'packs', 'cross_company')], ['remaining_quantity'])
    assert_access_refused(error)

    assert not set(frontdesk.model(PACK).search([])) & expected


def test_deskb_redeems_own_pack(clinic, deskb, today):
    """The allowed counterpart: deskb redeems a session of its own patient
    with the wizard; the revenue is posted in company B."""
    pack_id = ids(clinic, 'packs', 'B')
    patient = ids(clinic, 'parties', "Harriet Harbour")
    before = clinic.pack(pack_id)
    wizard = deskb.wizard('clinic.pack.redeem', 'party.party', [patient],
        action_id=clinic.action_id('clinic_packs.wizard_redeem_party'))
    wizard.run('start', 'redeem', pack=pack_id,
        product=ids(clinic, 'products', "Harbourside physiotherapy session"),
        date=today, quantity=1.0)
    after = clinic.pack(pack_id)
    assert after['remaining_quantity'] == before['remaining_quantity'] - 1
    (redemption, company), = clinic.query(
        "SELECT id, company FROM clinic_pack_redemption "
        "WHERE pack = %s AND state = 'done'", (pack_id,))
    assert company == ids(clinic, 'companies', 'B')
    move, = clinic.moves_of(REDEMPTION, redemption)
    assert clinic.value("SELECT company FROM account_move WHERE id = %s",
        (move,)) == company


# --- b. write guards -------------------------------------------------------

@pytest.mark.parametrize('field, string, value', [
        ('remaining_quantity', "Remaining Quantity", Decimal(50)),
        ('remaining_amount', "Remaining Value", Decimal('999.00')),
        ('redeemed_quantity', "Redeemed Quantity", Decimal(0)),
        ('unit_value', "Unit Value", Decimal('1.00')),
        ('state', "State", 'exhausted'),
        ])
def test_pack_workflow_fields_not_writable(
        clinic, frontdesk, field, string, value):
    "Balances and state of an active pack change only through its workflow."
    pack_id = ids(clinic, 'packs', 'guard_balance')
    before = clinic.snapshot(('clinic_pack', pack_id))
    error = refused(frontdesk.model(PACK).write, [pack_id], {field: value})
    clinic.assert_unchanged(before, ('clinic_pack', pack_id))
    assert_message(error, 'clinic_packs.msg_workflow_field', field=string)


@pytest.mark.parametrize('field, string, value', [
        ('template', "Template", None),
        ('start_date', "Start Date", -10),
        ('expiry_date', "Expiry Date", 400),
        ])
def test_issued_pack_terms_not_writable(
        clinic, frontdesk, today, field, string, value):
    "The terms of an issued pack are fixed."
    pack_id = ids(clinic, 'packs', 'guard_issued')
    if field == 'template':
        value = ids(clinic, 'templates', "Massage: buy 5 get 1 free")
    else:
        value = today + dt.timedelta(days=value)
    before = clinic.snapshot(('clinic_pack', pack_id))
    error = refused(frontdesk.model(PACK).write, [pack_id], {field: value})
    clinic.assert_unchanged(before, ('clinic_pack', pack_id))
    assert_message(error, 'clinic_packs.msg_modify_issued', field=string)


def test_non_transferable_pack_party_not_writable(clinic, frontdesk):
    "Giving a non-transferable pack to another patient is refused."
    pack_id = ids(clinic, 'packs', 'guard_party')
    before = clinic.snapshot(('clinic_pack', pack_id))
    error = refused(frontdesk.model(PACK).write, [pack_id],
        {'party': ids(clinic, 'parties', "Jane Doe")})
    clinic.assert_unchanged(before, ('clinic_pack', pack_id))
    assert_message(error, 'clinic_packs.msg_modify_issued', field="Patient")


def test_pack_not_created_active(clinic, frontdesk, today):
    "A pack is created draft: creating it active is refused."
    before = clinic.snapshot()
    error = refused(frontdesk.model(PACK).create, [{
                'company': ids(clinic, 'companies', 'A'),
                'party': ids(clinic, 'parties', "Sofia Rossi"),
                'template': ids(clinic, 'templates',
                    "6 physiotherapy sessions"),
                'currency': clinic.value(
                    "SELECT currency FROM company_company WHERE id = %s",
                    (ids(clinic, 'companies', 'A'),)),
                'start_date': today,
                'quantity': Decimal(6),
                'amount': Decimal('300.00'),
                'state': 'active',
                }])
    clinic.assert_unchanged(before)
    assert_message(error, 'clinic_packs.msg_workflow_field', field="State")


@pytest.mark.parametrize('values, string', [
        ({'state': 'done'}, "State"),
        ({'units': Decimal(1)}, "Pack Units"),
        ({'amount': Decimal('50.00')}, "Value"),
        ], ids=['state', 'units', 'amount'])
def test_redemption_not_created_done(clinic, frontdesk, today, values,
        string):
    "A redemption is created draft, without units or value of its own."
    pack_id = ids(clinic, 'packs', 'guard_redemption')
    before = clinic.snapshot(('clinic_pack', pack_id))
    error = refused(frontdesk.model(REDEMPTION).create, [{
                'pack': pack_id,
                'product': ids(clinic, 'products', "Physiotherapy session"),
                'date': today,
                'quantity': 1.0,
                **values,
                }])
    clinic.assert_unchanged(before, ('clinic_pack', pack_id))
    assert_message(error, 'clinic_packs.msg_workflow_field', field=string)


@pytest.mark.parametrize('field, string, value, message', [
        ('amount', "Value", Decimal('1.00'), 'msg_workflow_field'),
        ('units', "Pack Units", Decimal(3), 'msg_workflow_field'),
        ('state', "State", 'draft', 'msg_workflow_field'),
        # The redemption's own message: cancel it instead.
        ('date', "Date", -1, 'msg_redemption_modify_done'),
        ('product', "Service", None, 'msg_redemption_modify_done'),
        ])
def test_done_redemption_not_writable(
        clinic, frontdesk, today, field, string, value, message):
    "A done redemption is never edited: it is cancelled."
    redemption = ids(clinic, 'redemptions', 'guard_redemption_0')
    pack_id = ids(clinic, 'packs', 'guard_redemption')
    if field == 'date':
        value = today + dt.timedelta(days=value)
    elif field == 'product':
        value = ids(clinic, 'products', "Initial assessment")
    records = [('clinic_pack', pack_id),
        ('clinic_pack_redemption', redemption)]
    before = clinic.snapshot(*records)
    error = refused(frontdesk.model(REDEMPTION).write, [redemption],
        {field: value})
    clinic.assert_unchanged(before, *records)
    if message == 'msg_workflow_field':
        assert_message(error, 'clinic_packs.' + message, field=string)
    else:
        assert_message(error, 'clinic_packs.' + message)


def test_done_redemption_not_deleted(clinic, frontdesk, packsadmin):
    "Neither the front desk nor the packs administrator deletes it."
    redemption = ids(clinic, 'redemptions', 'guard_redemption_0')
    pack_id = ids(clinic, 'packs', 'guard_redemption')
    records = [('clinic_pack', pack_id),
        ('clinic_pack_redemption', redemption)]
    for client in [frontdesk, packsadmin]:
        before = clinic.snapshot(*records)
        error = refused(client.model(REDEMPTION).delete, [redemption])
        clinic.assert_unchanged(before, *records)
        assert_access_refused(error, [
                'clinic_packs.msg_redemption_delete_done',
                'clinic_packs.msg_modify_issued',
                'clinic_packs.msg_workflow_field'])


def test_membership_not_created_active(clinic, frontdesk, today):
    "A membership is created draft: creating it active is refused."
    before = clinic.snapshot()
    error = refused(frontdesk.model(MEMBERSHIP).create, [{
                'company': ids(clinic, 'companies', 'A'),
                'party': ids(clinic, 'parties', "Tom Baker"),
                'plan': ids(clinic, 'plans', "Wellness Monthly"),
                'start_date': today,
                'state': 'active',
                }])
    clinic.assert_unchanged(before)
    assert_message(error, 'clinic_packs.msg_workflow_field', field="State")


@pytest.mark.parametrize('field, value', [
        ('terms', "Nothing is ever refunded."),
        ('signer_name', "Someone Else"),
        ])
def test_signed_consent_not_rewritten(clinic, frontdesk, field, value):
    "The terms and signer of a signed consent are evidence."
    consent = ids(clinic, 'consents', 'rewrite')
    before = clinic.snapshot(('clinic_consent', consent))
    error = refused(frontdesk.model('clinic.consent').write, [consent],
        {field: value})
    clinic.assert_unchanged(before, ('clinic_consent', consent))
    assert_one_of_messages(error, [
            'clinic_packs.msg_consent_modify_signed',
            'clinic_packs.msg_modify_issued',
            'clinic_packs.msg_workflow_field'])


# --- c. buttons and wizards per group ------------------------------------

def _new_redemption(clinic, client, pack_name, today):
    (redemption,) = client.model(REDEMPTION).create([{
                'pack': ids(clinic, 'packs', pack_name),
                'product': ids(clinic, 'products', "Physiotherapy session"),
                'date': today,
                'quantity': 1.0,
                }])
    return redemption


@pytest.mark.parametrize('user', ['frontdesk', 'packsadmin'])
def test_user_does_redemption(clinic, request, today, user):
    """The front desk (and the packs administrator) creates a draft
    redemption and clicks Do: it is done and its revenue move is posted,
    with the rights the button grants."""
    client = request.getfixturevalue(user)
    pack_id = ids(clinic, 'packs', 'buttons_do')
    before = clinic.pack(pack_id)
    redemption = _new_redemption(clinic, client, 'buttons_do', today)
    client.button(REDEMPTION, 'do', [redemption])
    assert clinic.value(
        "SELECT state FROM clinic_pack_redemption WHERE id = %s",
        (redemption,)) == 'done'
    assert len(clinic.moves_of(REDEMPTION, redemption)) == 1
    after = clinic.pack(pack_id)
    assert after['remaining_quantity'] == before['remaining_quantity'] - 1


def test_frontdesk_issues_pack_by_hand(clinic, frontdesk, accountant, today):
    """The front desk enters a pack by hand (a funder's, a migration): it is
    created draft and the Activate button opens it.  Once the accountant has
    set the pack opening balance account, activating it puts its value on
    the contract liability; the front desk cannot set that account."""
    company = ids(clinic, 'companies', 'A')
    liability = clinic.ids['accounts']['A']['contract_liability']
    (opening, _), = clinic.query(
        SPARE_BALANCE_ACCOUNT, {'company': company})
    setting = ('account_configuration_pack_account', clinic.value(
            "SELECT id FROM account_configuration_pack_account "
            "WHERE company = %s", (company,)))
    Configuration = 'account.configuration'
    before = clinic.snapshot(setting)
    error = refused(frontdesk.model(Configuration).write, [1],
        {'pack_opening_account': opening})
    assert_access_refused(error)
    clinic.assert_unchanged(before, setting)

    Pack = frontdesk.model(PACK)

    def issue(amount):
        (pack_id,) = Pack.create([{
                    'company': company,
                    'party': ids(clinic, 'parties', "Liam O'Brien"),
                    'template': ids(clinic, 'templates',
                        "6 physiotherapy sessions"),
                    'currency': clinic.value(
                        "SELECT currency FROM company_company WHERE id = %s",
                        (company,)),
                    'start_date': today,
                    'quantity': Decimal(6),
                    'amount': Decimal(amount),
                    }])
        assert clinic.pack(pack_id)['state'] == 'draft'
        frontdesk.button(PACK, 'activate', [pack_id])
        pack = clinic.pack(pack_id)
        assert pack['state'] == 'active'
        assert (pack['remaining_quantity'], pack['remaining_amount']) == (
            Decimal(6), Decimal(amount))
        return pack_id

    # Without the account, nothing is posted.
    early_id = issue('240.00')
    assert clinic.moves_of(PACK, early_id) == []
    assert clinic.pack(early_id)['opening_move'] is None

    accountant.model(Configuration).write([1],
        {'pack_opening_account': opening}, context={'company': company})
    try:
        # The pack activated before: the accountant posts its opening
        # afterwards, the front desk may not.
        before = clinic.snapshot(('clinic_pack', early_id))
        error = refused(frontdesk.button, PACK, 'post_opening_balance',
            [early_id])
        assert_access_refused(error)
        clinic.assert_unchanged(before, ('clinic_pack', early_id))
        accountant.button(PACK, 'post_opening_balance', [early_id])
        (move,) = clinic.moves_of(PACK, early_id)
        assert clinic.pack(early_id)['opening_move'] == move
        assert clinic.query(
            "SELECT account, debit, credit FROM account_move_line "
            "WHERE move = %s ORDER BY debit", (move,)) == [
            (liability, Decimal('0'), Decimal('240.00')),
            (opening, Decimal('240.00'), Decimal('0')),
            ]

        pack_id = issue('180.00')
        (move,) = clinic.moves_of(PACK, pack_id)
        assert clinic.pack(pack_id)['opening_move'] == move
        assert clinic.value(
            "SELECT pack_posting FROM account_move WHERE id = %s",
            (move,)) == 'opening'
        assert clinic.query(
            "SELECT account, debit, credit FROM account_move_line "
            "WHERE move = %s ORDER BY debit", (move,)) == [
            (liability, Decimal('0'), Decimal('180.00')),
            (opening, Decimal('180.00'), Decimal('0')),
            ]
    finally:
        # The other tests' packs entered by hand open against nothing.
        accountant.model(Configuration).write([1],
            {'pack_opening_account': None}, context={'company': company})


def test_accountant_of_company_b_cannot_set_company_a_accounts(
        clinic, booksb):
    """Company B's accountant sets her own company's pack accounts only:
    naming company A in the context, as a crafted call can, is refused and
    writes nothing."""
    company_a = ids(clinic, 'companies', 'A')
    company_b = ids(clinic, 'companies', 'B')
    (opening_a, _), = clinic.query(
        SPARE_BALANCE_ACCOUNT, {'company': company_a})
    tables = ['account_configuration_pack_account']
    settings = [(tables[0], i) for i, in clinic.query(
            "SELECT id FROM account_configuration_pack_account "
            "ORDER BY id")]
    before = clinic.snapshot(*settings, tables=tables)
    Configuration = booksb.model('account.configuration')
    for values in [
            {'pack_opening_account': opening_a},
            {'contract_liability_account': opening_a},
            ]:
        error = refused(Configuration.write, [1], values,
            context={'company': company_a})
        assert_message(error,
            'clinic_packs_accounting.msg_pack_accounts_other_company')
        clinic.assert_unchanged(before, *settings, tables=tables)
    # Nor does she read them.
    error = refused(Configuration.read, [1], ['contract_liability_account'],
        context={'company': company_a})
    assert_message(error,
        'clinic_packs_accounting.msg_pack_accounts_other_company')

    # Her own company's, she sets and empties again.
    (opening_b, _), = clinic.query(
        SPARE_BALANCE_ACCOUNT, {'company': company_b})
    Configuration.write([1], {'pack_opening_account': opening_b},
        context={'company': company_b})
    try:
        assert clinic.value(
            "SELECT pack_opening_account "
            "FROM account_configuration_pack_account WHERE company = %s",
            (company_b,)) == opening_b
    finally:
        Configuration.write([1], {'pack_opening_account': None},
            context={'company': company_b})
    assert clinic.value(
        "SELECT pack_opening_account FROM account_configuration_pack_account "
        "WHERE company = %s", (company_a,)) is None


def test_packsadmin_cancels_redemption(clinic, packsadmin):
    """The packs administrator cancels a done redemption: the units come
    back and the revenue move is reversed by a posted move."""
    pack_id = ids(clinic, 'packs', 'buttons_cancel')
    redemption = ids(clinic, 'redemptions', 'buttons_cancel_0')
    before = clinic.pack(pack_id)
    packsadmin.button(REDEMPTION, 'cancel', [redemption])
    assert clinic.value(
        "SELECT state FROM clinic_pack_redemption WHERE id = %s",
        (redemption,)) == 'cancelled'
    moves = clinic.moves_of(REDEMPTION, redemption)
    assert len(moves) == 2
    total, = clinic.query(
        "SELECT sum(debit - credit), sum(debit) FROM account_move_line "
        "WHERE move IN %s", (tuple(moves),))
    assert total[0] == 0 and total[1] > 0
    after = clinic.pack(pack_id)
    assert after['remaining_quantity'] == before['remaining_quantity'] + 1


def test_frontdesk_cannot_cancel_redemption(clinic, frontdesk):
    """Cancelling a done redemption belongs to the Clinic Packs
    Administration group (README, the button's groups): the front desk is
    refused, nothing written."""
    pack_id = ids(clinic, 'packs', 'buttons_cancel')
    redemption = ids(clinic, 'redemptions', 'buttons_cancel_1')
    records = [('clinic_pack', pack_id),
        ('clinic_pack_redemption', redemption)]
    before = clinic.snapshot(*records)
    error = refused(frontdesk.button, REDEMPTION, 'cancel', [redemption])
    clinic.assert_unchanged(before, *records)
    assert_access_refused(error)


@pytest.mark.parametrize('model, action', [
        ('clinic.pack', 'clinic_packs.wizard_redeem'),
        ('party.party', 'clinic_packs.wizard_redeem_party'),
        ])
def test_frontdesk_redeem_wizard(clinic, frontdesk, today, model, action):
    "The redeem wizard works for the front desk, from a pack or a patient."
    pack_id = ids(clinic, 'packs', 'redeem_wizard')
    record = pack_id if model == 'clinic.pack' else ids(
        clinic, 'parties', "Aisha Khan")
    before = clinic.pack(pack_id)
    done = clinic.value("SELECT count(*) FROM clinic_pack_redemption "
        "WHERE pack = %s AND state = 'done'", (pack_id,))
    wizard = frontdesk.wizard('clinic.pack.redeem', model, [record],
        action_id=clinic.action_id(action))
    wizard.run('start', 'redeem', pack=pack_id,
        product=ids(clinic, 'products', "Physiotherapy session"),
        date=today, quantity=1.0)
    after = clinic.pack(pack_id)
    assert after['remaining_quantity'] == before['remaining_quantity'] - 1
    redemptions = [i for i, in clinic.query(
            "SELECT id FROM clinic_pack_redemption WHERE pack = %s "
            "AND state = 'done' ORDER BY id", (pack_id,))]
    assert len(redemptions) == done + 1
    assert len(clinic.moves_of(REDEMPTION, redemptions[-1])) == 1


def _refused_wizard(clinic, client, wizard, action, pack_ids):
    "client cannot start wizard on pack_ids: refused, nothing written."
    records = [('clinic_pack', i) for i in pack_ids]
    before = clinic.snapshot(*records)
    error = refused(client.wizard, wizard, PACK, pack_ids,
        action_id=clinic.action_id(action))
    clinic.assert_unchanged(before, *records)
    assert_access_refused(error)


def test_extend_wizard(clinic, frontdesk, packsadmin):
    """The packs administrator extends a pack (later expiry, one free
    unit); the front desk may not."""
    pack_id = ids(clinic, 'packs', 'extend')
    _refused_wizard(clinic, frontdesk, 'clinic.pack.extend',
        'clinic_packs.wizard_extend', [pack_id])
    before = clinic.pack(pack_id)
    wizard = packsadmin.wizard('clinic.pack.extend', PACK, [pack_id],
        action_id=clinic.action_id('clinic_packs.wizard_extend'))
    new_expiry = before['expiry_date'] + dt.timedelta(days=30)
    wizard.run('start', 'extend', date=new_expiry,
        extra_quantity=Decimal(1), reason="Injury: treatment paused")
    after = clinic.pack(pack_id)
    assert after['expiry_date'] == new_expiry
    assert after['remaining_quantity'] == before['remaining_quantity'] + 1
    assert after['remaining_amount'] == before['remaining_amount']
    assert clinic.value("SELECT count(*) FROM clinic_pack_event "
        "WHERE pack = %s AND type = 'extension'", (pack_id,)) == 1


def test_refund_wizard(clinic, frontdesk, packsadmin):
    """The packs administrator refunds a pack: a posted credit note and
    the pack refunded; the front desk may not."""
    pack_id = ids(clinic, 'packs', 'refund')
    _refused_wizard(clinic, frontdesk, 'clinic.pack.refund',
        'clinic_packs.wizard_refund', [pack_id])
    invoices = clinic.value("SELECT count(*) FROM account_invoice")
    wizard = packsadmin.wizard('clinic.pack.refund', PACK, [pack_id],
        action_id=clinic.action_id('clinic_packs.wizard_refund'))
    wizard.run('start', 'refund', reason="Moving abroad")
    after = clinic.pack(pack_id)
    assert after['state'] == 'refunded'
    assert after['remaining_quantity'] == 0
    assert clinic.value("SELECT count(*) FROM account_invoice") == (
        invoices + 1)
    (state,), = clinic.query(
        "SELECT i.state FROM account_invoice AS i "
        "JOIN account_invoice_line AS l ON l.invoice = i.id "
        "WHERE l.origin = %s", ('clinic.pack,%s' % pack_id,))
    assert state in {'posted', 'paid'}


def test_merge_wizard(clinic, frontdesk, packsadmin):
    """The packs administrator merges two packs of a patient into a new
    active one; the front desk may not."""
    sources = [ids(clinic, 'packs', 'merge_1'),
        ids(clinic, 'packs', 'merge_2')]
    _refused_wizard(clinic, frontdesk, 'clinic.pack.merge',
        'clinic_packs.wizard_merge', sources)
    left = sum(clinic.pack(i)['remaining_quantity'] for i in sources)
    value = sum(clinic.pack(i)['remaining_amount'] for i in sources)
    wizard = packsadmin.wizard('clinic.pack.merge', PACK, sources,
        action_id=clinic.action_id('clinic_packs.wizard_merge'))
    wizard.run('start', 'merge', reason="One pack for the patient")
    assert {clinic.pack(i)['state'] for i in sources} == {'merged'}
    merged = {clinic.pack(i)['merged_into'] for i in sources}
    assert len(merged) == 1 and None not in merged
    new = clinic.pack(merged.pop())
    assert new['state'] == 'active'
    assert (new['remaining_quantity'], new['remaining_amount']) == (
        left, value)


def test_transfer_wizard(clinic, frontdesk, packsadmin):
    """The packs administrator transfers a transferable pack to another
    patient; the front desk may not."""
    pack_id = ids(clinic, 'packs', 'transfer')
    _refused_wizard(clinic, frontdesk, 'clinic.pack.transfer',
        'clinic_packs.wizard_transfer', [pack_id])
    jane = ids(clinic, 'parties', "Jane Doe")
    wizard = packsadmin.wizard('clinic.pack.transfer', PACK, [pack_id],
        action_id=clinic.action_id('clinic_packs.wizard_transfer'))
    wizard.run('start', 'transfer', party=jane, reason="A gift")
    assert clinic.pack(pack_id)['party'] == jane
    assert clinic.value("SELECT count(*) FROM clinic_pack_event "
        "WHERE pack = %s AND type = 'transfer'", (pack_id,)) == 1


def test_accountant_reads_but_does_not_write(clinic, accountant):
    """The accountant reads packs and redemptions, but cannot change their
    balances, states or values."""
    pack_id = ids(clinic, 'packs', 'guard_accountant')
    redemption = ids(clinic, 'redemptions', 'guard_accountant_0')
    (pack,) = accountant.model(PACK).read([pack_id],
        ['remaining_quantity', 'remaining_amount', 'state'])
    assert pack['state'] == 'active'
    assert pack['remaining_quantity'] == Decimal(5)
    (read,) = accountant.model(REDEMPTION).read([redemption],
        ['amount', 'state'])
    assert read['state'] == 'done' and read['amount'] == Decimal('50.00')
    assert pack_id in accountant.model(PACK).search([])

    records = [('clinic_pack', pack_id),
        ('clinic_pack_redemption', redemption)]
    for model, id_, values in [
            (PACK, pack_id, {'remaining_amount': Decimal('1.00')}),
            (PACK, pack_id, {'state': 'cancelled'}),
            (REDEMPTION, redemption, {'amount': Decimal('0.01')}),
            (REDEMPTION, redemption, {'state': 'cancelled'}),
            ]:
        before = clinic.snapshot(*records)
        error = refused(accountant.model(model).write, [id_], values)
        clinic.assert_unchanged(before, *records)
        assert_access_refused(error, [
                'clinic_packs.msg_workflow_field',
                'clinic_packs.msg_modify_issued'])


# --- d. bounds -----------------------------------------------------------------

def test_activate_active_pack(clinic, frontdesk):
    "Activating an active pack is explained, not silently ignored."
    pack_id = ids(clinic, 'packs', 'bounds_active')
    before = clinic.snapshot(('clinic_pack', pack_id))
    error = refused(frontdesk.button, PACK, 'activate', [pack_id])
    clinic.assert_unchanged(before, ('clinic_pack', pack_id))
    assert_state_refused(error, 'clinic_packs.msg_pack_not_draft', 'activate')


def _template_values(clinic, **values):
    return {
        'name': "RPC bounds template",
        'company': ids(clinic, 'companies', 'A'),
        'product': ids(clinic, 'products', "10 Physio sessions pack"),
        'unit': 'session',
        'quantity': Decimal(6),
        'bonus_quantity': Decimal(0),
        'grace_days': 0,
        'refund_policy': 'pro_rata',
        **values,
        }


def test_packsadmin_creates_and_deletes_template(
        clinic, packsadmin, accountant, frontdesk):
    """The packs administrator creates a template and deletes it: with the
    accounting module, each classifies the kept exceptions again (a
    template for their product would make them its own), which touches
    tables the administrator has no rights on.  The accountant and the
    front desk may not create templates."""
    posted = ("SELECT kind, account, COUNT(*), SUM(amount) "
        "FROM clinic_pack_liability_line_posted "
        "GROUP BY kind, account ORDER BY kind, account")
    kept = clinic.query(posted)
    before = clinic.snapshot()
    for user in [accountant, frontdesk]:
        error = refused(user.model('clinic.pack.template').create,
            [_template_values(clinic, name="Not theirs")])
        assert_access_refused(error)
    clinic.assert_unchanged(before)

    Template = packsadmin.model('clinic.pack.template')
    template_id, = Template.create(
        [_template_values(clinic, name="RPC created template")])
    assert clinic.query(
        "SELECT name, company FROM clinic_pack_template WHERE id = %s",
        (template_id,)) == [
        ("RPC created template", ids(clinic, 'companies', 'A'))]
    Template.delete([template_id])
    clinic.assert_unchanged(before)
    # Classified again to the same: the product has no sale yet.
    assert clinic.query(posted) == kept


def test_accountant_credits_invoices(clinic, accountant):
    """The accountant credits two invoices with the host's wizard, each
    credit note mirroring the line it credits: the pack's debits the
    contract liability and cancels the unused pack; the plain service's,
    sold before its product became a pack, debits revenue and cancels
    nothing."""
    liability = clinic.ids['accounts']['A']['contract_liability']
    for key, amount, pack_state in [
            ('credit_pack', Decimal('275.00'), 'cancelled'),
            ('credit_service', Decimal('160.00'), None)]:
        invoice = ids(clinic, 'invoices', key)
        (line, sale_account, credited), = clinic.query(
            "SELECT il.id, ml.account, ml.credit "
            "FROM account_invoice_line AS il "
            "JOIN account_move_line AS ml "
            "ON ml.origin = 'account.invoice.line,' || il.id "
            "WHERE il.invoice = %s", (invoice,))
        packs = clinic.query("SELECT id FROM clinic_pack WHERE origin = %s",
            ('account.invoice.line,%s' % line,))
        wizard = accountant.wizard('account.invoice.credit',
            'account.invoice', [invoice],
            action_id=clinic.action_id('account_invoice.credit'))
        wizard.run('start', 'credit', with_refund=True)
        (state, debit_account, debit), = clinic.query(
            "SELECT i.state, ml.account, ml.debit "
            "FROM account_invoice_line AS il "
            "JOIN account_invoice AS i ON i.id = il.invoice "
            "JOIN account_move_line AS ml "
            "ON ml.origin = 'account.invoice.line,' || il.id "
            "WHERE il.origin = %s", ('account.invoice.line,%s' % line,))
        assert state == 'paid'
        assert credited == amount
        # The credit note debits what the sale credited, where it did.
        assert (debit_account, debit) == (sale_account, amount)
        if pack_state:
            assert sale_account == liability
            assert [clinic.pack(p)['state'] for p, in packs] == [pack_state]
        else:
            assert sale_account != liability
            assert packs == []


def test_template_bonus_too_large(clinic, packsadmin):
    "1,000 bonus units on 6 bought is refused."
    before = clinic.snapshot()
    error = refused(packsadmin.model('clinic.pack.template').create,
        [_template_values(clinic, bonus_quantity=Decimal(1000))])
    clinic.assert_unchanged(before)
    assert_message(error, 'clinic_packs.msg_template_bonus_too_large')


def test_template_quantity_too_large(clinic, packsadmin):
    "A template of 1e20 units is refused."
    before = clinic.snapshot()
    error = refused(packsadmin.model('clinic.pack.template').create,
        [_template_values(clinic, quantity=Decimal('1e20'))])
    clinic.assert_unchanged(before)
    if TRYTON_8:
        # 8.0 checks a Numeric's digits itself before our bound: its clean
        # refusal names the field and the limit.
        assert_message(error, 'ir.msg_digits_validation_record',
            field="Quantity")
    else:
        assert_message(error, 'clinic_packs.msg_number_too_large')


def test_pack_amount_too_large(clinic, packsadmin, today):
    "A pack issued by hand for 1e20 is refused."
    before = clinic.snapshot()
    error = refused(packsadmin.model(PACK).create, [{
                'company': ids(clinic, 'companies', 'A'),
                'party': ids(clinic, 'parties', "Sofia Rossi"),
                'template': ids(clinic, 'templates',
                    "6 physiotherapy sessions"),
                'currency': clinic.value(
                    "SELECT currency FROM company_company WHERE id = %s",
                    (ids(clinic, 'companies', 'A'),)),
                'start_date': today,
                'quantity': Decimal(6),
                'amount': Decimal('1e20'),
                }])
    clinic.assert_unchanged(before)
    assert_message(error, 'clinic_packs.msg_number_too_large')


@pytest.mark.parametrize('quantity', [
        float('nan'), float('inf'), float('-inf')],
    ids=['nan', 'inf', '-inf'])
def test_redemption_quantity_not_finite(clinic, frontdesk, today, quantity):
    """NaN or infinite quantities never reach SQL: the draft or its Do is
    refused with a user error (msg_number_not_finite), nothing redeemed."""
    pack_id = ids(clinic, 'packs', 'bounds_finite')
    before = clinic.snapshot(('clinic_pack', pack_id),
        tables=['account_move', 'account_move_line'])
    Redemption = frontdesk.model(REDEMPTION)
    try:
        (redemption,) = Redemption.create([{
                    'pack': pack_id,
                    'product': ids(clinic, 'products',
                        "Physiotherapy session"),
                    'date': today,
                    'quantity': quantity,
                    }])
    except RPCError as exception:
        error = exception
    else:
        error = refused(Redemption.button, 'do', [redemption])
    clinic.assert_unchanged(before, ('clinic_pack', pack_id),
        tables=['account_move', 'account_move_line'])
    assert_clean_refusal(error)
    assert_one_of_messages(error, [
            'clinic_packs.msg_number_not_finite',
            'clinic_packs.msg_redemption_quantity_positive',
            'clinic_packs.msg_redemption_too_much',
            'ir.msg_domain_validation_record',
            'ir.msg_required_validation_record',
            ])


@pytest.mark.parametrize('quantity', ['NaN', 'Infinity'])
def test_template_quantity_not_finite(clinic, packsadmin, quantity):
    """A Numeric NaN or Infinity ({"__class__": "Decimal"}) is refused
    cleanly."""
    before = clinic.snapshot()
    error = refused(packsadmin.model('clinic.pack.template').create,
        [_template_values(clinic, quantity=Decimal(quantity))])
    clinic.assert_unchanged(before)
    assert_clean_refusal(error)
    assert_one_of_messages(error, [
            'clinic_packs.msg_number_not_finite',
            'clinic_packs.msg_number_too_large',
            ])


def test_membership_cancel_before_start(clinic, frontdesk, today):
    "A cancellation cannot be requested before the membership started."
    membership = ids(clinic, 'memberships', 'cancel_before_start')
    records = [('clinic_membership', membership)]
    before = clinic.snapshot(*records)
    wizard = frontdesk.wizard('clinic.membership.cancel', MEMBERSHIP,
        [membership], action_id=clinic.action_id(
            'clinic_packs_membership.wizard_cancel'))
    try:
        wizard.execute('start')
        error = refused(wizard.submit, 'start', 'cancel',
            request_date=today - dt.timedelta(days=10))
    finally:
        wizard.delete()
    clinic.assert_unchanged(before, *records)
    assert_message(error, 'clinic_packs_membership.msg_cancel_before_start')


def test_activate_active_membership(clinic, frontdesk):
    "Activating an active membership is explained, not silently ignored."
    membership = ids(clinic, 'memberships', 'active')
    records = [('clinic_membership', membership)]
    before = clinic.snapshot(*records)
    error = refused(frontdesk.button, MEMBERSHIP, 'activate', [membership])
    clinic.assert_unchanged(before, *records)
    assert_state_refused(
        error, 'clinic_packs_membership.msg_membership_not_draft', 'activate')
