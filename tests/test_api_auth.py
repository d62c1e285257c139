"""HTTP API access control: keys, roles for every route, ownership, sessions, quotas."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import SESSION_COOKIE
from api.roles import PUBLIC, rule_for
from api.settings import Settings
from wasteopt.apikeys import ROLES, KeyRing
from wasteopt.cli import main as cli
from wasteopt.errors import WasteoptError

TINY = json.loads((Path(__file__).parent / "data" / "api" / "tiny.json").read_text("utf-8"))
LONG = {"time_limit_s": 30}
PAST = "2000-01-01T00:00:00.000Z"


def make_keys(db: Path, **quotas: dict) -> dict[str, str]:
    """One key per role (named after it), plus keys with quotas: name -> Bearer header."""
    ring = KeyRing(db)
    keys = {role: ring.add(role, role)[1] for role in ROLES}
    keys["other"] = ring.add("other", "dispatcher")[1]
    for name, limits in quotas.items():
        keys[name] = ring.add(name, "planner", **limits)[1]
    ring.close()
    return keys


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def key_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A database holding the keys, made once (each key costs a scrypt) and copied per test."""
    db = tmp_path_factory.mktemp("keys") / "keys.db"
    keys = make_keys(
        db,
        one_job={"max_jobs": 1},
        little_cpu={"cpu_s_per_day": 10.0},
        tiny_disk={"max_stored_bytes": 100},
    )
    return db, keys


@pytest.fixture
def keyed_db(key_template, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the template's database for one test, and its keys."""
    db = tmp_path / "api.db"
    shutil.copyfile(key_template[0], db)
    return db, key_template[1]


@pytest.fixture
def keyed(keyed_db) -> Iterator[tuple[TestClient, dict[str, str]]]:
    db, keys = keyed_db
    settings = Settings(db=db, workers=1, queue_size=4, max_time_limit_s=60, cancel_grace_s=3)
    with TestClient(create_app(settings)) as client:
        yield client, keys


def test_keys_are_stored_hashed_and_revoked_keys_stop_at_once(keyed, tmp_path: Path) -> None:
    client, keys = keyed
    raw = (tmp_path / "api.db").read_bytes()
    assert all(token.encode() not in raw for token in keys.values())
    assert client.get("/v1/instances", headers=bearer(keys["viewer"])).status_code == 200
    assert cli(["keys", "--db", str(tmp_path / "api.db"), "revoke", "viewer"]) == 0
    revoked = client.get("/v1/instances", headers=bearer(keys["viewer"]))
    assert revoked.status_code == 401 and revoked.headers["www-authenticate"] == "Bearer"
    wrong = keys["admin"][:-4] + "AAAA"
    assert client.get("/v1/instances", headers=bearer(wrong)).status_code == 401
    assert client.get("/v1/instances").status_code == 401


def test_an_admin_manages_keys_over_http(keyed) -> None:
    client, keys = keyed
    body = {"name": "desk-2", "role": "viewer", "max_jobs": 2}
    assert client.post("/v1/keys", json=body, headers=bearer(keys["planner"])).status_code == 403
    made = client.post("/v1/keys", json=body, headers=bearer(keys["admin"]))
    assert made.status_code == 201 and made.json()["max_jobs"] == 2
    token = made.json()["key"]
    assert client.get("/v1/instances", headers=bearer(token)).status_code == 200
    listed = client.get("/v1/keys", headers=bearer(keys["admin"])).json()
    assert "desk-2" in {k["name"] for k in listed} and all("key" not in k for k in listed)
    again = client.post("/v1/keys", json=body, headers=bearer(keys["admin"]))
    assert again.status_code == 422 and again.json()["errors"][0]["loc"] == "name"
    assert client.delete("/v1/keys/desk-2", headers=bearer(keys["admin"])).status_code == 200
    assert client.get("/v1/instances", headers=bearer(token)).status_code == 401
    assert client.delete("/v1/keys/desk-2", headers=bearer(keys["admin"])).status_code == 404


def test_keys_command_adds_lists_and_revokes(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "k.db")
    assert (
        cli(["keys", "--db", db, "add", "desk-1", "--role", "dispatcher", "--max-jobs", "2"]) == 0
    )
    token = capsys.readouterr().out.splitlines()[1]
    assert re.fullmatch(r"wo_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", token)
    assert cli(["keys", "--db", db, "add", "desk-1", "--role", "viewer"]) == 2
    assert "an active key named 'desk-1' exists" in capsys.readouterr().err
    assert cli(["keys", "--db", db, "list"]) == 0
    listed = capsys.readouterr().out
    assert "desk-1" in listed and "dispatcher" in listed and "2 jobs" in listed
    assert token not in listed
    assert cli(["keys", "--db", db, "revoke", "desk-1"]) == 0
    assert cli(["keys", "--db", db, "revoke", "desk-1"]) == 2
    assert cli(["keys", "--db", db, "add", "bad name", "--role", "viewer"]) == 2


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "nothing-here", path)


