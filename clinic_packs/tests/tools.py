# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Building blocks for the clinic packs scenarios."
import datetime as dt
import email
import email.policy
import html
import importlib.util
import re
import socket
from decimal import Decimal
from types import SimpleNamespace

from proteus import Model, Wizard
from proteus import config as proteus_config

from trytond.exceptions import UserWarning

from trytond.modules.account.tests.tools import (
    create_chart, create_fiscalyear, get_accounts)
from trytond.modules.account_invoice.tests.tools import (
    set_fiscalyear_invoice_sequences)
from trytond.modules.clinic_packs import compat
from trytond.modules.company.tests.tools import create_company, get_company

__all__ = ['setup_clinic', 'create_template', 'sell', 'redeem', 'click',
    'answer_warnings', 'credit', 'start_smtp_sink', 'email_text',
    'group_name', 'button_refused', 'state_refused', 'report_refused',
    'HEALTH', 'ViewsWithoutHealthMixin']

# GNU Health 5.0 runs on Tryton 7.0 only: on 8.0 its module is absent, and
# what needs it (views, scenario) cannot run.
HEALTH = importlib.util.find_spec('trytond.modules.health') is not None


def group_name(xml_id, config=None):
    """The name of the host's group xml_id ('module.id').

    Host groups are renamed between series ("Account" on 7.0 is
    "Accounting" on 8.0), so scenarios name them by XML id.  8.0 answers
    ir.model.data's get_id over RPC and refuses to search it; 7.0 the
    reverse."""
    ModelData = Model.get('ir.model.data', config=config)
    Group = Model.get('res.group', config=config)
    module, fs_id = xml_id.split('.')
    if compat.TRYTON_8:
        group_id = ModelData._proxy.get_id(
            module, fs_id, ModelData._config.context)
    else:
        data, = ModelData.find([('module', '=', module), ('fs_id', '=', fs_id)])
        group_id = data.db_id
    return Group(group_id).name


def _refused(func, exception, expected, message=lambda e: e.message):
    """Call func; True when it raises exception with the expected message.

    Anything else (no error, another message) is printed, so the scenario
    shows what happened instead."""
    try:
        func()
    except exception as e:
        if message(e) == expected:
            return True
        print(message(e))
    else:
        print("no error")
    return False


def state_refused(func, ours, button, record, model):
    """Call func, a click on a button the record's state makes read-only.

    7.0 runs our method, which refuses with our message (ours) saying what
    to do instead; 8.0 refuses such a click itself before our method runs,
    naming the button, the record and the model."""
    from trytond.exceptions import UserError
    if compat.TRYTON_8:
        ours = 'You can not call "%s" on "%s" of "%s".' % (
            button, record, model)
    return _refused(func, UserError, ours)


def report_refused(func, report):
    """Call func, printing report as a user outside the report's groups.

    7.0 refuses with its message; 8.0 hides the report's action from the
    user, so the report is not found."""
    from trytond.exceptions import UserError
    if compat.TRYTON_8:
        return _refused(func, AssertionError,
            "<class 'trytond.pool.%s'> not found" % report, str)
    return _refused(
        func, UserError, 'Calling report %s is not allowed!' % report)


def button_refused(func, button, model, name):
    """Call func; True when the host refuses button to the user's groups.

    The refusal comes before our method runs, with the host's message, which
    names the model by its __name__ (model) on 7.0 and by the name users
    read (name) on 8.0."""
    from trytond.model.modelview import AccessButtonError
    return _refused(func, AccessButtonError,
        'Calling button "%s on "%s" is not allowed.' % (
            button, name if compat.TRYTON_8 else model))


def keep_opendocument(config=None):
    """Print the clinic's reports as OpenDocument text, as the template.

    Scenarios read the text of what they print; the PDF conversion with
    LibreOffice has its own test (test_statement.py).  The actions come
    from the modules' XML, which only the root user may change."""
    from trytond.tests.tools import set_user
    config = config or proteus_config.get_config()
    user = config.user
    set_user(0, config)
    try:
        Action = Model.get('ir.action.report', config=config)
        actions = Action.find([('report_name', 'in', [
                        'clinic.pack.statement', 'clinic.pack.dispute',
                        'clinic.membership.dispute'])])
        for action in actions:
            action.extension = ''
        Action.save(actions)
    finally:
        set_user(user, config)


