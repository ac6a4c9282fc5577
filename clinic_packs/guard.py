# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Integrity guards shared by the three modules.

- `WorkflowGuardMixin`: the host's check_modify guard (as account.invoice),
  so that states, balances and links change only through transitions and
  named methods, and issued records only in the fields a role may correct;
- `check_company`: records named by id in a wizard, a button or a call
  belong to one of the user's companies (wizards run without record rules);
- `lock`: lock rows and re-read them, waiting for the lock instead of
  failing with a raw database error under contention;
- `retrying`: run work in transactions of its own the way ir.cron and the
  RPC dispatcher do (crons, workers and the race tests share it).
"""
import logging
import math
import time
from decimal import Decimal

from sql import For, Literal
from sql.operators import In

from trytond import backend
from trytond.config import config
from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.transaction import Transaction, TransactionError

from . import compat
from .exceptions import (
    BusyError, CompanyAccessError, NumberError, WorkflowAccessError)

# How long a request waits for a row that another request holds.
LOCK_TIMEOUT = '20s'

logger = logging.getLogger(__name__)


def user_call():
    "Whether a user's own request is running (not a button, wizard or cron)."
    transaction = Transaction()
    return bool(transaction.user) and transaction.check_access


def _field_string(Model, name):
    field = Model._fields.get(name)
    return field.string if field is not None else name


class WorkflowGuardMixin:
    """Keep states, balances and links in the hands of the workflow.

    Users create records in their first state and change them through
    buttons and wizards, which run without access checks and call the named
    methods.  A user's direct create or write (RPC, a form saved in the
    client) can neither set the workflow fields nor change a record that
    left its first state, except the fields a role may still correct.  Any
    code changing an issued record keeps to the workflow fields, the
    transition fields and the correctable ones.  As account.invoice does,
    models call check_create first in their create and check_modify first in
    their write, before they fill in computed values.
    """
    __slots__ = ()

    @classmethod
    def _workflow_fields(cls):
        "Fields only transitions and named methods set."
        return {'state'}

    @classmethod
    def _transition_fields(cls):
        "Fields named methods may change after the first state."
        return set()

    @classmethod
    def _correctable_fields(cls):
        "Fields a user may still correct after the first state."
        return set()

    @classmethod
    def _modifiable_states(cls):
        return {'draft'}

    @classmethod
    def check_modify(cls, records, values):
        "Raise unless the values (or field names) may be written now."
        if isinstance(values, dict):
            check_finite(cls, [values])
        field_names = set(values)
        if user_call():
            forbidden = field_names & cls._workflow_fields()
            if forbidden and records:
                raise cls._workflow_field_error(
                    records[0], sorted(forbidden)[0])
            allowed = cls._correctable_fields()
        else:
            allowed = (cls._workflow_fields() | cls._transition_fields()
                | cls._correctable_fields())
        fixed = field_names - allowed
        if not fixed:
            return
        for record in records:
            if record.state not in cls._modifiable_states():
                raise cls._modify_issued_error(record, sorted(fixed)[0])

    @classmethod
    def _workflow_field_error(cls, record, name):
        "The error for a user setting a workflow field of record."
        return WorkflowAccessError(gettext(
                'clinic_packs.msg_workflow_field',
                field=_field_string(cls, name), record=_rec_name(record)))

    @classmethod
    def _modify_issued_error(cls, record, name):
        "The error for changing a field of record once it left draft."
        return WorkflowAccessError(gettext(
                'clinic_packs.msg_modify_issued',
                field=_field_string(cls, name),
                record=record.rec_name, state=_state_string(record)))

    @classmethod
    def check_create(cls, vlist):
        """Raise when a user's own create sets a workflow field.

        Call it first in create, before filling in computed values: records
        start in their first state with the fields' defaults."""
        check_finite(cls, vlist)
        if not user_call():
            return
        names = set().union(*(v.keys() for v in vlist)) if vlist else set()
        names &= cls._workflow_fields()
        if not names:
            return
        defaults = cls.default_get(list(names), with_rec_name=False)
        for values in vlist:
            for name in sorted(names & values.keys()):
                given = values[name]
                if given in (None, [], ()) or given == defaults.get(name):
                    continue
                raise cls._workflow_field_error(cls(), name)


