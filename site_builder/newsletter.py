"""`site-builder newsletter`: an email issue of what is new since the last one (docs/newsletter.md).

The site is read exactly as a build reads it (build.read_site), at the build's clock; the issue
lists the posts dated since DATE, the alerts active now, the events and meeting dates of the next
`days_ahead` days (in the words the site uses, calendar/words.py) and the next office closure.
Two templates of the theme make it (`newsletter/newsletter.html`, `newsletter/newsletter.txt`,
overridable in the site's templates/ like every page); css-inline moves the HTML's stylesheet into
style attributes (only the phone-width media query stays in a <style> block), every site link is
made absolute, and the two are joined into a multipart/alternative `newsletter.eml`.  The three
files are written beside each other under temporary names, then renamed into place, into a folder
the newsletter made (it leaves the writer's marker there, as a build does in output/): a folder
holding files site-builder did not write is refused unless --force.  The moment of the issue is
remembered in .cache/newsletter.json: the next issue starts from it.
"""

from __future__ import annotations

import html as htmllib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from site_builder.build import _refuse_dangerous_output, read_site, with_alert_html
from site_builder.hashing import digest
from site_builder.calendar.recurrence import expand_series
from site_builder.calendar.site import event_url
from site_builder.calendar.words import attendance_words, occurrence_words
from site_builder.config import SiteConfig, placeholder_base_url
from site_builder.errors import ContentError, Problem, SiteError, shown
from site_builder.models import Post
from site_builder.files import outside_link, replace_atomically
from site_builder.readers.source import decode_source, read_source
from site_builder.render import fmt_date, fmt_when, link_on_white, plain_text_too, render_named, renderer_for, text_on
from site_builder.textutil import plain_text
from site_builder.writer import MARKER, MARKER_SIGNATURE, not_ours

FILES = ("newsletter.html", "newsletter.txt", "newsletter.eml")
# The marker left in the folder, so the next issue knows the folder is its own (writer.not_ours).
MARKER_TEXT = MARKER_SIGNATURE + b"`site-builder newsletter` writes " + ", ".join(FILES).encode() + b" here.\n"
EARLIER_EML = b'boundary="=_newsletter_'  # in the headers of every .eml, from before the marker too
MEMORY = "newsletter.json"  # in .cache/: {"last_issue": "<ISO moment>"}
IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".gif")  # what mail programs show (Gmail and Outlook show no SVG)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


class NewsletterError(SiteError):
    """A bad --since or --output, or a newsletter that could not be written (the CLI prints it)."""


@dataclass(frozen=True)
class Entry:
    """One line of the calendar part: an event or a meeting date, said as the site says it."""

    kind: str  # event | meeting
    title: str
    url: str  # absolute
    when: str
    how: str = ""  # "at Carpenters Hall and on Zoom"
    changes: str = ""  # a meeting date's difference from the usual ("Cancelled", "moved from Dec 3")
    note: str = ""
    start: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Issue:
    since: datetime
    now: datetime
    subject: str
    html: str
    text: str
    eml: bytes
    posts: int  # posts listed
    more: int  # new posts beyond max_posts, only counted
    alerts: int
    entries: int
    seen: tuple[str, ...] = ()  # the sources of the posts dated today that this or an earlier issue had


def newsletter_title(config: SiteConfig) -> str:
    title = one_line(config.newsletter.title or f"{config.title} news")
    if "=?" in title:  # mail programs would read "=?utf-8?q?x?=" as an encoded word and show only "x"
        key = "newsletter.title" if config.newsletter.title else "title"
        raise NewsletterError(f"config.yaml: {key}: {title!r} contains '=?', which mail programs read as the "
                              "start of an encoded word in the subject and sender: write it otherwise")
    return title


def one_line(text: str) -> str:
    """Text for a mail header: no line breaks or control characters (no header can be injected)."""
    return re.sub(r"\s+", " ", _CONTROL.sub(" ", text)).strip()


