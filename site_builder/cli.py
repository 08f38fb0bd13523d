"""Command line: parse arguments, call build, turn a report or an error into an exit code."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from site_builder import __version__
from site_builder.build import BuildOptions, build
from site_builder.clock import build_time
from site_builder.config import load_config
from site_builder.errors import BuildFailed, SiteError


@contextlib.contextmanager
def _progress_bar():
    """A progress bar for Markdown rendering on a terminal; nothing when output is not a TTY."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress("Rendering Markdown", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True, console=None) as bar:
        task = None

        def update(done: int, total: int) -> None:
            nonlocal task
            if total < 200:  # short builds: no bar flashing by
                return
            if task is None:
                task = bar.add_task("markdown", total=total)
            bar.update(task, completed=done)

        yield update


# How problems are printed: "text" (`path:line: field: message`) or "github" (workflow
# annotations, set by `build --error-format github`), and the line that ends a list of problems
# (a command that is not a build says its own).  main() resets both for every command.
_BUILD_FAILED = "Build failed: {problems}; output left as it was."
_FORMAT = {"errors": "text", "failed": _BUILD_FAILED}


def _annotation(kind: str, message: str, file: str = "", line: int = 0, title: str = "") -> str:
    """A GitHub Actions workflow command: `::error file=F,line=N,title=T::MESSAGE`."""
    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(text: str) -> str:
        return data(text).replace(":", "%3A").replace(",", "%2C")

    props = [f"file={prop(file)}"] if file else []
    props += [f"line={line}"] if file and line else []
    props += [f"title={prop(title)}"] if title else []
    return f"::{kind} {','.join(props)}::{data(message)}" if props else f"::{kind}::{data(message)}"


def _print_problems(problems) -> None:
    for problem in problems:
        if _FORMAT["errors"] == "github":
            click.echo(_annotation("error" if problem.is_error else "warning", problem.message,
                                   problem.path, problem.line, problem.field), err=True)
        else:
            click.echo(str(problem), err=True)


def _step_summary(lines: list[str]) -> None:
    """Markdown for the workflow run's summary page ($GITHUB_STEP_SUMMARY), when there is one."""
    path = os.environ.get("GITHUB_STEP_SUMMARY") if _FORMAT["errors"] == "github" else None
    if path:
        try:
            with open(path, "a", encoding="utf-8") as summary:
                summary.write("\n".join(lines) + "\n")
        except OSError as exc:  # the summary is a courtesy: it never changes what the build did
            click.echo(f"warning: could not write the step summary {path}: {exc.strerror or exc}", err=True)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")


def _summarise_failure(problems) -> None:
    errors = [p for p in problems if p.is_error]
    rows = [f"| `{_cell(p.path)}` | {p.line} | {_cell(p.field) or ''} | {_cell(p.message)} |" for p in errors]
    _step_summary([f"## The site was not built: {len(errors)} problem{'s' if len(errors) != 1 else ''}", "",
                   "Nothing was published; the site stays as it was until these are fixed.", "",
                   "| file | line | field | problem |", "|---|---|---|---|", *rows])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="site-builder")
def cli() -> None:
    """Build a union local's website: news, pages, events, meetings, closures and feeds."""


@cli.command("build")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=Path("config.yaml"),
              show_default=True, help="The site's config.yaml (or the folder holding it).")
@click.option("--output", "output_dir", type=click.Path(path_type=Path), default=None,
              help="Where to write the site (default: output_dir from config, usually output/).")
@click.option("--drafts", is_flag=True, help="Include posts marked draft: true.")
@click.option("--future", is_flag=True, help="Include posts dated after now.")
@click.option("--base-url", default=None, help="Override base_url, e.g. https://example.org/local12/.")
@click.option("--strict", is_flag=True, help="Treat warnings (such as unknown keys) as errors.")
@click.option("--force", is_flag=True,
              help="Replace the output folder's contents even though an earlier build did not make it.")