def _state_string(record):
    field = record._fields['state']
    selection = dict(field.selection) if isinstance(
        field.selection, (list, tuple)) else {}
    return selection.get(record.state, record.state)


def check_number(record, name, number, maximum):
    """Raise unless number is finite and within [-maximum, maximum].

    NaN and Infinity come through JSON-RPC as Decimal or float and would
    otherwise reach the database or the arithmetic."""
    if isinstance(number, Decimal):
        finite = number.is_finite()
    else:
        finite = math.isfinite(number)
    if not finite:
        raise NumberError(gettext(
                'clinic_packs.msg_number_not_finite',
                field=_field_string(record.__class__, name),
                record=_rec_name(record)))
    if abs(number) > maximum:
        raise NumberError(gettext(
                'clinic_packs.msg_number_too_large',
                field=_field_string(record.__class__, name),
                record=_rec_name(record), maximum=maximum))


def check_finite(Model, vlist):
    "Raise on NaN or Infinity in values to create or write."
    for values in vlist:
        for name, number in values.items():
            if isinstance(number, (float, Decimal)) and not (
                    number.is_finite() if isinstance(number, Decimal)
                    else math.isfinite(number)):
                raise NumberError(gettext(
                        'clinic_packs.msg_number_not_finite',
                        field=_field_string(Model, name),
                        record=Model.__names__()['model']))


def _rec_name(record):
    if record.id is None or record.id < 0:
        return record.__names__()['model']
    return record.rec_name


def check_company(records, field='company'):
    """Raise unless every record belongs to one of the user's companies.

    Record rules guard searches and reads, but a wizard or a button receives
    ids that no rule filtered (a pack id typed into a wizard's field)."""
    pool = Pool()
    User = pool.get('res.user')
    if not Transaction().user:
        return
    companies = set(User.get_companies())
    for record in records:
        company = getattr(record, field)
        if company and company.id not in companies:
            raise CompanyAccessError(gettext(
                    'clinic_packs.msg_company_forbidden',
                    model=record.__names__()['model'],
                    id=record.id))


class _RowLockRetry(TransactionError):
    "A row changed while we waited for its lock: start the request again."


def lock(Model, records):
    """Lock the rows of records and return them re-read, in the given order.

    On PostgreSQL the lock waits for a request holding the rows (up to
    LOCK_TIMEOUT, then the module's own message); when the holder changed
    them, the request starts again with a fresh view instead of the host's
    NOWAIT lock that fails with a raw "could not obtain lock" under
    contention.  Rows are locked in id order, so requests never deadlock.
    """
    ids = list(dict.fromkeys(int(r) for r in records))
    transaction = Transaction()
    new_ids = transaction.create_records[Model.__name__]
    to_lock = sorted(i for i in ids if i not in new_ids)
    if not to_lock:
        return Model.browse(ids)
    if backend.name != 'postgresql':
        Model.lock(Model.browse(to_lock))
        return Model.browse(ids)
    table = Model.__table__()
    cursor = transaction.connection.cursor()
    try:
        # set_config, not SET: psycopg 3 (Tryton 8.0) binds parameters on
        # the server, where SET takes none.
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true)", (LOCK_TIMEOUT,))
        cursor.execute(*table.select(Literal(1),
                where=In(table.id, to_lock), order_by=[table.id.asc],
                for_=For('UPDATE')))
        cursor.execute('SET LOCAL lock_timeout TO DEFAULT')
    except backend.DatabaseOperationalError as exception:
        code = compat.sqlstate(exception)
        if code in {'40001', '40P01'}:
            # Serialization failure or deadlock: someone committed a change
            # to these rows after our snapshot; retry with a new one.
            raise _RowLockRetry() from exception
        if code == '55P03':
            raise BusyError(gettext(
                    'clinic_packs.msg_record_busy',
                    model=Model.__names__()['model'])) from exception
        raise
    # Tell the host too, so that its own lock() of these rows passes.
    locked = getattr(transaction, '_locked_records', None)
    if locked is not None:
        locked[Model._table].update(to_lock)
    return Model.browse(ids)