# --- when the issue starts -------------------------------------------------------------------
def parse_since(value: str, config: SiteConfig, now: datetime) -> datetime:
    """--since: `2026-11-01` (midnight, site time), `2026-11-01 18:30`, or with an offset."""
    raw = value.strip()
    said = f"--since {shown(value)}"
    if not (_DATE.fullmatch(raw) or _MOMENT.fullmatch(raw)):
        raise NewsletterError(f"{said} is not a date: write it as YYYY-MM-DD, such as "
                              f"{(now - timedelta(days=30)).astimezone(config.tz):%Y-%m-%d} (or YYYY-MM-DD HH:MM)")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise NewsletterError(f"{said} is not a real date ({exc})") from None
    if moment.year < 1900:
        raise NewsletterError(f"{said} is before 1900; give the date of the last issue, such as "
                              f"{(now - timedelta(days=30)).astimezone(config.tz):%Y-%m-%d}")
    moment = moment.replace(tzinfo=config.tz) if moment.tzinfo is None else moment
    if moment > now:
        raise NewsletterError(f"{said} is after now ({now.astimezone(config.tz):%Y-%m-%d %H:%M} "
                              f"{config.timezone}): nothing can be new since then yet")
    return moment


def memory_path(config: SiteConfig) -> Path:
    return config.root / ".cache" / MEMORY


def memory_link(config: SiteConfig) -> str | None:
    """Why the memory is neither read nor written: .cache, or the file, is a link out of the site."""
    path = memory_path(config)
    if why := outside_link(path.parent, config.root, "folder"):
        return f".cache {why}"
    return f"{MEMORY} {why}" if (why := outside_link(path, config.root)) else None


def day_start(config: SiteConfig, moment: datetime) -> datetime:
    """Midnight that starts `moment`'s day in the site's zone."""
    return moment.astimezone(config.tz).replace(hour=0, minute=0, second=0, microsecond=0)


def remembered(config: SiteConfig, now: datetime) -> tuple[datetime | None, frozenset[str] | None, Problem | None]:
    """The moment of the last issue and the sources of the posts of its day it already had, from
    .cache/newsletter.json; a warning when it is unusable."""
    path = memory_path(config)
    shown = f".cache/{MEMORY}"
    try:
        if why := memory_link(config):
            raise ContentError(shown, 1, "", why)
        data = json.loads(decode_source(read_source(path, shown), shown))  # (a pipe: refused, not waited for)
        moment = datetime.fromisoformat(data["last_issue"])
        if moment.tzinfo is None:
            raise ValueError("no time zone")
        seen = data.get("seen")
        if seen is not None and (not isinstance(seen, list) or not all(isinstance(s, str) for s in seen)):
            raise ValueError("seen is not a list of posts")
    except FileNotFoundError:
        return None, frozenset(), None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, ContentError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else \
            exc.problem.message.split(";")[0] if isinstance(exc, ContentError) else "not a date it wrote"
        return None, frozenset(), Problem(shown, 1, "last_issue", f"cannot be used ({why}); the last "
                             f"{config.newsletter.first_days} days are covered instead (pass --since to choose)",
                             "warning")
    if moment > now:
        return None, frozenset(), Problem(shown, 1, "last_issue", f"{moment.isoformat()} is after now; the last "
                             f"{config.newsletter.first_days} days are covered instead (pass --since to choose)",
                             "warning")
    return moment, None if seen is None else frozenset(seen), None


def remember(config: SiteConfig, now: datetime, seen: tuple[str, ...] = ()) -> Problem | None:
    """Record `now` as the last issue's moment, and `seen` (the posts of its day it had); a warning
    (the issue itself is written) when it cannot be."""
    path = memory_path(config)
    text = json.dumps({"last_issue": now.isoformat(), "seen": sorted(seen)}) + "\n"
    try:
        if why := memory_link(config):
            raise OSError(why)
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))
    except OSError as exc:
        return Problem(f".cache/{MEMORY}", 1, "last_issue", f"could not be written ({exc.strerror or exc}): the "
                       "issue is written, but the next one cannot know when this one was; pass it --since "
                       f"{now.astimezone(config.tz):%Y-%m-%d}", "warning")
    return None