@click.option("--error-format", type=click.Choice(["text", "github"]), default="text", show_default=True,
              help="github: print problems as GitHub Actions annotations and write $GITHUB_STEP_SUMMARY.")
def build_command(config_path: Path, output_dir: Path | None, drafts: bool, future: bool, base_url: str | None,
                  strict: bool, force: bool, error_format: str) -> None:
    """Build the site into output/ (replaced whole, only when the build succeeds)."""
    _FORMAT["errors"] = error_format
    config = load_config(config_path, strict=strict, base_url=base_url)
    with _progress_bar() as progress:
        report = build(
            config,
            build_time(),
            BuildOptions(drafts=drafts, future=future, strict=strict),
            output_dir=output_dir,
            on_wait=lambda: click.echo("Another build of this site is running; waiting for it to finish…", err=True),
            progress=progress,
            force=force,
        )
    _print_problems(report.warnings)
    done = (f"Built {report.pages} pages into {report.output_dir}: {report.written} files written, "
            f"{report.unchanged} unchanged, {report.removed} removed in {report.seconds:.2f} s")
    click.echo(done)
    if report.stale_at is not None:
        click.echo(f"Coming up changes on {report.stale_at:%Y-%m-%d %H:%M} {config.timezone} "
                   "(rebuild by then, or let the daily build do it)")
    warnings = [f"- `{_cell(p.path)}:{p.line}` {_cell(p.field)}: {_cell(p.message)}" for p in report.warnings]
    _step_summary([f"## Site built: {report.pages} pages", "", done, *(["", "Warnings:", *warnings] if warnings else [])])


