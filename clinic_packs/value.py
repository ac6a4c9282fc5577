# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Pure arithmetic of packs and memberships (no ORM).

Every rule of doc/accounting.md that computes an amount or a date lives
here so that models, wizards and reports share one implementation and
the worked examples can be unit-tested without a database.

Names follow doc/accounting.md: P amount, N quantity, k unit value, G
remaining amount (contract liability), A breakage accrued, R remaining
quantity, C redeemed quantity.  Amounts are rounded ROUND_HALF_UP to the
currency digits; ratios (k) are kept unrounded until an amount is posted.
"""
import calendar
import datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

# Precision of unrounded ratios such as k = P / N.
PRECISION = 28
# Products of an unrounded ratio carry an error in their last digits
# (e.g. 3 * (1.01 / 6) = 0.50499...9 instead of 0.505); rounding them to
# fewer significant digits first puts an exact half-cent back on the half so
# ROUND_HALF_UP sees it.  Money ratios never come within 1e-12 of a half-cent
# unless they are on it, so this cannot move any other value across one.
_SNAP = 24

PERIOD_MONTHS = {
    'month': 1,
    'quarter': 3,
    'year': 12,
    }
REFUND_POLICIES = {'pro_rata', 'list_price', 'none'}


def _context():
    return Context(prec=PRECISION, rounding=ROUND_HALF_EVEN)


def _decimal(value):
    "Return value as a Decimal (floats through their shortest repr)"
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _post(value, digits):
    "Round a computed amount to be posted"
    value = Context(prec=_SNAP, rounding=ROUND_HALF_EVEN).plus(value)
    return round_amount(value, digits)


def round_amount(amount, digits=2):
    "Return amount rounded ROUND_HALF_UP to digits decimal places"
    exp = Decimal(1).scaleb(-digits)
    return _decimal(amount).quantize(
        exp, rounding=ROUND_HALF_UP, context=Context(prec=PRECISION + 10))


def unit_value(amount, quantity):
    """Return k = P / N, unrounded (PRECISION significant digits).

    Bonus units are part of N, so a free unit is worth as much as a paid one.
    """
    quantity = _decimal(quantity)
    if quantity <= 0:
        raise ValueError("quantity must be positive: %s" % quantity)
    return _context().divide(_decimal(amount), quantity)


def rebase_unit_value(remaining_amount, remaining_quantity):
    """Return k = G / R after a merge, an extension or goodwill units.

    Modifications change R (and, for a merge, G) but post nothing: the
    liability still held is spread over the units now remaining.
    """
    remaining_amount = _decimal(remaining_amount)
    if remaining_amount < 0:
        raise ValueError(
            "remaining amount is negative: %s" % remaining_amount)
    return unit_value(remaining_amount, remaining_quantity)


def redemption_value(
        quantity, remaining_quantity, remaining_amount, unit_value,
        digits=2):
    """Return the revenue r recognised when quantity units are redeemed.

    r = round(q * k), except that the redemption which brings R to 0 takes
    exactly G so a fully used pack leaves no liability.  r is never more than
    G nor negative.  For money packs q is the list value used, R the face
    value remaining and k = P / F.
    """
    quantity = _decimal(quantity)
    remaining_quantity = _decimal(remaining_quantity)
    remaining_amount = round_amount(remaining_amount, digits)
    if quantity <= 0:
        raise ValueError("quantity must be positive: %s" % quantity)
    if quantity > remaining_quantity:
        raise ValueError(
            "quantity %s exceeds remaining quantity %s"
            % (quantity, remaining_quantity))
    if remaining_amount < 0:
        raise ValueError(
            "remaining amount is negative: %s" % remaining_amount)
    if quantity == remaining_quantity:
        return remaining_amount
    value = _post(_context().multiply(quantity, _decimal(unit_value)), digits)
    return max(min(value, remaining_amount), round_amount(0, digits))


def refund_split(
        policy, amount, remaining_amount, redeemed_quantity, list_price,
        digits=2):
    """Return (refund, revenue) that settle the remaining amount G.

    pro_rata: G is refunded.
    list_price: the patient pays the list price L of the C units used, so
    the refund is min(G, max(0, P - C * L)) and the rest of G is service
    revenue.  Money packs pass L = 1 (a unit of face value is worth 1).
    none: nothing is refunded; if the contract is ended anyway the patient
    gave up the remaining rights, so G is earned.
    refund + revenue == G always.
    """
    remaining_amount = round_amount(remaining_amount, digits)
    zero = round_amount(0, digits)
    if remaining_amount < 0:
        raise ValueError(
            "remaining amount is negative: %s" % remaining_amount)
    if policy == 'pro_rata':
        refund = remaining_amount
    elif policy == 'list_price':
        if list_price is None:
            raise ValueError("list_price policy needs a list price")
        redeemed_quantity = _decimal(redeemed_quantity)
        list_price = _decimal(list_price)
        if redeemed_quantity < 0 or list_price < 0:
            raise ValueError(
                "redeemed quantity and list price must not be negative")
        used = _context().multiply(redeemed_quantity, list_price)
        refund = _post(_context().subtract(_decimal(amount), used), digits)
        refund = min(remaining_amount, max(zero, refund))
    elif policy == 'none':
        refund = zero
    else:
        raise ValueError("unknown refund policy: %r" % policy)
    return refund, remaining_amount - refund


def refund_quote(
        policy, amount, remaining_amount, redeemed_quantity, list_price,
        digits=2):
    "Return the amount refundable today under policy (see refund_split)"
    return refund_split(
        policy, amount, remaining_amount, redeemed_quantity, list_price,
        digits=digits)[0]


def _check_rate(rate):
    rate = _decimal(rate)
    if not 0 <= rate <= 1:
        raise ValueError("breakage rate must be between 0 and 1: %s" % rate)
    return rate


def breakage_total(rate, quantity, unit_value, digits=2):
    "Return B = round(b * N * k), the breakage expected over the pack's life"
    rate = _check_rate(rate)
    quantity = _decimal(quantity)
    if quantity <= 0:
        raise ValueError("quantity must be positive: %s" % quantity)
    context = _context()
    expected = context.multiply(rate, quantity)
    return _post(context.multiply(expected, _decimal(unit_value)), digits)


def breakage_accrual_target(
        rate, quantity, unit_value, redeemed_quantity, remaining_amount,
        digits=2):
    """Return A*, the breakage accrued after C units redeemed (IFRS 15 B46).

    With x = b * N units expected never to be used, B = round(x * k) and
    E = N - x units expected to be used, breakage is recognised in
    proportion to the pattern of use: A* = min(round(B * C / E), G).
    When nothing is expected to be used (E <= 0) all of G is accrued.
    The caller posts A* - A (negative after a cancelled redemption).
    """
    rate = _check_rate(rate)
    quantity = _decimal(quantity)
    redeemed_quantity = _decimal(redeemed_quantity)
    remaining_amount = round_amount(remaining_amount, digits)
    if redeemed_quantity < 0:
        raise ValueError(
            "redeemed quantity is negative: %s" % redeemed_quantity)
    if remaining_amount < 0:
        raise ValueError(
            "remaining amount is negative: %s" % remaining_amount)
    total = breakage_total(rate, quantity, unit_value, digits=digits)
    context = _context()
    expected_use = context.subtract(
        quantity, context.multiply(rate, quantity))
    if expected_use <= 0:
        return remaining_amount
    target = _post(context.divide(
            context.multiply(total, redeemed_quantity), expected_use),
        digits)
    return max(min(target, remaining_amount), round_amount(0, digits))


def expiry_breakage(remaining_amount, accrued):
    """Return (reverse_accrual, breakage_revenue) when a pack expires.

    The entry is Dr contract liability G / Cr breakage accrual A / Cr
    breakage revenue G - A.  The remote method has no accrual (A = 0), so
    all of G is breakage.
    """
    remaining_amount = _decimal(remaining_amount)
    accrued = _decimal(accrued)
    if accrued < 0 or remaining_amount < 0:
        raise ValueError("remaining amount and accrual must not be negative")
    if accrued > remaining_amount:
        raise ValueError(
            "accrual %s exceeds remaining amount %s"
            % (accrued, remaining_amount))
    return accrued, remaining_amount - accrued


def add_months(date, months):
    """Return date moved by months, clamped to the end of the target month.

    31 Jan + 1 month is 28 Feb (29 Feb in a leap year).
    """
    index = date.year * 12 + date.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    day = min(date.day, calendar.monthrange(year, month)[1])
    return date.replace(year=year, month=month, day=day)


def _anniversary(start, months):
    # The day on which a validity of months started on start is over.  When
    # the target month lacks start's day (31 Jan + 1 month) the anniversary
    # is the first of the next month, so the validity runs to the month end:
    # a pack bought on 31 Jan is not over sooner than one bought on 28 Jan.
    date = add_months(start, months)
    if date.day < start.day:
        date += datetime.timedelta(days=1)
    return date


def expiry_date(start_date, validity_months=None, validity_days=None):
    """Return the last day on which a pack is valid, or None if it never ends.

    The validity is inclusive of both ends: sold 1 Jan with 6 months, the
    pack is valid through 30 Jun (doc/accounting.md E4a); 10 days from 1 Jan
    run through 10 Jan.  Months are added first, then days.  When start's day
    does not exist in the target month the pack is valid to that month's
    end (31 Jan + 1 month -> 28 Feb), rather than to the day before a
    clamped date.
    """
    months = validity_months or 0
    days = validity_days or 0
    if months < 0 or days < 0:
        raise ValueError("validity must not be negative")
    if not months and not days:
        return None
    return (_anniversary(start_date, months)
        + datetime.timedelta(days=days - 1))


def period_end(start, interval):
    """Return the last day of a membership period starting on start.

    interval is 'month', 'quarter' or 'year'; the period runs to the day
    before the same day 1, 3 or 12 months later (15 Jan 2025 for a year
    ends 14 Jan 2026), following the same rule as expiry_date.
    """
    if interval not in PERIOD_MONTHS:
        raise ValueError("unknown interval: %r" % interval)
    return expiry_date(start, validity_months=PERIOD_MONTHS[interval])


def period_days(start, end):
    "Return the number of days from start to end, both included"
    if end < start:
        raise ValueError("period ends (%s) before it starts (%s)"
            % (end, start))
    return (end - start).days + 1


def recognised_to_date(fee, start, end, date, digits=2):
    """Return the cumulative revenue of a membership fee through date.

    A stand-ready obligation is recognised straight-line by day: on day d of
    a D-day period the cumulative revenue is round(M * d / D), so each
    posting takes the difference and the last day reaches exactly M.
    Nothing is recognised before start and all of M after end.
    """
    total_days = period_days(start, end)
    if date < start:
        elapsed = 0
    elif date >= end:
        elapsed = total_days
    else:
        elapsed = (date - start).days + 1
    context = _context()
    return _post(context.divide(
            context.multiply(_decimal(fee), elapsed), total_days), digits)


def pro_rata_refund(fee, start, end, effective_date, digits=2):
    """Return (revenue, refund) of a membership cancelled on effective_date.

    The fee is recognised up to and including the effective date and the
    rest is refunded; revenue + refund == fee.
    """
    revenue = recognised_to_date(fee, start, end, effective_date, digits)
    return revenue, round_amount(fee, digits) - revenue


def allocate(total, weights, digits=2, remainder='largest'):
    """Split total in proportion to weights (e.g. stand-alone selling prices).

    Each part is rounded and the rounding difference goes to the largest
    part (the first of equals), or to the last part when remainder is
    'last', so the parts sum exactly to total.  With all weights zero the
    whole total goes to the first part.
    """
    total = round_amount(total, digits)
    weights = [_decimal(w) for w in weights]
    if not weights:
        raise ValueError("nothing to allocate to")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    context = _context()
    weight_total = sum(weights, Decimal(0))
    zero = round_amount(0, digits)
    if not weight_total:
        return [total] + [zero] * (len(weights) - 1)
    parts = [
        _post(context.divide(context.multiply(total, w), weight_total),
            digits)
        for w in weights]
    if remainder == 'last':
        index = len(parts) - 1
    else:
        index = max(range(len(parts)), key=lambda i: abs(parts[i]))
    parts[index] += total - sum(parts, zero)
    return parts


def split_membership_fee(fee, access_price, allotment_prices, digits=2):
    """Return (access, [allotment parts]) of a membership period's fee.

    Access and each allotment are separate performance obligations: the fee
    is split in proportion to their stand-alone selling prices (IFRS
    15.76-80), access_price being what the clinic would charge for access
    alone and allotment_prices those of the credits included (their pack's
    list price times the packs per period).  A bundle discount (or premium)
    thus spreads over all of them; the parts sum exactly to the fee, the
    rounding difference going to the largest part.
    """
    if access_price is None:
        raise ValueError("the access stand-alone selling price is missing")
    access_price = _decimal(access_price)
    if access_price < 0:
        raise ValueError(
            "access stand-alone selling price is negative: %s" % access_price)
    parts = allocate(fee, [access_price] + list(allotment_prices),
        digits=digits)
    return parts[0], parts[1:]


def tax_inclusive_split(gross, net, tax_amounts, digits=2):
    """Return (net, [taxes]) rounded so that they add up to gross exactly.

    A multi-purpose voucher's liability consumed by a redemption is the
    tax-inclusive consideration gross of the service used (UK VATA 1994
    Sch 10B): net is its unrounded part before tax (e.g. the host's
    reverse computation) and tax_amounts the unrounded taxes on net.  Each
    tax is rounded and net takes the rounding difference, so that
    net + sum(taxes) == gross and a voucher leaves no cent on the liability.
    """
    gross = round_amount(gross, digits)
    taxes = [_post(_decimal(t), digits) for t in tax_amounts]
    if gross >= 0 and any(t < 0 for t in taxes):
        raise ValueError("negative tax on a positive consideration")
    rounded = gross - sum(taxes, round_amount(0, digits))
    if abs(rounded - _decimal(net)) >= Decimal(1).scaleb(-digits) * (
            len(taxes) + 1):
        raise ValueError(
            "net %s and taxes %s do not make up %s" % (net, taxes, gross))
    return rounded, taxes
