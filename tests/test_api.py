"""The JSON API as a helpdesk integration sees it, checked against its own OpenAPI document."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from kb import ROOT

BASE = "https://help.shop.example"
DESK = "https://desk.shop.example"


@pytest.fixture
def api(content, make_app):
    content.article("track-your-order", "Track your order", """
        Your tracking link arrives by email.

        ## Where is my tracking link? {#tracking-link}

        In the dispatch email.

        ### On the app

        Under Orders.
        """, summary="Find out where your parcel is.", updated="2026-10-14", id=1017,
        aliases="[where-is-my-order]")
    content.article("winter-sale", "Winter sale", draft="true")
    return make_app(KB_BASE_URL=BASE, KB_CORS_ORIGINS=(DESK,)).test_client()


def validator(document: dict, schema: dict) -> Draft202012Validator:
    """A JSON Schema validator for ``schema`` whose $refs resolve inside the OpenAPI document."""
    return Draft202012Validator({**schema, "components": document["components"]}, format_checker=FormatChecker())


def test_article_gives_what_a_helpdesk_pastes(api):
    response = api.get("/api/v1/articles/track-your-order")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.json == {
        "slug": "track-your-order",
        "id": 1017,
        "title": "Track your order",
        "summary": "Find out where your parcel is.",
        "language": "en",
        "fallback": False,
        "category": {"slug": "orders-and-shipping", "title": "Orders and shipping",
                     "url": f"{BASE}/categories/orders-and-shipping"},
        "url": f"{BASE}/articles/track-your-order",
        "permanent_url": f"{BASE}/a/1017",
        "updated": "2026-10-14",
        "sections": [
            {"level": 2, "anchor": "tracking-link", "title": "Where is my tracking link?",
             "url": f"{BASE}/articles/track-your-order#tracking-link",
             "permanent_url": f"{BASE}/a/1017#tracking-link"},
            {"level": 3, "anchor": "on-the-app", "title": "On the app",
             "url": f"{BASE}/articles/track-your-order#on-the-app",
             "permanent_url": f"{BASE}/a/1017#on-the-app"},
        ],
        "body_html": response.json["body_html"],
        "body_markdown": "Your tracking link arrives by email.\n\n## Where is my tracking link? {#tracking-link}\n\n"
                         "In the dispatch email.\n\n### On the app\n\nUnder Orders.",
        "helpful_ratio": None,
    }
    assert '<h2 id="tracking-link">Where is my tracking link?' in response.json["body_html"]


def test_article_body_links_are_absolute_so_a_pasted_body_works_anywhere(content, make_app):
    content.article("refund-times", "Refund times", "See [how to start a return](/articles/start-a-return) "
                    "and [our partner](https://courier.example/help).")
    body = make_app(KB_BASE_URL=BASE).test_client().get("/api/v1/articles/refund-times").json["body_html"]
    assert f'href="{BASE}/articles/start-a-return"' in body
    assert 'href="https://courier.example/help"' in body


def test_article_without_a_number_has_no_permanent_url(api):
    assert api.get("/api/v1/articles/start-a-return").json["permanent_url"] is None


def test_old_slug_redirects_to_the_articles_current_api_address(api):
    response = api.get("/api/v1/articles/where-is-my-order")
    assert response.status_code == 301
    assert response.headers["Location"] == "/api/v1/articles/track-your-order"


@pytest.mark.parametrize("slug", ["no-such-article", "winter-sale"])
def test_missing_or_draft_article_is_a_json_404_that_says_what_to_do(api, slug):
    response = api.get(f"/api/v1/articles/{slug}")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert response.json == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": f"No published article has the slug '{slug}'. Find articles with /api/v1/search?q=<words>.",
    }


@pytest.mark.parametrize("path", ["/api/v1/topics", "/api/v1/", "/de/api/v1/topics"])
def test_unknown_api_address_is_json_and_points_to_the_description(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.json["detail"] == f"There is nothing at {path}. The API is described at /api/v1/openapi.json."


@pytest.mark.parametrize("path", ["/api/v1/articles/%0A%2F", "/api/v1/articles/%2F%0A"])
def test_an_address_no_route_can_read_is_a_json_404_too(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.json["title"] == "Not Found"


def test_writing_to_the_read_only_api_is_a_json_405(api):
    response = api.post("/api/v1/articles/track-your-order")
    assert response.status_code == 405
    assert response.json["title"] == "Method Not Allowed"
    assert "GET" in response.headers["Allow"]


def test_shopper_pages_keep_their_html_error_pages(api):
    response = api.get("/articles/no-such-article")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_browser_calls_are_allowed_only_from_configured_origins(api):
    allowed = api.get("/api/v1/articles/track-your-order", headers={"Origin": DESK})
    assert allowed.headers["Access-Control-Allow-Origin"] == DESK
    assert "Origin" in allowed.headers["Vary"]
    other = api.get("/api/v1/articles/track-your-order", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Access-Control-Allow-Origin" not in api.get("/api/v1/articles/track-your-order").headers


def test_preflight_from_a_configured_origin_is_answered(api):
    response = api.options("/api/v1/articles/track-your-order",
                           headers={"Origin": DESK, "Access-Control-Request-Method": "GET"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == DESK
    assert response.headers["Access-Control-Allow-Methods"] == "GET"


def test_errors_reach_a_configured_origin_so_it_can_read_the_message(api):
    response = api.get("/api/v1/articles/nope", headers={"Origin": DESK})
    assert response.headers["Access-Control-Allow-Origin"] == DESK


def test_cors_origins_come_from_the_environment(monkeypatch):
    from kb import create_app
    monkeypatch.setenv("KB_CORS_ORIGINS", f"{DESK} https://chat.shop.example")
    assert create_app({"TESTING": True, "SECRET_KEY": "x"}).config["KB_CORS_ORIGINS"] == (
        DESK, "https://chat.shop.example")


# ---------------------------------------------------------------- the OpenAPI document

def test_openapi_document_describes_every_api_route(api, app):
    document = api.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": f"{BASE}/api/v1"}]
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule).removeprefix("/api/v1")
              for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.") and rule.endpoint != "api.unknown"
              and not rule.rule.startswith("/<")}  # each also under /<lang>/api/v1, described by the lang parameter
    assert set(document["paths"]) == routes


def test_openapi_schemas_are_valid_json_schema(api):
    document = api.get("/api/v1/openapi.json").json
    for name, schema in document["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def demo_slugs() -> list[str]:
    return sorted(p.stem for p in (ROOT / "articles").rglob("*.md"))


@pytest.fixture
def demo(make_app):
    """The demo content, with a limit no test run reaches."""
    return make_app(KB_CONTENT_DIR=str(ROOT / "articles"), KB_API_RATE_LIMIT="100000 per minute").test_client()


def parameter_values(parameter: dict):
    """Values a client might send: real slugs and words, any text, and numbers where numbers are expected."""
    if parameter["schema"].get("type") == "integer":
        return st.one_of(st.integers(min_value=-3, max_value=10**6).map(str), st.text(max_size=8))
    return st.one_of(st.sampled_from(demo_slugs()), st.sampled_from(["refund", "refnud polcy", "AP-1234567"]),
                     st.text(max_size=40))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_response_matches_the_openapi_document_and_none_is_a_server_error(demo, data):
    """A small schemathesis: any value for each documented parameter, then the documented answer."""
    document = demo.get("/api/v1/openapi.json").json
    path, method, operation = data.draw(st.sampled_from(list(operations(document))))
    url, query = path, {}
    for parameter in operation.get("parameters", []):
        value = data.draw(parameter_values(parameter), label=parameter["name"])
        if parameter["in"] == "path":
            url = url.replace("{%s}" % parameter["name"], quote(value, safe="") or "x")
        elif parameter.get("required") or data.draw(st.booleans()):
            query[parameter["name"]] = value
    response = demo.open("/api/v1" + url, method=method.upper(), query_string=query)
    assert response.status_code < 500
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{method.upper()} {url} answered {response.status_code}, which is not documented"
    if "content" in documented:
        schema = documented["content"][response.mimetype]["schema"]
        errors = [e.message for e in validator(document, schema).iter_errors(response.json)]
        assert errors == []


# ---------------------------------------------------------------- search and rate limits

def test_search_gives_absolute_links_to_articles_and_matching_sections(api):
    response = api.get("/api/v1/search", query_string={"q": "dispatch email"})
    assert response.status_code == 200
    first = response.json["results"][0]
    assert first["title"] == "Track your order"
    assert first["url"] == f"{BASE}/articles/track-your-order"
    assert first["permanent_url"] == f"{BASE}/a/1017"
    assert first["section"] == {"title": "Where is my tracking link?", "anchor": "tracking-link",
                                "url": f"{BASE}/articles/track-your-order#tracking-link",
                                "permanent_url": f"{BASE}/a/1017#tracking-link"}
    assert "dispatch email" in first["snippet"] and "<" not in first["snippet"]


def test_search_never_returns_drafts(api):
    titles = [hit["title"] for hit in api.get("/api/v1/search?q=winter+sale").json["results"]]
    assert "Winter sale" not in titles


def test_order_number_search_points_to_the_tracking_article(api):
    response = api.get("/api/v1/search", query_string={"q": "AP-1234567"})
    assert response.json["order_number"] is True
    assert [hit["slug"] for hit in response.json["results"]] == ["track-your-order"]


def test_search_without_words_says_how_to_ask(api):
    response = api.get("/api/v1/search?q=+")
    assert response.status_code == 400
    assert response.json["detail"] == "Say what to search for: /api/v1/search?q=<words>, e.g. ?q=refund+times."


def test_a_client_over_the_limit_gets_a_json_429_and_shoppers_are_not_affected(make_app):
    client = make_app(KB_API_RATE_LIMIT="2 per minute").test_client()
    assert [client.get("/api/v1/articles/track-your-order").status_code for _ in range(3)] == [200, 200, 429]
    limited = client.get("/api/v1/search?q=parcel")
    assert limited.status_code == 429
    assert limited.json["detail"] == ("Too many requests from this client: the limit is 2 per minute. "
                                       "Wait a little and try again.")
    assert client.get("/articles/track-your-order").status_code == 200


def test_readme_documents_the_api_and_every_setting_it_adds():
    readme = (ROOT / "README.md").read_text()
    for name in ("KB_BASE_URL", "KB_CORS_ORIGINS", "KB_API_RATE_LIMIT", "/api/v1/openapi.json",
                 "/api/v1/search", "/a/"):
        assert name in readme, name


# ---------------------------------------------------------------- lists, languages and ETags

@pytest.fixture
def shop(content, make_app):
    """Three published articles over two topics, one updated lately, one draft, and a German translation."""
    content.article("track-your-order", "Track your order", "Your tracking link arrives by email.",
                    updated="2026-10-14", order=1)
    content.article("late-parcel", "Late parcel", "Wait two working days.", updated="2026-11-20", order=2)
    content.article("winter-sale", "Winter sale", draft="true")
    content.write("de/orders-and-shipping/sendung-verfolgen.md", """\
        ---
        title: Bestellung verfolgen
        translation_of: track-your-order
        updated: 2026-10-20
        ---
        Den Link bekommen Sie per E-Mail.
        """)
    content.write("de/categories.yml", "- slug: orders-and-shipping\n  title: Bestellung und Versand\n")
    return make_app(KB_BASE_URL=BASE).test_client()


def test_articles_are_listed_in_the_topics_order_a_page_at_a_time(shop):
    first = shop.get("/api/v1/articles", query_string={"per_page": 2}).json
    assert [a["slug"] for a in first["articles"]] == ["track-your-order", "late-parcel"]
    assert (first["total"], first["page"], first["pages"], first["per_page"]) == (3, 1, 2, 2)
    second = shop.get("/api/v1/articles", query_string={"per_page": 2, "page": 2}).json
    assert [a["slug"] for a in second["articles"]] == ["start-a-return"]
    assert "winter-sale" not in str(first) + str(second)


def test_a_helpdesk_syncs_only_the_articles_updated_since_its_last_sync(shop):
    listed = shop.get("/api/v1/articles", query_string={"updated_since": "2026-11-01"}).json
    assert [a["slug"] for a in listed["articles"]] == ["late-parcel"]
    in_topic = shop.get("/api/v1/articles", query_string={"category": "returns-and-refunds"}).json
    assert [a["slug"] for a in in_topic["articles"]] == ["start-a-return"]


@pytest.mark.parametrize("query, status, detail", [
    ({"page": 3, "per_page": 2}, 404, "There is no page 3: pages run from 1 to 2."),
    ({"page": 0}, 404, "There is no page 0: pages run from 1 to 1."),
    ({"per_page": 500}, 400, "per_page is from 1 to 100, not '500'."),
    ({"updated_since": "last week"}, 400, "updated_since is a day, written YYYY-MM-DD, not 'last week'."),
    ({"lang": "fr"}, 400, "The help center is not served in 'fr'. Ask for one of: en, de."),
])
def test_a_list_request_it_cannot_answer_is_a_problem_that_says_why(shop, query, status, detail):
    response = shop.get("/api/v1/articles", query_string=query)
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert response.json["detail"] == detail


def test_a_search_page_past_the_last_is_a_404_not_an_empty_list(shop):
    assert shop.get("/api/v1/search", query_string={"q": "parcel", "page": 99}).status_code == 404


def test_topics_are_listed_with_how_many_articles_each_holds(shop):
    topics = shop.get("/api/v1/categories").json["categories"]
    assert [(t["slug"], t["articles"]) for t in topics] == [("orders-and-shipping", 2), ("returns-and-refunds", 1)]
    german = shop.get("/de/api/v1/categories").json["categories"]
    assert german[0]["title"] == "Bestellung und Versand"
    assert german[0]["url"] == f"{BASE}/de/categories/orders-and-shipping"


@pytest.mark.parametrize("address", ["/de/api/v1/articles", "/api/v1/articles?lang=de"])
def test_every_article_is_listed_in_german_and_an_untranslated_one_is_marked(shop, address):
    listed = {a["title"]: (a["language"], a["fallback"], a["url"]) for a in shop.get(address).json["articles"]}
    assert listed["Bestellung verfolgen"] == ("de", False, f"{BASE}/de/articles/sendung-verfolgen")
    assert listed["Late parcel"] == ("en", True, f"{BASE}/articles/late-parcel")


def test_a_german_article_comes_with_its_german_body(shop):
    article = shop.get("/de/api/v1/articles/sendung-verfolgen").json
    assert (article["title"], article["language"], article["fallback"]) == ("Bestellung verfolgen", "de", False)
    assert article["body_markdown"] == "Den Link bekommen Sie per E-Mail."
    original = shop.get("/api/v1/articles/late-parcel", query_string={"lang": "de"}).json
    assert (original["title"], original["fallback"]) == ("Late parcel", True)


def test_a_read_sent_again_with_its_etag_answers_304_without_a_body(shop):
    first = shop.get("/api/v1/articles/track-your-order")
    assert first.headers["ETag"]
    again = shop.get("/api/v1/articles/track-your-order", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    listed = shop.get("/api/v1/categories")
    assert shop.get("/api/v1/categories", headers={"If-None-Match": listed.headers["ETag"]}).status_code == 304
    assert shop.get("/api/v1/categories", headers={"If-None-Match": '"other"'}).status_code == 200


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(make_app):
    """Schemathesis makes requests from the OpenAPI document, valid and not: each answer is documented and fits."""
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                                   status_code_conformance)

    app = make_app(KB_CONTENT_DIR=str(ROOT / "articles"), KB_API_RATE_LIMIT="100000 per minute")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    requests = st.one_of([result.ok().as_strategy() for result in schema.get_all_operations()])

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=requests)
    def answered_as_documented(case):
        case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                       response_schema_conformance])

    answered_as_documented()
