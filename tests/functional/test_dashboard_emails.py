"""The dashboard's email template editor: edit, preview with sample values, refuse, reset."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from loyalty_plugin.models import EmailKind, EmailTemplate
from loyalty_plugin.services.email_notifications import _values
from loyalty_plugin.services.email_templates import PLACEHOLDERS, sample_values
from tests.dashboard_support import post, shop_with_owner, signed_in_client

EDIT = "/admin/settings/emails/points_earned/fr"


@pytest.fixture
def shop(session):
    shop = shop_with_owner(session)
    session.commit()
    return shop


@pytest.fixture
def client(app, shop):
    return signed_in_client(app, shop)


def stored(session, shop) -> list[tuple]:
    session.expire_all()
    return [(t.kind, t.locale, t.subject) for t in session.execute(
        select(EmailTemplate).where(EmailTemplate.shop_id == shop.id)).scalars()]


def test_settings_list_every_email_and_language_with_an_edit_link(client):
    page = client.get("/admin/settings").get_data(as_text=True)
    for kind in EmailKind:
        for locale in ("en", "fr", "de", "es"):
            assert f'href="/admin/settings/emails/{kind.value}/{locale}"' in page


def test_the_editor_shows_the_built_in_wording_and_its_preview(client):
    response = client.get(EDIT)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The built-in wording" in page and "Bonjour" in page
    assert "Bonjour Ada," in page  # the preview, with the sample customer
    assert all(f"<code>{name}</code>" in page for name in PLACEHOLDERS)


def test_saving_makes_the_wording_the_shops_own_and_resetting_gives_it_back(client, session, shop):
    response = post(client, EDIT, {"subject": "Merci {{ first_name }} : {{ points }} points",
                                   "text": "Vous avez {{ balance }} points.", "html": ""}, page=EDIT)
    assert response.status_code == 303 and response.headers["Location"] == EDIT
    assert stored(session, shop) == [(EmailKind.POINTS_EARNED, "fr", "Merci {{ first_name }} : {{ points }} points")]
    page = client.get(EDIT).get_data(as_text=True)
    assert "The shop's own wording" in page and "Merci Ada : 120 points" in page
    assert "Vous avez 480 points." in page

    response = post(client, EDIT + "/reset", page=EDIT)
    assert response.status_code == 303
    assert stored(session, shop) == []
    assert "The built-in wording" in client.get(EDIT).get_data(as_text=True)


def test_a_template_that_does_not_parse_is_refused_next_to_its_field(client, session, shop):
    response = post(client, EDIT, {"subject": "Points", "text": "{% if points %}never closed", "html": ""},
                    page=EDIT)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-text"' in page and "is not a valid template" in page
    assert "never closed" in page  # what was typed stays in the form
    assert stored(session, shop) == []


def test_a_missing_subject_is_refused_by_the_api_rules(client, session, shop):
    response = post(client, EDIT, {"subject": "  ", "text": "Hello", "html": ""}, page=EDIT)
    assert response.status_code == 422 and 'id="e-subject"' in response.get_data(as_text=True)
    assert stored(session, shop) == []


def test_markup_in_a_template_shows_as_text_in_the_editor_and_its_preview(client):
    hostile = "<script>alert(1)</script>"
    post(client, EDIT, {"subject": hostile, "text": hostile, "html": f"<p>{hostile}</p>"}, page=EDIT)
    page = client.get(EDIT).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("path", ["/admin/settings/emails/points_earned/xx",
                                  "/admin/settings/emails/no_such_email/en"])
def test_an_unknown_email_or_language_is_a_404_page(client, path):
    response = client.get(path)
    assert response.status_code == 404 and "text/html" in response.content_type


def test_the_placeholders_are_the_values_the_notification_job_fills():
    shop = SimpleNamespace(domain="shop.example", timezone="UTC", currency="EUR")
    assert set(sample_values(shop.domain, shop.currency)) == set(PLACEHOLDERS) == set(_values(shop, None, {}))


def test_a_template_failing_on_the_sample_values_saves_and_says_why_in_the_preview(client):
    response = post(client, EDIT, {"subject": "Points", "text": "{{ points + first_name }}", "html": ""},
                    page=EDIT)
    assert response.status_code == 303
    page = client.get(EDIT).get_data(as_text=True)
    assert "The template fails with sample values: TypeError" in page
