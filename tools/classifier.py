"""Linear classifiers over the words of a message and the project's state: which intent, which
edit operation, which direction. Trained with scikit-learn's logistic regression on the
labelled corpus in tools/data/corpus (`make train`, tools/train_intents.py); here only the
inference, in numpy, from the weights shipped in tools/data/models/*.npz (so the router loads in
milliseconds and needs no scikit-learn).

Features: character 1-3-grams of the normalised text (Chinese needs no segmenter for these),
word 1-2-grams of its Latin words, digit classes, the project state, the state crossed with
the words and Chinese 2-grams (a bare "30 seconds" means a new length of a project, and nothing
without one), and the high-precision pattern reading of tools/intents.py as one more feature."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODELS = Path(__file__).resolve().parent / "data" / "models"
CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
FEATURE_VERSION = 2

_LATIN = re.compile(r"[a-z]+(?:'[a-z]+)?")
_CJK = re.compile(r"[\u3400-\u9fff]+")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")


def normalise(text: str) -> str:
    """Full-width forms folded (NFKC), lower case, whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).lower()).strip()


def features(text: str, state: str, extra: tuple[str, ...] = ()) -> list[str]:
    """The feature names of a message in a project state (plus any extra named features)."""
    norm = normalise(text)
    chars = f"^{_DIGITS.sub('0', norm)}$"
    out = [f"c{n}:{chars[i : i + n]}" for n in (1, 2, 3) for i in range(len(chars) - n + 1)]
    words = _LATIN.findall(norm)
    out += [f"w:{w}" for w in words]
    out += [f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    bigrams = [run[i : i + 2] for run in _CJK.findall(norm) for i in range(max(1, len(run) - 1))]
    out.append(f"s:{state}")
    out += [f"s{state}:{w}" for w in words] + [f"s{state}:{g}" for g in bigrams]
    if _DIGITS.search(norm):
        out.append("d:number")
    if len(norm) <= 6:
        out.append("len:short")
    return out + list(extra)


def intent_extra(rule_intent: str, rule_op: str | None, previous: str | None) -> tuple[str, ...]:
    """The intent model's features beyond the words: the pattern reading and the last intent."""
    return (
        (f"r:{rule_intent}",)
        + ((f"rop:{rule_op}",) if rule_op else ())
        + ((f"p:{previous}",) if previous else ())
    )


def operation_features(text: str, state: str, intent: str) -> list[str]:
    """The operation model's features: the message's, with its intent."""
    return features(text, state, (f"i:{intent}",))


def direction_features(text: str, state: str, op: str | None) -> list[str]:
    """The direction model's features: the message's, with its operation."""
    return features(text, state, (f"o:{op}",))


@dataclass(frozen=True)
class Model:
    """A trained linear model: its classes, feature index, weights and bias."""

    name: str
    classes: tuple[str, ...]
    index: dict[str, int]
    weights: np.ndarray
    bias: np.ndarray
    corpus_hash: str

    def scores(self, names: list[str]) -> np.ndarray:
        """Class probabilities for a bag of feature names (unknown names are ignored)."""
        rows = sorted({self.index[n] for n in names if n in self.index})
        logits = self.bias.astype(np.float64).copy()
        if rows:
            logits += self.weights[rows].astype(np.float64).sum(axis=0) / np.sqrt(len(rows))
        logits -= logits.max()
        p = np.exp(logits)
        return p / p.sum()

    def ranked(self, names: list[str]) -> list[tuple[str, float]]:
        """(class, probability), most probable first."""
        p = self.scores(names)
        order = np.argsort(-p)
        return [(self.classes[i], float(p[i])) for i in order]


def corpus_hash() -> str:
    """The hash of the labelled corpus and the feature version: a model trained on anything
    else is stale (a test checks the shipped models against it)."""
    digest = hashlib.sha256(f"features-{FEATURE_VERSION}".encode())
    for path in sorted(CORPUS.glob("*.jsonl")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=4)
def load(name: str) -> Model:
    """A shipped model by name ('intent', 'operation', 'direction')."""
    data = np.load(MODELS / f"{name}.npz", allow_pickle=False)
    names = [str(n) for n in data["features"]]
    return Model(
        name=name,
        classes=tuple(str(c) for c in data["classes"]),
        index={n: i for i, n in enumerate(names)},
        weights=data["weights"].astype(np.float32),
        bias=data["bias"].astype(np.float32),
        corpus_hash=str(data["corpus_hash"]),
    )