def setup_clinic(today=None, config=None):
    """Create a clinic: company, fiscal year, chart, services and a patient.

    Returns a namespace with company, accounts, categories, products and
    parties, ready to sell packs.
    """
    if today is None:
        today = dt.date.today()
    _ = create_company(config=config)
    company = get_company(config=config)
    fiscalyear = set_fiscalyear_invoice_sequences(
        create_fiscalyear(company, today, config=config))
    fiscalyear.click('create_period')
    _ = create_chart(company, config=config)
    accounts = get_accounts(company, config=config)

    Category = Model.get('product.category', config=config)
    Uom = Model.get('product.uom', config=config)
    ProductTemplate = Model.get('product.template', config=config)
    Party = Model.get('party.party', config=config)
    Employee = Model.get('company.employee', config=config)
    PaymentTerm = Model.get('account.invoice.payment_term', config=config)

    def category(name):
        record = Category(name=name, accounting=True)
        record.account_revenue = accounts['revenue']
        record.account_expense = accounts['expense']
        record.save()
        return record

    physio = category("Physiotherapy")
    massage = category("Massage")
    unit, = Uom.find([('name', '=', 'Unit')])
    hour, = Uom.find([('name', '=', 'Hour')])
    minute, = Uom.find([('name', '=', 'Minute')])

    def service(name, price, cat, uom=unit):
        template = ProductTemplate(name=name, type='service',
            default_uom=uom, list_price=Decimal(price),
            account_category=cat)
        template.categories.append(Category(cat.id))
        template.save()
        product, = template.products
        return product

    products = SimpleNamespace(
        physio=service("Physiotherapy session", '50.00', physio),
        massage=service("Sports massage", '45.00', massage),
        massage_hour=service("Massage time", '60.00', massage, hour),
        physio_pack=service("6 physio sessions", '275.00', physio),
        massage_pack=service("Massage 5+1", '250.00', massage),
        hours_pack=service("10 massage hours", '500.00', massage),
        credit=service("Wellness credit 550", '500.00', massage),
        )
    payment_term = PaymentTerm(name="Due on receipt")
    payment_term.lines.new(type='remainder')
    payment_term.save()

    patient = Party(name="Jane Doe")
    patient.customer_payment_term = payment_term
    patient.save()
    other = Party(name="Tom Baker")
    other.customer_payment_term = payment_term
    other.save()
    practitioner_party = Party(name="Dr Maya Patel")
    practitioner_party.save()
    practitioner = Employee(party=practitioner_party, company=company)
    practitioner.save()
    return SimpleNamespace(
        company=company, fiscalyear=fiscalyear, accounts=accounts,
        categories=SimpleNamespace(physio=physio, massage=massage),
        uom=SimpleNamespace(unit=unit, hour=hour, minute=minute),
        products=products, patient=patient, other=other,
        practitioner=practitioner, payment_term=payment_term)


def create_template(name, product, quantity, unit='session', bonus=0,
        services=(), categories=(), config=None, **values):
    "Create a pack template sold as product."
    Template = Model.get('clinic.pack.template', config=config)
    template = Template(name=name, product=product, unit=unit,
        quantity=Decimal(quantity), bonus_quantity=Decimal(bonus), **values)
    for service in services:
        template.services.append(type(service)(service.id))
    for category in categories:
        template.service_categories.append(type(category)(category.id))
    template.save()
    return template


def sell(party, product, quantity=1, date=None, unit_price=None,
        pack=None, config=None):
    "Post a customer invoice of product to party and return it."
    Invoice = Model.get('account.invoice', config=config)
    invoice = Invoice(type='out', party=party)
    if date:
        invoice.invoice_date = date
    line = invoice.lines.new()
    line.product = product
    line.quantity = quantity
    if pack is not None:
        line.pack = pack
    elif unit_price is not None:
        line.unit_price = Decimal(unit_price)
    else:
        line.unit_price = compat.list_price(product)
    click(invoice, 'post', config=config)
    return invoice


