# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What differs between Tryton 7.0 LTS and 8.0 LTS, one place per difference.

The modules are written for 8.0 where the two series differ; what 7.0 (the
series GNU Health 5.0 runs on) needs besides lives here, so that dropping 7.0
is deleting this file's 7.0 branches."""
import trytond
from trytond.model import dualmethod
from trytond.pool import Pool, PoolMeta

SERIES = tuple(int(n) for n in trytond.__version__.split('.')[:2])
TRYTON_8 = SERIES >= (8, 0)


def list_price(product):
    """The price a product variant sells at.

    On 8.0 a variant's own list_price is an override, empty unless set, and
    list_price_used is the price in force; on 7.0 list_price is that price."""
    if TRYTON_8:
        return product.list_price_used
    return product.list_price


def sqlstate(exception):
    "The SQLSTATE of a database error: psycopg 3 (8.0) or psycopg2 (7.0)"
    return (getattr(exception, 'sqlstate', None)
        or getattr(exception, 'pgcode', None))


class _ModelNamedAsText:
    """Accept the model of a record as its name, as 8.0 stores it.

    On 8.0 access records, buttons and rule groups store the model's name and
    the XML gives it as text (`<field name="model">clinic.pack</field>`); on
    7.0 the field links to `ir.model`, so the name is looked up here."""
    __slots__ = ()

    @classmethod
    def _model_id(cls, values):
        model = values.get('model')
        if isinstance(model, str):
            values = values.copy()
            Model = Pool().get('ir.model')
            values['model'], = [
                m.id for m in Model.search([('model', '=', model)], limit=1)]
        return values

    @classmethod
    def create(cls, vlist):
        return super().create([cls._model_id(v) for v in vlist])

    @classmethod
    def write(cls, *args):
        args = list(args)
        args[1::2] = [cls._model_id(v) for v in args[1::2]]
        super().write(*args)


class ModelAccess(_ModelNamedAsText, metaclass=PoolMeta):
    __name__ = 'ir.model.access'


class ModelButton(_ModelNamedAsText, metaclass=PoolMeta):
    __name__ = 'ir.model.button'


class RuleGroup(_ModelNamedAsText, metaclass=PoolMeta):
    __name__ = 'ir.rule.group'


class Move(metaclass=PoolMeta):
    """Wait for the move numbering instead of failing under contention.

    8.0 numbers a posted move with the fiscal year's (or period's) strict
    sequence and locks its row for that: the host restarts the request and
    then tries the lock without waiting, so two desks posting at once (a
    redemption, a pack sale, a renewal) make one fail with "could not obtain
    lock on row in relation ir_sequence_strict".  Locked here first, with
    guard.lock, the second desk waits for the first to commit.  7.0 numbers
    posted moves with a plain sequence, which takes no lock."""
    __name__ = 'account.move'

    @dualmethod
    def post(cls, moves):
        from . import guard
        Sequence = Pool().get('ir.sequence.strict')
        guard.lock(Sequence, sorted({
                    m.period.move_sequence_used.id
                    for m in moves if not m.number}))
        super().post(moves)


# Registered by clinic_packs before its XML loads, so every module of ours
# (and its dependants) may name models as text; on 8.0, account.move waits
# for its numbering.
MODELS = [Move] if TRYTON_8 else [ModelAccess, ModelButton, RuleGroup]


def name_models(package):
    """Name our models by their docstring on 8.0 too.

    7.0 names a model by the first line of its docstring, 8.0 by
    `__string__`, which defaults to the humanized `__name__` ("Clinic
    Consent" for clinic.consent); setting `__string__` from the docstring
    keeps the names users read (in forms and access errors) the same on both
    series.  Called from register() with the package's name."""
    if not TRYTON_8:
        return
    import sys
    from trytond.model import Model
    modules = [m for n, m in list(sys.modules.items())
        if n.startswith(package + '.') and m is not None]
    for module in modules:
        for cls in vars(module).values():
            if (isinstance(cls, type) and issubclass(cls, Model)
                    and type(cls) is not PoolMeta  # not an extension
                    and cls.__module__ == module.__name__
                    and '__name__' in cls.__dict__
                    and not cls.__dict__.get('__string__')
                    and cls.__doc__):
                lines = [l.strip() for l in cls.__doc__.splitlines()
                    if l.strip()]
                cls.__string__ = lines[0]