def default_since(config: SiteConfig, now: datetime) -> tuple[datetime, str, Problem | None, frozenset[str]]:
    """(start of the issue, how it was chosen in words, a warning about the remembered date, the
    posts not to list again).  After an issue: from the start of its day, leaving out the posts that
    issue already had, so that a post written later that day and dated by its day alone
    (`date: 2026-11-18`, midnight) is in the next issue, and none is listed twice."""
    last, seen, warning = remembered(config, now)
    if last is not None:
        start = last if seen is None else day_start(config, last)  # (an older file has no "seen")
        return start, f"the posts since the last issue ({last.astimezone(config.tz):%Y-%m-%d %H:%M})", None, \
            seen or frozenset()
    days = config.newsletter.first_days
    start = day_start(config, now.astimezone(config.tz) - timedelta(days=days))
    return start, f"the posts of the last {days} days (no earlier issue remembered; newsletter.first_days)", warning, \
        frozenset()



# --- what the issue says ---------------------------------------------------------------------
_HREF = re.compile(r'\b(href|src)="(/(?!/)[^"]*)"')
_LINK = re.compile(r'<a\b[^>]*?\bhref="([^"]*)"[^>]*>(.*?)</a>', re.S)


def absolute(config: SiteConfig, fragment: str) -> str:
    """Every root-relative href and src (which already carry base_url's path) made absolute."""
    parts = urlsplit(config.base_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return _HREF.sub(lambda m: f'{m.group(1)}="{origin}{m.group(2)}"', fragment)


_RELATIVE = re.compile(r'\b(href|src)="(?![A-Za-z][A-Za-z0-9+.-]*:|/(?!/))([^"]*)"')
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def from_home(config: SiteConfig, url: str) -> str:
    """A relative address in an alert (`events/`, `#sign`, `letter.pdf`, `//host/x`) as the home page, where
    alerts are shown, reads it: a mail program has no page to read it from."""
    rooted = url.startswith("/") and not url.startswith("//")
    return url if rooted or _SCHEME.match(url) else urljoin(config.base_url, url)


def text_of(fragment: str) -> str:
    """HTML → one paragraph of plain text, each link's address after its words ("Sign <https://…>")."""
    def link(m: re.Match) -> str:  # (the address written escaped: plain_text removes tags, then unescapes)
        href, words = htmllib.unescape(m.group(1)), plain_text(m.group(2))
        shown = htmllib.escape(href)
        return shown if words in ("", href) else f"{m.group(2)} &lt;{shown}&gt;"
    return plain_text(_LINK.sub(link, fragment))


def _calendar(config: SiteConfig, cal, now: datetime, until: datetime) -> tuple[list[Entry], object]:
    entries: list[Entry] = []
    if cal is None:
        return entries, None
    for e in cal.upcoming:
        if e.start >= until:
            continue
        prefix = {"cancelled": "Cancelled: ", "postponed": "Postponed: "}.get(e.status, "")
        entries.append(Entry("event", prefix + e.title, config.abs_url(event_url(e)),
                             fmt_when(e.start, e.end, e.all_day, config.tz),
                             "" if e.status == "cancelled" else attendance_words(e.attendance, e.venue, e.online_url),
                             start=e.start))
    first = now.astimezone(config.tz).date()
    for view in cal.series:
        s = view.series
        for occ in expand_series(s, cal.closures, start=first, end=until.astimezone(config.tz).date() + timedelta(days=1)):
            if occ.end <= now or occ.start >= until:
                continue
            changes, note = occurrence_words(s, occ)
            entries.append(Entry("meeting", s.title, config.abs_url(view.url), fmt_when(occ.start, occ.end, tz=config.tz),
                                 "" if occ.status == "cancelled" else attendance_words(occ.attendance, occ.venue,
                                                                                       occ.online_url),
                                 changes, note, start=occ.start))
    entries.sort(key=lambda x: (x.start, x.kind, x.title))
    return entries, cal.next_closure


def make_issue(config: SiteConfig, now: datetime, since: datetime, seen: frozenset[str] = frozenset()
               ) -> tuple[Issue, list[Problem]]:
    """The issue of the site as it is at `now`, with the posts dated from `since` on (but those in
    `seen`, which the last issue had)."""
    from site_builder.markup import render_many  # the summaries of posts that have none

    site, problems = read_site(config, now)
    site = with_alert_html(site, None)
    nl = config.newsletter
    new = [p for p in site.posts if since <= p.date <= now and not p.draft and p.source not in seen]
    # The posts of today this issue or an earlier one had (one a later --since left out is not among them).
    midnight = day_start(config, now)
    today = tuple(p.source for p in site.posts if midnight <= p.date <= now and not p.draft
                  and (since <= p.date or p.source in seen))
    shown, more = new[: nl.max_posts], max(0, len(new) - nl.max_posts)
    html_of = render_many({p.source: p.body for p in shown if not p.summary}, config.base_path, config.raw_html,
                          workers=1)
    r = renderer_for(site, html_of)
    alerts = [a for a in site.alerts if a.active(now)]
    until = now.astimezone(config.tz) + timedelta(days=nl.days_ahead)  # (days of the site's clock, across a DST change)
    entries, closure = _calendar(config, site.calendar, now, until)
    date_words = fmt_date(now.astimezone(config.tz), weekday=False)
    title = newsletter_title(config)
    subject = one_line(f"{title}, {date_words}")
    primary = config.theme.primary_color
    logo = config.theme.logo if config.theme.logo.lower().endswith(IMAGE_TYPES) else ""

    def post_entry(p: Post) -> dict:
        return {"title": p.title, "summary": r.summary(p), "url": config.abs_url(p.url),
                "date": fmt_date(p.date.astimezone(config.tz)), "credit": p.credit}

    def relative(value: str) -> str:  # an escaped attribute value, made absolute and escaped again
        return htmllib.escape(from_home(config, htmllib.unescape(value)))

    def alert_entry(a) -> dict:
        body = absolute(config, _RELATIVE.sub(lambda m: f'{m.group(1)}="{relative(m.group(2))}"', a.html))
        link = config.abs_url(a.link) if a.link.startswith("/") else from_home(config, a.link)
        return {"title": a.title, "html": body, "text": text_of(body), "link": link, "link_text": a.link_text,
                "until": fmt_date(a.shown_expires) if a.shown_expires else ""}

    context = {
        "title": title, "subject": subject, "date_words": date_words,
        "since_words": fmt_date(since.astimezone(config.tz)),
        "posts": [post_entry(p) for p in shown], "more": more, "news_url": config.abs_url("/news/"),
        "alerts": [alert_entry(a) for a in alerts], "act_url": config.abs_url("/act/"),
        "entries": entries, "days_ahead": nl.days_ahead,
        "events_url": config.abs_url("/events/") if site.calendar else "",
        "meetings_url": config.abs_url("/meetings/") if site.calendar else "",
        "closure": closure, "closure_date": fmt_date(closure.observed) if closure else "",
        "closures_url": config.abs_url("/closures/"),
        "home_url": config.base_url, "unsubscribe": nl.unsubscribe,
        "logo_url": config.abs_url(logo) if logo.startswith("/") else logo,
        "colours": {"primary": primary, "on_primary": text_on(primary), "link": link_on_white(primary),
                    "accent": config.theme.accent_color},
    }
    env = plain_text_too(r.env)
    page = render_named(env, "newsletter/newsletter.html", config.root, **context)
    text = render_named(env, "newsletter/newsletter.txt", config.root, **context)
    html = inline(absolute(config, page)).rstrip("\n") + "\n"
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    eml = message(config, now, subject, text, html)
    issue = Issue(since, now, subject, html, text, eml, len(shown), more, len(alerts), len(entries), today)
    warnings = [p for p in problems if not p.is_error]
    if placeholder_base_url(config.base_url):  # (an issue to look at is fine; one to send is not)
        warnings.append(Problem("config.yaml", 1, "base_url", f"{config.base_url} is a placeholder: every link in "
                                "the newsletter points at it; set base_url to the site's real address before "
                                "sending", "warning"))
    return issue, warnings


def inline(page: str) -> str:
    """The stylesheet moved into style attributes; only at-rules (the media query) stay in <style>."""
    import css_inline

    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False).inline(page)


