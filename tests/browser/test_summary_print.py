"""The summary, printed (Chromium's "Save as PDF", A4) after a class of 49 with 48 answers:
page 1 is not left nearly blank, no page is, and every answer is in it (issue 15)."""

import io

import pytest
from pypdf import PdfReader

from seminar import services
from tests.browser.support import seed_big_class, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_printed_summary_fills_its_pages_and_keeps_every_answer(server, pages):
    session, people = seed_big_class()
    services.session_end(session=session, by=session.facilitator)
    page = pages.open("summary", viewport={"width": 1366, "height": 768})
    sign_in(page, server.url)
    page.goto(f"{server.url}/facilitate/{session.code}/summary/")
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=False)))
    texts = [p.extract_text() for p in pdf.pages]
    assert len(texts) >= 3, [len(t) for t in texts]
    full = sorted(len(t) for t in texts[1:-1])
    typical = full[len(full) // 2] if full else len(texts[-1])
    assert len(texts[0]) >= typical / 2, [len(t) for t in texts]  # page 1 is not left blank
    for number, text in enumerate(texts[:-1], start=1):
        assert len(text) >= typical / 4, (number, [len(t) for t in texts])
    everything = " ".join(texts).replace("\n", " ")
    for person in people[:48]:
        assert f"({person.name})" in everything
    assert "Answered by 48 of 49 students present (98%)" in everything
    assert "Not opened in this session" in everything  # question 2, never opened