def _nothing_to_read() -> bool:
    """Whether standard input is /dev/null (or closed): a character device that is no terminal."""
    import stat

    try:
        return sys.stdin is None or stat.S_ISCHR(os.fstat(sys.stdin.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):  # (no file descriptor: a test runner's own stream)
        return False


@cli.command("init")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--title", default=None, help="The local's name, e.g. \"OPEIU Local 12\" (asked when not given).")
@click.option("--repo", default=None,
              help="The site's GitHub repository, owner/name or its address, where the browser editor saves (asked).")
@click.option("--base-url", default=None,
              help="Where the site will live, e.g. https://news.local12.org/ (asked; offered: the repository's GitHub "
                   "Pages address).")
@click.option("--timezone", default=None,
              help="The meetings' time zone, e.g. America/Chicago, or as you say it: Central, Pacific, EST (asked).")
def init_command(folder: Path, title: str | None, base_url: str | None, timezone: str | None,
                 repo: str | None) -> None:
    """Make a new local's site in FOLDER (new or empty): config, examples, workflow, README."""
    from site_builder.starter import (OPTIONS, PLACEHOLDER_REPO, QUESTIONS, Answers, InitError, answer_problem,
                                      answer_value, folder_problem, init_site, pages_address)

    if msg := folder_problem(folder):  # (before any question: none is asked for nothing)
        raise InitError(msg)
    given = {"title": title, "repo": repo, "base_url": base_url, "timezone": timezone}
    interactive = sys.stdin.isatty()
    answers: dict[str, str] = {}

    def no_terminal() -> click.UsageError:
        missing = [OPTIONS[q] for q in QUESTIONS if q not in answers and given[q] is None]
        return click.UsageError(
            "there is no terminal to ask init's questions on, and some answers are missing: give them as "
            f"options ({', '.join(missing)}), for example: site-builder init {folder} --title \"Teamsters "
            "Local 7\" --repo teamsters7/website --base-url https://teamsters7.github.io/website/ "
            "--timezone America/New_York")

    def taken(question: str, typed: str) -> str:
        value = answer_value(question, typed)
        if msg := answer_problem(question, value):
            raise click.BadParameter(msg)
        if value != typed.strip():
            click.echo(f"  (taken as {value})")
        return value

    def ask(question: str, text: str, default: str | None) -> str:
        """One of init's questions, asked again until the answer would build."""
        try:
            return click.prompt(text, default=default, value_proc=lambda typed: taken(question, typed))
        except click.exceptions.Abort:
            if interactive:
                raise  # (Ctrl-C, Ctrl-D at a terminal: the volunteer stopped)
            raise no_terminal() from None

    if not interactive and None in (title, base_url, timezone) and _nothing_to_read():
        raise no_terminal()  # (stdin is /dev/null, as in CI: no question printed that nobody can answer)
    for question in QUESTIONS:
        if given[question] is not None:
            answers[question] = given[question]
        elif question == "title":
            answers[question] = ask("title", "The local's name (the site's title)", "Our Local")
        elif question == "repo":
            answers[question] = (ask("repo", "The site's GitHub repository (owner/name, or its address), for the "
                                     "browser editor", PLACEHOLDER_REPO)
                                 if interactive or None in (title, base_url, timezone) else PLACEHOLDER_REPO)
        elif question == "base_url":
            offered = pages_address(answer_value("repo", answers["repo"]))
            answers[question] = ask("base_url", "The site's address" + (" (its GitHub Pages address, or your own "
                                    "domain)" if offered else ", such as https://news.local12.org/"), offered)
        else:
            answers[question] = ask("timezone", "The time zone of your meetings (America/Chicago, or as you say "
                                    "it: Central, Eastern, Pacific, Mountain...)", "America/Chicago")
    written = init_site(folder, Answers(**answers), build_time())
    click.echo(f"Created {len(written)} files in {folder}. Next: read {folder / 'README.md'}, then "
               f"`site-builder serve --config {folder / 'config.yaml'}` to preview.")


@cli.command("upgrade")
@click.option("--site", "site", type=click.Path(path_type=Path, file_okay=False), default=Path("."), show_default=True,
              help="The site's folder (the one holding config.yaml).")
def upgrade_command(site: Path) -> None:
    """Give the site this site_builder: its copy in .site-builder/, which the hosted build installs."""
    from site_builder.starter import upgrade_site

    wheel = upgrade_site(site)
    click.echo(f"The site now builds with site_builder {__version__} ({site / wheel}); commit .site-builder/ and "
               "requirements.txt, and the hosted build uses it from the next push.")


# --- authoring commands ---
_CONFIG_OPTION = click.option("--config", "config_path", type=click.Path(path_type=Path), default=Path("config.yaml"),
                              show_default=True, help="The site's config.yaml (or the folder holding it).")


@cli.command("serve")
@_CONFIG_OPTION
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--strict", is_flag=True, help="Treat warnings (such as unknown keys) as errors.")
@click.option("--cms", is_flag=True,
              help="Also run the browser editor's local backend (decap-server, reached through serve only): edits "
                   "at /admin/ are saved into content/ and shown at once.")
def serve_command(config_path: Path, port: int, host: str, strict: bool, cms: bool) -> None:
    """Preview the site (drafts and future posts shown) and reload open tabs on every change."""
    from site_builder import serve

    try:
        server = serve.start(config_path, host=host, port=port, echo=lambda text: click.echo(text, err=True),
                             strict=strict, cms=cms)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    click.echo(f"Serving {server.root} at {server.url} (drafts and future posts shown); press Ctrl-C to stop.")
    if server.cms_backend is not None:
        click.echo(f"Edit in your browser at {server.url}admin/ (saved into {server.root / 'content'}; the editor's "
                   "backend answers only that page, docs/editor.md).")
    server.serve_forever()
    click.echo("Stopped.", err=True)


@cli.group("new")
def new_group() -> None:
    """Create a post, page or event with its front matter filled in."""


def _created(created) -> None:
    click.echo(created.shown)


@new_group.command("post")
@click.argument("title")
@_CONFIG_OPTION
@click.option("--slug", default=None, help="The file name and URL part (default: made from the title).")
def new_post_command(title: str, config_path: Path, slug: str | None) -> None:
    """content/posts/<slug>.md, dated today (site timezone), as a draft."""
    from site_builder.scaffold import new_post

    _created(new_post(load_config(config_path), title, build_time(), slug))


@new_group.command("page")
@click.argument("title")
@_CONFIG_OPTION
@click.option("--slug", default=None, help="The file name and URL part (default: made from the title).")
def new_page_command(title: str, config_path: Path, slug: str | None) -> None:
    """content/pages/<slug>.md, as a draft."""
    from site_builder.scaffold import new_page

    _created(new_page(load_config(config_path), title, build_time(), slug))


@new_group.command("event")
@click.argument("title")
@click.option("--start", required=True, help='"2026-12-05 18:30" (or a date alone for an all-day event).')
@click.option("--duration", default=None, help='e.g. "90 minutes" (default 2 hours for a timed event).')
@click.option("--end", default=None, help='An end time ("20:00") or date and time, instead of --duration.')
@_CONFIG_OPTION
@click.option("--slug", default=None, help="The event's permanent id (default: title and year).")
def new_event_command(title: str, start: str, duration: str | None, end: str | None, config_path: Path,
                      slug: str | None) -> None:
    """content/calendar/<id>.yaml holding one event."""
    from site_builder.scaffold import new_event

    _created(new_event(load_config(config_path), title, start, build_time(), slug, duration=duration, end=end))


@cli.command("check")
@_CONFIG_OPTION
@click.option("--drafts", is_flag=True, help="Include posts marked draft: true.")
@click.option("--future", is_flag=True, help="Include posts dated after now.")
@click.option("--strict", is_flag=True, help="Treat warnings (such as unknown keys) as errors.")
@click.option("--base-url", default=None, help="Check the site as published at this address instead of base_url.")
def check_command(config_path: Path, drafts: bool, future: bool, strict: bool, base_url: str | None) -> None:
    """Validate everything and check every internal link and anchor; output/ is not touched."""
    from site_builder.build import plan
    from site_builder.check import check_links, plan_sources
    from site_builder.config import placeholder_base_url

    config = load_config(config_path, strict=strict, base_url=base_url)
    if reason := placeholder_base_url(config.base_url):
        raise click.ClickException(reason)
    result = plan(config, build_time(), BuildOptions(drafts=drafts, future=future, strict=strict))
    _print_problems(result.warnings)
    sources = plan_sources(result)
    texts = {}
    for source in set(sources.values()):
        try:
            texts[source] = (config.root / source).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            pass
    report = check_links(config, result.outputs, sources, texts)
    for problem in report.problems:
        click.echo(str(problem), err=True)
    if report.problems:
        n = len(report.problems)
        raise click.ClickException(f"{n} broken link{'s' if n != 1 else ''} in {report.pages} pages")
    click.echo(f"OK: {report.pages} pages, {report.checked} internal links checked.")


@cli.command("newsletter")
@_CONFIG_OPTION
@click.option("--since", default=None, metavar="DATE",
              help="List the posts dated from DATE on (2026-11-01, or 2026-11-01 18:30; site time zone). "
                   "Default: the moment of the last issue, remembered in .cache/newsletter.json; the first "
                   "time, the last 30 days (newsletter.first_days).")
@click.option("--output", "output_dir", type=click.Path(path_type=Path), default=None,
              help="The folder to write newsletter.html, newsletter.txt and newsletter.eml into (default: "
                   "newsletter/ in the site folder; never content/, static/, templates/, .cache/ or output/).")
@click.option("--force", is_flag=True,
              help="Write into the --output folder even though it holds files site-builder did not write.")
def newsletter_command(config_path: Path, since: str | None, output_dir: Path | None, force: bool) -> None:
    """Write an email issue of what is new: posts, active alerts, the next 30 days of events and
    meetings, the next office closure.  Paste newsletter.html into Action Network or Mailchimp,
    or open newsletter.eml in a mail program (docs/newsletter.md)."""
    from site_builder import newsletter as nl

    _FORMAT["failed"] = "Newsletter not written: {problems}; the files of the last issue are left as they were."
    config = load_config(config_path)
    now = build_time()
    target = nl.output_folder(config, output_dir)
    ours = nl.claim_folder(target, force)
    if since is not None:
        start, how, warning, seen = nl.parse_since(since, config, now), f"the posts since {since.strip()}", None, \
            frozenset()
    else:
        start, how, warning, seen = nl.default_since(config, now)
    issue, warnings = nl.make_issue(config, now, start, seen)
    _print_problems([*warnings, *([warning] if warning else [])])
    written = nl.write_issue(issue, target, ours)
    if problem := nl.remember(config, now, issue.seen):
        _print_problems([problem])
    click.echo(f"Newsletter with {how}: {issue.posts} new post{'s' if issue.posts != 1 else ''}"
               + (f" (and {issue.more} more, counted)" if issue.more else "")
               + f", {issue.alerts} alert{'s' if issue.alerts != 1 else ''}, {issue.entries} "
               f"event{'s' if issue.entries != 1 else ''} and meeting dates ahead.")
    click.echo(f"Subject: {issue.subject}")
    click.echo("Wrote " + ", ".join(str(p) for p in written) + ".")
    click.echo(f"The next issue starts from now ({now.astimezone(config.tz):%Y-%m-%d %H:%M}); "
               "pass --since to choose another start.")


@cli.command("deploy")
@_CONFIG_OPTION
@click.option("--branch", default="gh-pages", show_default=True, help="The branch to publish to.")
@click.option("--remote", default="origin", show_default=True, help="The git remote to push to.")
@click.option("--message", default=None, help="The commit message on the branch.")
@click.option("--cname", default=None, help="Custom domain for CNAME (default: base_url's host).")
@click.option("--no-push", is_flag=True, help="Commit to the branch but do not push it.")
def deploy_command(config_path: Path, branch: str, remote: str, message: str | None, cname: str | None,
                   no_push: bool) -> None:
    """Publish the last build in output/ to GitHub Pages (a gh-pages branch, with CNAME and .nojekyll)."""
    from site_builder.deploy import deploy

    result = deploy(load_config(config_path), branch=branch, remote=remote, message=message, cname=cname,
                    push=not no_push)
    where = f"pushed to {result.remote}/{result.branch}" if result.pushed else f"committed to {result.branch} (not pushed)"
    click.echo(f"Published {result.files} files: {where}" + (f"; CNAME {result.cname}" if result.cname else ""))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 input problems, 2 usage)."""
    _FORMAT.update(errors="text", failed=_BUILD_FAILED)
    try:
        cli.main(args=argv, prog_name="site-builder", standalone_mode=False)
    except BuildFailed as exc:
        _print_problems(exc.problems)
        _summarise_failure(exc.problems)
        errors = sum(1 for p in exc.problems if p.is_error)
        click.echo(_FORMAT["failed"].format(problems=f"{errors} problem{'s' if errors != 1 else ''}"), err=True)
        return 1
    except SiteError as exc:
        if _FORMAT["errors"] == "github":
            click.echo(_annotation("error", str(exc)), err=True)
            _step_summary(["## The site was not built", "", _cell(str(exc))])
        click.echo(f"error: {exc}", err=True)
        return 1
    except OSError as exc:  # the writer reports its own; this is for anything else (cache, lock folder)
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"error: {where}{exc.strerror or exc}", err=True)
        return 1
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # (finally blocks run; a forked helper inheriting this leaves quietly)


def run() -> None:
    """The `site-builder` command: main(), then leave at once.  Everything has been written,
    closed and flushed by then; letting the interpreter free a large site's objects one by one
    (hundreds of MB for 5,000 posts) would add about 0.1 s to every build for nothing.
    SIGTERM (`timeout`, a CI job cancelled, systemd) and SIGHUP end it as Ctrl-C does, through every
    cleanup: the helper processes stopped, no staging or search folder left behind."""
    import signal

    signal.signal(signal.SIGTERM, _terminated)
    if hasattr(signal, "SIGHUP"):  # (the terminal closed: serve stops decap-server too)
        signal.signal(signal.SIGHUP, _terminated)
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said anyway
            pass
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
