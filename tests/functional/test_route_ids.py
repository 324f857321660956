"""Every route with an integer id refuses ids no row can have with a 404, never a 500."""
from __future__ import annotations

import re

from tests.factories import make_shop


def test_every_int_route_answers_404_for_an_id_beyond_bigint(app, client, session):
    _, key = make_shop(session)
    session.commit()
    routes = [rule for rule in app.url_map.iter_rules() if "<int:" in rule.rule]
    assert routes, "no integer routes found"
    for rule in routes:
        path = re.sub(r"<[^>]+>", str(2 ** 64), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, json={}, headers={"Authorization": f"Bearer {key}"})
            assert response.status_code == 404, (method, path, response.status_code)
            assert response.is_json and "error" in response.json
