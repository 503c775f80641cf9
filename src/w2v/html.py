"""Small self-contained HTML pages of the report's text and tables.

Snakemake's HTML report shows an item inline only when it is an image or an HTML
page; Markdown and CSV files become download links. :func:`write_html` turns the
written summary (``summary.md``) and the neighbour tables (``neighbours.csv``)
into pages a reader can read inside the report: one file each, no external
style sheet, scripts or fonts, the figures a Markdown page links embedded as
data URIs.

The Markdown reader covers what :mod:`w2v.summary_md` writes: ATX headings,
paragraphs, bullet and numbered lists, pipe tables, images, fenced code, and the
inline code spans, links, ``**bold**`` and ``*italic*`` within them.
"""

from __future__ import annotations

import base64
import csv
import html
import math
import mimetypes
import os
import re
from collections.abc import Sequence
from pathlib import Path

from w2v.errors import W2VError
from w2v.io import atomic_open

__all__ = ["csv_to_html", "markdown_to_html", "page", "write_html"]

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px;
       line-height: 1.45; color: #1f2328; margin: 1.5em auto; max-width: 1200px; padding: 0 1em; }
h1, h2, h3, h4 { line-height: 1.25; margin: 1.2em 0 0.5em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; border-bottom: 1px solid #d0d7de; padding-bottom: 0.2em; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.9em;
       background: #f3f4f6; padding: 0.05em 0.3em; border-radius: 3px; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; }
.table { overflow-x: auto; margin: 0.6em 0 1em; }
table { border-collapse: collapse; font-size: 0.92em; }
th, td { border: 1px solid #d0d7de; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #f6f8fa; text-align: left; }
tr:nth-child(even) td { background: #fafbfc; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td small { color: #57606a; }
li { margin: 0.2em 0; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eaeef2; }
figcaption { color: #57606a; font-size: 0.9em; }
.missing { color: #9a6700; }
"""


def page(body: str, title: str) -> str:
    """A complete HTML document around ``body``, with the page's own small style sheet."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            f"{body}\n</body>\n</html>\n")


# ----------------------------------------------------------------------------
# Markdown


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _image(alt: str, src: str, base: Path | None) -> str:
    """An ``<img>``: a local file is embedded (the page must stand alone); a missing one is named."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", src, flags=re.I):  # http:, data:, ...
        return f'<img src="{html.escape(src)}" alt="{html.escape(alt)}">'
    path = Path(src) if base is None or Path(src).is_absolute() else base / src
    if not path.is_file():
        return f'<span class="missing">[image not found: {html.escape(src)}]</span>'
    return f'<img src="{_data_uri(path)}" alt="{html.escape(alt)}">'


_CODE = re.compile(r"`([^`]+)`")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EM = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")


def _inline(text: str, base: Path | None) -> str:
    """Inline Markdown to HTML: code spans first (their text stays literal), then images, links, emphasis."""
    out, pos = [], 0
    for m in _CODE.finditer(text):
        out.append(_inline_plain(text[pos:m.start()], base))
        out.append(f"<code>{html.escape(m.group(1))}</code>")
        pos = m.end()
    out.append(_inline_plain(text[pos:], base))
    return "".join(out)


def _inline_plain(text: str, base: Path | None) -> str:
    parts, pos = [], 0
    for m in _IMAGE.finditer(text):
        parts.append(_emphasis(text[pos:m.start()]))
        parts.append(_image(m.group(1), m.group(2), base))
        pos = m.end()
    parts.append(_emphasis(text[pos:]))
    return "".join(parts)


def _emphasis(text: str) -> str:
    text = html.escape(text, quote=False).replace("\\|", "|")
    text = _LINK.sub(lambda m: f'<a href="{m.group(2).replace(chr(34), "&quot;")}">{m.group(1)}</a>', text)
    text = _STRONG.sub(r"<strong>\1</strong>", text)
    return _EM.sub(r"<em>\1</em>", text)


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s{0,3}[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s{0,3}\d+[.)]\s+(.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_FIGURE = re.compile(r"^\s*!\[([^\]]*)\]\(([^)\s]+)\)\s*$")
_NUMBER = re.compile(r"^[−–+-]?[\d,]*\.?\d+(e[+-]?\d+)?( ?± ?[\d,]*\.?\d+)?( ?%| ?×)?$|^[–—-]$", re.I)


def _cells(line: str) -> list[str]:
    line = line.strip()
    line = line[1:] if line.startswith("|") else line
    line = line[:-1] if line.endswith("|") and not line.endswith("\\|") else line
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)]


def _table(header: list[str], rows: list[list[str]], base: Path | None) -> str:
    head = "".join(f"<th>{_inline(c, base)}</th>" for c in header)
    body = []
    for row in rows:
        row = (row + [""] * len(header))[:len(header)]
        body.append("<tr>" + "".join(
            f"<td class=\"num\">{_inline(c, base)}</td>" if _NUMBER.match(c) else f"<td>{_inline(c, base)}</td>"
            for c in row) + "</tr>")
    return (f"<div class=\"table\"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
            + "\n".join(body) + "\n</tbody></table></div>")


def markdown_to_html(text: str, base: str | os.PathLike | None = None) -> str:
    """The HTML body of a Markdown text; images are looked up relative to ``base``
    (the Markdown file's folder) and embedded."""
    base = Path(base) if base is not None else None
    lines = text.splitlines()
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []
    list_tag = ""

    def flush() -> None:
        nonlocal list_tag
        if para:
            out.append(f"<p>{_inline(' '.join(s.strip() for s in para), base)}</p>")
            para.clear()
        if items:
            out.append(f"<{list_tag}>\n" + "\n".join(f"<li>{_inline(i, base)}</li>" for i in items)
                       + f"\n</{list_tag}>")
            items.clear()
            list_tag = ""

    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            flush()
            i += 1
            continue
        if line.lstrip().startswith("```"):
            flush()
            fence, code = line.lstrip()[:3], []
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith(fence):
                code.append(lines[i])
                i += 1
            out.append(f"<pre><code>{html.escape(chr(10).join(code))}</code></pre>")
            i += 1
            continue
        m = _HEADING.match(line)
        if m:
            flush()
            level = len(m.group(1))
            out.append(f"<h{level}>{_inline(m.group(2), base)}</h{level}>")
            i += 1
            continue
        if "|" in line and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]):
            flush()
            header = _cells(line)
            rows = []
            i += 2
            while i < len(lines) and lines[i].strip() and "|" in lines[i]:
                rows.append(_cells(lines[i]))
                i += 1
            out.append(_table(header, rows, base))
            continue
        if _RULE.match(line):
            flush()
            out.append("<hr>")
            i += 1
            continue
        m = _FIGURE.match(line)
        if m and not items:
            flush()
            alt = m.group(1)
            caption = f"<figcaption>{html.escape(alt)}</figcaption>" if alt else ""
            out.append(f"<figure>{_image(alt, m.group(2), base)}{caption}</figure>")
            i += 1
            continue
        bullet, numbered = _BULLET.match(line), _NUMBERED.match(line)
        if bullet or numbered:
            tag = "ul" if bullet else "ol"
            if para or (items and list_tag != tag):
                flush()
            list_tag = tag
            items.append((bullet or numbered).group(1))
            i += 1
            continue
        if items and line.startswith((" ", "\t")):  # a list item's continuation line
            items[-1] += " " + line.strip()
        else:
            if items:
                flush()
            para.append(line)
        i += 1
    flush()
    return "\n".join(out)


# ----------------------------------------------------------------------------
# CSV


def _number_text(value: str, digits: int = 3) -> str:
    try:
        x = float(value)
    except ValueError:
        return value
    if math.isnan(x):
        return "–"
    return f"{x:.{digits}f}"


def _neighbours_table(rows: list[dict]) -> str:
    """One row per probe word: its neighbours by rank, each with its cosine."""
    probes: dict[str, list[dict]] = {}
    for r in rows:
        probes.setdefault(r["probe"], []).append(r)
    width = max((sum(1 for r in rs if r.get("neighbour")) for rs in probes.values()), default=0)
    head = "<th>probe</th>" + "".join(f"<th>{k}</th>" for k in range(1, width + 1))
    body = []
    for probe, rs in probes.items():
        found = sorted((r for r in rs if r.get("neighbour")), key=lambda r: int(float(r.get("rank") or 0)))
        if not found:
            body.append(f"<tr><td><strong>{html.escape(probe)}</strong></td>"
                        f"<td colspan=\"{max(width, 1)}\" class=\"missing\">not in the vocabulary</td></tr>")
            continue
        cells = "".join(f"<td>{html.escape(r['neighbour'])}<br><small>{_number_text(r.get('cosine', ''))}</small></td>"
                        for r in found)
        cells += "<td></td>" * (width - len(found))
        body.append(f"<tr><td><strong>{html.escape(probe)}</strong></td>{cells}</tr>")
    note = ("<p>Nearest neighbours of each probe word by cosine similarity, nearest first "
            "(the cosine under each word).</p>")
    return (note + f"<div class=\"table\"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
            + "\n".join(body) + "\n</tbody></table></div>")


def _plain_table(header: Sequence[str], rows: list[dict]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for r in rows:
        cells = []
        for h in header:
            value = r.get(h) or ""
            cls = " class=\"num\"" if _NUMBER.match(value) else ""
            cells.append(f"<td{cls}>{html.escape(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<div class=\"table\"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
            + "\n".join(body) + "\n</tbody></table></div>")


def csv_to_html(path: str | os.PathLike) -> str:
    """The HTML body of a CSV file: a neighbours table (columns ``probe, rank, neighbour,
    cosine``) as one row per probe word, any other CSV as it is."""
    path = Path(path)
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    if {"probe", "rank", "neighbour", "cosine"} <= set(header):
        return _neighbours_table(rows)
    if not header:
        return "<p>The table is empty.</p>"
    return _plain_table(header, rows)


# ----------------------------------------------------------------------------
# files


def write_html(source: str | os.PathLike, out: str | os.PathLike, title: str | None = None) -> Path:
    """Write ``source`` (a ``.md`` or a ``.csv`` file) as a self-contained HTML page at ``out``,
    atomically; the title is ``title``, else the Markdown's first heading, else the file name."""
    source, out = Path(source), Path(out)
    kind = source.suffix.lower()
    if kind not in (".md", ".markdown", ".csv"):
        raise W2VError(f"{source}: cannot render a {kind or 'suffix-less'} file as HTML; "
                       f"give a Markdown (.md) or CSV (.csv) file")
    try:
        if kind == ".csv":
            body = csv_to_html(source)
            heading = None
        else:
            text = source.read_text(encoding="utf-8")
            body = markdown_to_html(text, base=source.parent)
            heading = next((m.group(2) for m in map(_HEADING.match, text.splitlines()) if m), None)
    except FileNotFoundError:
        raise W2VError(f"{source}: file not found; give the file `w2v report` wrote") from None
    except UnicodeDecodeError:
        raise W2VError(f"{source}: not UTF-8 text; give the file `w2v report` wrote") from None
    except csv.Error as exc:
        raise W2VError(f"{source}: not a readable CSV file ({exc}); rewrite it with the stage that made it") from None
    name = title or (heading.replace("`", "") if heading else source.name)
    if kind == ".csv":
        body = f"<h1>{html.escape(name)}</h1>\n{body}"
    with atomic_open(out, "w") as fh:
        fh.write(page(body, name))
    return out
