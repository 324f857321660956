"""Every route with an integer id refuses ids no row can have with a 404, never a 500."""
from __future__ import annotations

import re

from tests.dashboard_support import csrf_of, dashboard_client, make_user, sign_in
from tests.factories import make_shop


def test_every_int_route_answers_404_for_an_id_beyond_bigint(app, client, session):
    shop, key = make_shop(session)
    make_user(session, shop)
    session.commit()
    # Dashboard pages are reached signed in, with the form's token; JSON is asked for here.
    browser = dashboard_client(app)
    sign_in(browser, shop)
    routes = [rule for rule in app.url_map.iter_rules() if "<int:" in rule.rule]
    assert routes, "no integer routes found"
    for rule in routes:
        path = re.sub(r"<[^>]+>", str(2 ** 64), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.rule.startswith("/admin/"):
                response = browser.open(path, method=method, headers={"Accept": "application/json"},
                                        data={"csrf_token": csrf_of(browser, "/admin/")})
            else:
                response = client.open(path, method=method, json={},
                                       headers={"Authorization": f"Bearer {key}"})
            assert response.status_code == 404, (method, path, response.status_code)
            assert response.is_json and "error" in response.json
