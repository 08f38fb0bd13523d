"""content/contracts.yaml → Contract values (+ every Problem, at its file:line).  Read on every
build, like the calendar files: one small file, and its documents' sizes can change on their own."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from site_builder import schema
from site_builder.errors import ContentError, Problem, shown
from site_builder.models import Attachment, Contract
from site_builder.readers import files
from site_builder.readers.calendar import _Item, parse_date
from site_builder.files import outside_link
from site_builder.readers.source import decode_source, read_source
from site_builder.textutil import LANGUAGE_NAMES, language_problem, slugify
from site_builder.yamlutil import YList, YMap, entry_field, load_yaml

FILE = "contracts.yaml"
FIRST_YEAR, LAST_YEAR = 1900, 2200  # a contract's dates; 9999 is a typo, and would overflow day arithmetic
MAX_CONTRACTS = 20_000
CONTRACT_KEYS = schema.CONTRACT.names
LANGUAGE_KEYS = schema.CONTRACT_LANGUAGE.names


def contracts_path(config: Any) -> Path:
    return config.content_dir / FILE


def _date(value: Any) -> date:
    day = parse_date(value)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"{day.isoformat()} is not a contract date (between {FIRST_YEAR} and {LAST_YEAR}); a typo?")
    return day


def _language_name(code: str, config: Any) -> str:
    """A translation's link text: its language's name as config.yaml `languages:` or LANGUAGE_NAMES
    write it (es-MX: Español), else the code."""
    primary = code.split("-", 1)[0].lower()
    names = {**LANGUAGE_NAMES, **{lang.code: lang.name for lang in config.languages if lang.name}}
    return names.get(primary, code)


def _unknown_language(code: str, config: Any) -> str | None:
    """Why a translation's language is not one the contract pages can name (None if it is): a
    made-up code would be a link labelled with it on every contract page."""
    if code.split("-", 1)[0].lower() in {config.language, *LANGUAGE_NAMES, *(lang.code for lang in config.languages)}:
        return None
    return (f"{shown(code)} is not a language the site knows: use a language of config.yaml languages: or one of "
            f"{', '.join(sorted(LANGUAGE_NAMES))}")


def _document(item: _Item, key: str, config: Any) -> Attachment | None:
    """A PDF under static/, found now (its size is shown): problems at the key's line."""
    if not item.has(key):
        return None
    path, message = files.written(item.data[key], beside=False)
    if not message and not path.lower().endswith(".pdf"):
        message = f"{shown(path)} must be a PDF (a file ending in .pdf) under static/"
    if message:
        item.error(key, message)
        return None
    found, message, warning = files.resolve(config.root, config.root / "static", Attachment(path, "", item.line(key)),
                                            None)
    if message:
        item.error(key, message)
        return None
    if warning:
        item.error(key, warning, "warning")
    return found


def _contract(item: _Item, config: Any, ids: dict[str, int], employers: tuple[list[str], dict[str, str]]) -> Contract | None:
    ident = item.ident("id", required="a permanent id such as healthpartners-clerical-2020; never change it")
    if ident in ids:
        item.error("id", f"duplicate id {ident!r} (already used at {item.path}:{ids[ident]})")
    elif ident:
        ids[ident] = item.line("id")
    employer = item.text("employer", required="the employer's topic from config.yaml tags:, such as healthpartners")
    if employer:
        known, names = employers
        employer = names.get(slugify(employer), employer)  # the topic's name (`HealthPartners`) is fine too
        if employer not in known:
            listed = ", ".join(known) if known else "none yet"
            item.error("employer", f"{shown(employer)} is not an employer of config.yaml tags: or of employers: above "
                                   f"(employers: {listed}); add it under employers: (in the editor: Contracts, "
                                   "Employers), or in config.yaml tags: with kind: employer")
    unit = item.text("unit", required="who the contract covers, such as Clerical workers")
    status = item.choice("bargaining_status", schema.BARGAINING_STATUS, "in force")
    dates_needed = "" if status == "in bargaining" else "a date like 2020-11-30, unless bargaining_status is in bargaining"
    effective = item.parsed("effective", _date, required=dates_needed)
    expires = item.parsed("expires", _date, required=dates_needed)
    if effective and expires and expires < effective:
        item.error("expires", f"{expires.isoformat()} is before effective ({effective.isoformat()})")
    document = _document(item, "document", config)
    summary = item.text("summary")
    languages: list[Attachment] = []
    raw = item.data.get("languages")
    if item.has("languages"):
        if not isinstance(raw, YList):
            item.error("languages", "must be a list of {language:, document:} (the contract in other languages)")
        else:
            seen: set[str] = set()
            for i, entry in enumerate(raw):
                if not isinstance(entry, YMap):
                    item.problems.append(Problem(item.path, raw.line_of(i), f"{item.field('languages')}[{i}]",
                                                 "must be language: and document:"))
                    item.failed = True
                    continue
                sub = _Item(entry, item.path, f"{item.field('languages')}[{i}]", item.problems, LANGUAGE_KEYS)
                code = sub.text("language", required="a language code such as es")
                if code and (message := language_problem(code) or _unknown_language(code, config)):
                    sub.error("language", message)
                elif code.lower() in seen:
                    sub.error("language", f"{code!r} is listed twice")
                seen.add(code.lower())
                if not sub.has("document"):
                    sub.error("document", "is required (the translated PDF under static/)")
                found = _document(sub, "document", config)
                sub.warn_unknown()
                item.failed |= sub.failed
                if found is not None and not sub.failed:
                    languages.append(replace(found, title=_language_name(code, config), language=code))
    item.warn_unknown()
    if item.failed:
        return None
    return Contract(id=ident, employer=employer, unit=unit, effective=effective, expires=expires, document=document,
                    summary=summary, status=status or "in force", languages=tuple(languages), line=item.data.line)


