"""Save-to-reload latency of `serve`: the time from writing a source file to the SSE `reload` event.

    python -m site_builder.bench_serve [--sizes sample,1000] [--edits 10]

For each site it starts the real preview server on a free port, connects a real SSE client to
`__livereload` (what a browser tab does), then repeatedly edits one post on disk and waits for the
`reload` event for its page.  The latency includes the watchdog notification, the 50 ms debounce,
the preview of the edited page (build.preview_edits) and the SSE push; the time until the full
rebuild through build.build() is done is reported beside it.  Nothing here is a test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from site_builder import serve
from site_builder.bench import make_site

REPO = Path(__file__).resolve().parent.parent


class SSEClient:
    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        self.conn.request("GET", target, headers={"Accept": "text/event-stream", **(headers or {})})
        self.response = self.conn.getresponse()

    def next_event(self) -> tuple[str, str]:
        event, data = "message", []
        while True:
            line = self.response.readline().decode("utf-8")
            if not line:
                raise ConnectionError("event stream closed")
            line = line.rstrip("\n")
            if line == "":
                if data:
                    return event, "\n".join(data)
                continue
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())

    def close(self) -> None:
        self.conn.close()


def sample_copy(dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(REPO / "config.yaml", dest / "config.yaml")
    for name in ("content", "templates", "static"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, dest / name)
    return dest


def measure(root: Path, edits: int) -> dict:
    server = serve.start(root / "config.yaml", port=0, echo=lambda text: None)
    try:
        client = SSEClient(server.url + serve.LIVERELOAD)
        assert client.next_event()[0] == "state"
        posts = sorted((root / "content/posts").glob("*.md"))
        target = posts[len(posts) // 2]
        original = target.read_text(encoding="utf-8")
        latencies, full = [], []
        build = server.state.build
        for i in range(edits):
            started = time.perf_counter()
            target.write_text(original + f"\n\nEdit number {i}.\n", encoding="utf-8")
            first = None
            while True:
                event, data = client.next_event()
                if event == "error-state":
                    raise SystemExit(f"the build failed during the benchmark: {data}")
                if event != "reload":
                    continue
                first = first or time.perf_counter() - started
                if json.loads(data)["build"] > build:  # the full rebuild is done too
                    build = json.loads(data)["build"]
                    break
            latencies.append(first)
            full.append(time.perf_counter() - started)
            time.sleep(0.05)
        client.close()
        pages = sum(1 for _ in server.output_dir.rglob("*.html"))
    finally:
        server.stop()
    return {"posts": len(posts), "pages": pages, "latencies": latencies, "full": full}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m site_builder.bench_serve", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="sample,1000", help="comma-separated: 'sample' and/or post counts")
    parser.add_argument("--edits", type=int, default=10, help="edits per site")
    args = parser.parse_args(argv)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1795000000")
    print(f"save-to-reload latency (write a post → SSE reload event), {args.edits} edits per site")
    print("reload: the edited page's tab reloads; full: the whole site is rebuilt (other tabs reload if changed)")
    print(f"{'site':>8} {'posts':>6} {'pages':>6} {'median':>8} {'p90':>8} {'min':>8} {'max':>8} {'full median':>12}")
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        for size in args.sizes.split(","):
            size = size.strip()
            root = Path(tmp) / f"site-{size}"
            if size == "sample":
                sample_copy(root)
            else:
                make_site(root, int(size))
            result = measure(root, args.edits)
            lat = sorted(result["latencies"])
            p90 = lat[min(len(lat) - 1, int(round(0.9 * (len(lat) - 1))))]
            print(f"{size:>8} {result['posts']:>6} {result['pages']:>6} {statistics.median(lat) * 1000:>6.0f}ms "
                  f"{p90 * 1000:>6.0f}ms {lat[0] * 1000:>6.0f}ms {lat[-1] * 1000:>6.0f}ms "
                  f"{statistics.median(result['full']) * 1000:>10.0f}ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