def test_every_route_declares_a_role_and_enforces_it(keyed) -> None:
    """Table-driven over the app's own routes: a route added without a rule fails here."""
    client, keys = keyed
    undeclared, checked = [], 0
    for route in iter_route_contexts(client.app.routes):
        if not isinstance(route.original_route, APIRoute):
            continue  # the OpenAPI document and static files: no API data
        for method in sorted(route.methods - {"HEAD"}):
            rule = rule_for(method, route.path_format)
            if rule is None:
                undeclared.append(f"{method} {route.path_format}")
                continue
            if rule.role == PUBLIC:
                continue
            url = _fill(route.path_format)
            nobody = client.request(method, url)
            assert nobody.status_code == 401, (method, url, nobody.text)
            rank = ROLES.index(rule.role)
            if rank > 0:
                below = client.request(method, url, headers=bearer(keys[ROLES[rank - 1]]))
                assert below.status_code == 403, (method, url, below.text)
                assert rule.role in below.json()["detail"]
            allowed = client.request(method, url, headers=bearer(keys[rule.role]))
            assert allowed.status_code not in (401, 403), (method, url, allowed.text)
            checked += 1
    assert not undeclared, f"routes without a role in api.roles.RULES: {undeclared}"
    assert checked >= 20


def test_objects_record_their_key_and_only_the_creator_or_an_admin_changes_them(
    keyed, tmp_path: Path
) -> None:
    client, keys = keyed
    mine = client.post("/v1/instances", json=TINY, headers=bearer(keys["dispatcher"]))
    assert mine.status_code == 201
    job = client.post(
        "/v1/plans", json={"instance_id": mine.json()["id"], **LONG}, headers=bearer(keys["other"])
    ).json()
    conn = sqlite3.connect(tmp_path / "api.db")
    owners = dict(conn.execute("SELECT name, id FROM api_keys").fetchall())
    assert conn.execute("SELECT owner FROM instances").fetchone()[0] == owners["dispatcher"]
    assert conn.execute("SELECT owner FROM jobs").fetchone()[0] == owners["other"]
    conn.close()

    refused = client.delete(f"/v1/plans/{job['id']}", headers=bearer(keys["dispatcher"]))
    assert refused.status_code == 403 and "another key" in refused.json()["detail"]
    planner = client.delete(f"/v1/instances/{mine.json()['id']}", headers=bearer(keys["planner"]))
    assert planner.status_code == 403
    assert client.delete(f"/v1/plans/{job['id']}", headers=bearer(keys["admin"])).status_code == 200


def test_health_shows_storage_to_admins_only(keyed) -> None:
    client, keys = keyed
    assert client.get("/health").json()["storage_bytes"] is None
    assert client.get("/health", headers=bearer(keys["viewer"])).json()["storage_bytes"] is None
    assert client.get("/health", headers=bearer(keys["admin"])).json()["storage_bytes"] > 0


def test_over_a_quota_answers_429_naming_it_with_retry_after(keyed) -> None:
    client, keys = keyed
    first = client.post(
        "/v1/plans", json={"instance": TINY, **LONG}, headers=bearer(keys["one_job"])
    )
    assert first.status_code == 202
    second = client.post(
        "/v1/plans", json={"instance": TINY, **LONG}, headers=bearer(keys["one_job"])
    )
    assert second.status_code == 429
    assert second.headers["x-quota"] == "jobs" and "jobs" in second.json()["title"]
    assert int(second.headers["retry-after"]) >= 1
    client.delete(first.headers["location"], headers=bearer(keys["one_job"]))

    cpu = client.post(
        "/v1/plans", json={"instance": TINY, **LONG}, headers=bearer(keys["little_cpu"])
    )
    assert cpu.status_code == 429 and cpu.headers["x-quota"] == "cpu_s_per_day"
    disk = client.post("/v1/instances", json=TINY, headers=bearer(keys["tiny_disk"]))
    assert disk.status_code == 429 and disk.headers["x-quota"] == "stored_bytes"
    assert int(disk.headers["retry-after"]) >= 1


