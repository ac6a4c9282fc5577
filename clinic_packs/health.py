# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The optional GNU Health part: registered only when `health` is activated.

Nothing here imports GNU Health's code: the classes extend its models by
name through the pool, so that this file imports without it.

- gnuhealth.appointment names the pack that pays for its consultation; when
  it becomes done (or a no-show that the clinic charges), one redemption is
  created and done with the appointment as origin; when it leaves that state
  the redemption is cancelled;
- company.company holds the clinic's no-show setting;
- gnuhealth.patient shows the patient's packs and offers Sell Pack and
  Redeem, as the party form does, for the patient's party.
"""
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import timezone as tz
from trytond.transaction import Transaction

from . import guard
from .exceptions import RedemptionError
from .party import _company

# Appointment states in which the consultation was delivered.
DONE_STATES = {'done'}


class Company(metaclass=PoolMeta):
    __name__ = 'company.company'

    pack_no_show_uses_session = fields.Boolean(
        "No-show Uses a Pack Session",
        help="If checked, an appointment marked as a no-show redeems its "
        "consultation from the patient's pack as if it took place.")

    @classmethod
    def default_pack_no_show_uses_session(cls):
        return False


class Appointment(metaclass=PoolMeta):
    __name__ = 'gnuhealth.appointment'

    pack = fields.Many2One(
        'clinic.pack', "Pack", ondelete='RESTRICT',
        domain=['OR',
            ('id', '=', Eval('pack', -1)),
            ('id', 'in', Eval('eligible_packs', [])),
            ],
        states={
            'readonly': Eval('state').in_(['done', 'no_show']),
            },
        help="The patient's pack that pays for the consultation; empty for "
        "the eligible pack that expires first.")
    eligible_packs = fields.Function(
        fields.Many2Many('clinic.pack', None, None, "Eligible Packs",
            help="The patient's packs that can pay for the consultation on "
            "the appointment's day."),
        'on_change_with_eligible_packs')
    pack_redemptions = fields.One2Many(
        'clinic.pack.redemption', 'origin', "Pack Redemptions",
        readonly=True,
        help="The redemption of this consultation, and the cancelled ones.")
    pack_no_show = fields.Selection([
            (None, ""),
            ('used', "Session used"),
            ('waived', "Session not used"),
            ], "No-show Pack Decision", readonly=True,
        help="What the clinic's setting decided when the appointment "
        "became a no-show.")

    @fields.depends('patient', '_parent_patient.party', 'consultations',
        'appointment_date', 'pack', '_parent_pack.company')
    def on_change_with_eligible_packs(self, name=None):
        pool = Pool()
        Pack = pool.get('clinic.pack')
        if not (self.patient and self.patient.party and self.consultations):
            return []
        company = self._pack_company()
        if company is None:
            return []
        date = self._pack_date(company)
        # The pack rule of covered invoice lines, within the user's packs.
        return [p.id for p in Pack.find_eligible(
                self.patient.party, self.consultations, date, company)]

    @classmethod
    def copy(cls, appointments, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('pack_redemptions', None)
        default.setdefault('pack_no_show', None)
        return super().copy(appointments, default=default)

    @classmethod
    def create(cls, vlist):
        appointments = super().create(vlist)
        cls._sync_pack_redemptions(
            [a for a in appointments
                if a.state in DONE_STATES | {'no_show'}], {})
        return appointments

    @classmethod
    def write(cls, *args):
        # GNU Health and the client change the state by writing it
        # (check_in, miss_out, end_evaluation): watching the writes catches
        # every way an appointment becomes done or leaves it.
        actions = iter(args)
        changed, previous = [], {}
        for appointments, values in zip(actions, actions):
            if 'state' in values:
                for appointment in appointments:
                    previous.setdefault(appointment.id, appointment.state)
                    changed.append(appointment)
        super().write(*args)
        if changed:
            cls._sync_pack_redemptions(cls.browse(
                    list(dict.fromkeys(a.id for a in changed))), previous)

    @classmethod
    def _sync_pack_redemptions(cls, appointments, previous):
        """Make each appointment's redemption follow its state.

        One done redemption while the appointment is done (or a charged
        no-show), none otherwise.  Idempotent: running it again for the same
        state does nothing.  Runs without access checks (the practitioner
        ending an evaluation need not be a front desk user), within the
        user's companies.
        """
        pool = Pool()
        Redemption = pool.get('clinic.pack.redemption')
        if not appointments:
            return
        # One request at a time decides for an appointment.
        appointments = guard.lock(cls, appointments)
        with Transaction().set_context(_check_access=False):
            redemptions = Redemption.search([
                    ('origin', 'in', [str(a) for a in appointments]),
                    ('state', 'in', ['draft', 'done']),
                    ])
        by_origin = {}
        for redemption in redemptions:
            by_origin.setdefault(redemption.origin.id, []).append(redemption)
        decisions = {}
        to_do, to_cancel, to_delete = [], [], []
        for appointment in appointments:
            decision = None
            if appointment.state == 'no_show':
                decision = appointment.pack_no_show
                if previous.get(appointment.id) != 'no_show' or not decision:
                    decision = appointment._no_show_decision()
            if decision != appointment.pack_no_show:
                decisions.setdefault(decision, []).append(appointment)
            wanted = (appointment.state in DONE_STATES
                or decision == 'used')
            existing = by_origin.get(appointment.id, [])
            if wanted:
                if any(r.state == 'done' for r in existing):
                    continue
                to_delete.extend(existing)
                redemption = appointment._get_pack_redemption()
                if redemption:
                    to_do.append(redemption)
            else:
                to_cancel.extend(r for r in existing if r.state == 'done')
                to_delete.extend(r for r in existing if r.state == 'draft')
        with Transaction().set_context(_check_access=False):
            for decision, records in decisions.items():
                super().write(records, {'pack_no_show': decision})
            if to_delete:
                Redemption.delete(to_delete)
            if to_cancel:
                Redemption.cancel(to_cancel)
            if to_do:
                Redemption.save(to_do)
                Redemption.do(to_do)

    def _pack_company(self):
        pool = Pool()
        Company = pool.get('company.company')
        if self.pack:
            return self.pack.company
        # The context's company when it is one of the user's.
        company = _company()
        if company is not None:
            return Company(company)

    def _no_show_decision(self):
        "Whether the clinic charges this no-show a session."
        company = self._pack_company()
        if company and company.pack_no_show_uses_session:
            return 'used'
        return 'waived'

    def _pack_date(self, company):
        if not self.appointment_date:
            return guard.company_today(company)
        if company and company.timezone:
            zone = tz.get_tzinfo(company.timezone)
            return self.appointment_date.replace(
                tzinfo=tz.UTC).astimezone(zone).date()
        return self.appointment_date.date()

    def _pack_employee(self, company):
        pool = Pool()
        Employee = pool.get('company.employee')
        party = self.healthprof.party if self.healthprof else None
        if not party or not company:
            return None
        with Transaction().set_context(_check_access=False):
            employees = Employee.search([
                    ('party', '=', party.id),
                    ('company', '=', company.id),
                    ], order=[('id', 'ASC')], limit=1)
        return employees[0] if employees else None

    def _get_pack_redemption(self):
        """Return the draft redemption of this appointment's consultation.

        None when there is no consultation service, no patient or no pack
        to pay for it (the patient pays as usual)."""
        pool = Pool()
        Pack = pool.get('clinic.pack')
        Redemption = pool.get('clinic.pack.redemption')
        product = self.consultations
        if not product or not self.patient or not self.patient.party:
            return None
        party = self.patient.party
        company = self._pack_company()
        date = self._pack_date(company)
        pack = self.pack
        if pack is None:
            if company is None:
                return None
            with Transaction().set_context(_check_access=False):
                packs = Pack.find_eligible(party, product, date, company)
            if not packs:
                return None
            pack = packs[0]
        elif pack.party != party:
            raise RedemptionError(gettext(
                    'clinic_packs.msg_redemption_party',
                    pack=pack.rec_name, party=party.rec_name))
        guard.check_company([pack])
        return Redemption(
            pack=pack,
            party=party,
            company=pack.company,
            date=date,
            product=product,
            quantity=1,
            uom=product.default_uom,
            employee=self._pack_employee(pack.company),
            origin=self)


class Redemption(metaclass=PoolMeta):
    __name__ = 'clinic.pack.redemption'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['gnuhealth.appointment']


class Patient(metaclass=PoolMeta):
    __name__ = 'gnuhealth.patient'

    # A Many2Many, read-only: 8.0 checks a Function One2Many has a setter.
    packs = fields.Function(fields.Many2Many(
            'clinic.pack', None, None, "Packs", readonly=True,
            help="The packs of the patient's party."),
        'get_packs')
    pack_balance = fields.Function(fields.Numeric(
            "Pack Balance", digits=(16, 2),
            help="The value of the patient's open packs still to use."),
        'get_pack_balance')
    pack_sessions_left = fields.Function(fields.Numeric(
            "Sessions Left", digits=(16, 0),
            help="Sessions left on the patient's open session packs."),
        'get_pack_balance')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'sell_pack': {
                    'icon': 'tryton-add',
                    'invisible': ~Eval('party'),
                    'depends': ['party'],
                    },
                'redeem_pack': {
                    'icon': 'tryton-ok',
                    'invisible': ~Eval('party'),
                    'depends': ['party'],
                    },
                })

    @classmethod
    @ModelView.button_action('clinic_packs.wizard_sell_patient')
    def sell_pack(cls, patients):
        "Sell a pack to the patient's party (the Sell Pack wizard)."
        pass

    @classmethod
    @ModelView.button_action('clinic_packs.wizard_redeem_patient')
    def redeem_pack(cls, patients):
        "Redeem from the patient's party's packs (the Redeem wizard)."
        pass

    @classmethod
    def get_packs(cls, patients, name):
        pool = Pool()
        Pack = pool.get('clinic.pack')
        result = {p.id: [] for p in patients}
        by_party = {}
        for patient in patients:
            if patient.party:
                by_party.setdefault(patient.party.id, []).append(patient.id)
        if by_party:
            # Record rules keep the packs to the user's companies.
            for pack in Pack.search([
                        ('party', 'in', list(by_party)),
                        ], order=[('start_date', 'DESC'), ('id', 'DESC')]):
                for patient_id in by_party[pack.party.id]:
                    result[patient_id].append(pack.id)
        return result

    @classmethod
    def get_pack_balance(cls, patients, names):
        pool = Pool()
        Party = pool.get('party.party')
        parties = Party.browse({p.party.id for p in patients if p.party})
        balances = Party.get_pack_balance(parties, names)
        return {name: {p.id: (balances[name].get(p.party.id)
                    if p.party else None) for p in patients}
            for name in names}


class Sell(metaclass=PoolMeta):
    __name__ = 'clinic.pack.sell'

    def default_start(self, fields):
        "Started from a patient, sell to the patient's party."
        values = super().default_start(fields)
        if (self.model and self.model.__name__ == 'gnuhealth.patient'
                and self.record and self.record.party):
            values['party'] = self.record.party.id
        return values


class Redeem(metaclass=PoolMeta):
    __name__ = 'clinic.pack.redeem'

    def default_start(self, fields):
        values = super().default_start(fields)
        if (self.model and self.model.__name__ == 'gnuhealth.patient'
                and self.record and self.record.party):
            values['party'] = self.record.party.id
        return values
