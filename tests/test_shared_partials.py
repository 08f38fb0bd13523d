"""Shared partials (render.SharedPartials, docs/theme.md): `{% include_shared %}` renders a partial
once for all the pages on which it comes out the same, and never shares one that reads the page."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import jinja2
import pytest
from markupsafe import Markup

from site_builder import build as build_module, render
from site_builder.clock import build_time
from site_builder.config import load_config
from site_builder.markup import POOL_THRESHOLD
from tests.conftest import EPOCH, MINIMAL_CONFIG, REPO, post, tree_bytes

THEME = REPO / "site_builder" / "theme" / "templates"

# The theme's menu as it was before it asked aria_current(): what a site that copied it has in templates/.
OLD_MARKS = {
    '{%- set mark = aria_current(href) -%}': '{%- set here = page_url or "" -%}',
    '{% if mark %} aria-current="{{ mark }}"{% endif %}':
        '{% if here == href %} aria-current="page"{% elif href != \'/\' and href.startswith(\'/\') and here.startswith(href) %}'
        ' aria-current="true"{% endif %}',
}


def menu_reading_page_url() -> str:
    text = (THEME / "partials/menu.html").read_text()
    for new, old in OLD_MARKS.items():
        assert text.count(new) == 1
        text = text.replace(new, old)
    assert "aria_current" not in text.replace("aria_current(href) says", "")
    return text


def sample_copy(root: Path, templates: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True)
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    for folder in ("content", "templates", "static", "locale"):
        shutil.copytree(REPO / folder, root / folder)
    with open(root / "config.yaml", "a", encoding="utf-8") as config:
        config.write("search: false\n")  # (the index is not what is tested here)
    for name, text in (templates or {}).items():
        (root / "templates" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "templates" / name).write_text(text, encoding="utf-8")
    return root


def html_pages(out: Path) -> dict[str, bytes]:
    return {name: data for name, data in tree_bytes(out).items() if name.endswith(".html")}


def test_plain_includes_and_a_menu_reading_page_url_build_the_same_pages(tmp_path, build):
    """A site's own base.html with plain {% include %} (the theme's before this mechanism), and a
    menu override that reads page_url, give byte for byte the pages the shared theme gives, in
    every language of the sample site."""
    shared = sample_copy(tmp_path / "shared")
    plain_base = (THEME / "base.html").read_text().replace("{% include_shared ", "{% include ")
    assert "include_shared" not in plain_base
    plain = sample_copy(tmp_path / "plain", {"base.html": plain_base, "partials/menu.html": menu_reading_page_url()})
    assert build(shared).code == 0 and build(plain).code == 0
    a, b = html_pages(shared / "output"), html_pages(plain / "output")
    assert len(a) > 100 and a.keys() == b.keys()
    assert [name for name in a if a[name] != b[name]] == []


def menu_marks(html: str) -> dict[str, str | None]:
    menu = html[html.index('<nav id="site-menu"'):]
    menu = menu[: menu.index("</nav>")]
    return {href: mark or None for href, mark in re.findall(r'<a href="([^"]+)"(?: aria-current="(\w+)")?>', menu)}


def test_every_page_marks_its_own_menu_links(sample_output):
    """aria-current="page" on the link to the page itself, "true" on the links of the sections it is
    in, none elsewhere: checked on every page of every language, where one menu serves many pages."""
    checked = 0
    for path in sorted(sample_output.rglob("index.html")):
        rel = path.relative_to(sample_output).as_posix()
        lang = rel.split("/")[0] if rel.split("/")[0] in ("es", "so", "hmn") else ""
        here = "/" + rel[: -len("index.html")]
        if lang:
            here = here[len(lang) + 1:]  # the site path: /es/news/x/ is /news/x/ in Spanish
        for href, mark in menu_marks(path.read_text()).items():
            site_href = href[len(lang) + 1:] if lang and href.startswith(f"/{lang}/") else href
            expected = ("page" if site_href == here else
                        "true" if site_href != "/" and site_href.startswith("/") and here.startswith(site_href) else None)
            assert mark == expected, (rel, href)
            checked += 1
    assert checked > 1000


def test_a_footer_that_reads_the_page_is_rendered_on_every_page(scratch, build):
    root = scratch({
        "templates/partials/footer.html": "<p class=\"where\">{{ page_url }}{% if post is defined %} {{ post.title }}{% endif %}</p>\n",
        **{f"content/posts/p{i}.md": post(f"Post {i}", date=f"2026-01-{i + 1:02d}") for i in range(4)},
    })
    assert build(root).code == 0
    out = root / "output"
    for i in range(4):
        html = (out / f"news/p{i}/index.html").read_text()
        assert f'<p class="where">/news/p{i}/ Post {i}</p>' in html
    assert '<p class="where">/news/</p>' in (out / "news/index.html").read_text()
    assert '<p class="where">/</p>' in (out / "index.html").read_text()
    assert '<p class="where">None</p>' in (out / "404.html").read_text()  # (no page_url: not a folder's page)


def rendered_pages(root: Path, extra_globals: dict | None = None) -> tuple[render.Renderer, dict[str, bytes]]:
    """Every post and page of the site at `root`, rendered by one Renderer (as one process does)."""
    config = load_config(root / "config.yaml")
    site = build_module.read_sites(config, build_time({"SOURCE_DATE_EPOCH": EPOCH}))[0][0]
    html = {name: "<p>text</p>" for name in build_module.markdown_sources(site)}
    r = render.renderer_for(site, html, extra_globals=extra_globals)
    pages = {}
    for path, template, context in render.item_pages(site).values():
        out = r.page(path, template, **context)
        pages[out.path] = out.data
    return r, pages


def shared_renders(r: render.Renderer) -> dict[str, int]:
    return next(ext for ext in r.env.extensions.values() if isinstance(ext, render.SharedPartials)).renders


def test_a_partial_that_reads_only_the_site_is_rendered_once(scratch):
    calls = []

    def counted(name: str) -> str:
        calls.append(name)
        return ""

    root = scratch({
        "templates/partials/footer.html": "{{ counted('footer') }}<p>{{ config.title }}</p>\n",
        "content/pages/about.md": "---\ntitle: About\nmenu: 1\n---\nUs.\n",
        **{f"content/posts/p{i}.md": post(f"Post {i}", date=f"2026-01-{i + 1:02d}") for i in range(6)},
    })
    r, pages = rendered_pages(root, {"counted": counted})
    assert len(pages) == 7
    assert calls == ["footer"]  # one rendering for seven pages
    assert all(b"<p>Test Local</p>" in data for data in pages.values())
    renders = shared_renders(r)
    # The theme's menu: once for the six posts (News marked "true"), once for About ("page").
    assert renders == {"partials/footer.html": 1, "partials/menu.html": 2, "partials/action_banner.html": 1}
    about = pages["about/index.html"].decode()
    assert menu_marks(about)["/about/"] == "page" and menu_marks(about)["/news/"] is None
    assert menu_marks(pages["news/p3/index.html"].decode())["/news/"] == "true"


# --- the mechanism itself, in a small environment -----------------------------------------------

def env_with(templates: dict[str, str]) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader(templates), extensions=[render.SharedPartials],
                              autoescape=True, undefined=jinja2.StrictUndefined)


def renders_of(env: jinja2.Environment) -> dict[str, int]:
    return next(ext for ext in env.extensions.values() if isinstance(ext, render.SharedPartials)).renders


@pytest.mark.parametrize("values, shown", [
    ((0.0, -0.0), ["0.0", "-0.0"]),  # equal numbers that print differently
    ((1, True, 1.0), ["1", "True", "1.0"]),
    (("<b>", Markup("<b>")), ["&lt;b&gt;", "<b>"]),  # text is escaped, markup is not
    (((1, "a"), (1, "b"), (1, "a")), ["(1, &#39;a&#39;)", "(1, &#39;b&#39;)", "(1, &#39;a&#39;)"]),
])
def test_values_are_compared_by_value_and_type(values, shown):
    env = env_with({"page.html": "{% include_shared 'x.html' %}", "x.html": "{{ x }}"})
    assert [env.get_template("page.html").render(x=v) for v in values] == shown
    assert renders_of(env)["x.html"] == len(set(shown))


def test_other_values_are_compared_by_identity_and_kept_alive():
    """Objects that are equal but not the same are not shared; an object that is gone cannot lend
    its id to a new one (the entry keeps it), and past the limit renderings are no longer kept."""
    class Thing:
        def __init__(self, n):
            self.n = n

        def __eq__(self, other):
            return True

        __hash__ = object.__hash__

    env = env_with({"page.html": "{% include_shared 'x.html' %}", "x.html": "{{ thing.n }}"})
    page = env.get_template("page.html")
    shown = [page.render(thing=Thing(n)) for n in range(render.SharedPartials.LIMIT + 20)]  # each freed at once
    assert shown == [str(n) for n in range(render.SharedPartials.LIMIT + 20)]
    same = Thing("same")
    assert [page.render(thing=same) for _ in range(3)] == ["same"] * 3


def test_what_the_partial_includes_imports_and_extends_is_part_of_its_key():
    env = env_with({
        "page.html": "{% include_shared 'x.html' %}",
        "x.html": "{% from 'm.html' import show with context %}[{{ show() }}]{% include 'y.html' %}",
        "m.html": "{% macro show() %}{{ a }}{% endmacro %}",
        "y.html": "{% extends 'z.html' %}{% block b %}{{ b }}{% endblock %}",
        "z.html": "<{% block b %}{% endblock %}{{ c }}>",
    })
    page = env.get_template("page.html")
    reads = next(ext for ext in env.extensions.values() if isinstance(ext, render.SharedPartials)).names_read("x.html")
    assert {"a", "b", "c"} <= set(reads)
    assert page.render(a=1, b=2, c=3) == "[1]<23>"
    assert page.render(a=1, b=2, c=4) == "[1]<24>"
    assert page.render(a=1, b=5, c=4) == "[1]<54>"
    assert page.render(a=1, b=2, c=3) == "[1]<23>"
    assert renders_of(env)["x.html"] == 3


def test_loop_variables_and_block_locals_are_seen_like_include():
    env = env_with({
        "page.html": "{% for item in items %}{% include_shared 'x.html' %};{% endfor %}"
                     "{% set item = 'last' %}{% include_shared 'x.html' %}",
        "x.html": "{{ item }}",
    })
    assert env.get_template("page.html").render(items=["a", "b", "a"]) == "a;b;a;last"
    assert renders_of(env)["x.html"] == 3


def test_a_partial_named_by_an_expression_inside_is_rendered_every_time():
    env = env_with({"page.html": "{% include_shared 'x.html' %}", "x.html": "{% include which %}",
                    "a.html": "A{{ n }}", "b.html": "B{{ n }}"})
    page = env.get_template("page.html")
    assert [page.render(which=w, n=1) for w in ("a.html", "b.html", "a.html")] == ["A1", "B1", "A1"]
    assert renders_of(env) == {}  # (not shared: rendered as {% include %} renders it)


def test_a_shared_partial_sees_only_the_names_it_reads():
    """A function that looks into the context cannot read what the key does not hold."""
    @jinja2.pass_context
    def peek(context):
        return context.resolve("secret")

    env = env_with({"page.html": "{% include_shared 'x.html' %}", "x.html": "{{ peek() }}"})
    env.globals["peek"] = peek
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("page.html").render(secret="s")


@pytest.mark.parametrize("base, partial, where", [
    ("{% include_shared 'nowhere.html' %}", None, "templates/base.html:1: template: no template nowhere.html in templates/ or the theme"),
    ("{% include_shared %}", None, "templates/base.html:1: template: "),
    ("<p>\n\n{% include_shared 42 %}", None, "templates/base.html:3: template: include_shared takes a template's name, not 42"),
    ("{% include_shared none %}", None, "templates/base.html:1: template: "),
    ("<p>\n{% include_shared 'partials/footer.html' %}", "<p>{{ nothing_here }}</p>",
     "templates/partials/footer.html:1: template: 'nothing_here' is undefined"),
    ("{% include_shared 'partials/footer.html' %}", "{% if %}", "templates/partials/footer.html:1: template: "),
])
def test_a_broken_shared_include_is_a_problem_at_its_file_and_line(scratch, build, base, partial, where):
    files = {"templates/base.html": base, "content/posts/a.md": post("A")}
    if partial is not None:
        files["templates/partials/footer.html"] = partial
    root = scratch(files, config=MINIMAL_CONFIG)
    run = build(root)
    assert run.code == 1
    assert where in run.err and "Traceback" not in run.err


def test_no_theme_template_reads_page_url_where_it_is_shared():
    """The theme's shared partials read nothing that changes from page to page but the menu's
    question: otherwise they would silently be rendered on every page."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(THEME)), extensions=["jinja2.ext.i18n", render.SharedPartials])
    env.filters.update(translated=str, iso=str)
    ext = next(e for e in env.extensions.values() if isinstance(e, render.SharedPartials))
    shared = re.findall(r'{% include_shared "([^"]+)" %}', (THEME / "base.html").read_text())
    assert shared == ["partials/menu.html", "partials/action_banner.html", "partials/footer.html"]
    for name in shared:
        reads = ext.names_read(name)
        assert reads is not None and not {"page_url", "page_path", "post", "page", "alternates"} & set(reads), name