def sender(config: SiteConfig) -> Address:
    """From: of the .eml.  A domain with accents is written as mail writes it (xn--); a name before
    the @ with accents cannot be written in a header (config.py refuses it in newsletter.sender)."""
    addr = config.newsletter.sender or config.contact.email or f"newsletter@{urlsplit(config.base_url).hostname}"
    user, _, domain = addr.rpartition("@")
    key = "newsletter.sender" if config.newsletter.sender else "contact.email"
    if not user.isascii():
        raise NewsletterError(f"config.yaml: {key}: {addr!r} cannot be an email's sender (letters outside a-z "
                              "before the @); set newsletter.sender to an address such as news@local12.org")
    try:
        domain = domain if domain.isascii() else domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise NewsletterError(f"config.yaml: {key}: {addr!r} is not an address mail can be sent from ({exc})") from None
    return Address(display_name=newsletter_title(config), username=user, domain=domain)


def message(config: SiteConfig, now: datetime, subject: str, text: str, html: str) -> bytes:
    """multipart/alternative of the text and the HTML; every header made from the content, so the
    same site at the same moment gives the same bytes."""
    key = digest(subject, text, html)
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject
    msg["From"] = frm = sender(config)
    msg["Date"] = format_datetime(now.astimezone(config.tz))
    msg["Message-ID"] = f"<newsletter.{now.astimezone(config.tz):%Y%m%d}.{key[:20]}@{frm.domain}>"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    msg.set_boundary(f"=_newsletter_{key[:32]}")
    return msg.as_bytes()


