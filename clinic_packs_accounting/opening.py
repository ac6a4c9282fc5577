# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""IFRS 15.116(b): the revenue of a period that was in the opening balance.

Pure arithmetic, no ORM (doc/accounting.md, "Reports accountants need"):
the roll-forward feeds it the movements of the NET contract liability (the
contract liability less the breakage accrual, its contra account) per
contract and the merges of the period.
"""
from collections import defaultdict
from decimal import Decimal

# The kinds of movement that are revenue of the period: service revenue,
# the proportional breakage accrued and the breakage posted at expiry (net
# of the accrual it releases and of reinstatements).
EARNED = frozenset(['revenue', 'accrual', 'breakage'])


def contract_figures(lines):
    """Return (opening, earned) per contract from the net liability's lines.

    lines are (contract, kind, in_period, amount): amount is credit - debit
    on the contract liability or on the breakage accrual account (so the
    accrual, a debit balance, lowers the net liability), in_period whether
    it is dated in the period; lines may be summed per contract, kind and
    in_period beforehand.  opening is the net balance before the period
    (every kind, merges included); earned is the revenue of the period
    (the kinds in EARNED).  An accrual released at expiry credits the
    accrual account as the contract liability is debited: both lines are
    breakage, so the expiry earns only G - A and the accrual, recognised as
    breakage when it accrued, is never earned twice.
    """
    opening, earned = defaultdict(Decimal), defaultdict(Decimal)
    for contract, kind, in_period, amount in lines:
        if in_period:
            opening[contract] += 0
            earned[contract] += 0
            if kind in EARNED:
                earned[contract] -= amount
        else:
            opening[contract] += amount
            earned[contract] += 0
    return dict(opening), dict(earned)


def value_from_opening(opening, earned, transfers):
    """Return per contract the revenue earned out of its opening balance.

    opening and earned map each contract to its opening (net) balance and
    to what it earned in the period (revenue, accrual and breakage, see
    contract_figures); transfers are the merges of the period in order, as
    (source, merged, amount).  Each contract's earnings consume its opening
    balance first (FIFO); a source hands what is left of its opening
    balance, up to the amount merged, to the merged pack, whose earnings
    then consume it.  A source earns nothing after its merge, so its
    earnings are charged before it hands over.  A contract never uses more
    than it earned in the period (net of reversals) nor more than its
    opening balance and what merges carried to it, and the contracts a
    merge pooled together never more than they earned together.
    """
    zero = Decimal(0)
    available = defaultdict(Decimal,
        {c: max(a, zero) for c, a in opening.items()})
    left = defaultdict(Decimal, {c: max(a, zero) for c, a in earned.items()})
    used = defaultdict(Decimal)

    def consume(contract):
        amount = min(available[contract], left[contract])
        available[contract] -= amount
        left[contract] -= amount
        used[contract] += amount

    for source, merged, amount in transfers:
        consume(source)
        carried = min(available[source], max(amount, zero))
        available[source] -= carried
        available[merged] += carried
    for contract in list(available):
        consume(contract)

    # A merge pools contracts: what a family of merged contracts takes
    # from its opening balances never exceeds what the family earned (a
    # merged pack releasing its sources' accrual reverses their breakage
    # revenue).  The excess is taken back from the last merged first.
    family = {}

    def root(contract):
        while family.get(contract, contract) != contract:
            contract = family[contract]
        return contract
    for source, merged, _ in transfers:
        family[root(source)] = root(merged)
    members = defaultdict(list)
    for source, merged, _ in reversed(transfers):
        for contract in [merged, source]:
            if contract not in members[root(contract)]:
                members[root(contract)].append(contract)
    for contracts in members.values():
        excess = (sum(used[c] for c in contracts)
            - max(sum(earned.get(c, zero) for c in contracts), zero))
        for contract in contracts:
            if excess <= 0:
                break
            taken = min(used[contract], excess)
            used[contract] -= taken
            excess -= taken
    return dict(used)