def click(record, button, config=None):
    "Click button on record, answering yes to the host's warnings."
    return answer_warnings(lambda: record.click(button), config=config)


def answer_warnings(func, config=None):
    """Call func, answering yes to the host's warnings as a user would.

    Scenarios replay past dates, about which the host warns.
    """
    Warning = Model.get('res.user.warning', config=config)
    for _ in range(5):
        try:
            return func()
        except UserWarning as warning:
            Warning(user=Warning._config.user, name=warning.name).save()
    return func()


def credit(invoice, date, config=None):
    "Credit invoice on date with the host's wizard and post the credit note."
    Invoice = Model.get('account.invoice', config=config)
    before = {i.id for i in Invoice.find([('type', '=', 'out')])}
    wizard = Wizard('account.invoice.credit', [invoice], config=config)
    wizard.form.with_refund = False
    wizard.form.invoice_date = date
    wizard.execute('credit')
    credit_note, = Invoice.find([
            ('type', '=', 'out'), ('id', 'not in', list(before))])
    click(credit_note, 'post', config=config)
    return credit_note


def redeem(pack, product, date, quantity=1, uom=None, config=None, **values):
    "Redeem quantity of product from pack on date; return the redemption."
    Redemption = Model.get('clinic.pack.redemption', config=config)
    redemption = Redemption(pack=pack, product=product, date=date,
        quantity=quantity, **values)
    if uom is not None:
        redemption.uom = uom
    redemption.save()
    redemption.click('do')
    return redemption


def start_smtp_sink():
    """Start an SMTP server on 127.0.0.1 keeping the emails it receives.

    The scenarios and tests run trytond in-process, so pointing its
    email.uri at the sink is enough for ir.email to deliver there.  Return
    the sink: `messages` lists the email.message.EmailMessage received,
    `envelopes` their (sender, recipients), `stop()` stops the server and
    restores the email configuration.
    """
    from aiosmtpd.controller import Controller

    from trytond.config import config

    class Handler:
        def __init__(self):
            self.messages = []
            self.envelopes = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(
                (envelope.mail_from, list(envelope.rcpt_tos)))
            self.messages.append(email.message_from_bytes(
                    envelope.original_content, policy=email.policy.default))
            return '250 OK'

    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    handler = Handler()
    controller = Controller(handler, hostname='127.0.0.1', port=port)
    controller.start()
    previous = {k: config.get('email', k) for k in ['uri', 'from']}
    config.set('email', 'uri', 'smtp://127.0.0.1:%s' % port)
    config.set('email', 'from', 'clinic@example.com')

    def stop():
        controller.stop()
        for key, value in previous.items():
            config.set('email', key, value)
    return SimpleNamespace(
        messages=handler.messages, envelopes=handler.envelopes, stop=stop)


def email_text(message):
    "Return the text of the HTML body of message, one line per line break."
    content = message.get_body(('html',)).get_content()
    body = re.search(r'<body>(.*)</body>', content, re.DOTALL).group(1)
    text = html.unescape(re.sub(r'<[^>]*>', '', body))
    return '\n'.join(line.strip() for line in text.splitlines()).strip()


class ViewsWithoutHealthMixin:
    "Check a module's views, those for GNU Health only where it is present."

    def test_view(self):
        "Test validity of all views of the module"
        import glob
        import os
        from unittest.mock import patch

        from trytond.tests import test_tryton
        if HEALTH:
            return super().test_view()
        # view/health/ is loaded only with GNU Health's module (registered
        # with depends=['health']); without it those files are unused by
        # design, and every other view is checked as usual.
        health_views = os.sep + os.path.join('view', 'health') + os.sep
        all_files = glob.glob

        def without_health(pattern, *args, **kwargs):
            return [f for f in all_files(pattern, *args, **kwargs)
                if health_views not in f]
        with patch.object(test_tryton.glob, 'glob', without_health):
            super().test_view()
