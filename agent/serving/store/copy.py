"""One store into another (`segchat db copy --to URL`): every session, turn, image, concept, job and job file, so a
single machine's SQLite data directory can move to the PostgreSQL a cluster shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from segchat.agent.serving.store.session_store import SessionStore
from segchat.agent.serving.store.tables import metadata
from segchat.contracts.errors import BadRequestError

BATCH_ROWS = 200  # rows read and written at a time
LARGE_ROW_TABLES = frozenset({"images", "job_files"})  # a row may be a whole video: one at a time


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied


def copy_store(source: SessionStore, target: SessionStore) -> CopyReport:
    """Copy everything `source` holds into `target` (already migrated: a store is when it opens), in one
    transaction on the target. A target that holds anything is refused (BadRequestError): copying into it could
    neither merge two stores' sessions safely nor be told apart from a copy half done."""
    if source.location == target.location:
        raise BadRequestError("the target is the configured store itself", code="same_store")
    if not target.is_empty():
        raise BadRequestError(f"the target {target.location} already holds sessions, images, concepts or jobs; "
                              "copy into an empty database", code="target_not_empty")
    report = CopyReport()
    with source.engine.connect() as reading, target.engine.begin() as writing:
        for table in metadata.sorted_tables:  # parents before children (sessions before turns, jobs before files)
            batch_rows = 1 if table.name in LARGE_ROW_TABLES else BATCH_ROWS
            rows = reading.execution_options(stream_results=True, yield_per=batch_rows).execute(table.select())
            report.rows[table.name] = 0
            for batch in rows.mappings().partitions():
                writing.execute(table.insert(), [dict(row) for row in batch])
                report.rows[table.name] += len(batch)
    return report