def test_desk_session_cookie_is_httponly_strict_and_csrf_safe(keyed) -> None:
    client, keys = keyed
    assert client.post("/v1/session", json={"key": "wo_wrong"}).status_code == 401
    login = client.post("/v1/session", json={"key": keys["dispatcher"]})
    assert login.status_code == 200 and login.json() == {"name": "dispatcher", "role": "dispatcher"}
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/v1/instances").status_code == 200  # the cookie authenticates reads
    no_header = client.post("/v1/instances", json=TINY)
    assert no_header.status_code == 403 and "X-Requested-With" in no_header.json()["detail"]
    csrf = {"X-Requested-With": "wasteopt-desk"}
    foreign = client.post(
        "/v1/instances", json=TINY, headers={**csrf, "Origin": "http://evil.example"}
    )
    assert foreign.status_code == 403
    assert client.post("/v1/instances", json=TINY, headers=csrf).status_code == 201
    assert client.delete("/v1/session", headers=csrf).status_code == 204
    assert client.get("/v1/instances").status_code == 401


def test_cors_is_closed_unless_configured(keyed, tmp_path: Path) -> None:
    client, _ = keyed
    preflight = {"Origin": "http://desk.example", "Access-Control-Request-Method": "POST"}
    answer = client.options("/v1/instances", headers=preflight)
    assert "access-control-allow-origin" not in answer.headers
    settings = Settings(db=tmp_path / "cors.db", cors_origins="http://desk.example")
    with TestClient(create_app(settings)) as open_client:
        allowed = open_client.options("/v1/instances", headers=preflight)
        assert allowed.headers["access-control-allow-origin"] == "http://desk.example"


def test_a_non_loopback_bind_without_keys_refuses_to_start(tmp_path: Path, capsys) -> None:
    with pytest.raises(WasteoptError, match="refusing to listen on 0.0.0.0 without API keys"):
        create_app(Settings(db=tmp_path / "api.db", host="0.0.0.0"))
    assert cli(["serve", "--host", "0.0.0.0", "--db", str(tmp_path / "s.db")]) == 2
    refused = capsys.readouterr().err
    assert refused.count("\n") == 1 and "without API keys" in refused
    ring = KeyRing(tmp_path / "keyed.db")
    ring.add("operator", "admin")
    ring.close()
    create_app(Settings(db=tmp_path / "keyed.db", host="0.0.0.0"))  # keys exist: it starts


def test_desk_sessions_outlive_a_restart_and_end_at_expiry_or_revocation(keyed_db) -> None:
    db, keys = keyed_db
    settings = Settings(db=db, workers=1)
    tokens: dict[str, str] = {}
    with TestClient(create_app(settings)) as first:
        for name in ("dispatcher", "viewer", "other"):
            first.post("/v1/session", json={"key": keys[name]})
            tokens[name] = first.cookies[SESSION_COOKIE]
            first.cookies.clear()
    conn = sqlite3.connect(db)
    stored = {row[0] for row in conn.execute("SELECT digest FROM sessions")}
    assert stored == {hashlib.sha256(t.encode()).digest() for t in tokens.values()}

    def who(client: TestClient, name: str) -> int:
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, tokens[name])
        return client.get("/v1/session").status_code

    with TestClient(create_app(settings)) as second:  # a restarted server over the same store
        assert who(second, "dispatcher") == 200
        csrf = {"X-Requested-With": "wasteopt-desk"}
        assert second.post("/v1/instances", json=TINY).status_code == 403  # CSRF as before
        assert second.post("/v1/instances", json=TINY, headers=csrf).status_code == 201
        expired = hashlib.sha256(tokens["viewer"].encode()).digest()
        with conn:
            conn.execute("UPDATE sessions SET expires_at = ? WHERE digest = ?", (PAST, expired))
        assert who(second, "viewer") == 401
        ring = KeyRing(db)
        ring.revoke("other")
        ring.close()
        assert who(second, "other") == 401
        second.cookies.clear()
        assert second.post("/v1/purge", headers=bearer(keys["admin"])).status_code == 200
    left = {row[0] for row in conn.execute("SELECT digest FROM sessions")}
    conn.close()
    assert expired not in left and len(left) == 2  # the purge took the expired session only


def test_expired_sessions_are_deleted_at_login_with_retention_off(keyed_db) -> None:
    db, keys = keyed_db

    def sessions() -> int:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]

    with TestClient(create_app(Settings(db=db, workers=1, retention_days=0))) as client:
        for _ in range(3):
            client.cookies.clear()  # a new browser each time
            assert client.post("/v1/session", json={"key": keys["viewer"]}).status_code == 200
        assert sessions() == 3
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE sessions SET expires_at = ?", (PAST,))
        client.cookies.clear()
        assert client.post("/v1/session", json={"key": keys["dispatcher"]}).status_code == 200
        assert sessions() == 1  # the new one; the three expired ones are gone
