# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The patient's pack statement: what was bought, used and is left."
import logging
import shutil
from decimal import Decimal
from types import SimpleNamespace

from trytond.pool import Pool
from trytond.report import Report
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)


class OpenDocumentFallback:
    "A report printed as PDF with LibreOffice, as OpenDocument without it."

    @classmethod
    def convert(cls, report, data, **kwargs):
        # trytond calls soffice and raises when it is not installed: keep
        # the OpenDocument text rather than fail the front desk's print.
        output_format = report.extension or report.template_extension
        if (output_format != report.template_extension
                and not shutil.which('soffice')):
            logger.info(
                "soffice not found: %s stays %s", report.report_name,
                report.template_extension)
            return report.template_extension, data
        return super().convert(report, data, **kwargs)


class PackStatement(OpenDocumentFallback, Report):
    """Patient Pack Statement

    Lists, for each patient, their packs of the current company with their
    progress, units and value left and refund quote, each pack's done
    redemptions, and totals.
    """
    __name__ = 'clinic.pack.statement'

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Company = pool.get('company.company')
        Date = pool.get('ir.date')
        context = super().get_context(records, header, data)
        company_id = Transaction().context.get('company')
        company = None
        if company_id is not None and company_id >= 0:
            company = Company(company_id)
        context['company'] = company
        context['today'] = Date.today()
        context['statements'] = {
            p.id: cls.get_statement(p, company) for p in records}
        return context

    @classmethod
    def get_statement(cls, party, company=None):
        """Return the statement of party's packs.

        A namespace with `packs` (each with `pack`, its done `redemptions`
        oldest first and their `redeemed_amount`) and the totals
        `redeemed_amount`, `remaining_amount` and `refund_quote`.  Draft
        packs, not sold yet, are left out; prices are not totalled because
        a merged pack's price is the value moved from its sources.
        """
        pool = Pool()
        Pack = pool.get('clinic.pack')
        domain = [
            ('party', '=', party.id),
            ('state', '!=', 'draft'),
            ]
        if company:
            domain.append(('company', '=', company.id))
        packs = Pack.search(domain, order=[
                ('start_date', 'ASC'), ('number', 'ASC'), ('id', 'ASC')])
        zero = Decimal(0)
        if company:
            zero = company.currency.round(zero)
        statement = SimpleNamespace(
            packs=[], currency=company.currency if company else None,
            redeemed_amount=zero, remaining_amount=zero,
            refund_quote=zero)
        for pack in packs:
            redemptions = sorted(
                (r for r in pack.redemptions if r.state == 'done'),
                key=lambda r: (r.date, r.id))
            redeemed_amount = sum((r.amount for r in redemptions), zero)
            statement.packs.append(SimpleNamespace(
                    pack=pack, redemptions=redemptions,
                    redeemed_amount=redeemed_amount))
            statement.currency = statement.currency or pack.currency
            statement.redeemed_amount += redeemed_amount
            statement.remaining_amount += pack.remaining_amount
            statement.refund_quote += pack.refund_quote
        return statement
