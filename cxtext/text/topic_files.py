"""Fitted topic models on disk: one folder per version in the state folder, CURRENT naming the one
in use, saved and loaded atomically with the library versions that made them.

Which model is current, and whether it still loads, is read from its meta.json without importing
scikit-learn (:func:`current_meta`): a run with nothing to assign does not pay for it."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cxtext.text.topics import TopicModel

log = logging.getLogger(__name__)

CURRENT = "CURRENT"


MODEL_FILE = "model.joblib"


META_FILE = "meta.json"


FINGERPRINT_KEYS = ("doc_ids", "text_hashes")


def save_model(model: TopicModel, directory: Path, *, metadata: dict) -> str:
    """Write *model* to ``directory/<version>/`` and point ``directory/CURRENT`` at it.

    *metadata* describes the training data, e.g. ``{"window": [start, end], "size": n,
    "doc_ids": [...], "text_hashes": [...]}``. ``doc_ids`` and ``text_hashes`` (in training
    order) only enter the version hash; everything else is written to meta.json as given. The
    version is ``topics-`` + 12 hex digits of a SHA-256 over the parameters, the library versions,
    the topic numbering and those fingerprints (or, without any, the model's top terms): the same
    input gives the same version. Returns the version.
    """
    import joblib
    from sklearn.utils.validation import check_is_fitted

    from cxtext.text.topics import describe_topics

    check_is_fitted(model, "kmeans_")
    directory = Path(directory)
    packages = _packages(model.features)
    fingerprint = {k: list(metadata[k]) for k in FINGERPRINT_KEYS if metadata.get(k) is not None}
    payload = {
        "parameters": model.get_params(),
        "packages": packages,
        "ids": [model.topic_ids_, model.last_id_],
        "training": fingerprint or {"top_terms": model.term_weights_},
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    version = "topics-" + digest[:12]
    training = {k: v for k, v in metadata.items() if k not in FINGERPRINT_KEYS}
    training.update({f"n_{k}": len(v) for k, v in fingerprint.items()})
    meta = {
        "version": version,
        "sklearn_version": model.sklearn_version_,
        "packages": packages,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training": training,
        "parameters": model.get_params(),
        "quality": model.quality_,
        "topics": describe_topics(model),
        "aligned_to": model.aligned_to_,
        "alignment": model.alignment_,
    }
    target = directory / version
    target.mkdir(parents=True, exist_ok=True)
    _atomic_write(target / MODEL_FILE, lambda f: joblib.dump(model, f))
    _atomic_write(target / META_FILE, lambda f: f.write(json.dumps(meta, indent=2, default=str).encode() + b"\n"))
    set_current(directory, version)
    return version


def set_current(directory: Path, version: str) -> None:
    """Point ``directory/CURRENT`` at a saved version (atomically), e.g. to roll back."""
    directory = Path(directory)
    if not (directory / version / MODEL_FILE).is_file():
        raise FileNotFoundError(f"{directory / version / MODEL_FILE}: no such saved topic model")
    _atomic_write(directory / CURRENT, lambda f: f.write(version.encode() + b"\n"))


#: The model this process loaded last, by its file's identity (path, inode, size, mtime): a run
#: that asks for it again (the topic step, then enrichment) does not unpickle it again, while a
#: refit or a rollback (another file) is loaded anew.
_loaded: tuple[tuple, TopicModel] | None = None


def load_current(directory: Path) -> TopicModel | None:
    """The model ``directory/CURRENT`` points at, with ``version_`` set; None when there is
    none or it was saved with other library versions (the caller refits; the reason is logged).
    The same file is loaded once per process: callers share the object and only read it."""
    global _loaded
    meta = current_meta(directory)
    if meta is None:
        return None
    path = (Path(directory) / meta["version"] / MODEL_FILE).resolve()
    stat = path.stat()
    key = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if _loaded is not None and _loaded[0] == key:
        return _loaded[1]
    import joblib

    model = joblib.load(path)
    model.version_ = meta["version"]
    _loaded = (key, model)
    return model


def current_meta(directory: Path) -> dict | None:
    """The meta.json of the model :func:`load_current` would load (its "version" the one CURRENT
    names), without loading it; None when it would load none."""
    directory = Path(directory)
    try:
        version = (directory / CURRENT).read_text(encoding="utf-8").strip()
        meta = json.loads((directory / version / META_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        log.info("no current topic model in %s (%s is missing)", directory, exc.filename)
        return None
    if not (directory / version / MODEL_FILE).is_file():
        log.warning("topic model %s has no %s: refit needed", version, MODEL_FILE)
        return None
    saved = meta.get("packages") or {"scikit-learn": meta.get("sklearn_version")}
    installed = _packages(meta.get("parameters", {}).get("features", "lsa"))
    if meta.get("sklearn_version") != installed["scikit-learn"] or saved != installed:
        log.warning("topic model %s was saved with %s, installed are %s: refit needed", version, saved, installed)
        return None
    return meta | {"version": version}


def _packages(features: str) -> dict[str, str]:
    """The installed versions a saved model depends on, from the packages' metadata (the same
    strings as their ``__version__``), so that checking them imports none of them."""
    packages = {"scikit-learn": package_version("scikit-learn")}
    if features == "wordllama":
        try:
            packages["wordllama"] = package_version("wordllama")
        except PackageNotFoundError:
            packages["wordllama"] = "not installed"
    return packages


def _atomic_write(path: Path, write) -> None:
    """Write through *write(binary file)* into a temporary file beside *path*, then os.replace."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