# --- where it goes ---------------------------------------------------------------------------
def output_folder(config: SiteConfig, output: Path | None) -> Path:
    """--output (default newsletter/ in the site folder), refused where a build's output would be."""
    target = (Path(output) if output is not None else config.root / "newsletter").resolve()
    _refuse_dangerous_output(config, target, field="--output", suggestion="newsletter/",
                             also={config.output_path: "the site's output folder, replaced by every build"})
    return target


def _an_earlier_issue(target: Path) -> bool:
    """`target` holds only the files of an issue written before the marker existed."""
    entries = os.listdir(target)
    if FILES[2] not in entries or not set(entries) <= set(FILES):
        return False
    try:
        with open(target / FILES[2], "rb") as eml:
            return EARLIER_EML in eml.read(4096)
    except OSError:
        return False


def claim_folder(target: Path, force: bool = False) -> bool:
    """Refuse a folder holding files site-builder did not write (the rule of a build's output
    folder, writer.not_ours), unless `force`; True when the folder is the newsletter's own, so
    that the marker may be (re)written (never into a folder of someone's own, --force or not:
    a build would then take it for its own and empty it)."""
    if not target.is_dir():
        return True  # missing (made), or not a folder (write_issue says so)
    said = not_ours(target)
    if said is None or _an_earlier_issue(target):
        return True
    if not force:
        raise NewsletterError(f"--output {said}, and the newsletter writes {', '.join(FILES[:2])} and {FILES[2]} "
                              "into it. Choose a new or empty folder (--output), empty this one, or pass --force to "
                              "write into it anyway.")
    return False


def write_issue(issue: Issue, target: Path, ours: bool = True) -> list[Path]:
    """The three files, each written under a temporary name first, then all renamed into place:
    an interrupted run leaves the last issue's files as they were, never half a file.  `ours`:
    the folder is the newsletter's own (claim_folder, asked before the issue is made), so the
    marker is written with them."""
    data = dict(zip(FILES, (issue.html.encode("utf-8"), issue.text.encode("utf-8"), issue.eml)))
    if target.exists() and not target.is_dir():
        raise NewsletterError(f"--output {target}: exists and is not a folder")
    if ours:
        data[MARKER] = MARKER_TEXT
    temporaries: list[Path] = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, content in data.items():
            temporary = target / f".{name}.tmp-{os.getpid()}"
            temporaries.append(temporary)
            with open(temporary, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
        for name, temporary in zip(data, temporaries):
            os.replace(temporary, target / name)
    except OSError as exc:
        for temporary in temporaries:
            try:
                temporary.unlink(missing_ok=True)
            except OSError:
                pass
        where = exc.filename or target
        raise NewsletterError(f"cannot write the newsletter into {target} ({where}: {exc.strerror or exc})") from None
    return [target / name for name in FILES]
