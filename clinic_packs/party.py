# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.modules.party.exceptions import EraseError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .exceptions import PartyPackError


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    packs = fields.One2Many(
        'clinic.pack', 'party', "Packs", readonly=True)
    pack_balance = fields.Function(Monetary(
            "Pack Balance", currency='pack_currency', digits='pack_currency',
            help="The value of the patient's open packs still to use."),
        'get_pack_balance')
    pack_sessions_left = fields.Function(fields.Numeric(
            "Sessions Left", digits=(16, 0),
            help="Sessions left on the patient's open session packs."),
        'get_pack_balance')
    pack_currency = fields.Function(fields.Many2One(
            'currency.currency', "Pack Currency"), 'get_pack_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'sell_pack': {
                    'icon': 'tryton-add',
                    },
                'redeem_pack': {
                    'icon': 'tryton-ok',
                    },
                })

    @classmethod
    @ModelView.button_action('clinic_packs.wizard_sell_party')
    def sell_pack(cls, parties):
        pass

    @classmethod
    @ModelView.button_action('clinic_packs.wizard_redeem_party')
    def redeem_pack(cls, parties):
        pass

    def get_pack_currency(self, name):
        pool = Pool()
        Company = pool.get('company.company')
        company = _company()
        if company is not None:
            return Company(company).currency.id

    @classmethod
    def get_pack_balance(cls, parties, names):
        pool = Pool()
        Pack = pool.get('clinic.pack')
        result = {n: {p.id: Decimal(0) for p in parties} for n in names}
        company = _company()
        if company is None:
            return result
        packs = Pack.search([
                ('party', 'in', [p.id for p in parties]),
                ('state', 'in', ['active', 'expired']),
                ('company', '=', company),
                ])
        for pack in packs:
            if 'pack_balance' in names:
                result['pack_balance'][pack.party.id] += (
                    pack.remaining_amount)
            if ('pack_sessions_left' in names
                    and pack.unit == 'session' and pack.state == 'active'):
                result['pack_sessions_left'][pack.party.id] += (
                    pack.remaining_quantity)
        return result

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('packs', None)
        return super().copy(parties, default=default)


def _company():
    """The company of the context when it is one of the user's.

    The context is the client's to set: another company's figures must not
    show because a user of one company names it."""
    pool = Pool()
    User = pool.get('res.user')
    transaction = Transaction()
    company = transaction.context.get('company')
    if company is None or company < 0:
        return None
    if transaction.user and company not in User.get_companies():
        return None
    return company


# Packs still owing care, and consents that are evidence, keep their patient.
OPEN_PACK_STATES = ['draft', 'active', 'expired']


class Replace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        return super().fields_to_replace() + [
            ('clinic.pack', 'party'),
            ('clinic.pack', 'funder'),
            ('clinic.pack.redemption', 'party'),
            ]

    def transition_replace(self):
        self.check_replace_packs(self.ask.source)
        return super().transition_replace()

    def check_replace_packs(self, party):
        """Refuse to replace a patient whom a record of ours keeps.

        Raise the first error of `_replace_blockers`: open packs and signed
        consents here, open memberships in clinic_packs_membership."""
        # Whoever merges the duplicate must see every record keeping it,
        # not only those of their own companies.
        with without_check_access():
            for error in self._replace_blockers(party):
                raise error

    def _replace_blockers(self, party):
        """Yield an error for each kind of record that keeps party.

        Their units and the signature belong to the person who bought and
        signed: a duplicate is merged once they are closed or revoked.
        Extend it to keep party for records of another module."""
        pool = Pool()
        Pack = pool.get('clinic.pack')
        Consent = pool.get('clinic.consent')
        for pack in Pack.search([
                    ('party', '=', party.id),
                    ('state', 'in', OPEN_PACK_STATES),
                    ], limit=1):
            yield PartyPackError(gettext(
                    'clinic_packs.msg_party_replace_open_pack',
                    party=party.rec_name, pack=pack.rec_name))
        for consent in Consent.search([
                    ('party', '=', party.id),
                    ('state', '=', 'signed'),
                    ], limit=1):
            yield PartyPackError(gettext(
                    'clinic_packs.msg_party_replace_signed_consent',
                    party=party.rec_name, consent=consent.rec_name))


class Erase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def check_erase_company(self, party, company):
        # Ours first: an open pack explains more than the host's pending
        # invoice that paid for it.
        for error in self._erase_blockers(party, company):
            raise error
        super().check_erase_company(party, company)

    def _erase_blockers(self, party, company):
        """Yield an EraseError for each kind of record that keeps party in
        company: open packs (bought or funded) and signed consents.

        Extend it to keep party for records of another module."""
        pool = Pool()
        Pack = pool.get('clinic.pack')
        Consent = pool.get('clinic.consent')
        for pack in Pack.search([
                    ['OR',
                        ('party', '=', party.id),
                        ('funder', '=', party.id),
                        ],
                    ('company', '=', company.id),
                    ('state', 'in', OPEN_PACK_STATES),
                    ], limit=1):
            yield EraseError(gettext(
                    'clinic_packs.msg_party_erase_open_pack',
                    party=party.rec_name, company=company.rec_name,
                    pack=pack.rec_name))
        for consent in Consent.search([
                    ('party', '=', party.id),
                    ('company', '=', company.id),
                    ('state', '=', 'signed'),
                    ], limit=1):
            yield EraseError(gettext(
                    'clinic_packs.msg_party_erase_signed_consent',
                    party=party.rec_name, company=company.rec_name,
                    consent=consent.rec_name))