def _employer_problems(data: YMap, shown_path: str, config: Any) -> list[Problem]:
    """`employers:` checked (config.contract_employers has already made each a topic)."""
    problems: list[Problem] = []
    entries = data.get("employers")
    if entries is None or entries == []:
        return problems
    if not isinstance(entries, YList):
        return [Problem(shown_path, data.line_of("employers"), "employers", "must be a list of employers (- name: UPS)")]
    seen: dict[str, int] = {}
    for i, raw in enumerate(entries):
        if not isinstance(raw, YMap):
            problems.append(Problem(shown_path, entries.line_of(i), f"employers[entry {i + 1}]",
                                    "each employer must be keys and values (name:, status:)"))
            continue
        item = _Item(raw, shown_path, entry_field("employers", raw, i, "name"), problems, schema.CONTRACT_EMPLOYER.names)
        name = item.text("name", required="the employer's name, such as UPS")
        item.text("status")
        item.warn_unknown()
        slug = slugify(name) if name else ""
        if name and not slug:
            item.error("name", f"{shown(name)} has no letters or digits to make its topic's address from")
        elif slug in seen:
            item.error("name", f"{shown(name)} is already listed at {shown_path}:{seen[slug]}")
        elif slug:
            seen[slug] = item.line("name")
    return problems


def read_contracts(config: Any) -> tuple[tuple[Contract, ...], list[Problem]]:
    """Every contract of content/contracts.yaml (none when the file does not exist), in file order."""
    path = contracts_path(config)
    shown_path = f"{config.content_dir.name}/{FILE}" if config.content_dir.parent == config.root else str(path)
    problems: list[Problem] = []
    if not path.exists() and not path.is_symlink():
        return (), problems
    try:
        if why := outside_link(path, config.root):
            return (), [Problem(shown_path, 1, "", f"{why}; copy the file itself here")]
        data = load_yaml(decode_source(read_source(path, shown_path), shown_path), shown_path, warnings=problems)
    except ContentError as exc:
        return (), problems + [exc.problem]
    except OSError as exc:
        return (), problems + [Problem(shown_path, 1, "", f"cannot read the file: {exc.strerror or exc}")]
    if data is None:
        return (), problems
    if not isinstance(data, YMap):
        return (), problems + [Problem(shown_path, 1, "", "must start with contracts: followed by a list of contracts")]
    for key in data:
        if key not in ("contracts", "employers"):
            problems.append(Problem(shown_path, data.line_of(key), key, "unknown section (ignored); use employers and "
                                    "contracts", "warning"))
    problems += _employer_problems(data, shown_path, config)
    items = data.get("contracts")
    if items is None or items == []:
        return (), problems
    if not isinstance(items, YList):
        return (), problems + [Problem(shown_path, data.line_of("contracts"), "contracts",
                                       "must be a list of contracts (- id: ...)")]
    if len(items) > MAX_CONTRACTS:
        return (), problems + [Problem(shown_path, data.line_of("contracts"), "contracts",
                                       f"{len(items):,} contracts; at most {MAX_CONTRACTS:,} are read")]
    out: list[Contract] = []
    ids: dict[str, int] = {}
    known = [t.slug for t in config.tags if t.kind == "employer"]  # (slugs, in config.yaml's order) and by name
    employers = (known, {**{slugify(t.name): t.slug for t in config.tags if t.kind == "employer" and t.name},
                         **{slug: slug for slug in known}})
    for i, raw in enumerate(items):
        prefix = entry_field("contracts", raw, i, "employer")
        if not isinstance(raw, YMap):
            problems.append(Problem(shown_path, items.line_of(i), prefix,
                                    "each contract must be keys and values (id:, employer:, unit:, ...)"))
            continue
        contract = _contract(_Item(raw, shown_path, prefix, problems, CONTRACT_KEYS), config, ids, employers)
        if contract is not None:
            out.append(contract)
    return tuple(out), problems
