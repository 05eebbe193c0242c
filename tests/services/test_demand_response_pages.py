"""The business hall's demand-response pages: programs with their terms and every reason an account
cannot join, enrolment through the service (too much kW refused), invitations with the deadline and a
reward estimate, one-tap answers (late ones refused with the service's message), the statement whose
figures are the DRSettlement row's, its PDF, and nobody reaching another customer's event."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from core import clock
from services.models import DREnrolment, DRParticipation, DRProgram, DRSettlement
from tests.factories import make_account, make_portal_user
from tests.services.dr_helpers import (
    EVENT_DAY,
    at,
    enrolled_household,
    make_program,
    settled_event,
    upcoming_invitation,
)
from tests.support.pdf import page_fonts, pdf_text

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
BACKEND = "security.backends.PhoneOrUsernameBackend"


@pytest.fixture
def pinned(monkeypatch):
    """Pin the pages' clock: ``pinned(moment)``."""

    def pin(moment: dt.datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    return pin


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def _text(response) -> str:
    text = re.sub(r"\s+", " ", response.content.decode())
    return text


def test_programs_show_terms_in_words_and_every_reason_an_account_cannot_join(english, pinned):
    program = make_program()
    make_program(
        code="biz-capacity",
        name="工商业约定响应",
        notice_class=DRProgram.NoticeClass.CONTRACTED,
        eligible_categories=["commercial", "industrial"],
        min_contracted_kva=D("315"),
    )
    account, _meter, user, _enrolment = enrolled_household(program)
    DREnrolment.objects.all().delete()  # start unenrolled
    english.force_login(user, backend=BACKEND)
    pinned(at(dt.date(2026, 8, 11), 9))

    page = _text(english.get(reverse("dr_hall:programs")))
    assert 'data-program="res-day-ahead"' in page and 'data-state="eligible"' in page
    assert "¥1.5 per kWh of verified response" in page
    assert "nothing is paid below 50% of your committed kW (exactly 50% pays)" in page
    assert "¥100.00 per event" in page
    assert "below 50% of your committed kW: the shortfall × the price × 0.5" in page
    assert "2026-06-01 to 2026-10-01 (exclusive)" in page
    assert "Day-ahead invitation (日前邀约)" in page
    # The commercial program: two reasons, each shown.
    block = page.split('data-program="biz-capacity"')[1]
    assert 'data-state="ineligible"' in block
    assert 'data-reason="category"' in block and "other kinds of accounts than Residential" in block
    assert 'data-reason="capacity"' in block and "at least 315.00 kVA; this account has 8.00 kVA" in block
    assert account.number in page


def test_enrolment_goes_through_the_service_and_too_much_kw_is_refused(english, pinned):
    program = make_program()
    account, _meter, user, _enrolment = enrolled_household(program)
    DREnrolment.objects.all().delete()
    english.force_login(user, backend=BACKEND)
    pinned(at(dt.date(2026, 8, 11), 9))
    url = reverse("dr_hall:enrol", args=[program.code])

    refused = english.post(url, {"committed_kw": "50", "terms_version": "1", "accept": "on"}, follow=True)
    assert "You can commit at most" in _text(refused)
    assert not DREnrolment.objects.exists()

    done = english.post(url, {"committed_kw": "2.5", "terms_version": "1", "accept": "on"}, follow=True)
    enrolment = DREnrolment.objects.get(account=account)
    assert (enrolment.committed_kw, enrolment.terms.version, enrolment.channel) == (D("2.500"), 1, "hall")
    assert "You committed 2.5 kW and accepted terms version 1 on 2026-08-11 09:00" in _text(done)

    english.post(reverse("dr_hall:withdraw", args=[enrolment.pk]))
    enrolment.refresh_from_db()
    assert enrolment.status == "withdrawn"


def test_invitation_estimate_one_tap_answer_and_late_answer_refused(english, pinned):
    program = make_program()
    account, _meter, user, _enrolment = enrolled_household(program)
    event, participation = upcoming_invitation(program, account)
    english.force_login(user, backend=BACKEND)
    pinned(at(dt.date(2026, 8, 11), 18))

    dashboard = _text(english.get(reverse("hall:dashboard")))
    panel = dashboard.split('data-panel="dr-invitations"')[1].split("</section>")[0]
    assert f'data-event="{event.pk}"' in panel and "Answer by 2026-08-12 10:00" in panel

    listing = _text(english.get(reverse("dr_hall:events")))
    assert f'data-event="{event.pk}"' in listing.split('data-section="invitations"')[1].split("</section>")[0]
    assert "Answer by" in listing and "10:00" in listing

    page = _text(english.get(reverse("dr_hall:event", args=[event.pk])))
    # Baseline (5 working days 11, 10, 7, 6, 5 Aug): (3.5 + 3.2 + 3.4 + 2.8 + 2.5) / 5 = 3.08 kW.
    assert "about 3.08 kW" in page
    # 50 % of 2.5 kW = 1.25 kW × 2 h = 2.5 kWh × 1.5 = ¥3.75; 120 % = 3 kW × 2 h = 6 kWh × 1.5 = ¥9.00.
    assert 'data-field="estimate-low">¥3.75' in page and 'data-field="estimate-high">¥9.00' in page
    # 30 % = 0.75 kW: below the threshold, nothing paid; penalty (1.25 − 0.75) kW × 2 h × 1.5 × 0.5 = ¥0.75.
    row = page.split('data-share="0.3"')[1].split("</tr>")[0]
    assert "0.00" in row and "-0.75" in row

    english.post(reverse("dr_hall:answer", args=[event.pk]), {"answer": "in"})
    participation.refresh_from_db()
    assert (participation.response, participation.answered) == ("opted_in", True)
    english.post(reverse("dr_hall:answer", args=[event.pk]), {"answer": "in"})  # a second tap records nothing
    assert participation.changes.count() == 2

    pinned(at(EVENT_DAY, 10, 30))  # after the 10:00 deadline
    late = english.post(reverse("dr_hall:answer", args=[event.pk]), {"answer": "out"}, follow=True)
    assert "Answers to this event closed at 2026-08-12 10:00." in _text(late)
    participation.refresh_from_db()
    assert participation.response == "opted_in"


def test_statement_figures_are_the_settlement_rows_and_the_pdf_downloads(english, pinned):
    program = make_program()
    account, _meter, user, _enrolment = enrolled_household(program)
    event, participation = settled_event(program, account, user)
    settlement = DRSettlement.objects.get(participation=participation)
    # (3.08 − 1.0) kW × 2 h = 4.16 kWh × 1.5 = ¥6.24; ratio 2.08 / 2.5 = 0.832.
    assert (settlement.verified_kwh, settlement.ratio, settlement.net) == (D("4.160"), D("0.8320"), D("6.24"))
    english.force_login(user, backend=BACKEND)
    pinned(at(dt.date(2026, 8, 14), 9))

    page = _text(english.get(reverse("dr_hall:statement", args=[event.pk])))
    assert f'data-field="net">¥{settlement.net}' in page
    assert f'data-field="incentive">¥{settlement.incentive}' in page
    assert f'data-field="penalty">¥{settlement.penalty}' in page
    assert f'data-field="verified-kwh">{settlement.verified_kwh}' in page
    assert f'data-field="verified-kw">{settlement.verified_kw}' in page
    assert f'data-field="baseline-kwh">{settlement.baseline_kwh}' in page
    assert f'data-field="actual-kwh">{settlement.actual_kwh}' in page
    assert f'data-field="ratio">{settlement.ratio}' in page
    assert "¥1.5/kWh" in page
    for day in settlement.detail["days_used"]:
        assert dt.date.fromisoformat(day).strftime("%m/%d/%Y") in page
    # 8–9 August were skipped as the weekend, each with its reason.
    assert 'data-code="non_working"' in page
    assert "your next bill" in page  # no bill issued since

    pdf = english.get(reverse("dr_hall:statement_pdf", args=[event.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert f"dr-statement-{account.number}-20260812" in pdf["Content-Disposition"]
    # Every font embedded (the subset CJK face of core.pdf), so it reads the same without Chinese fonts.
    fonts = page_fonts(pdf.content)
    assert fonts and all(font.embedded_bytes > 0 for font in fonts), fonts
    assert "需求响应" in pdf_text(pdf.content)

    listing = _text(english.get(reverse("dr_hall:events")))
    season = listing.split('data-section="season"')[1].split("</section>")[0]
    assert 'data-field="total"><strong>6.24' in season


def test_another_customers_event_and_statement_are_not_found(client, pinned):
    program = make_program()
    account, _meter, user, _enrolment = enrolled_household(program)
    event, _participation = settled_event(program, account, user)
    stranger = make_portal_user()
    from tests.factories import bind

    bind(user=stranger, account=make_account())
    client.force_login(stranger, backend=BACKEND)
    pinned(at(dt.date(2026, 8, 14), 9))
    for name in ("dr_hall:event", "dr_hall:statement", "dr_hall:statement_pdf"):
        assert client.get(reverse(name, args=[event.pk])).status_code == 404
    assert client.post(reverse("dr_hall:answer", args=[event.pk]), {"answer": "in"}).status_code == 404
    assert DRParticipation.objects.get(event=event).response == "opted_in"
