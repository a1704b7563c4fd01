"""Texts repeated across an enrichment run's chunks are analysed once: the later ones copy the
stored results of the first.

The analysis of a feedback reads nothing but its kind and text (and its source, where a source
has a learned sentiment model): retweets, stock answers ("Great service!") and templated survey
comments repeat texts across days, and so across chunks. A chunk analyses each distinct text of
its own once (cxtext.enrich.analyse); before this, each worker process also remembered the last
16,384 texts it had analysed, which caught a text again only in the same process and while it
was recent (757,000 analyses for 604,000 distinct texts at 1M generated records, 2 workers).

Here the plan is made once, in DuckDB, before the first chunk. A feedback whose (kind,
text_hash[, source]) an earlier run already analysed under the versions in force (and, in a
forced backfill, since the time it forces) is a *copy* of that stored feedback, its *source*: a
nightly run's stock answers and retweets repeat texts of earlier nights (43% of the bench's
nightly +1%). Otherwise a feedback whose key first occurs in an earlier chunk of the run is a
copy of one feedback of that chunk. Stored sources' rows are kept in small temporary tables at
once; chunks are written in order, so a run's source's results are stored before any copy of it
is, and are kept when its chunk is written. Each copy gets its source's rows (its own
feedback_id, its chunk's enriched_at) by SQL, without being fetched, sent to a worker or
analysed: a chunk's copies are queued when it is written and written together once COPY_BATCH
are queued, once only the workers' last chunks are left, and at the end (copying per chunk
joined every kept table again for each chunk: at 1M records, 2,457 statements and about 40 s of
the main process, which shares the cores with the workers). A run killed before a batch was written leaves its copies pending, for the next run.
The topic model's transform of a text does not depend on its batch (tests/test_topics.py), so
its topic is the same too. The temporary tables
hold the sources only (DuckDB spills them under its memory cap), and a killed run loses nothing:
the next run plans again from what is still pending.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from cxtext.enrich.analyse import Versions
from cxtext.store.db import Store
from cxtext.store.schema import PER_FEEDBACK_RESULTS

#: The analysis' tables a copy takes from its source: the per-feedback results, and the language.
_KEPT = (*PER_FEEDBACK_RESULTS, "languages")
_NO_COPIES = pa.table({"feedback_id": pa.array([], pa.string()), "source_id": pa.array([], pa.string())})
#: Queued copies written together (see the module docstring).
COPY_BATCH = 50_000


def widened(window: tuple | None, other: tuple) -> tuple:
    """The created_at bounds that hold both *window* (None: none yet) and *other*."""
    return other if window is None else (min(window[0], other[0]), max(window[1], other[1]))


def set_languages(store: Store, languages: pa.Table, window: tuple) -> None:
    """Set feedback.language from *languages* (feedback_id, language), whose feedback were all
    created within *window* (created_at bounds: the scan of feedback skips the rest). The caller's
    transaction."""
    if not languages.num_rows:
        return
    store.con.register("_languages", languages)
    try:
        store.execute(
            "UPDATE feedback SET language = l.language FROM _languages l WHERE feedback.feedback_id = l.feedback_id "
            "AND feedback.created_at >= ? AND feedback.created_at < ?",
            list(window),
        )
    finally:
        store.con.unregister("_languages")


class Repeats:
    """The run's plan of copies (see the module docstring), and the sources' kept results."""

    def __init__(
        self,
        store: Store,
        selected: pa.Table,
        chunks: list[tuple[int, int]],
        full_reasons: pa.Array,
        versions: Versions,
        *,
        by_source: bool,
        analysed_since: datetime | None = None,
    ):
        """*versions*: those in force; a stored result counts only when made under them, and at
        or after *analysed_since* (a forced backfill's time) when given."""
        self.store, self.planned = store, False
        self.queued, self.window = 0, None
        if not chunks:
            return
        numbers = pa.array([n for n, (_, length) in enumerate(chunks) for _ in range(length)], pa.int32())
        rows = pa.table({"feedback_id": selected["feedback_id"], "chunk": numbers, "reason": selected["reason"]})
        rows = rows.filter(pc.is_in(rows["reason"], full_reasons)).drop_columns(["reason"])
        key = "kind, text_hash" + (", source" if by_source else "")
        columns = versions.columns()
        since = "" if analysed_since is None else "AND e.enriched_at >= ?"
        store.con.register("_run_rows", rows)
        try:
            store.execute(
                "CREATE OR REPLACE TEMP TABLE _keyed AS "
                f"SELECT r.feedback_id, r.chunk, {key} FROM _run_rows r JOIN feedback f USING (feedback_id)"
            )
        finally:
            store.con.unregister("_run_rows")
        # Stored sources: per key of the run, the first other feedback with that key (a semi join
        # probes the feedback table with the run's few keys), kept when its stored results are
        # current; a key whose first is not current is analysed (any current source would do, and
        # checking every one cost seconds at 1M).
        store.execute(
            "CREATE OR REPLACE TEMP TABLE _stored_sources AS "
            f"WITH keys AS (SELECT DISTINCT {key} FROM _keyed), "
            f"others AS (SELECT feedback_id, {key} FROM feedback SEMI JOIN keys USING ({key}) "
            "           ANTI JOIN _keyed USING (feedback_id)), "
            f"firsts AS (SELECT {key}, min(feedback_id) AS source_id FROM others GROUP BY ALL) "
            "SELECT firsts.* FROM firsts JOIN enrichment e ON e.feedback_id = firsts.source_id "
            f"WHERE e.text_hash = firsts.text_hash AND {' AND '.join(f'e.{name} = ?' for name in columns)} {since}",
            [*columns.values(), *([analysed_since] if analysed_since is not None else [])],
        )
        store.execute(
            "CREATE OR REPLACE TEMP TABLE _run_copies AS "
            f"SELECT k.feedback_id, k.chunk, s.source_id, -1 AS source_chunk FROM _keyed k JOIN _stored_sources s USING ({key}) "
            "UNION ALL ("
            f"WITH rest AS (SELECT * FROM _keyed ANTI JOIN _stored_sources USING ({key})), "
            f"firsts AS (SELECT {key}, min(chunk) AS source_chunk FROM rest GROUP BY ALL HAVING max(chunk) > min(chunk)), "
            f"sources AS (SELECT {key}, source_chunk, min(k.feedback_id) AS source_id FROM rest k JOIN firsts USING ({key}) "
            "             WHERE k.chunk = source_chunk GROUP BY ALL) "
            f"SELECT k.feedback_id, k.chunk, s.source_id, s.source_chunk FROM rest k JOIN sources s USING ({key}) "
            "WHERE k.chunk > s.source_chunk) ORDER BY chunk"
        )
        for table in _KEPT:
            like = "SELECT feedback_id, language FROM feedback" if table == "languages" else f"SELECT * FROM {table}"
            store.execute(
                f"CREATE OR REPLACE TEMP TABLE _kept_{table} AS "
                f"{like} WHERE feedback_id IN (SELECT source_id FROM _stored_sources)"
            )
        for table in ("_keyed", "_stored_sources"):
            store.execute(f"DROP TABLE {table}")
        store.execute(
            "CREATE OR REPLACE TEMP TABLE _queued_copies (feedback_id VARCHAR, source_id VARCHAR, enriched_at TIMESTAMP)"
        )
        self.planned = True

    def of_chunks(self, first: int, stop: int) -> list[tuple[pa.Table, list[str]]]:
        """Chunks *first* to *stop* (excluded): each one's copies (feedback_id, source_id), and its
        feedback whose results later chunks copy. Read for several chunks at once: each query
        scans the run's plan."""
        if not self.planned:
            return [(_NO_COPIES, [])] * (stop - first)
        copies = self.store.con.sql(
            "SELECT chunk, feedback_id, source_id FROM _run_copies WHERE chunk >= $1 AND chunk < $2", params=[first, stop]
        ).to_arrow_table()
        sources: dict[int, list[str]] = {}
        for chunk, source_id in self.store.execute(
            "SELECT DISTINCT source_chunk, source_id FROM _run_copies WHERE source_chunk >= ? AND source_chunk < ?",
            [first, stop],
        ):
            sources.setdefault(chunk, []).append(source_id)
        return [
            (copies.filter(pc.equal(copies["chunk"], number)).select(["feedback_id", "source_id"]), sources.get(number, []))
            for number in range(first, stop)
        ]

    def keep(self, tables: dict[str, pa.Table] | None, sources: list[str], rows) -> None:
        """Keep the results of *sources* from their chunk's *tables*, for the chunks that copy them:
        added to *rows* (cxtext.enrich.run._Rows), written before any copy is queued."""
        if not sources or not tables:
            return
        wanted = pa.array(sources, pa.string())
        for table in _KEPT:
            rows.add(f"_kept_{table}", tables[table].filter(pc.is_in(tables[table]["feedback_id"], wanted)))

    def queue(self, copies: pa.Table, now, window: tuple) -> int:
        """Queue a chunk's *copies*, to be given their sources' results as of *now* (the chunk's
        time), in the caller's transaction; *window* bounds their created_at (see
        cxtext.enrich.run._created_window). Writes the queue once it holds COPY_BATCH copies;
        returns the theme mentions written."""
        if not copies.num_rows:
            return 0
        self.store.insert_arrow(
            "_queued_copies",
            copies.append_column("enriched_at", pa.array([now] * copies.num_rows, pa.timestamp("us"))),
        )
        self.queued += copies.num_rows
        self.window = widened(self.window, window)
        return self.write() if self.queued >= COPY_BATCH else 0

    def write(self) -> int:
        """Give each queued copy its source's results (the caller's transaction); returns the
        theme mentions copied."""
        if not self.queued:
            return 0
        mentions = 0
        for table in PER_FEEDBACK_RESULTS:
            columns = "c.feedback_id, k.* EXCLUDE (feedback_id" + (
                ", enriched_at), c.enriched_at" if table == "enrichment" else ")"
            )
            inserted = self.store.execute(
                f"INSERT INTO {table} BY NAME SELECT {columns} FROM _kept_{table} k "
                "JOIN _queued_copies c ON k.feedback_id = c.source_id"
            )[0][0]
            mentions += inserted if table == "theme_mentions" else 0
        # The copies' languages are read out first: an UPDATE of feedback joining the two temporary
        # tables itself took twenty times as long (1M records, 2 workers: 9 statements, 9-11 s
        # of the main process, against 0.5 s).
        languages = self.store.con.sql(
            "SELECT c.feedback_id, k.language FROM _kept_languages k JOIN _queued_copies c ON k.feedback_id = c.source_id"
        ).to_arrow_table()
        set_languages(self.store, languages, self.window)
        self.store.execute("DELETE FROM _queued_copies")
        self.queued, self.window = 0, None
        return mentions

    def close(self) -> None:
        if self.planned:
            for table in ("_run_copies", "_queued_copies", *(f"_kept_{t}" for t in _KEPT)):
                self.store.execute(f"DROP TABLE IF EXISTS {table}")
            self.planned = False
