# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The dispute evidence bundle: what a clinic shows against a chargeback.

One action on a pack renders the evidence (parties, signed terms and their
SHA-256 check, invoice and payments, usage, reminders and events, the
policies in force) as a PDF, or OpenDocument text without LibreOffice, and
zips it with the original signed consent document.  The ZIP is attached to
the pack, so it is kept, and its SHA-256 recorded on the pack.
"""
import datetime as dt
import io
import zipfile
from types import SimpleNamespace

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.report import Report
from trytond.transaction import without_check_access

from . import guard
from .consent import sha256
from .exceptions import PackError
from .statement import OpenDocumentFallback


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    first_payment_in_person = fields.Boolean(
        "First Payment in Person",
        help="The patient paid the first payment at the clinic (card "
        "present or cash), which weighs in a payment dispute.")


class DisputeBundleMixin:
    """The evidence bundle of a record sold to a patient (pack, membership):
    its fields, its button and the ZIP it attaches.

    The record has number, company, state and consent.  _dispute_report
    names its evidence report (a DisputeEvidence), _dispute_messages the
    ids of its "draft" refusal and attachment description (both formatted
    with record), _dispute_error the exception of the refusal."""
    __slots__ = ()
    _dispute_report = 'clinic.pack.dispute'
    _dispute_messages = (
        'clinic_packs.msg_dispute_draft',
        'clinic_packs.msg_dispute_description')
    _dispute_error = PackError

    dispute_bundle = fields.Many2One(
        'ir.attachment', "Dispute Evidence", readonly=True,
        help="The last evidence bundle produced, kept as an attachment.")
    dispute_bundle_sha256 = fields.Char(
        "Dispute Evidence SHA-256", readonly=True,
        help="The SHA-256 of the bundle when it was produced.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'make_dispute_bundle': {
                    'invisible': Eval('state') == 'draft',
                    'icon': 'tryton-print',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def _workflow_fields(cls):
        return super()._workflow_fields() | {
            'dispute_bundle', 'dispute_bundle_sha256'}

    @classmethod
    def copy(cls, records, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('dispute_bundle', None)
        default.setdefault('dispute_bundle_sha256', None)
        return super().copy(records, default=default)

    @classmethod
    @ModelView.button
    def make_dispute_bundle(cls, records):
        "Produce, attach and fingerprint the evidence bundle of records."
        records = cls.browse(records)
        for record in records:
            if record.state == 'draft':
                raise cls._dispute_error(gettext(
                        cls._dispute_messages[0], record=record.rec_name))
        # A button returns nothing to the client: the bundle is attached.
        cls._make_dispute_bundles(records)

    @classmethod
    def _make_dispute_bundles(cls, records):
        "Attach the ZIP bundle of each record, record its SHA-256."
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Evidence = pool.get(cls._dispute_report, type='report')
        attachments = []
        for record in records:
            ext, content, _, name = Evidence.execute([record.id], {})
            data = record._dispute_zip(ext, bytes(content))
            today = guard.company_today(record.company)
            attachments.append(Attachment(
                    resource=record,
                    name='dispute-%s-%s.zip' % (
                        record.number, today.isoformat()),
                    type='data', data=data,
                    description=record._dispute_description(sha256(data))))
        with without_check_access():
            Attachment.save(attachments)
        for record, attachment in zip(records, attachments):
            record.dispute_bundle = attachment
            record.dispute_bundle_sha256 = sha256(attachment.data)
        cls.save(records)
        return attachments

    def _dispute_description(self, digest):
        return gettext(self._dispute_messages[1],
            record=self.rec_name, sha256=digest)

    def _dispute_zip(self, ext, content):
        "Return the ZIP of the evidence document and the signed consent."
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as bundle:
            bundle.writestr('evidence-%s.%s' % (self.number, ext), content)
            consent = self.consent
            if consent and consent.document and consent.document.data:
                with without_check_access():
                    document = consent.document
                    bundle.writestr(
                        'consent-%s' % (document.name or consent.id),
                        bytes(document.data))
        return buffer.getvalue()


def evidence(subject, currency):
    """Return an evidence document of subject without sections, the
    function adding a section of rows to it, and the one formatting an
    amount of currency in the user's language."""
    lang = Pool().get('ir.lang').get()
    document = SimpleNamespace(subject=subject,
        produced=dt.datetime.now().replace(microsecond=0), sections=[])

    def section(title, rows):
        document.sections.append(SimpleNamespace(title=title, rows=rows))
    return document, section, lambda amount: lang.currency(amount, currency)


