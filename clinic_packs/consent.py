# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import hashlib

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Workflow, fields)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice, reduce_ids
from trytond.tools import timezone as tz
from trytond.transaction import Transaction, without_check_access

from . import guard
from .exceptions import (
    ConsentAccessError, ConsentError, ConsentRequiredError)

STATES = [
    ('draft', "Draft"),
    ('signed', "Signed"),
    ('revoked', "Revoked"),
    ]
METHODS = [
    ('in_person', "In Person"),
    ('electronic', "Electronic"),
    ('paper', "Paper"),
    ]
VERIFICATIONS = [
    (None, ""),
    ('valid', "Valid"),
    ('tampered', "Tampered"),
    ('missing', "Missing"),
    ]
# States in which a consent has been signed: its copy of the terms is evidence.
SIGNED_STATES = ['signed', 'revoked']


def sha256(data):
    "Return the hexadecimal SHA-256 of data (bytes) or None without data."
    if not data:
        return None
    return hashlib.sha256(bytes(data)).hexdigest()


class ConsentTemplate(DeactivableMixin, ModelSQL, ModelView):
    "Consent Template"
    __name__ = 'clinic.consent.template'

    name = fields.Char("Name", required=True)
    company = fields.Many2One('company.company', "Company", required=True)
    version = fields.Integer(
        "Version", readonly=True, required=True,
        help="Increased when the terms are changed after a patient has "
        "signed them, so that each signed consent keeps the version it saw.")
    terms = fields.Text(
        "Terms", required=True,
        help="The terms the patient signs: refund, cancellation, expiry, "
        "transferability, auto-renewal and minimum commitment.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_version(cls):
        return 1

    @classmethod
    def write(cls, *args):
        pool = Pool()
        Consent = pool.get('clinic.consent')
        consent = Consent.__table__()
        cursor = Transaction().connection.cursor()

        actions = iter(args)
        args = []
        for templates, values in zip(actions, actions):
            if 'terms' not in values:
                args.extend((templates, values))
                continue
            # Versions already signed: changing their terms makes a new one.
            signed = set()
            for sub_ids in grouped_slice([t.id for t in templates]):
                cursor.execute(*consent.select(
                        consent.template, consent.version,
                        where=reduce_ids(consent.template, sub_ids)
                        & consent.state.in_(SIGNED_STATES),
                        group_by=[consent.template, consent.version]))
                signed.update(cursor)
            kept = []
            for template in templates:
                if (template.terms != values['terms']
                        and (template.id, template.version) in signed):
                    args.extend(([template], {
                                **values,
                                'version': template.version + 1,
                                }))
                else:
                    kept.append(template)
            if kept:
                args.extend((kept, values))
        if args:
            super().write(*args)

    @classmethod
    def copy(cls, templates, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('version', 1)
        return super().copy(templates, default=default)


class Consent(guard.WorkflowGuardMixin, Workflow, ModelSQL, ModelView):
    "Consent"
    __name__ = 'clinic.consent'

    _draft = {'readonly': Eval('state') != 'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    party = fields.Many2One(
        'party.party', "Patient", required=True, ondelete='RESTRICT',
        states=_draft,
        context={'company': Eval('company', -1)}, depends=['company'])
    template = fields.Many2One(
        'clinic.consent.template', "Template", required=True,
        ondelete='RESTRICT', states=_draft,
        domain=[('company', '=', Eval('company', -1))])
    version = fields.Integer(
        "Version", readonly=True,
        help="The version of the template's terms, frozen at signing.")
    terms = fields.Text(
        "Terms", readonly=True,
        help="A copy of the template's terms, frozen at signing.")
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    signed_on = fields.DateTime(
        "Signed On", states=_draft,
        help="When the patient signed; leave empty to use the time of "
        "signing in the system.")
    signer_name = fields.Char(
        "Signer Name", states=_draft,
        help="Who signed: the patient or their legal representative.")
    method = fields.Selection(
        METHODS, "Method", required=True, states=_draft)
    document = fields.Many2One(
        'ir.attachment', "Document", states=_draft,
        domain=[('resource', '=', ['clinic.consent', Eval('id', -1)])],
        help="The signed document, attached to this consent.")
    document_sha256 = fields.Char(
        "Document SHA-256", readonly=True,
        help="The fingerprint of the document taken at signing.")
    verification = fields.Function(fields.Selection(
            VERIFICATIONS, "Verification",
            help="Whether the document still matches its fingerprint."),
        'get_verification')
    verification_state = fields.Selection(
        VERIFICATIONS, "Last Verification", readonly=True)
    verified_on = fields.DateTime("Verified On", readonly=True)
    revoked_on = fields.DateTime("Revoked On", readonly=True)
    revoked_by = fields.Many2One('res.user', "Revoked By", readonly=True)

    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(
                    t,
                    (t.party, Index.Equality()),
                    (t.template, Index.Equality()),
                    where=t.state == 'signed'),
                Index(
                    t,
                    (t.template, Index.Equality()),
                    (t.version, Index.Equality())),
                Index(
                    t, (t.state, Index.Equality()),
                    where=t.state == 'draft'),
                })
        cls._order = [
            ('signed_on', 'DESC NULLS FIRST'),
            ('id', 'DESC'),
            ]
        cls._transitions |= {
            ('draft', 'signed'),
            ('signed', 'revoked'),
            }
        cls._buttons.update({
                'sign': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'revoke': {
                    'invisible': Eval('state') != 'signed',
                    'depends': ['state'],
                    },
                'verify': {
                    'invisible': Eval('state') == 'draft',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_method(cls):
        return 'in_person'

    @fields.depends('template')
    def on_change_template(self):
        if self.template:
            self.version = self.template.version
            self.terms = self.template.terms
        else:
            self.version = self.terms = None

    @fields.depends('party')
    def on_change_party(self):
        # The signer is the patient unless a representative signs for them.
        if self.party:
            self.signer_name = self.party.name

    def get_rec_name(self, name):
        template = self.template.name
        if self.version:
            template = '%s v%s' % (template, self.version)
        return '%s - %s' % (template, self.party.rec_name)

    @classmethod
    def search_rec_name(cls, name, clause):
        if clause[1].startswith('!') or clause[1].startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('template.name',) + tuple(clause[1:]),
            ('party.rec_name',) + tuple(clause[1:]),
            ('signer_name',) + tuple(clause[1:]),
            ]

    def get_verification(self, name):
        "Whether the document still matches the SHA-256 taken at signing."
        if not self.document_sha256:
            return None
        with without_check_access():
            data = self.document.data if self.document else None
        digest = sha256(data)
        if digest is None:
            return 'missing'
        return 'valid' if digest == self.document_sha256 else 'tampered'

    @classmethod
    def find_signed(cls, party, template, date=None):
        """Return the latest signed consent of party for template or None.

        Any version of the template counts; revoked consents do not.  With a
        date, only consents signed by the end of that day (in the company's
        timezone) count.
        """
        domain = [
            ('party', '=', int(party)),
            ('template', '=', int(template)),
            ('state', '=', 'signed'),
            ]
        with without_check_access():
            if date is not None:
                if not isinstance(date, dt.datetime):
                    Template = Pool().get('clinic.consent.template')
                    company = Template(int(template)).company
                    tzinfo = tz.get_tzinfo(company.timezone or 'UTC')
                    date = (dt.datetime.combine(date, dt.time.max)
                        .replace(tzinfo=tzinfo)
                        .astimezone(tz.UTC).replace(tzinfo=None))
                domain.append(('signed_on', '<=', date))
            consents = cls.search(
                domain, order=[('signed_on', 'DESC'), ('id', 'DESC')],
                limit=1)
        if consents:
            consent, = consents
            return cls(consent.id)

    @classmethod
    def check_for(cls, record, required):
        """Return the consent record (a pack or a membership) starts with.

        Its own consent when it is the party's signed consent of template
        required, else the party's signed consent that check_signed finds.
        A consent signed by someone else is refused, required or not.
        """
        consent = record.consent
        if consent and consent.party != record.party:
            raise ConsentRequiredError(gettext(
                    'clinic_packs.msg_consent_other_party',
                    record=record.rec_name,
                    consent=consent.rec_name,
                    consent_party=consent.party.rec_name,
                    party=record.party.rec_name))
        if not required or (consent
                and consent.template == required
                and consent.state == 'signed'):
            return consent
        return cls.check_signed(record.party, required, record.rec_name)

    @classmethod
    def check_signed(cls, party, template, record_name, date=None):
        """Return the signed consent that find_signed finds.

        Raise ConsentRequiredError naming record_name (the pack or membership
        being activated) when there is none.
        """
        consent = cls.find_signed(party, template, date=date)
        if not consent:
            raise ConsentRequiredError(gettext(
                    'clinic_packs.msg_consent_required',
                    record=record_name,
                    party=party.rec_name,
                    template=template.rec_name))
        return consent

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Party = pool.get('party.party')
        Template = pool.get('clinic.consent.template')
        cls.check_create(vlist)
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            # A consent is signed only through sign, never created so.
            values['state'] = 'draft'
            for name in [
                    'document_sha256', 'verification_state', 'verified_on',
                    'revoked_on', 'revoked_by']:
                values.pop(name, None)
            # The terms are always the template's, never typed in.
            if values.get('template') is not None:
                template = Template(values['template'])
                values['version'] = template.version
                values['terms'] = template.terms
            if 'signer_name' not in values and values.get('party'):
                values['signer_name'] = Party(values['party']).name
        return super().create(vlist)

    @classmethod
    def _workflow_fields(cls):
        # The evidence of signing, revocation and verification only changes
        # through the buttons.
        return super()._workflow_fields() | {
            'document_sha256', 'verification_state', 'verified_on',
            'revoked_on', 'revoked_by'}

    @classmethod
    def _transition_fields(cls):
        # sign freezes the template's version and terms; on a draft they
        # follow the template (create and write).
        return super()._transition_fields() | {
            'signed_on', 'version', 'terms'}

    @classmethod
    def _workflow_field_error(cls, record, name):
        if record.id is not None and record.id >= 0 and (
                record.state != 'draft'):
            return cls._modify_issued_error(record, name)
        if name == 'state' and record.id is not None and record.id >= 0:
            return ConsentAccessError(gettext(
                    'clinic_packs.msg_consent_state_write',
                    consent=record.rec_name))
        return super()._workflow_field_error(record, name)

    @classmethod
    def _modify_issued_error(cls, record, name):
        return ConsentAccessError(gettext(
                'clinic_packs.msg_consent_modify_signed',
                consent=record.rec_name, state=record.state_string))

    @classmethod
    def write(cls, *args):
        pool = Pool()
        Template = pool.get('clinic.consent.template')
        actions = iter(args)
        args = []
        for consents, values in zip(actions, actions):
            cls.check_modify(consents, values)
            if values.get('template') is not None:
                template = Template(values['template'])
                values = {
                    **values,
                    'version': template.version,
                    'terms': template.terms,
                    }
            args.extend((consents, values))
        super().write(*args)

    @classmethod
    def delete(cls, consents):
        for consent in consents:
            if consent.state != 'draft':
                raise ConsentAccessError(gettext(
                        'clinic_packs.msg_consent_delete_signed',
                        consent=consent.rec_name,
                        state=consent.state_string))
        super().delete(consents)

    @classmethod
    def copy(cls, consents, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'signed_on', 'document', 'document_sha256',
                'verification_state', 'verified_on',
                'revoked_on', 'revoked_by']:
            default.setdefault(name, None)
        default.setdefault('state', 'draft')
        return super().copy(consents, default=default)

    def check_signable(self):
        "Raise ConsentError unless the consent can be signed as it is."
        if not self.document:
            raise ConsentError(gettext(
                    'clinic_packs.msg_consent_sign_no_document',
                    consent=self.rec_name))
        if self.document.resource != self:
            raise ConsentError(gettext(
                    'clinic_packs.msg_consent_sign_document_not_attached',
                    consent=self.rec_name,
                    document=self.document.rec_name))
        if not self.document.data:
            raise ConsentError(gettext(
                    'clinic_packs.msg_consent_sign_document_empty',
                    consent=self.rec_name,
                    document=self.document.rec_name))
        if not (self.signer_name or '').strip():
            raise ConsentError(gettext(
                    'clinic_packs.msg_consent_sign_no_signer',
                    consent=self.rec_name))
        if self.signed_on and self.signed_on > dt.datetime.now():
            raise ConsentError(gettext(
                    'clinic_packs.msg_consent_sign_future',
                    consent=self.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('signed')
    def sign(cls, consents):
        """Sign draft consents.

        Freeze the current version and terms of the template and the SHA-256
        of the document, so that later changes to either can be told apart.
        """
        pool = Pool()
        Template = pool.get('clinic.consent.template')
        consents = guard.lock(cls, consents)
        # Signing and changing the terms must not interleave, or a consent
        # could freeze terms that another transaction is replacing without
        # a new version.
        guard.lock(Template, list({c.template for c in consents}))
        now = dt.datetime.now()
        for consent in consents:
            consent.check_signable()
        for consent in consents:
            consent.version = consent.template.version
            consent.terms = consent.template.terms
            consent.signed_on = consent.signed_on or now
            consent.document_sha256 = sha256(consent.document.data)
            consent.verification_state = 'valid'
            consent.verified_on = now
        cls.save(consents)

    @classmethod
    @ModelView.button
    @Workflow.transition('revoked')
    def revoke(cls, consents):
        """Revoke signed consents.

        The consent is kept as evidence but no longer allows anything to be
        activated.
        """
        cls.write(consents, {
                'revoked_on': dt.datetime.now(),
                'revoked_by': Transaction().user,
                })

    @classmethod
    @ModelView.button
    def verify(cls, consents):
        "Record whether the documents of signed consents are untouched."
        now = dt.datetime.now()
        to_write = []
        for consent in consents:
            if consent.state == 'draft':
                continue
            to_write.extend(([consent], {
                        'verification_state': consent.verification,
                        'verified_on': now,
                        }))
        if to_write:
            cls.write(*to_write)


class Attachment(metaclass=PoolMeta):
    __name__ = 'ir.attachment'

    @classmethod
    def check_access(cls, ids, mode='read'):
        """Also apply the record rules of the consents documented.

        The host checks only the access to the resource's model, so a user
        of another company could read or overwrite a signed document by id.
        """
        pool = Pool()
        Consent = pool.get('clinic.consent')
        super().check_access(ids, mode=mode)
        if not guard.user_call():
            return
        consents = set()
        with without_check_access():
            for attachment in cls.browse(ids):
                resource = attachment.resource
                if (resource is not None
                        and resource.__name__ == 'clinic.consent'):
                    consents.add(resource.id)
        if consents:
            # Read with the user's rules: raises for another company's.
            Consent.read(list(consents), ['id'])

    @classmethod
    def _signed_consents(cls, attachments):
        "Return the signed or revoked consents documented by attachments."
        pool = Pool()
        Consent = pool.get('clinic.consent')
        consents = []
        with without_check_access():
            for sub_attachments in grouped_slice(attachments):
                consents.extend(Consent.search([
                            ('document', 'in',
                                [a.id for a in sub_attachments]),
                            ('state', 'in', SIGNED_STATES),
                            ], order=[]))
        return consents

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        for attachments, values in zip(actions, actions):
            # The data may still be overwritten: verify detects it.
            if 'resource' in values:
                resource = values['resource']
                if isinstance(resource, (list, tuple)):
                    resource = '%s,%s' % tuple(resource)
                else:
                    resource = str(resource)
                for consent in cls._signed_consents(attachments):
                    if str(consent) != resource:
                        raise ConsentAccessError(gettext(
                                'clinic_packs.msg_consent_document_move',
                                attachment=consent.document.rec_name,
                                consent=consent.rec_name))
        super().write(*args)

    @classmethod
    def delete(cls, attachments):
        for consent in cls._signed_consents(attachments):
            raise ConsentAccessError(gettext(
                    'clinic_packs.msg_consent_document_delete',
                    attachment=consent.document.rec_name,
                    consent=consent.rec_name))
        super().delete(attachments)
