"""Programmes through HTTP on both databases: the public plan, storing, one open per goal, pause/resume/end,
what is due today from logs posted through the API, a log's programme reference, the calendar feed (read by
icalendar and by a second parser written here), export, erasure, and the time zone of /workouts/next."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import icalendar
import pytest
from conftest import LogFactory, Tenant, count_rows
from fastapi.testclient import TestClient

from app.programmes import examples
from app.programmes.calendar import local_today
from app.state import state_of

PROBLEM = "application/problem+json"
MONDAY = "2026-12-07"  # a Monday: week 1 day 1 of the plans here
MOBILITY: dict[str, Any] = {
    "goal": "mobility", "weeks": 6, "days_per_week": 3, "weekdays": ["mon", "wed", "fri"], "start": MONDAY,
    "tz": "Europe/Berlin", "seed": 42,
}


def create(client: TestClient, tenant: Tenant, body: dict[str, Any] = MOBILITY, user: str = "u1", **headers: str) -> Any:
    return client.post(f"/users/{user}/programmes", json=body, headers={**tenant.headers, **headers})


def created(client: TestClient, tenant: Tenant, body: dict[str, Any] = MOBILITY, user: str = "u1") -> dict[str, Any]:
    answer = create(client, tenant, body, user)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def today(client: TestClient, tenant: Tenant, programme: dict[str, Any], day: str | None = None) -> dict[str, Any]:
    query = "" if day is None else f"?date={day}"
    answer = client.get(f"{programme['self']}/today{query}", headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def log_session(
    client: TestClient, tenant: Tenant, make_log: LogFactory, when: str, user: str = "u1", **fields: Any
) -> dict[str, Any]:
    """A session done as logged by the app: three exercises, a little pain after."""
    answer = client.post(
        f"/users/{user}/logs", json=make_log(performed_at=when, entries=3, **fields), headers=tenant.headers
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def problem(answer: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body = dict(answer.json())
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


# --- the public plan -------------------------------------------------------------------------------------


def test_the_public_plan_is_the_same_bytes_for_the_same_inputs_with_an_etag(db_client: TestClient) -> None:
    url = "/programmes?goal=mobility&weeks=6&days_per_week=3&weekdays=mon,wed,fri&start=2026-12-07&seed=42"
    first, second = db_client.get(url), db_client.get(url)
    assert first.status_code == 200, first.text
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]
    plan = first.json()
    assert plan["parameters"]["start"] == MONDAY and plan["parameters"]["seed"] == 42
    assert len(plan["weeks"]) == 6 and all(len(w["days"]) == 7 for w in plan["weeks"])
    sessions = [d for d in plan["weeks"][0]["days"] if not d["rest"]]
    assert [d["weekday"] for d in sessions] == ["mon", "wed", "fri"]
    assert all(d["session"]["goal"] for d in sessions)
    again = db_client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_a_plan_revalidates_without_being_built_and_its_gzip_is_the_same_plan(db_client: TestClient) -> None:
    url = "/programmes?goal=strength&weeks=4&days_per_week=3&start=2026-12-07&seed=7"
    answers = state_of(db_client.app).answers
    before = answers.stats.misses
    first = db_client.get(url, headers={"Accept-Encoding": "identity"})
    assert first.status_code == 200 and answers.stats.misses == before + 1
    tag = first.headers["etag"]
    # the tag follows from the parameters: another order and spelling of the same plan, the same tag, no build
    same = "/programmes?seed=7&start=2026-12-07&days_per_week=3&weeks=4&goal=strength&advance=calendar"
    again = db_client.get(same, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.headers["etag"] == tag and answers.stats.misses == before + 1
    packed = db_client.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip" and packed.headers["etag"] == tag[:-1] + '-gzip"'
    assert packed.content == first.content  # (httpx unpacks it)
    raw = db_client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["etag"]})
    assert raw.status_code == 304
    # another language is another plan and another tag; another seed too
    german = db_client.get(url, headers={"Accept-Language": "de", "If-None-Match": tag})
    assert german.status_code == 200 and german.headers["etag"] != tag
    assert db_client.get(url.replace("seed=7", "seed=8"), headers={"If-None-Match": tag}).status_code == 200


def test_the_public_plan_echoes_a_drawn_seed_and_todays_start(db_client: TestClient) -> None:
    answer = db_client.get("/programmes?goal=mobility&weeks=1&tz=Pacific/Auckland")
    assert answer.status_code == 200, answer.text
    parameters = answer.json()["parameters"]
    assert isinstance(parameters["seed"], int)
    assert parameters["start"] in {local_today("Pacific/Auckland").isoformat(),
                                   (local_today("Pacific/Auckland") - dt.timedelta(days=1)).isoformat()}
    assert "etag" not in answer.headers


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("tz=Mars/Olympus", "tz"),
        ("weeks=17", "weeks"),
        ("weeks=0", "weeks"),
        ("days_per_week=8", "days_per_week"),
        ("deload_every=2", "deload_every"),
        ("advance=sometimes", "advance"),
        ("days_per_week=3&weekdays=mon,wed", None),  # the count does not match: named in the message
        ("weekdays=mon,funday", "weekdays"),
        ("tz=" + "A" * 65, "tz"),
        ("start=0", "start"),  # a Unix time is not a day (found by the fuzz: it was read as 1970-01-01)
        ("start=2026-12-07T10:00:00Z", "start"),
        ("start=2300-01-01", "start"),
    ],
)
def test_bad_parameters_are_a_422_naming_the_field(db_client: TestClient, query: str, field: str | None) -> None:
    body = problem(db_client.get(f"/programmes?goal=mobility&{query}"), 422)
    if field is not None:
        assert any(field in e["field"] for e in body["errors"]), body
    else:
        assert "weekdays" in body["detail"] or "weekdays" in str(body["errors"])


# --- stored programmes ------------------------------------------------------------------------------------


def test_create_get_list_patch_delete(db_client: TestClient, acme: Tenant) -> None:
    answer = create(db_client, acme)
    assert answer.status_code == 201, answer.text
    programme = answer.json()
    assert answer.headers["location"] == programme["self"] == f"/users/u1/programmes/{programme['id']}"
    assert programme["status"] == "active" and programme["paused"] == [] and programme["ended"] is None
    assert programme["parameters"]["advance"] == "sessions"  # the default for mobility
    assert len(programme["weeks"]) == 6

    got = db_client.get(programme["self"], headers=acme.headers)
    assert got.status_code == 200
    assert {k: v for k, v in got.json().items()} == programme

    listed = db_client.get("/users/u1/programmes", headers=acme.headers).json()
    assert [p["id"] for p in listed["items"]] == [programme["id"]] and listed["next"] is None
    assert listed["items"][0]["parameters"] == programme["parameters"] and "weeks" not in listed["items"][0]

    paused = db_client.patch(programme["self"], json={"status": "paused", "date": "2026-12-10"}, headers=acme.headers)
    assert paused.status_code == 200, paused.text
    assert paused.json()["status"] == "paused"
    assert paused.json()["paused"] == [{"from": "2026-12-10", "to": None}]
    early = db_client.patch(programme["self"], json={"status": "active", "date": "2026-12-09"}, headers=acme.headers)
    problem(early, 422, "date")
    resumed = db_client.patch(programme["self"], json={"status": "active", "date": "2026-12-14"}, headers=acme.headers)
    assert resumed.json()["paused"] == [{"from": "2026-12-10", "to": "2026-12-14"}]
    assert resumed.json()["status"] == "active"
    ended = db_client.patch(programme["self"], json={"status": "ended", "date": "2026-12-20"}, headers=acme.headers)
    assert ended.json()["status"] == "ended" and ended.json()["ended"] == "2026-12-20"
    after = db_client.patch(programme["self"], json={"status": "active"}, headers=acme.headers)
    assert problem(after, 409)["type"].endswith("/programme-ended")

    assert db_client.delete(programme["self"], headers=acme.headers).status_code == 204
    assert db_client.get(programme["self"], headers=acme.headers).status_code == 404
    assert db_client.delete(programme["self"], headers=acme.headers).status_code == 404


def test_one_open_programme_per_goal_and_the_409_names_it(db_client: TestClient, acme: Tenant) -> None:
    first = created(db_client, acme)
    second = create(db_client, acme, {**MOBILITY, "weeks": 4})
    body = problem(second, 409)
    assert body["type"].endswith("/programme-exists")
    assert first["id"] in body["detail"] and second.headers["location"] == first["self"]
    # another goal is fine, and so is the same goal once the first is ended (a pause keeps its place)
    assert create(db_client, acme, {**MOBILITY, "goal": "strength"}).status_code == 201
    db_client.patch(first["self"], json={"status": "paused"}, headers=acme.headers)
    assert create(db_client, acme, {**MOBILITY, "weeks": 4}).status_code == 409
    db_client.patch(first["self"], json={"status": "ended"}, headers=acme.headers)
    assert create(db_client, acme, {**MOBILITY, "weeks": 4}).status_code == 201
    assert len(db_client.get("/users/u1/programmes", headers=acme.headers).json()["items"]) == 3


def test_an_idempotent_create_is_stored_once(db_client: TestClient, acme: Tenant) -> None:
    first = create(db_client, acme, **{"Idempotency-Key": "plan-1"})
    again = create(db_client, acme, **{"Idempotency-Key": "plan-1"})
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert count_rows(db_client.app, "programmes") == 1
    other = create(db_client, acme, {**MOBILITY, "weeks": 3}, **{"Idempotency-Key": "plan-1"})
    assert other.status_code == 422


def test_a_list_pages_newest_first(db_client: TestClient, acme: Tenant) -> None:
    made = [created(db_client, acme, {**MOBILITY, "goal": goal}) for goal in ("mobility", "strength", "rehab")]
    page = db_client.get("/users/u1/programmes?limit=2", headers=acme.headers)
    assert [p["id"] for p in page.json()["items"]] == [made[2]["id"], made[1]["id"]]
    rest = db_client.get(page.json()["next"], headers=acme.headers).json()
    assert [p["id"] for p in rest["items"]] == [made[0]["id"]] and rest["next"] is None
    assert db_client.get("/users/nobody/programmes", headers=acme.headers).status_code == 404


# --- today ------------------------------------------------------------------------------------------------


def test_today_due_then_done_then_rest_from_logs_posted_through_the_api(
    db_client: TestClient, acme: Tenant, make_log: LogFactory
) -> None:
    programme = created(db_client, acme)
    monday = today(db_client, acme, programme, MONDAY)
    assert (monday["date"], monday["week"], monday["day"], monday["status"]) == (MONDAY, 1, 1, "due")
    assert monday["next_due"] == MONDAY and monday["missed"] == 0
    assert monday["session"] is not None and monday["session"]["items"]
    assert all("adaptation" in item for item in monday["session"]["items"])  # the coach's shape

    log_session(db_client, acme, make_log, "2026-12-07T18:00:00+01:00")
    done = today(db_client, acme, programme, MONDAY)
    assert done["status"] == "done" and done["day"] == 1
    tuesday = today(db_client, acme, programme, "2026-12-08")
    assert tuesday["status"] == "rest" and tuesday["session"] is None
    assert tuesday["next_due"] == "2026-12-09"


def test_a_log_that_names_the_session_fulfils_it(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    programme = created(db_client, acme)
    link = {"id": programme["id"], "week": 1, "day": 1}
    logged = log_session(db_client, acme, make_log, "2026-12-07T07:00:00+01:00", programme=link)
    assert logged["programme"] == link
    assert db_client.get(f"/users/u1/logs/{logged['id']}", headers=acme.headers).json()["programme"] == link
    assert today(db_client, acme, programme, MONDAY)["status"] == "done"
    exported = db_client.get("/users/u1/export", headers=acme.headers).json()
    assert exported["logs"][0]["programme"] == link


def test_a_programme_reference_must_be_the_users_own_and_in_the_plan(
    db_client: TestClient, acme: Tenant, globex: Tenant, make_log: LogFactory
) -> None:
    mine = created(db_client, acme)
    theirs = created(db_client, globex)
    bob = created(db_client, acme, user="bob")
    for link, field in [
        ({"id": theirs["id"], "week": 1, "day": 1}, "programme.id"),  # another tenant's
        ({"id": bob["id"], "week": 1, "day": 1}, "programme.id"),  # another user's
        ({"id": "00000000-0000-4000-8000-000000000000", "week": 1, "day": 1}, "programme.id"),
        ({"id": mine["id"], "week": 7, "day": 1}, "programme.week"),  # the plan has 6
        ({"id": mine["id"], "week": 1, "day": 4}, "programme.day"),  # and 3 sessions a week
    ]:
        body = make_log(performed_at="2026-12-07T07:00:00+01:00", programme=link)
        problem(db_client.post("/users/u1/logs", json=body, headers=acme.headers), 422, field)
    problem(db_client.post("/users/u1/logs", json=make_log(programme={"id": mine["id"], "week": 17, "day": 1}),
                           headers=acme.headers), 422)
    assert count_rows(db_client.app, "logs") == 0


def test_calendar_mode_counts_missed_sessions(db_client: TestClient, acme: Tenant) -> None:
    programme = created(db_client, acme, {**MOBILITY, "advance": "calendar"})
    thursday = today(db_client, acme, programme, "2026-12-10")
    assert thursday["missed"] == 2  # Monday and Wednesday
    assert thursday["status"] == "rest" and thursday["next_due"] == "2026-12-11"
    # sessions mode: the first session is still the one due, on Thursday; it counts as late (missed) once
    sessions = created(db_client, acme, {**MOBILITY, "goal": "rehab"})
    shifted = today(db_client, acme, sessions, "2026-12-10")
    assert (shifted["week"], shifted["day"], shifted["status"], shifted["next_due"]) == (1, 1, "due", "2026-12-10")
    assert shifted["missed"] == 1 and shifted["session"] is not None


def test_a_past_calendar_session_day_with_nothing_logged_is_missed(db_client: TestClient, acme: Tenant) -> None:
    real = local_today("Europe/Berlin")
    monday = real - dt.timedelta(days=real.weekday() + 7)  # last week's Monday: its days have all passed
    body = {**MOBILITY, "advance": "calendar", "start": monday.isoformat()}
    programme = created(db_client, acme, body)
    missed = today(db_client, acme, programme, monday.isoformat())
    assert (missed["status"], missed["week"], missed["day"], missed["missed"]) == ("missed", 1, 1, 1)
    assert missed["next_due"] == (monday + dt.timedelta(days=2)).isoformat() and missed["session"] is None
    assert today(db_client, acme, programme, (monday + dt.timedelta(days=1)).isoformat())["status"] == "rest"
    # sessions mode never misses by date: the first session is still due, late once per shifted session
    sessions = created(db_client, acme, {**body, "goal": "rehab", "advance": "sessions"})
    assert today(db_client, acme, sessions, monday.isoformat())["status"] == "due"


def test_paused_and_finished(db_client: TestClient, acme: Tenant) -> None:
    programme = created(db_client, acme)
    db_client.patch(programme["self"], json={"status": "paused", "date": "2026-12-08"}, headers=acme.headers)
    paused = today(db_client, acme, programme, "2026-12-09")
    assert paused["status"] == "paused" and paused["session"] is None
    after_end = today(db_client, acme, {**programme, "self": programme["self"]}, "2027-03-01")
    assert after_end["status"] in {"paused", "finished"}
    other = created(db_client, acme, {**MOBILITY, "goal": "strength", "weeks": 1, "advance": "calendar"})
    finished = today(db_client, acme, other, "2026-12-20")
    assert finished["status"] == "finished" and finished["session"] is None and finished["next_due"] is None


def test_today_dates_are_checked(db_client: TestClient, acme: Tenant) -> None:
    programme = created(db_client, acme)
    for day in ("2024-01-01", "2029-01-01", "not-a-date", "2026-02-30"):
        problem(db_client.get(f"{programme['self']}/today?date={day}", headers=acme.headers), 422, "date")


# --- the calendar feed ------------------------------------------------------------------------------------


def unfold(text: str) -> list[str]:
    """RFC 5545 3.1: a CRLF followed by one space or tab continues the line."""
    assert "\r\n" in text and not re.search(r"(?<!\r)\n", text), "lines end in CRLF"
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")


def events(text: str) -> list[dict[str, tuple[dict[str, str], str]]]:
    """A second parser, independent of icalendar: each VEVENT's properties, name -> (parameters, value)."""
    found: list[dict[str, tuple[dict[str, str], str]]] = []
    current: dict[str, tuple[dict[str, str], str]] | None = None
    for line in unfold(text):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            found.append(current)
            current = None
        elif current is not None and line:
            head, value = line.split(":", 1)
            name, *params = head.split(";")
            current[name.upper()] = (dict(p.split("=", 1) for p in params), value)
    return found


