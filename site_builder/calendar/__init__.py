"""Calendars: events, meeting series, office closures and their .ics feeds.

`model` holds the frozen values, `closures` resolves closure rules into dates,
`recurrence` expands meeting series into occurrences and `ics` writes iCalendar bytes.
Only `ics` imports icalendar; only `recurrence`/`closures` use dateutil.
"""
