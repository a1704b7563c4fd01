"""Agreement figures: Pearson r, precision / recall / F1, macro-F1."""

from __future__ import annotations


def pearson(x: list[float], y: list[float]) -> float:
    import numpy as np

    return float(np.corrcoef(np.asarray(x, float), np.asarray(y, float))[0, 1])


def _counts(gold: list[str], predicted: list[str], label: str) -> tuple[int, int, int]:
    """True positives, false positives, false negatives of one class."""
    tp = sum(g == label and p == label for g, p in zip(gold, predicted))
    fp = sum(g != label and p == label for g, p in zip(gold, predicted))
    fn = sum(g == label and p != label for g, p in zip(gold, predicted))
    return tp, fp, fn


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def macro_f1(gold: list[str], predicted: list[str], classes: tuple[str, ...]) -> float:
    """Macro-F1 over the gold classes (as sklearn's, zero_division=0). On 2-class data a 'neutral'
    prediction is simply wrong: a miss of the gold class and a hit for neither."""
    return sum(_prf(*_counts(gold, predicted, c))[2] for c in classes) / len(classes)


def paper_style_prf(ratings: list[float], predicted: list[str]) -> tuple[float, float, float]:
    """Precision, recall and F1 micro-averaged over the positive and negative classes only, gold
    from the raw mean with a ±0.05 band: our reading of the paper's "overall" figures, which it
    does not define; it reproduces them within about 0.03 (see EVALUATION.md)."""
    gold = ["positive" if r > 0.05 else "negative" if r < -0.05 else "neutral" for r in ratings]
    counts = [_counts(gold, predicted, label) for label in ("positive", "negative")]
    return _prf(*(sum(c[i] for c in counts) for i in range(3)))


def prf(gold: list[bool], predicted: list[bool]) -> tuple[float, float, float]:
    """Precision, recall and F1 of the positive class of a binary task."""
    return _prf(*_counts(["y" if g else "n" for g in gold], ["y" if p else "n" for p in predicted], "y"))
