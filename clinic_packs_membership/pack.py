# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.pool import PoolMeta


class Pack(metaclass=PoolMeta):
    __name__ = 'clinic.pack'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['clinic.membership.period']
