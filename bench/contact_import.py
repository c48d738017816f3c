"""Import 100,000 contacts from a CSV file: time, and the memory it takes.

    python bench/contact_import.py [--rows N] [--database-url sqlite:///…|postgres://…]

The file is generated on disk. Memory is the process's peak resident set size (RSS), after
Django has started and before the import, and at the end: an import that held the file
would grow by at least the file's size.
"""

from __future__ import annotations

import argparse
import csv
import resource
import tempfile
import time
from pathlib import Path

from common import BASE_DIR, report, setup_django


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["email", "first_name", "last_name", "language", "tags", "groups", "attr:score"])
        for i in range(rows):
            writer.writerow(
                [
                    f"import{i}@example.com",
                    f"First{i}",
                    f"Last{i}",
                    "de" if i % 3 else "en",
                    "imported",
                    "News",
                    i % 100,
                ]
            )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=f"sqlite:///{BASE_DIR / 'var' / 'bench-import.sqlite3'}")
    args = parser.parse_args()
    setup_django(args.database_url)

    from contacts import imports
    from contacts.models import AttributeDefinition, Contact, ContactImport, Group, Organization

    organization, _ = Organization.objects.get_or_create(slug="bench-import", defaults={"name": "Bench import"})
    Contact.objects.filter(organization=organization).delete()
    ContactImport.objects.filter(organization=organization).delete()
    AttributeDefinition.objects.get_or_create(
        organization=organization, key="score", defaults={"label": "Score", "type": "number"}
    )
    Group.objects.get_or_create(organization=organization, name="News")

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "contacts.csv"
        write_csv(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        with path.open("rb") as binary:
            contact_import = imports.create_import(
                organization=organization, file_name=path.name, binary=binary, user=None
            )
        upload_s = time.perf_counter() - started
        imports.start_import(contact_import)  # Q_SYNC or a running cluster is not needed: run it here
        ContactImport.objects.filter(pk=contact_import.pk).update(status=ContactImport.Status.QUEUED)
        started = time.perf_counter()
        imports.run_import(contact_import.pk)
        import_s = time.perf_counter() - started

    contact_import.refresh_from_db()
    assert contact_import.created_count == args.rows, contact_import.errors[:3]
    engine = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    print(f"file: {size_mb:.1f} MB, {args.rows:,} rows, {engine}")
    report(f"import_upload_{engine}", upload_s, "s", "-", None)
    report(f"import_rows_per_second_{engine}", args.rows / import_s, "rows/s", "-", None)
    report(f"import_total_{engine}", upload_s + import_s, "s", "completes", True)
    growth = peak_rss_mb() - rss_before
    report(f"import_peak_rss_growth_{engine}", growth, "MB", f"< file size ({size_mb:.1f} MB)", growth < size_mb)


if __name__ == "__main__":
    main()
