"""RSS 2.0 feeds, sitemap.xml and robots.txt, written as plain, deterministic XML text."""

from __future__ import annotations

import html
import re
from typing import Callable, Iterable
from urllib.parse import urljoin

from site_builder.config import SiteConfig
from site_builder.models import Alert, Output, Post
from site_builder.textutil import plain_text as plain

# Characters XML 1.0 cannot carry, and the C1 controls it discourages (feed readers such as
# feedparser turn them into Windows-1252 letters: \x80 becomes €): all dropped from feeds.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_URL_ATTR = re.compile(r'\b(href|src)="([^"]*)"')


def xml_text(value: str) -> str:
    """Escape text for XML, dropping characters XML 1.0 cannot carry.

    A carriage return is written as &#13;: a bare one would reach readers as a line feed.
    `]]>` needs no care: the feeds never use CDATA sections, everything is escaped.
    (What xml.sax.saxutils.escape does, without importing it: it pulls in urllib.request,
    15 ms of every build's start-up.)
    """
    value = _INVALID_XML.sub("", value)
    return value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("\r", "&#13;")


def xml_attr(value: str) -> str:
    """An attribute value with its quotes, as xml.sax.saxutils.quoteattr writes it."""
    value = xml_text(value).replace("\n", "&#10;").replace("\t", "&#9;")
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace('"', "&quot;") + '"'


def html_text(value: str) -> str:
    """Plain text for an element that RSS defines as HTML (<description>): escaped twice in the file."""
    return xml_text(html.escape(value, quote=False))


def absolutize(fragment: str, page_url: str) -> str:
    """Make every href/src in an HTML fragment absolute, relative to the page it came from."""
    def fix(match: re.Match) -> str:
        return f'{match.group(1)}="{urljoin(page_url, match.group(2))}"'

    return _URL_ATTR.sub(fix, fragment)


def rss(
    config: SiteConfig,
    *,
    path: str,
    title: str,
    link: str,
    description: str,
    posts: Iterable[Post],
    summary: Callable[[Post], str],
    body: Callable[[Post], str],
) -> Output:
    """An RSS 2.0 channel at `path` (site path like "/feed.xml") holding the newest posts."""
    from email.utils import format_datetime  # only when a feed is made (they are cached)

    items = list(posts)[: config.feed_items]
    self_url = config.abs_url(path)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "<channel>",
        f"<title>{xml_text(title)}</title>",
        f"<link>{xml_text(config.abs_url(link))}</link>",
        f"<description>{xml_text(description or title)}</description>",
        f"<language>{xml_text(config.language)}</language>",
        f'<atom:link href={xml_attr(self_url)} rel="self" type="application/rss+xml"/>',
        "<generator>site_builder</generator>",
    ]
    if items:
        newest = max((p.updated or p.date) for p in items)
        out.append(f"<lastBuildDate>{format_datetime(newest.astimezone(config.tz))}</lastBuildDate>")
    for post in items:
        permalink = config.abs_url(post.url)
        out += [
            "<item>",
            f"<title>{xml_text(post.title)}</title>",
            f"<link>{xml_text(permalink)}</link>",
            f'<guid isPermaLink="true">{xml_text(permalink)}</guid>',
            f"<pubDate>{format_datetime(post.date.astimezone(config.tz))}</pubDate>",
        ]
        if post.author:
            out.append(f"<dc:creator>{xml_text(post.author)}</dc:creator>")
        for tag in post.tags:
            out.append(f"<category>{xml_text(tag)}</category>")
        if post.credit is not None:  # a repost: RSS 2.0's <source> names where it came from
            out.append(f"<source url={xml_attr(post.credit.url)}>{xml_text(post.credit.name)}</source>")
        if post.attachments:  # RSS 2.0 allows one enclosure per item: the first file; all are linked below
            first = post.attachments[0]
            out.append(f"<enclosure url={xml_attr(config.abs_url(first.url))} length=\"{first.size}\" "
                       f"type={xml_attr(first.mime)}/>")
        out.append(f"<description>{html_text(summary(post))}</description>")
        out.append(f"<content:encoded>{xml_text(absolutize(body(post), permalink) + attachment_list(config, post))}"
                   "</content:encoded>")
        out.append("</item>")
    out += ["</channel>", "</rss>", ""]
    return Output(path.lstrip("/"), "\n".join(out).encode("utf-8"), kind="feed")


def attachment_list(config: SiteConfig, post: Post) -> str:
    """The post's files as an HTML list with absolute links (what its page shows under the text)."""
    if not post.attachments:
        return ""
    from site_builder.readers.files import fmt_size

    items = "".join(f'<li><a href="{html.escape(config.abs_url(a.url))}">{html.escape(a.title)}</a> '
                    f"({html.escape(a.label)}, {fmt_size(a.size)})</li>" for a in post.attachments)
    return f"<h2>Documents</h2><ul>{items}</ul>"


def alerts_rss(config: SiteConfig, alerts: Iterable[Alert], title: str, description: str) -> Output:
    """/act/feed.xml: the action alerts that have started, most recent first.  An item links to its
    action when that is a web address, else to its place on /act/.  `title` and `description`:
    the feed's, in its language ("Local 12: take action")."""
    from email.utils import format_datetime
    path = "/act/feed.xml"
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        "<channel>",
        f"<title>{xml_text(title)}</title>",
        f"<link>{xml_text(config.abs_url('/act/'))}</link>",
        f"<description>{xml_text(description)}</description>",
        f"<language>{xml_text(config.language)}</language>",
        f'<atom:link href={xml_attr(config.abs_url(path))} rel="self" type="application/rss+xml"/>',
        "<generator>site_builder</generator>",
    ]
    for alert in alerts:
        here = config.abs_url(alert.url)  # the alert's place on /act/
        out += ["<item>", f"<title>{xml_text(alert.title)}</title>", f"<link>{xml_text(here)}</link>",
                f'<guid isPermaLink="true">{xml_text(here)}</guid>']
        if alert.starts is not None:
            out.append(f"<pubDate>{format_datetime(alert.starts.astimezone(config.tz))}</pubDate>")
        for tag in alert.tags:
            out.append(f"<category>{xml_text(tag)}</category>")
        text = absolutize(alert.html, here)
        if alert.link:  # the action itself: a petition, a call (tel:), an email (mailto:)
            target = config.abs_url(alert.link) if alert.link.startswith("/") else alert.link
            text += f'<p><a href="{html.escape(target)}">{html.escape(alert.link_text)}</a></p>'
        out += [f"<description>{html_text(alert.title + ': ' + plain(alert.html))}</description>",
                f"<content:encoded>{xml_text(text)}</content:encoded>", "</item>"]
    out += ["</channel>", "</rss>", ""]
    return Output(path.lstrip("/"), "\n".join(out).encode("utf-8"), kind="feed")


def sitemap(config: SiteConfig, entries: Iterable[tuple[str, str | None]]) -> Output:
    """entries: (site path, lastmod ISO date or None)."""
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path, lastmod in sorted(set(entries)):
        out.append(f"<url><loc>{xml_text(config.abs_url(path))}</loc>" + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>")
    out += ["</urlset>", ""]
    return Output("sitemap.xml", "\n".join(out).encode("utf-8"), kind="feed")


def robots(config: SiteConfig) -> Output:
    text = f"User-agent: *\nAllow: /\n\nSitemap: {config.abs_url('/sitemap.xml')}\n"
    return Output("robots.txt", text.encode("utf-8"), kind="feed")
