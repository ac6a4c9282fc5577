# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Front desks racing over JSON-RPC on two trytond processes, one database.

Each client is its own user session on one of the two servers (see
conftest_rpc.py); they wait at a barrier and call at once.  Under
contention a call either waits for the row lock and succeeds or fails with
the module's own message: never a raw database error.
"""
import datetime as dt
import threading
from decimal import Decimal

from .rpc import (
    RPCError, assert_message, assert_one_of_messages, message_pattern,
    state_refusals)

REDEMPTION = 'clinic.pack.redemption'
CLIENTS = 8
RAW_ERRORS = ['could not obtain lock', 'could not serialize',
    'deadlock detected']


def _race(clients, call):
    """Run call(client) for each client in its own thread, all released at
    once; return the list of (result, error)."""
    barrier = threading.Barrier(len(clients))
    outcomes = [None] * len(clients)

    def run(index, client):
        try:
            barrier.wait(timeout=60)
            outcomes[index] = (call(index, client), None)
        except RPCError as error:
            outcomes[index] = (None, error)
        except Exception as error:  # a client-side failure: report it
            outcomes[index] = (None, error)

    threads = [threading.Thread(target=run, args=(i, c))
        for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(t.is_alive() for t in threads), "a client hangs"
    return outcomes


def _assert_no_raw_error(errors):
    for error in errors:
        assert isinstance(error, RPCError), repr(error)
        text = '%s %s' % (error.message, error.traceback)
        assert not any(raw in text for raw in RAW_ERRORS), (
            "raw database error: %s" % error)
        assert error.kind == 'UserError', str(error)


def test_eight_desks_race_for_five_sessions(rpc_clinic):
    """Eight front-desk sessions, four on each server, each redeem one
    session of a pack with 5 left at the same moment: exactly 5 succeed,
    the 3 others are told that nothing is left; the ledger recognised the
    whole pack, once."""
    clinic = rpc_clinic
    pack_id = clinic.ids['packs']['race']
    today = dt.date.fromisoformat(clinic.ids['today'])
    pack = clinic.pack(pack_id)
    assert (pack['state'], pack['remaining_quantity']) == ('active', 5)

    clients = [clinic.login('frontdesk', server=i % 2)
        for i in range(CLIENTS)]
    drafts = []
    for client in clients:
        (redemption,) = client.model(REDEMPTION).create([{
                    'pack': pack_id,
                    'product': clinic.ids['products'][
                        "Physiotherapy session"],
                    'date': today,
                    'quantity': 1.0,
                    }])
        drafts.append(redemption)

    outcomes = _race(clients,
        lambda i, client: client.button(REDEMPTION, 'do', [drafts[i]]))

    errors = [e for _, e in outcomes if e is not None]
    _assert_no_raw_error(errors)
    number = pack['number']
    exhausted = message_pattern('clinic_packs.msg_redemption_pack_state',
        pack=number, state="Exhausted")
    for error in errors:
        if not exhausted.fullmatch(error.message):
            assert_message(error, 'clinic_packs.msg_redemption_too_much',
                pack=number)
    assert len(errors) == CLIENTS - 5, [str(e) for e in errors]

    pack = clinic.pack(pack_id)
    assert pack['state'] == 'exhausted'
    assert pack['remaining_quantity'] == 0
    assert pack['redeemed_quantity'] == 5
    assert pack['remaining_amount'] == 0
    done = [i for i, in clinic.query(
            "SELECT id FROM clinic_pack_redemption "
            "WHERE pack = %s AND state = 'done' ORDER BY id", (pack_id,))]
    assert len(done) == 5
    assert set(done) == {d for d, (_, e) in zip(drafts, outcomes)
        if e is None}
    assert clinic.value(
        "SELECT sum(amount) FROM clinic_pack_redemption "
        "WHERE pack = %s AND state = 'done'", (pack_id,)) == pack['amount']

    # The ledger: Dr contract liability for each redemption, once.
    liability = clinic.ids['accounts']['A']['contract_liability']
    origins = ['%s,%s' % (REDEMPTION, i) for i in done]
    rows = clinic.query(
        "SELECT m.origin, count(DISTINCT m.id), sum(l.debit - l.credit) "
        "FROM account_move AS m "
        "JOIN account_move_line AS l ON l.move = m.id "
        "WHERE m.origin = ANY(%s) AND m.state = 'posted' "
        "AND l.account = %s GROUP BY m.origin", (origins, liability))
    assert len(rows) == 5 and all(n == 1 for _, n, _ in rows), rows
    assert sum(r[2] for r in rows) == pack['amount'] == Decimal('250.00')
    # The reports read each winner's liability line as classified when
    # posted: kept once, as service revenue of the pack.
    assert clinic.query(
        "SELECT p.kind, p.pack, count(*), count(DISTINCT p.move_line) "
        "FROM clinic_pack_liability_line_posted AS p "
        "JOIN account_move_line AS l ON l.id = p.move_line "
        "JOIN account_move AS m ON m.id = l.move "
        "WHERE m.origin = ANY(%s) AND p.account = %s "
        "GROUP BY p.kind, p.pack",
        (origins, liability)) == [('revenue', pack_id, 5, 5)]
    # What the winners' lines say about their accounts was kept when
    # posting, whichever desk kept it first: the accounts followed read it.
    assert clinic.query(
        "SELECT DISTINCT m.company, l.account, m.pack_posting, "
        "l.origin IS NULL, l.debit > 0, l.credit > 0 "
        "FROM account_move AS m "
        "JOIN account_move_line AS l ON l.move = m.id "
        "WHERE m.origin = ANY(%s) "
        "EXCEPT SELECT company, account, posting, original, debit, credit "
        "FROM clinic_pack_liability_source", (origins,)) == []
    assert clinic.query(
        "SELECT DISTINCT posting, original, debit, credit "
        "FROM clinic_pack_liability_source "
        "WHERE account = %s AND posting = 'revenue'",
        (liability,)) == [('revenue', True, True, False)]
    losers = ['%s,%s' % (REDEMPTION, d)
        for d, (_, e) in zip(drafts, outcomes) if e is not None]
    assert not clinic.query(
        "SELECT id FROM account_move WHERE origin = ANY(%s)", (losers,))


def test_two_desks_activate_one_membership(rpc_clinic):
    """Two front-desk sessions, one on each server, activate the same draft
    membership at once: one activates it (one period, one invoice), the
    other is told that it is no longer draft."""
    clinic = rpc_clinic
    membership = clinic.ids['memberships']['race']
    assert clinic.row('clinic_membership', membership)['state'] == 'draft'
    clients = [clinic.login('frontdesk', server=i) for i in range(2)]

    outcomes = _race(clients, lambda i, client: client.button(
            'clinic.membership', 'activate', [membership]))

    errors = [e for _, e in outcomes if e is not None]
    _assert_no_raw_error(errors)
    assert len(errors) == 1, [str(e) for e in errors]
    assert_one_of_messages(errors[0], state_refusals(
            'clinic_packs_membership.msg_membership_not_draft'))
    assert clinic.row('clinic_membership', membership)['state'] == 'active'
    assert clinic.value(
        "SELECT count(*) FROM clinic_membership_period "
        "WHERE membership = %s", (membership,)) == 1
