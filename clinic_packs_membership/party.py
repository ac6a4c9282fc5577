# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.i18n import gettext
from trytond.model import fields
from trytond.modules.party.exceptions import EraseError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access

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

    def check_replace_packs(self, party):
        pool = Pool()
        Membership = pool.get('clinic.membership')
        super().check_replace_packs(party)
        with without_check_access():
            memberships = Membership.search([
                    ('party', '=', party.id),
                    ('state', 'in', OPEN_STATES),
                    ], limit=1)
        if memberships:
            raise MembershipError(gettext(
                    'clinic_packs_membership.msg_party_replace_membership',
                    party=party.rec_name,
                    membership=memberships[0].rec_name))


class Erase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def check_erase_company(self, party, company):
        pool = Pool()
        Membership = pool.get('clinic.membership')
        memberships = Membership.search([
                ('party', '=', party.id),
                ('company', '=', company.id),
                ('state', 'in', OPEN_STATES),
                ], limit=1)
        if memberships:
            raise EraseError(gettext(
                    'clinic_packs_membership.msg_party_erase_membership',
                    party=party.rec_name, company=company.rec_name,
                    membership=memberships[0].rec_name))
        super().check_erase_company(party, company)