def test_the_calendar_feed_parses_twice_with_stable_uids_and_local_all_day_dates(
    db_client: TestClient, acme: Tenant
) -> None:
    programme = created(db_client, acme, {**MOBILITY, "tz": "Pacific/Auckland"})
    url = f"{programme['self']}/calendar.ics"
    first, second = db_client.get(url, headers=acme.headers), db_client.get(url, headers=acme.headers)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert first.content == second.content
    assert db_client.get(url, headers={**acme.headers, "If-None-Match": first.headers["etag"]}).status_code == 304

    planned = [
        (w["week"], d["index"], d["date"], d["session"]["title"])
        for w in programme["weeks"] for d in w["days"] if not d["rest"]
    ]
    calendar = icalendar.Calendar.from_ical(first.content)
    assert str(calendar["X-WR-TIMEZONE"]) == "Pacific/Auckland"
    parsed = [
        (str(e["UID"]), e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"]))
        for e in calendar.walk("VEVENT")
    ]
    assert [uid for uid, *_ in parsed] == [f"{programme['id']}-w{w}-d{i}@hipflex" for w, i, _, _ in planned]
    for (_, start, end, summary), (_, _, day, title) in zip(parsed, planned, strict=True):
        assert type(start) is dt.date and start.isoformat() == day  # all-day, on the local date
        assert end == start + dt.timedelta(days=1)
        assert title in summary

    second_reading = events(first.text)
    assert [e["UID"][1] for e in second_reading] == [uid for uid, *_ in parsed]
    for event, (_, _, day, _) in zip(second_reading, planned, strict=True):
        assert event["DTSTART"] == ({"VALUE": "DATE"}, day.replace("-", ""))
        assert "DTSTAMP" in event and "DESCRIPTION" in event
    assert first.text.count("BEGIN:VEVENT") == len(planned)


def test_on_the_calendar_the_feed_moves_the_sessions_after_a_pause_as_today_does(
    db_client: TestClient, acme: Tenant
) -> None:
    real = local_today("Europe/Berlin")
    monday = real - dt.timedelta(days=real.weekday() + 14)  # two weeks back: the pause below has begun
    programme = created(db_client, acme, {**MOBILITY, "goal": "strength", "advance": "calendar",
                                          "start": monday.isoformat()})
    url = f"{programme['self']}/calendar.ics"
    before = {str(e["UID"]): e.decoded("DTSTART") for e in icalendar.Calendar.from_ical(
        db_client.get(url, headers=acme.headers).content).walk("VEVENT")}
    for status, day in (("paused", 1), ("active", 3)):  # paused Tuesday to Thursday
        answer = db_client.patch(programme["self"], headers=acme.headers,
                                 json={"status": status, "date": (monday + dt.timedelta(days=day)).isoformat()})
        assert answer.status_code == 200, answer.text
    after = {str(e["UID"]): e.decoded("DTSTART") for e in icalendar.Calendar.from_ical(
        db_client.get(url, headers=acme.headers).content).walk("VEVENT")}
    assert list(after) == list(before)  # the same events, updated rather than added
    week = dt.timedelta(days=7)
    assert [after[uid] - before[uid] for uid in before] == [dt.timedelta(0)] + [week] * (len(before) - 1)
    assert today(db_client, acme, programme, (monday + dt.timedelta(days=2)).isoformat())["status"] == "paused"
    moved_to = after[f"{programme['id']}-w1-d2@hipflex"]  # where `today` has it too: a week on, and past
    assert (today(db_client, acme, programme, moved_to.isoformat())["status"], moved_to.weekday()) == ("missed", 2)


# --- export, erasure --------------------------------------------------------------------------------------


def test_export_holds_the_programmes_and_erasure_removes_them(db_client: TestClient, acme: Tenant) -> None:
    programme = created(db_client, acme)
    exported = db_client.get("/users/u1/export", headers=acme.headers)
    assert exported.status_code == 200, exported.text
    (kept,) = exported.json()["programmes"]
    assert kept["id"] == programme["id"] and kept["parameters"] == programme["parameters"]
    assert exported.content.endswith(b"]}")
    assert db_client.delete("/users/u1", headers=acme.headers).status_code == 204
    assert count_rows(db_client.app, "programmes") == 0
    assert db_client.get(programme["self"], headers=acme.headers).status_code == 404
    assert db_client.get("/users/u1/export", headers=acme.headers).status_code == 404


# --- the time zone of "today" -----------------------------------------------------------------------------


def test_half_past_eleven_utc_is_the_next_day_in_auckland() -> None:
    instant = dt.datetime(2026, 12, 6, 11, 30, tzinfo=dt.UTC)
    assert local_today("Pacific/Auckland", instant) == dt.date(2026, 12, 7)  # 00:30 NZDT
    assert local_today("UTC", instant) == dt.date(2026, 12, 6)
    assert local_today("America/Los_Angeles", instant) == dt.date(2026, 12, 6)
    # and in the southern winter (NZST, +12): 11:30 UTC is still 23:30 the same day
    assert local_today("Pacific/Auckland", dt.datetime(2026, 6, 6, 11, 30, tzinfo=dt.UTC)) == dt.date(2026, 6, 6)


def test_workouts_next_and_adapt_take_tz(db_client: TestClient, acme: Tenant) -> None:
    for zone in ("Pacific/Auckland", "Pacific/Pago_Pago"):
        before = local_today(zone)
        answer = db_client.get(f"/users/u1/workouts/next?goal=mobility&seed=1&tz={zone}", headers=acme.headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["adapted_for"] in {before.isoformat(), local_today(zone).isoformat()}
        posted = db_client.post("/workouts/adapt", json={"goal": "mobility", "seed": 1, "tz": zone})
        assert posted.status_code == 200, posted.text
        assert posted.json()["adapted_for"] in {before.isoformat(), local_today(zone).isoformat()}
    problem(db_client.get("/users/u1/workouts/next?goal=mobility&tz=Nowhere/Land", headers=acme.headers), 422, "tz")
    problem(db_client.post("/workouts/adapt", json={"goal": "mobility", "tz": "Nowhere/Land"}), 422, "tz")


def test_the_documents_examples_are_what_the_api_answers(
    db_client: TestClient, acme: Tenant, make_log: LogFactory
) -> None:
    assert db_client.get(f"/programmes?{examples.QUERY}").json() == examples.PLAN
    stored = created(db_client, acme, examples.CREATE)
    moments = ("id", "self", "user_id", "created_at", "updated_at")
    expected = {k: v for k, v in examples.STATE.items() if k not in moments}
    assert {k: v for k, v in stored.items() if k in examples.STATE and k not in moments} == expected
    assert stored["parameters"] == {**examples.CREATE, "level": "beginner", "equipment": [], "pain": [],
                                    "minutes": None, "advance": "sessions", "deload_every": 4}
    log_session(db_client, acme, make_log, "2026-12-07T18:00:00+01:00")
    assert today(db_client, acme, stored, "2026-12-08") == examples.TODAY


def test_todays_pain_above_the_planned_level_rebuilds_the_session_at_it(db_client: TestClient, acme: Tenant) -> None:
    programme = created(db_client, acme)
    planned = today(db_client, acme, programme, MONDAY)["session"]
    assert planned["parameters"]["pain_level"] == 0
    checkin = {"date": MONDAY, "pain": 6}
    assert db_client.post("/users/u1/checkins", json=checkin, headers=acme.headers).status_code == 201
    sore = today(db_client, acme, programme, MONDAY)
    assert sore["status"] == "due"
    # the coach reads today's check-in, as /workouts/next does, and the session is graded at it
    assert sore["session"]["pain_today"]["level"] == 6
    assert sore["session"]["parameters"]["pain_level"] == 6
    assert sore["session"]["pain_grade"] != planned["pain_grade"]
