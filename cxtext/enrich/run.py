"""Enrichment: sentences, sentiment, theme mentions and topics for every feedback, incrementally.

Only feedback without a result for its current text and the current versions (scorer, taxonomy,
topic model) is processed (see :func:`pending`), in chunks of whole days, a few chunks in one
transaction (COMMIT_CHUNKS): their old rows are deleted and the new ones inserted, so older
versions are replaced, never mixed. A run killed half-way leaves whole chunks done and the rest
stale for the next run (the copies of texts analysed earlier are written in batches after their
chunks: see cxtext.enrich.repeats).
A new topic model alone costs only a new topic assignment, not a new analysis.

The topic model is fitted on a bounded sample of recent feedback the first time (or when the
installed scikit-learn no longer matches the saved one), kept in the state folder, and used to
assign topics until `cxtext topics fit` refits it.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxtext.config import Settings
from cxtext.enrich.analyse import AnalysisContext, Versions, analyse_chunk, versions_of, warm_up
from cxtext.enrich.discovery import DISCOVERED_LAYER, load_suggestions_table, taxonomy_layers
from cxtext.enrich.learned import learned_version, load_models
from cxtext.enrich.parallel import Processes, executor
from cxtext.enrich.repeats import Repeats, set_languages, widened
from cxtext.enrich.topics import ensure_topic_model
from cxtext.store.db import Store, utcnow
from cxtext.store.schema import PER_FEEDBACK_RESULTS
from cxtext.text.taxonomy import ThemeTagger, layers_version, tagger_from_layers
from cxtext.text.topic_files import current_meta, load_current


@dataclass(frozen=True)
class Selection:
    """Which feedback a recomputation looks at: days (in the reporting time zone, inclusive),
    sources, and for a forced backfill the time before which every result is recomputed."""

    first_day: date | None = None
    last_day: date | None = None
    sources: tuple[str, ...] = ()
    forced_before: datetime | None = None
    timezone: str = "UTC"


#: Why a feedback needs work. The first three need the whole analysis; a new topic model only a
#: new topic assignment; 'forced' rows are current but older than a forced backfill.
FULL_REASONS = ("missing", "changed_text", "new_version")
TOPIC_REASONS = ("new_topic_model",)
#: Reasons that are not new data: the nightly run spends at most its recompute budget on them.
VERSION_REASONS = ("new_version", "new_topic_model")
#: Chunks whose texts (and planned copies) one query reads: each scans feedback; at 1M records
#: 273 queries of about 50 ms took 14 s of the main process, and with both cores busy every
#: second of it is half a second of the run.
FETCH_CHUNKS = 8
#: Chunks written in one transaction: at 1M records a commit cost about 50 ms of the main process
#: (273 chunks: 14 s), and a run stopped midway redoes at most these few chunks.
COMMIT_CHUNKS = 4


@dataclass
class Progress:
    """Where a recomputation stands, for logs and progress bars."""

    chunks_done: int
    chunks_total: int
    records_done: int
    records_total: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.records_done / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        return (
            f"chunk {self.chunks_done}/{self.chunks_total}: {self.records_done:,}/{self.records_total:,} records, "
            f"{self.rate:,.0f} records/s"
        )


@dataclass
class EnrichResult:
    versions: Versions
    stale: int = 0
    enriched: int = 0
    topics_reassigned: int = 0
    left: int = 0
    chunks: int = 0
    mentions: int = 0
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)
    topic_model_fitted: bool = False
    executor: str = "none"
    retagged: int = 0  # feedback re-tagged after the theme suggestions changed (the nightly run)

    @property
    def rewritten(self) -> int:
        return self.enriched + self.topics_reassigned

    def as_dict(self) -> dict:
        return {
            "stale": self.stale,
            "enriched": self.enriched,
            "topics_reassigned": self.topics_reassigned,
            "left": self.left,
            "chunks": self.chunks,
            "mentions": self.mentions,
            "seconds": round(self.seconds, 2),
            "reasons": self.reasons,
            "topic_model_fitted": self.topic_model_fitted,
            "executor": self.executor,
        }


def pending(store: Store, versions: Versions, selection: Selection = Selection()) -> pa.Table:
    """Every selected feedback that needs work (feedback_id, day, reason), ordered by day: an
    Arrow table, a few dozen bytes a row, so a million stale rows cost tens of MB, not hundreds."""
    where, params = ["TRUE"], []
    if selection.first_day:
        where.append("day >= ?")
        params.append(selection.first_day)
    if selection.last_day:
        where.append("day <= ?")
        params.append(selection.last_day)
    if selection.sources:
        where.append("source IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(selection.sources))
    # Each enrichment row is narrowed to a few numbers before the join (as cxtext.insights.current's ENRICHMENT_SQL
    # is): joining whole rows spilled under the 160MB cap at a million feedback. A changed text
    # whose hash equals the old one's (odds 2^-64) would go unnoticed.
    return store.con.sql(
        "SELECT feedback_id, day, CASE "
        "  WHEN e_id IS NULL THEN 'missing' WHEN e_key <> hash(text_hash) THEN 'changed_text' "
        "  WHEN new_version THEN 'new_version' WHEN new_topic_model THEN 'new_topic_model' "
        "  WHEN enriched_at < ? THEN 'forced' END AS reason "
        "FROM (SELECT f.feedback_id, f.source, f.text_hash, e.feedback_id AS e_id, e.e_key, e.new_version, "
        "             e.new_topic_model, e.enriched_at, CAST((f.created_at AT TIME ZONE 'UTC') AT TIME ZONE ? AS DATE) AS day "
        "      FROM feedback f LEFT JOIN (SELECT feedback_id, hash(text_hash) AS e_key, "
        "                                        sentiment_version <> ? OR taxonomy_version <> ? AS new_version, "
        "                                        topic_version <> ? AS new_topic_model, enriched_at FROM enrichment) e "
        "      USING (feedback_id)) "
        f"WHERE {' AND '.join(where)} AND reason IS NOT NULL ORDER BY day, feedback_id",
        params=[selection.forced_before, selection.timezone, versions.sentiment, versions.taxonomy, versions.topics, *params],
    ).to_arrow_table()


def count_reasons(todo: pa.Table) -> dict[str, int]:
    return {r["values"]: r["counts"] for r in pc.value_counts(todo["reason"]).to_pylist()}


def with_reasons(todo: pa.Table, reasons) -> pa.Table:
    return todo.filter(pc.is_in(todo["reason"], pa.array(sorted(reasons), pa.string())))


def within_budget(todo: pa.Table, budget: int) -> pa.Table:
    """All rows but those stale only by a version beyond the *budget* newest."""
    versioned = with_reasons(todo, VERSION_REASONS).sort_by([("day", "descending"), ("feedback_id", "ascending")])
    over = versioned["feedback_id"].slice(budget)
    return todo.filter(pc.invert(pc.is_in(todo["feedback_id"], over))) if len(over) else todo


def day_chunks(todo: pa.Table, max_rows: int) -> list[tuple[int, int]]:
    """Whole days packed into chunks of at most *max_rows* rows (a bigger day is split), as
    (offset, length) slices of *todo*: a killed run resumes at a day boundary, and small days
    do not cost a transaction each."""
    if not len(todo):
        return []
    days = pc.cast(todo["day"], pa.int32()).to_numpy(zero_copy_only=False)
    starts = [0, *(np.flatnonzero(np.diff(days)) + 1).tolist()]
    chunks: list[list[int]] = []
    for start, end in zip(starts, starts[1:] + [len(days)]):
        if chunks and chunks[-1][1] + (end - start) <= max_rows:
            chunks[-1][1] += end - start
            continue
        chunks += [[offset, min(max_rows, end - offset)] for offset in range(start, end, max_rows)]
    return [(offset, length) for offset, length in chunks]


def enrich(
    store: Store,
    settings: Settings,
    *,
    selection: Selection = Selection(),
    steps: tuple[str, ...] = ("enrich", "topics"),
    budget: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> EnrichResult:
    """Bring the selected feedback up to date, chunk by chunk (COMMIT_CHUNKS a transaction).

    'enrich' runs the whole analysis on missing, changed or re-versioned rows (and forced ones);
    'topics' only reassigns topics where the topic model alone changed (and forced rows when
    'enrich' is not asked for). At most *budget* rows that are stale only by a version are
    recomputed (newest first); the rest are left, counted, for a later run or a backfill.
    The caller holds the writer lock. With nothing to do, neither the topic model nor spaCy is
    loaded: the work is found from the versions' strings (the topic model's from its meta.json),
    and the taxonomy's tables are rewritten only when its version changed.
    """
    clock = time.perf_counter()
    layers = taxonomy_layers(settings)  # read once: the workers get the same bytes; suggestions included
    meta = current_meta(settings.topic_models_dir)
    topic_model, fitted = ensure_topic_model(store, settings) if meta is None else (None, False)
    learned = load_models(settings)
    versions = versions_of(
        layers_version(layers),
        meta["version"] if meta else getattr(topic_model, "version_", "none"),
        settings.languages,
        learned_version(learned),
    )
    todo = pending(store, versions, selection)
    result = EnrichResult(versions, stale=len(todo), reasons=count_reasons(todo), topic_model_fitted=fitted)
    full = set(FULL_REASONS) | ({"forced"} if "enrich" in steps else set())
    cheap = set(TOPIC_REASONS) | ({"forced"} if "enrich" not in steps else set())
    selected = with_reasons(todo, (full if "enrich" in steps else set()) | (cheap if "topics" in steps else set()))
    if budget is not None and budget >= 0:
        selected = within_budget(selected, budget)
    result.left = len(todo) - len(selected)
    del todo  # a million stale rows hold about 50 MB; the selected ones are a copy
    chunks = day_chunks(selected, settings.enrich_chunk_rows)
    if not chunks and _recorded(store, versions):
        result.seconds = time.perf_counter() - clock
        return result  # nothing to do: no tagger, no model, no spaCy
    tagger = tagger_from_layers(layers)  # parses (and so checks) the taxonomy: same version, same tables
    with store.transaction():
        write_taxonomy(store, tagger)
        load_suggestions_table(store, settings)
        for key, value in versions.columns().items():  # what "current" means for the views
            store.set_meta(key, value)
    if chunks and meta is not None:
        topic_model = load_current(settings.topic_models_dir)  # the one meta.json describes: the writer lock keeps it current
    context = AnalysisContext(layers, topic_model, versions, settings.languages, learned)

    full_reasons = pa.array(sorted(full), pa.string())
    planned: deque = deque()  # each submitted chunk's (copies, sources), in the order results come back

    def tasks():  # rows are read here, by the one connection, shortly before a worker needs them
        for first in range(0, len(chunks), FETCH_CHUNKS):
            stop = min(first + FETCH_CHUNKS, len(chunks))
            group = []
            for number, (copies, sources) in enumerate(repeats.of_chunks(first, stop), start=first):
                offset, length = chunks[number]
                chunk = selected.slice(offset, length)
                whole = chunk.filter(pc.is_in(chunk["reason"], full_reasons))
                # Rows that have results to replace; 'missing' ones have none (a chunk's results are
                # written with its enrichment rows), and deleting nothing still scans the tables.
                replacing = whole.filter(pc.not_equal(whole["reason"], "missing"))["feedback_id"].to_pylist()
                topic_only = chunk.filter(pc.invert(pc.is_in(chunk["reason"], full_reasons)))["feedback_id"].to_pylist()
                analysed = whole["feedback_id"]
                if copies.num_rows:
                    analysed = pc.filter(analysed, pc.invert(pc.is_in(analysed, copies["feedback_id"])))
                group.append((analysed.to_pylist(), topic_only, replacing, _created_window(chunk), copies, sources))
            window = (min(g[3][0] for g in group), max(g[3][1] for g in group))
            texts = _fetch(store, [g[0] for g in group], window, with_source=bool(learned))
            scored = _fetch(store, [g[1] for g in group], window, scored_only=True)
            for (_, topic_only, replacing, chunk_window, copies, sources), rows, topic_rows in zip(
                group, texts, scored, strict=True
            ):
                planned.append((copies, sources))
                yield rows, topic_rows, utcnow(), replacing, topic_only, chunk_window

    if on_progress and chunks:  # the work ahead, before the first chunk's seconds
        on_progress(Progress(0, len(chunks), 0, len(selected), time.perf_counter() - clock))
    with executor(  # worker processes start (and load their models) while the copies are planned
        context,
        workers=settings.workers,
        dask_address=settings.dask_address,
        chunks=len(chunks),
        rows=len(selected),
        min_rows=settings.parallel_min_rows,
        warm_up=warm_up,
    ) as pool:
        repeats = Repeats(
            store,
            selected,
            chunks,
            full_reasons,
            versions,
            by_source=bool(learned),
            analysed_since=selection.forced_before,
        )
        result.executor = pool.description
        results = pool.imap(analyse_chunk, tasks())
        with closing(repeats), store.one_thread() if isinstance(pool, Processes) else nullcontext():
            while result.chunks < len(chunks):
                with store.transaction():  # COMMIT_CHUNKS chunks a commit
                    rows, queued = _Rows(), []
                    for done in itertools.islice(results, COMMIT_CHUNKS):
                        copies, sources = planned.popleft()
                        _write_chunk(store, done, versions, rows)
                        repeats.keep(done.get("tables"), sources, rows)
                        queued.append((copies, done["now"], done["window"]))
                        result.enriched += len(done["whole"]) + copies.num_rows
                        result.topics_reassigned += len(done["topic_only"])
                        result.mentions += done["tables"]["theme_mentions"].num_rows if "tables" in done else 0
                        result.chunks += 1
                    rows.write(store)  # before the copies: their sources' rows are kept now
                    for copies, now, window in queued:
                        result.mentions += repeats.queue(copies, now, window)
                    if len(chunks) - result.chunks <= getattr(pool, "in_flight", 0):
                        # only the workers' last chunks are left: the copies queued so far are
                        # written while they run, not after
                        result.mentions += repeats.write()
                if on_progress:  # what is committed
                    on_progress(
                        Progress(result.chunks, len(chunks), result.rewritten, len(selected), time.perf_counter() - clock)
                    )
            with store.transaction():
                result.mentions += repeats.write()  # the copies still queued
    result.seconds = time.perf_counter() - clock
    return result


def _recorded(store: Store, versions: Versions) -> bool:
    """Whether the database already holds these versions as current (and so their taxonomy's tables)."""
    columns = versions.columns()
    stored = dict(store.execute("SELECT key, value FROM cxtext_meta WHERE key IN (SELECT unnest(?::VARCHAR[]))", [list(columns)]))
    return stored == columns


class _Rows:
    """A transaction's new rows, gathered per table and written with one statement per table: at
    1M records the chunks' own inserts (and the sources' rows kept for copies) were about 3,400
    statements, most of their cost the statement's, not its rows'. A feedback is in one chunk, so
    a chunk's deletes never meet another chunk's rows gathered here."""

    def __init__(self):
        self.tables: dict[str, list[pa.Table]] = {}
        self.languages: list[pa.Table] = []
        self.window: tuple | None = None

    def add(self, table: str, rows: pa.Table) -> None:
        if rows.num_rows:
            self.tables.setdefault(table, []).append(rows)

    def add_languages(self, rows: pa.Table, window: tuple) -> None:
        """Feedback's detected languages, to be set where created_at is within *window*."""
        if rows.num_rows:
            self.languages.append(rows)
            self.window = widened(self.window, window)

    def write(self, store: Store) -> None:
        for table, parts in self.tables.items():
            store.insert_arrow(table, pa.concat_tables(parts))
        if self.languages:
            set_languages(store, pa.concat_tables(self.languages), self.window)
        self.tables, self.languages, self.window = {}, [], None


def _write_chunk(store: Store, done: dict, versions: Versions, rows: _Rows) -> None:
    """One chunk's results, replacing what was there (the caller's transaction): the old rows are
    deleted now, the new ones gathered in *rows*."""
    if done["whole"] or done["replacing"]:  # a chunk of copies only analyses nothing, but replaces
        _replace(store, done["replacing"], done.get("tables", {}), done["window"], rows)
    if done["topic_only"]:
        store.con.register("_chunk_ids", pa.table({"feedback_id": done["topic_only"]}))
        try:
            store.execute("DELETE FROM feedback_topics WHERE feedback_id IN (SELECT feedback_id FROM _chunk_ids)")
            store.execute(
                "UPDATE enrichment SET topic_version = ?, enriched_at = ? "
                "WHERE feedback_id IN (SELECT feedback_id FROM _chunk_ids)",
                [versions.topics, done["now"]],
            )
        finally:
            store.con.unregister("_chunk_ids")
        rows.add("feedback_topics", done["assigned"])


# -- topics -----------------------------------------------------------------------------------


def _created_window(chunk: pa.Table) -> tuple:
    """UTC bounds of created_at that hold a chunk's days whatever the reporting time zone: a
    lookup of its rows reads only that part of feedback (zone maps), not all of it, so a chunk
    costs the same in a database of any size."""
    first, last = pc.min_max(chunk["day"]).values()
    start = datetime.combine(first.as_py() - timedelta(days=1), datetime.min.time())
    return start, datetime.combine(last.as_py() + timedelta(days=2), datetime.min.time())


def _fetch(
    store: Store, parts: list[list[str]], window: tuple, *, scored_only: bool = False, with_source: bool = False
) -> list[list[tuple]]:
    """For each list of ids in *parts*, the (feedback_id, kind, text, text_hash) of its feedback,
    written within *window*, and the source *with_source*; with *scored_only*, of those whose
    language was scored (see enrichment.scored). One query for all the parts: each scans
    feedback (created_at does not order it), about 50 ms at 1M records."""
    rows: list[list[tuple]] = [[] for _ in parts]
    if not any(parts):
        return rows
    ids = pa.table(
        {
            "feedback_id": pa.array([i for part in parts for i in part], pa.string()),
            "part": pa.array([n for n, part in enumerate(parts) for _ in part], pa.int32()),
        }
    )
    store.con.register("_chunk_ids", ids)
    try:
        found = store.execute(
            "SELECT i.part, f.feedback_id, f.kind, f.text, f.text_hash"
            + (", f.source" if with_source else "")
            + " FROM feedback f JOIN _chunk_ids i USING (feedback_id)"
            + (" JOIN enrichment e USING (feedback_id)" if scored_only else "")
            + " WHERE f.created_at >= ? AND f.created_at < ?"
            + (" AND e.scored" if scored_only else ""),
            list(window),
        )
    finally:
        store.con.unregister("_chunk_ids")
    for row in found:
        rows[row[0]].append(row[1:])
    return rows


def _replace(store: Store, replacing: list[str], tables: dict[str, pa.Table], window: tuple, rows: _Rows) -> None:
    """Delete the old results of *replacing*; add *tables* (if any) to *rows*."""
    if replacing:
        store.con.register("_chunk_ids", pa.table({"feedback_id": pa.array(replacing, pa.string())}))
        try:
            for table in PER_FEEDBACK_RESULTS:
                store.execute(f"DELETE FROM {table} WHERE feedback_id IN (SELECT feedback_id FROM _chunk_ids)")
        finally:
            store.con.unregister("_chunk_ids")
    if not tables:
        return
    for table in PER_FEEDBACK_RESULTS:
        rows.add(table, tables[table])
    rows.add_languages(tables["languages"], window)


def write_taxonomy(store: Store, tagger: ThemeTagger) -> None:
    """Replace journey_stages and themes with the taxonomy being applied."""
    taxonomy = tagger.taxonomy
    store.execute("DELETE FROM journey_stages")
    store.execute("DELETE FROM themes")
    store.insert_arrow(
        "journey_stages",
        pa.Table.from_pylist(
            [
                {"stage": s.id, "position": i, "name": s.name, "description": s.description}
                for i, s in enumerate(taxonomy.stages, start=1)
            ]
        ),
    )
    store.insert_arrow(
        "themes",
        pa.Table.from_pylist(
            [
                {
                    "theme": t.id,
                    "name": t.name,
                    "stage": t.stage,
                    "description": t.description,
                    "taxonomy_version": taxonomy.version,
                    "discovered": t.layer == DISCOVERED_LAYER,
                }
                for t in taxonomy.themes
            ]
        ),
    )
