"""Command line: parse arguments, call build, turn a report or an error into an exit code."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from site_builder import __version__
from site_builder.build import BuildOptions, build
from site_builder.clock import build_time
from site_builder.config import load_config
from site_builder.errors import BuildFailed, SiteError


def _print_problems(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


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
def build_command(config_path: Path, output_dir: Path | None, drafts: bool, future: bool, base_url: str | None,
                  strict: bool) -> None:
    """Build the site into output/ (replaced whole, only when the build succeeds)."""
    config = load_config(config_path, strict=strict, base_url=base_url)
    report = build(
        config,
        build_time(),
        BuildOptions(drafts=drafts, future=future, strict=strict),
        output_dir=output_dir,
        on_wait=lambda: click.echo("Another build of this site is running; waiting for it to finish…", err=True),
    )
    _print_problems(report.warnings)
    click.echo(
        f"Built {report.pages} pages into {report.output_dir}: {report.written} files written, "
        f"{report.unchanged} unchanged, {report.removed} removed in {report.seconds:.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 input problems, 2 usage)."""
    try:
        cli.main(args=argv, prog_name="site-builder", standalone_mode=False)
    except BuildFailed as exc:
        _print_problems(exc.problems)
        errors = sum(1 for p in exc.problems if p.is_error)
        click.echo(f"Build failed: {errors} problem{'s' if errors != 1 else ''}; output left as it was.", err=True)
        return 1
    except SiteError as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