@pytest.mark.parametrize("posts", [1, POOL_THRESHOLD + 6])  # the main process alone; the Markdown workers too
def test_a_broken_page_template_is_a_problem_not_a_traceback(scratch, build, posts):
    root = scratch({"templates/post.html": '{% extends "base.html" %}\n{% block main %}\n{{ post.nothing_here }}\n{% endblock %}\n',
                    **{f"content/posts/p{i}.md": post(f"Post {i}") for i in range(posts)}})
    run = build(root)
    assert run.code == 1 and "Traceback" not in run.err
    assert "templates/post.html:3: template: " in run.err and "nothing_here" in run.err
    assert not (root / "output").exists()


def test_a_list_of_names_takes_the_first_that_exists_as_include_does():
    env = env_with({"page.html": "{% include_shared ['missing.html', 'b.html'] %}", "b.html": "B{{ n }}"})
    page = env.get_template("page.html")
    assert [page.render(n=n) for n in (1, 1, 2)] == ["B1", "B1", "B2"]
    assert renders_of(env)["b.html"] == 2


def test_aria_current_takes_an_address():
    env = env_with({"page.html": "[{{ aria_current('/news/') }}][{{ aria_current('/') }}][{{ aria_current('https://x/news/') }}]"})
    page = env.get_template("page.html")
    assert page.render(aria_current=render.AriaCurrent("/news/a/")) == "[true][][]"
    assert page.render(aria_current=render.AriaCurrent("/news/")) == "[page][][]"
    assert page.render(aria_current=render.AriaCurrent(None)) == "[][][]"
    with pytest.raises(jinja2.TemplateRuntimeError, match="takes a link's address"):
        env.from_string("{{ aria_current(none) }}").render(aria_current=render.AriaCurrent("/"))