def lock_invoice_sequences(invoices):
    """Lock, waiting, the strict sequences that will number invoices.

    Posting takes the sequence's row lock the host's way: it restarts the
    request and then tries the lock without waiting, which fails with a raw
    error while another desk is posting.  Taken here first, the lock waits.
    """
    pool = Pool()
    Period = pool.get('account.period')
    Sequence = pool.get('ir.sequence.strict')
    sequences = set()
    # A renewal posts a batch of invoices of one company and date.
    found = {}
    for invoice in invoices:
        if invoice.number or invoice.type != 'out':
            continue
        date = (invoice.accounting_date or invoice.invoice_date
            or company_today(invoice.company))
        field = invoice._sequence_field
        key = (invoice.company.id, date, field)
        if key not in found:
            found[key] = None
            period = Period.find(invoice.company, date=date, test_state=True)
            pattern = {
                'company': invoice.company.id,
                'fiscalyear': period.fiscalyear.id,
                'period': period.id,
                }
            for invoice_sequence in period.fiscalyear.invoice_sequences:
                if invoice_sequence.match(pattern):
                    sequence = getattr(invoice_sequence, field)
                    if sequence:
                        found[key] = sequence.id
                    break
        if found[key]:
            sequences.add(found[key])
    if sequences:
        lock(Sequence, sorted(sequences))


def company_today(company):
    """Return today's date for company (in its timezone), whatever the
    context's company; the context's today without a company."""
    Date = Pool().get('ir.date')
    with Transaction().set_context(company=company.id if company else None):
        return Date.today()


def retrying(start, func, extras=None, retries=None, wait=0.02,
        on_restart=None, on_retry=None, commit=True):
    """Run func in the transaction start(**extras) opens, commit it and
    return func's result, as ir.cron and the RPC dispatcher do.

    A lock asked for midway (TransactionError) restarts the transaction
    with the lock taken from the start; a lock held by a concurrent
    transaction (DatabaseOperationalError) is retried up to retries times
    (the database's retry setting by default), waiting a little longer each
    time.  extras, updated in place, keeps the locks for the caller's next
    transaction; on_restart and on_retry are told of each.  Without commit
    the work is rolled back (a measurement that must leave no trace).
    """
    if retries is None:
        retries = config.getint('database', 'retry')
    extras = {} if extras is None else extras
    count = 0
    while True:
        if count:
            time.sleep(wait * count)
        try:
            with start(**extras) as transaction:
                try:
                    result = func()
                    if commit:
                        transaction.commit()
                    else:
                        transaction.rollback()
                except TransactionError as e:
                    transaction.rollback()
                    e.fix(extras)
                    if on_restart:
                        on_restart()
                    continue
        except backend.DatabaseOperationalError:
            if count < retries:
                count += 1
                if on_retry:
                    on_retry(count)
                continue
            raise
        return result


def in_new_transaction(func, tables=(), records=None):
    """Run func in a new committed transaction and return the tables it
    locked, for a cron working in batches.

    The transaction starts with tables and the rows of records (ids per
    table) locked, as the caller's earlier batch learned it must: retrying
    restarts it for a lock asked for midway and retries it when a
    concurrent run holds one.
    """
    extras = {
        '_lock_tables': list(tables),
        '_lock_records': {t: list(i) for t, i in (records or {}).items()},
        }
    retrying(Transaction().new_transaction, func, extras,
        on_retry=lambda count: logger.debug("Retry: %i", count))
    return extras['_lock_tables']
