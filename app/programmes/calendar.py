"""A programme as an iCalendar feed (RFC 5545), and the person's local calendar day.

Each session is an all-day event (``DTSTART;VALUE=DATE``) on its local date in the programme's zone: a
calendar app shows it on that day wherever the phone is. Its UID names the programme, week and session,
so a calendar app that subscribes updates an event when the plan changes rather than adding a second one.
``DTSTAMP`` is the programme's last change, so the same programme gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from app.programmes.models import Programme, local_date
from app.workouts.models import Prescription, Workout

PRODID = "-//hipflex//programmes//EN"


def local_today(tz: str, now: dt.datetime | None = None) -> dt.date:
    """The date it is in ``tz`` (an IANA name) at ``now`` (default: now): ``models.local_date`` at the clock."""
    return local_date(tz, now if now is not None else dt.datetime.now(dt.UTC))


def event_uid(programme_id: str, week: int, day: int) -> str:
    return f"{programme_id}-w{week}-d{day}@hipflex"


def _dose(dose: Prescription) -> str:
    if dose.reps is not None:
        each = f"{dose.reps} reps" + (f", {dose.hold_seconds} s holds" if dose.hold_seconds else "")
    elif dose.hold_seconds is not None:
        each = f"{dose.hold_seconds} s hold"
    else:
        each = f"{dose.duration_seconds or 0} s"
    return f"{dose.sets} x {each}" + (" per side" if dose.per_side else "")


def describe(workout: Workout) -> str:
    """The session in plain lines: what to do, and how much."""
    lines = [f"{workout.title} (about {workout.estimated_minutes} min)"]
    lines += [f"- {item.exercise.name}: {_dose(item.dose)}" for item in workout.items]
    return "\n".join(lines)


def feed(
    programme: Programme, programme_id: str, name: str, stamp: dt.datetime,
    moved: Callable[[dt.date], dt.date] | None = None,
) -> bytes:
    """The programme's sessions as one VCALENDAR of all-day VEVENTs (rest days have none); ``moved``: where
    a planned date has moved to (``advance=calendar`` after a pause), else the plan's dates."""
    from icalendar import Calendar, Event  # (only the feed needs it: not imported at start, issue 20)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", programme.parameters.tz)
    stamp = stamp.astimezone(dt.UTC).replace(microsecond=0)
    for week in programme.weeks:
        for day in week.days:
            if day.rest or day.session is None or day.index is None:
                continue
            event = Event()
            event.add("uid", event_uid(programme_id, week.week, day.index))
            event.add("dtstamp", stamp)
            on = day.date if moved is None else moved(day.date)
            event.add("dtstart", on)
            event.add("dtend", on + dt.timedelta(days=1))
            deload = ", deload" if week.deload else ""
            phase = f", {week.phase}" if week.phase else ""
            event.add("summary", f"{day.session.title}: week {week.week}, session {day.index}{phase}{deload}")
            event.add("description", describe(day.session) + f"\n\n{week.progression}")
            event.add("transp", "TRANSPARENT")
            event.add("categories", [day.focus.value if day.focus else programme.parameters.goal.value])
            calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
