# This file is part of clinic_packs_membership.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The optional GNU Health part: registered only when `health` is activated.

It extends GNU Health's patient by name through the pool and imports none of
its code, so that this file imports without it."""
from trytond.model import fields
from trytond.pool import Pool, PoolMeta


class Patient(metaclass=PoolMeta):
    __name__ = 'gnuhealth.patient'

    # A Many2Many, read-only: 8.0 checks a Function One2Many has a setter.
    memberships = fields.Function(fields.Many2Many(
            'clinic.membership', None, None, "Memberships", readonly=True,
            help="The memberships of the patient's party."),
        'get_memberships')

    @classmethod
    def get_memberships(cls, patients, name):
        pool = Pool()
        Membership = pool.get('clinic.membership')
        result = {p.id: [] for p in patients}
        by_party = {}
        for patient in patients:
            if patient.party:
                by_party.setdefault(patient.party.id, []).append(patient.id)
        if by_party:
            # Record rules keep the memberships to the user's companies.
            for membership in Membership.search([
                        ('party', 'in', list(by_party)),
                        ], order=[('id', 'DESC')]):
                for patient_id in by_party[membership.party.id]:
                    result[patient_id].append(membership.id)
        return result
