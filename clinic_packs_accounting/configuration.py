# This file is part of clinic_packs_accounting.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pyson import Eval
from trytond.transaction import Transaction


def _account_field(string, help):
    return fields.Many2One(
        'account.account', string, required=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('type', '!=', None),
            ('closed', '!=', True),
            ],
        help=help)


class Configuration(ModelSQL, ModelView):
    "Pack Accounting Configuration"
    __name__ = 'clinic.pack.account.configuration'

    company = fields.Many2One('company.company', "Company", required=True)
    contract_liability_account = _account_field(
        "Contract Liability",
        "Credited when a pack is invoiced, debited as sessions are "
        "delivered (IFRS 15 contract liability).")
    breakage_revenue_account = _account_field(
        "Breakage Revenue",
        "Credited with the value of units patients will never use.")
    breakage_accrual_account = _account_field(
        "Breakage Accrual",
        "Contra-liability holding the proportional breakage accrued.")
    unclaimed_property_account = _account_field(
        "Unclaimed Property",
        "Payable to the state for expired balances under escheat laws "
        "(never revenue).")
    journal = fields.Many2One(
        'account.journal', "Recognition Journal", required=True,
        domain=[('type', '=', 'general')],
        context={'company': Eval('company', -1)}, depends=['company'],
        help="The journal of revenue recognition and breakage moves.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('company_uniq', Unique(t, t.company),
                'clinic_packs_accounting.msg_configuration_company_unique'),
            ]

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    def get_rec_name(self, name):
        return self.company.rec_name

    @classmethod
    def get(cls, company):
        "Return the configuration of company or None."
        configurations = cls.search([('company', '=', company.id)], limit=1)
        return configurations[0] if configurations else None
