# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('clinic.membership|renew', "Renew Memberships"),
                ('clinic.membership|send_renewal_notices',
                    "Send Membership Renewal Notices"),
                ])
