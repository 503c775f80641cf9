"""``w2v download``, ``w2v extract`` and ``w2v datasets``: the data stage on the command line."""

from __future__ import annotations

import json

from w2v import data


COMMANDS = ("download", "extract", "datasets")  # the subcommands register() adds (w2v.cli builds only the one run)


def _download(args) -> None:
    path = data.download(args.name, args.dest, mirror=args.mirror, progress=not args.quiet,
                         retries=args.retries, timeout=args.timeout)
    print(path)


def _extract(args) -> None:
    remove = [r for r in (args.remove or "").split(",") if r]
    counts = data.extract(args.dataset, args.archive, args.out, remove=remove, progress=not args.quiet)
    print(json.dumps(counts, indent=2))


def _datasets(args) -> None:
    for source in data.SOURCES.values():
        print(f"{source.name}: {source.description}")
        for url in source.urls:
            print(f"  url     {url}")
        for spec in source.files:
            note = f"  ({spec.note})" if spec.note else ""
            print(f"  file    {spec.name}  sha256 {spec.sha256}{note}")


def register(subparsers) -> None:
    """Add the ``download``, ``extract`` and ``datasets`` subcommands."""
    p = subparsers.add_parser("download", help="fetch a data source and verify its sha256",
                              description="Fetch a data source (from the mirror or its URL), verify "
                                          "its sha256 and print the path of the verified file.")
    p.add_argument("name", metavar="NAME", help=f"source name ({', '.join(data.SOURCES)})")
    p.add_argument("--dest", required=True, metavar="DIR", help="folder to put the file in")
    p.add_argument("--mirror", metavar="DIR",
                   help=f"folder(s) holding accepted copies (default: ${data.MIRROR_ENV})")
    p.add_argument("--retries", type=int, default=3, help="retries per URL (default 3)")
    p.add_argument("--timeout", type=float, default=60, help="network timeout in seconds (default 60)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_download)

    p = subparsers.add_parser("extract", help="read an archive into a document table",
                              description="Read a data set archive into the document table "
                                          "(gzip JSON lines) and print the counts per split and label.")
    p.add_argument("dataset", metavar="DATASET", choices=list(data.DATASETS),
                   help=f"reader: {' or '.join(data.DATASETS)} (also for the sample archives)")
    p.add_argument("archive", metavar="ARCHIVE", help="the archive (tar.gz / tar.xz)")
    p.add_argument("--out", required=True, metavar="FILE", help="document table (documents.jsonl.gz)")
    p.add_argument("--remove", metavar="PARTS", default="",
                   help="20newsgroups only: comma-separated parts to strip: headers,footers,quotes")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_extract)

    p = subparsers.add_parser("datasets", help="list the data sources, file names and sha256",
                              description="List the registered data sources with their URLs, "
                                          "accepted file names and sha256.")
    p.set_defaults(func=_datasets)