def consent_rows(consent):
    "Return the evidence rows of a signed consent (or its absence)."
    if not consent:
        return ["No signed consent is linked."]
    return [
        "%s, version %s" % (consent.template.rec_name, consent.version),
        "Signed by %s on %s, %s" % (
            consent.signer_name or '', consent.signed_on or '',
            dict(consent._fields['method'].selection).get(
                consent.method, '')),
        "Document SHA-256 at signing: %s" % (consent.document_sha256 or ''),
        "Check of the document today: %s" % (
            consent.verification or 'none'),
        ] + (consent.terms or '').splitlines()


def invoice_rows(invoice, money):
    "Return the evidence rows of an invoice and its payments."
    rows = ["Invoice %s of %s: %s, %s" % (
            invoice.number or '', invoice.invoice_date,
            money(invoice.total_amount),
            dict(invoice._fields['state'].selection).get(
                invoice.state, invoice.state))]
    rows.append("First payment taken in person: %s" % (
            "yes" if invoice.first_payment_in_person else "no"))
    for line in invoice.payment_lines:
        rows.append("Payment %s: %s by %s" % (
                line.date, money(line.credit - line.debit),
                line.move.journal.rec_name if line.move else ''))
    return rows


class Pack(DisputeBundleMixin, metaclass=PoolMeta):
    __name__ = 'clinic.pack'


class DisputeEvidence(OpenDocumentFallback, Report):
    """Dispute Evidence

    The evidence of one pack for a payment dispute, one section per kind of
    proof, every figure as the records hold it.
    """
    __name__ = 'clinic.pack.dispute'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        # The page header of the statement's layout names the clinic.
        context['company'] = records[0].company if records else None
        with without_check_access():
            context['evidences'] = {
                p.id: cls.get_evidence(p.__class__(p.id)) for p in records}
        return context

    @classmethod
    def get_evidence(cls, pack):
        "Return the evidence of pack: produced and sections of rows."
        document, section, money = evidence(
            "Pack %s" % pack.number, pack.currency)

        template = pack.template
        section("Parties", [
                "Clinic: %s" % pack.company.rec_name,
                "Patient: %s" % pack.party.rec_name,
                ] + (["Funder: %s (%s)" % (pack.funder.rec_name,
                        pack.funder_reference or '')]
                if pack.funder else []))
        section("What was bought", [
                "Pack %s: %s" % (pack.number, template.rec_name),
                "Units: %s, price %s" % (
                    pack.quantity_text, money(pack.amount)),
                "Valid from %s to %s, %s days of grace" % (
                    pack.start_date, pack.expiry_date or '-',
                    template.grace_days or 0),
                "State: %s; used %s, left %s" % (
                    pack.state_string, pack.redeemed_text,
                    pack.remaining_text),
                ])
        section("Signed terms", consent_rows(pack.consent))
        invoice = pack.invoice
        rows = []
        if invoice:
            rows.extend(invoice_rows(invoice, money))
        else:
            rows.append("No invoice: the pack was entered by hand.")
        section("Invoices and payments", rows)
        rows = []
        for redemption in sorted(pack.redemptions,
                key=lambda r: (r.date, r.id)):
            rows.append("%s: %s, %s, %s (%s)" % (
                    redemption.date, redemption.product.rec_name,
                    redemption.employee.rec_name
                    if redemption.employee else '-',
                    pack.format_quantity(redemption.units or 0),
                    redemption.state))
        section("Usage", rows or ["No session used."])
        rows = []
        if pack.reminder_sent:
            rows.append("Expiry reminder emailed on %s to %s" % (
                    pack.reminder_sent.create_date,
                    pack.reminder_sent.recipients or ''))
        for event in sorted(pack.events, key=lambda e: (e.date, e.id)):
            rows.append("%s %s by %s: %s" % (
                    event.date.replace(microsecond=0), event.type,
                    event.user.rec_name if event.user else '-',
                    event.reason or ''))
        section("Reminders, notices and changes", rows or ["None."])
        policy = dict(template._fields['refund_policy'].selection)
        section("Policies in force", [
                "Refund policy: %s" % policy.get(template.refund_policy),
                "Refund quote today: %s" % money(pack.refund_quote),
                "Transferable: %s" % ("yes" if template.transferable
                    else "no"),
                ])
        return document
