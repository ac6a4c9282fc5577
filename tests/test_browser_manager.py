# This file is part of clinic_packs.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The clinic manager reads the visit-fairness report over the demo's
months of history and downloads a pack's dispute evidence bundle, as the
demo's manager user (issue 14)."""
import datetime as dt
import io
import re
import zipfile
from collections import defaultdict

from playwright.sync_api import expect

from . import browser

MANAGER = ('manager', 'clinicmanager')
GAP_DAYS = 60
# Dr Patel's visits: done redemptions (route pack, no membership or funder
# in her history) and posted invoice lines paid per visit.
VISITS = (
    "SELECT r.party, r.date, 'pack' FROM clinic_pack_redemption AS r "
    "JOIN clinic_pack AS p ON p.id = r.pack "
    "WHERE r.state = 'done' AND r.employee = %(employee)s "
    "AND p.funder IS NULL AND r.date BETWEEN %(start)s AND %(end)s "
    "UNION ALL "
    "SELECT i.party, i.invoice_date, 'visit' FROM account_invoice_line AS l "
    "JOIN account_invoice AS i ON i.id = l.invoice "
    "WHERE i.type = 'out' AND i.state IN ('posted', 'paid') "
    "AND l.practitioner = %(employee)s AND l.pack IS NULL "
    "AND i.invoice_date BETWEEN %(start)s AND %(end)s "
    "ORDER BY 2")
EMPLOYEE = (
    "SELECT e.id FROM company_employee AS e "
    "JOIN party_party AS p ON p.id = e.party WHERE p.name = %s")


def episodes(rows):
    """Visits per episode by route: a patient's run of visits with no gap
    over GAP_DAYS (Dr Patel gives physiotherapy only), counted for the
    route of its first visit."""
    by_patient = defaultdict(list)
    for party, date, route in rows:
        by_patient[party].append((date, route))
    counts = defaultdict(list)
    for visits in by_patient.values():
        visits.sort()
        previous, route, count = None, None, 0
        for date, route_ in visits:
            if previous is None or (date - previous).days > GAP_DAYS:
                if count:
                    counts[route].append(count)
                route, count = route_, 0
            count += 1
            previous = date
        counts[route].append(count)
    return counts


def fmt(value):
    return '{:.2f}'.format(value)


def test_manager_fairness_report_and_bundle(page, trytond_server):
    """Over the last 200 days Dr Patel has at least ten episodes paid per
    visit and ten from packs: the report shows their counts, means and the
    difference with its interval; Ben Carter's membership episodes and
    Dr Okafor's funded ones are compared likewise; then the manager
    produces the dispute bundle of the psychology pack sold under signed
    terms and downloads the ZIP, which holds the evidence document and the
    signed consent."""
    today = dt.date.today()
    start = today - dt.timedelta(days=200)
    (maya,), = trytond_server.query(EMPLOYEE, ("Dr Maya Patel",))
    counts = episodes(trytond_server.query(
            VISITS, {'employee': maya, 'start': start, 'end': today}))
    assert len(counts['visit']) >= 10 and len(counts['pack']) >= 10, counts
    mean = {r: sum(c) / len(c) for r, c in counts.items()}

    page.set_viewport_size({'width': 2000, 'height': 900})
    browser.login(page, trytond_server, *MANAGER)
    tab = browser.open_menu(page, 'Clinic Packs', 'Visit Fairness')
    browser.new_record(page)
    for name, date in [('from_date', start), ('to_date', today)]:
        field = tab.locator('input[type=text][name=%s]' % name).first
        field.fill(date.strftime('%d/%m/%Y'))
        field.press('Tab')
    browser.settle(page)
    browser.save(page)
    tab.get_by_role('button', name=re.compile('Compute')).click()
    browser.settle(page)
    rows = tab.locator('.treeview tbody tr', has_text='Dr Maya Patel')
    expect(rows).to_have_count(2)
    names = [t.strip() for t in tab.locator(
            '.treeview thead th').all_text_contents()]

    def cells(route):
        row = rows.filter(has_text=route).first
        texts = [c.strip() for c in row.locator('td').all_text_contents()]
        return dict(zip(names, texts))
    visit = cells('Per visit')
    pack = cells('Pack')
    assert visit['Episodes'] == str(len(counts['visit'])), visit
    assert pack['Episodes'] == str(len(counts['pack'])), pack
    assert visit['Mean Visits per Episode'] == fmt(mean['visit'])
    assert pack['Mean Visits per Episode'] == fmt(mean['pack'])
    assert pack['Per-Visit Episodes'] == str(len(counts['visit']))
    assert pack['Difference'] == fmt(mean['pack'] - mean['visit'])
    low = float(pack['95% Low'])
    high = float(pack['95% High'])
    assert low < mean['pack'] - mean['visit'] < high, pack
    assert pack['Verdict'] in {
        'More visits', 'Fewer visits', 'No difference shown'}, pack
    # The other two routes: Ben Carter's Massage Club members and
    # Dr Okafor's funded referrals, each against ten or more episodes of
    # the practitioner's paid per visit.
    for practitioner, route in [
            ('Ben Carter', 'Membership'), ('Dr Grace Okafor', 'Funder')]:
        row = tab.locator('.treeview tbody tr', has_text=practitioner
            ).filter(has_text=route)
        expect(row).to_have_count(1)
        texts = [c.strip() for c in row.locator('td').all_text_contents()]
        line = dict(zip(names, texts))
        assert int(line['Episodes']) >= 10, line
        assert int(line['Per-Visit Episodes']) >= 10, line
        assert line['Verdict'] in {
            'More visits', 'Fewer visits', 'No difference shown'}, line
    browser.screenshot(page, 'manager-fairness')

    (number, party), = trytond_server.query(
        "SELECT p.number, y.name FROM clinic_pack AS p "
        "JOIN party_party AS y ON y.id = p.party "
        "WHERE p.consent IS NOT NULL")
    tab = browser.open_menu(page, 'Clinic Packs', 'Packs')
    browser.open_row(page, number)
    tab.get_by_role('button', name='Dispute Evidence').click()
    browser.settle(page)
    bundle = 'dispute-%s-%s.zip' % (number, today.isoformat())
    expect(tab.locator('input[name=dispute_bundle]').first).to_have_value(
        bundle)
    # The attachment button lists the record's attachments; a click on
    # one downloads it.
    browser.active_tab(page).locator(
        'button[title^="Attachment ("]').first.click()
    with page.expect_download() as download:
        browser.active_tab(page).locator(
            '.dropdown-menu a[role=menuitem]', has_text=bundle).click()
    assert download.value.suggested_filename == bundle
    data = open(download.value.path(), 'rb').read()
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    consent = 'consent-%s.pdf' % party.lower().replace(' ', '-')
    # setup/install installs LibreOffice: the evidence is a PDF.
    assert names == ['evidence-%s.pdf' % number, 'consent-' + consent], names
    assert archive.read('evidence-%s.pdf' % number).startswith(b'%PDF-')
    assert archive.read('consent-' + consent).startswith(b'%PDF-1.4')
    browser.screenshot(page, 'manager-bundle')
