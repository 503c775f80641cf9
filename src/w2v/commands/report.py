"""``w2v report``: collect run directories into summary.csv, draw figures, write summary.md."""

from __future__ import annotations

import sys

from w2v.errors import W2VError


COMMANDS = ("report",)  # the subcommands register() adds (w2v.cli builds only the one run)


def register(subparsers) -> None:
    """Add ``report`` with ``summarize``, ``figures``, ``markdown`` and ``html``."""
    report = subparsers.add_parser("report", help="summary table, figures and written findings of a study")
    sub = report.add_subparsers(dest="report_command", metavar="STEP")
    sub.required = True

    p = sub.add_parser("summarize", help="one CSV row per run directory (train.json, eval.json, classify*.json)")
    p.add_argument("runs", nargs="*", metavar="RUN_DIR", help="run directories")
    p.add_argument("--runs-file", help="file with one run directory per line "
                                       "(optionally followed by its eval/classify JSON paths)")
    p.add_argument("--out", required=True, help="output CSV")
    p.set_defaults(func=_summarize)

    p = sub.add_parser("figures", help="factor effects, speed vs quality and loss curves as PNG")
    p.add_argument("summary", help="summary.csv from `w2v report summarize`")
    p.add_argument("--outdir", required=True, help="directory for the PNG files")
    p.set_defaults(func=_figures)

    p = sub.add_parser("markdown", help="summary.md: tables, comparisons and generated findings")
    p.add_argument("summary", help="summary.csv from `w2v report summarize`")
    p.add_argument("--out", required=True, help="output Markdown file")
    p.add_argument("--figures-dir", help="directory whose PNG files the report links")
    p.add_argument("--html-out", metavar="HTML", help="also write the summary as a self-contained HTML page "
                                                      "(figures embedded), readable inside Snakemake's report")
    p.set_defaults(func=_markdown)

    p = sub.add_parser("html", help="a Markdown (.md) or CSV (.csv) file as a self-contained HTML page")
    p.add_argument("source", metavar="FILE", help="summary.md, a neighbours.csv or another CSV table")
    p.add_argument("--out", required=True, help="output HTML file")
    p.add_argument("--title", help="page title (default: the Markdown's first heading, else the file name)")
    p.set_defaults(func=_html)


def _summarize(args) -> int:
    from w2v.report import collect, read_runs_file, write_summary_csv

    runs = [(r,) for r in args.runs]
    if args.runs_file:
        runs += read_runs_file(args.runs_file)
    if not runs:
        raise W2VError("report summarize: no run directories given; list them or use --runs-file FILE")
    df = collect(runs)
    write_summary_csv(df, args.out)
    print(f"w2v: {len(df)} run(s) -> {args.out}", file=sys.stderr)
    return 0


def _figures(args) -> int:
    from w2v.plots import report_figures
    from w2v.report import read_summary_csv

    paths = report_figures(read_summary_csv(args.summary), args.outdir)
    print(f"w2v: {len(paths)} figure(s) -> {args.outdir}", file=sys.stderr)
    return 0


def _markdown(args) -> int:
    from w2v.report import read_summary_csv
    from w2v.summary_md import write_summary_md

    write_summary_md(read_summary_csv(args.summary), args.out, figures=args.figures_dir)
    if args.html_out:
        from w2v.html import write_html

        write_html(args.out, args.html_out)
    return 0


def _html(args) -> int:
    from w2v.html import write_html

    write_html(args.source, args.out, title=args.title)
    return 0
