# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.i18n import gettext
from trytond.model import fields
from trytond.modules.party.exceptions import EraseError
from trytond.pool import Pool, PoolMeta

from .exceptions import MembershipError

# Memberships that may still bill or give access keep their member.
OPEN_STATES = ['draft', 'active', 'paused']


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    memberships = fields.One2Many(
        'clinic.membership', 'party', "Memberships", readonly=True)

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('memberships', None)
        return super().copy(parties, default=default)


class Replace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        return super().fields_to_replace() + [
            ('clinic.membership', 'party'),
            ]

    def _replace_blockers(self, party):
        "Open memberships keep their member too, after packs and consents."
        pool = Pool()
        Membership = pool.get('clinic.membership')
        yield from super()._replace_blockers(party)
        for membership in Membership.search([
                    ('party', '=', party.id),
                    ('state', 'in', OPEN_STATES),
                    ], limit=1):
            yield MembershipError(gettext(
                    'clinic_packs_membership.msg_party_replace_membership',
                    party=party.rec_name, membership=membership.rec_name))


class Erase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def _erase_blockers(self, party, company):
        "Open memberships keep their member too, before packs and consents."
        pool = Pool()
        Membership = pool.get('clinic.membership')
        for membership in Membership.search([
                    ('party', '=', party.id),
                    ('company', '=', company.id),
                    ('state', 'in', OPEN_STATES),
                    ], limit=1):
            yield EraseError(gettext(
                    'clinic_packs_membership.msg_party_erase_membership',
                    party=party.rec_name, company=company.rec_name,
                    membership=membership.rec_name))
        yield from super()._erase_blockers(party, company)
