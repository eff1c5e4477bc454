"""The reader's training data: the made-up unanswerable questions (swapped facts, negations, opposites)."""

from __future__ import annotations

import random

from bench.train_reader import Group, swapped_fact_groups


def group(question: str, sentences: list[str], target: int) -> Group:
    return Group(question, sentences, [""] * len(sentences), target, None, "squad")


def test_a_shared_year_or_name_is_swapped_for_another_candidates_and_nothing_answers():
    sentences = ["In 1977, Hayek was critical of the Lib-Lab pact.",
                 "In 1974, Friedman met the Chancellor in London.", "The pact ended."]
    g = group("What agreement did Hayek criticise in 1977?", sentences, 0)
    (swapped,) = swapped_fact_groups([g], 1, random.Random(0))
    # the year goes first: the only year the gold sentence shares, for the other candidate's
    assert swapped.question == "What agreement did Hayek criticise in 1974?"
    assert swapped.target == -1 and swapped.span is None and swapped.sentences == sentences
    assert swapped.source == "swapped-fact"


def test_names_are_swapped_when_no_year_is_shared():
    sentences = ["Karma Pakshi rejected the invitation of Kublai.", "Later, Drogön Phagpa accepted it."]
    (swapped,) = swapped_fact_groups([group("Whose invitation did Karma Pakshi reject?", sentences, 0)], 1,
                                     random.Random(0))
    assert swapped.question == "Whose invitation did Drogön Phagpa reject?"


def test_questions_without_a_shared_name_or_year_and_unanswerable_groups_are_left_out():
    sentences = ["Early maturing girls have more unwanted pregnancies.", "In 1990, Smith surveyed them."]
    plain = group("Do early or late maturing girls have more unwanted pregnancies?", sentences, 0)
    unanswerable = group("When did Smith survey them in 1990?", sentences, -1)
    assert swapped_fact_groups([plain, unanswerable], 5, random.Random(0)) == []


def test_a_question_the_record_answers_is_negated_or_turned_into_its_opposite():
    from bench.train_reader import negated_question, opposite_question

    gold = "The largest city, Lagos, was founded in 1472."
    assert negated_question("When was Lagos founded?", gold) == "When wasn't Lagos founded?"
    assert opposite_question("What is the largest city?", gold) == "What is the smallest city?"
    # the sentence must say what the question says, and not also its opposite
    assert opposite_question("What is the smallest city?", gold) is None
    assert opposite_question("What is the largest city?", "Lagos is the largest city, and Ife the smallest.") is None


def test_questions_that_already_negate_or_answer_a_negation_are_not_negated():
    from bench.train_reader import negated_question

    assert negated_question("Who was not invited?", "Smith was invited.") is None
    assert negated_question("Who was invited?", "Smith was not invited.") is None
    assert negated_question("Was Smith invited?", "Smith was invited.") is None  # no wh-word before it


def test_contradicted_questions_keep_the_candidates_and_nothing_answers():
    from bench.train_reader import contradicted_groups

    sentences = ["The first school opened in 1850.", "The town grew."]
    (made,) = contradicted_groups([group("When did the first school open?", sentences, 0)], 3, random.Random(0))
    assert made.question == "When did the last school open?"
    assert made.target == -1 and made.span is None and made.sentences == sentences and made.source == "contradicted"


def test_each_phase_goes_on_from_where_the_one_before_stopped_and_mixes_in_its_new_questions():
    from bench.train_reader import Phase, phase_dataset

    groups = [group(f"When was school {i} opened?", [f"School {i} opened in 1850.", "The town grew."], 0)
              for i in range(64)]
    schedule = (Phase(10), Phase(10, skip_steps=2), Phase(10, skip_steps=1, contradicted=4))
    first, second, third = (phase_dataset(schedule, k, groups, 8).groups for k in range(3))
    assert sorted(map(id, first)) == sorted(map(id, groups))
    assert second == first[2 * 8:]  # two steps of eight questions already trained on
    made = [g for g in third if g.source == "contradicted"]
    assert len(made) == 4 and all("wasn't" in g.question and g.target == -1 for g in made)
    assert sorted(id(g) for g in third if g.source == "squad") == sorted(map(id, second[8:]))


def test_a_phase_on_the_other_half_starts_afresh_on_its_questions_and_makes_its_negatives_from_them():
    from bench.train_reader import Phase, phase_dataset

    def groups(word, n):
        return [group(f"When was {word} {i} opened?", [f"The {word} {i} opened in 1850.", "The town grew."], 0)
                for i in range(n)]

    seen, other = groups("school", 32), groups("mill", 24)
    schedule = (Phase(10), Phase(10, squad_half=1, contradicted=4), Phase(10, squad_half=1, skip_steps=1))
    first, second, third = (phase_dataset(schedule, k, seen, 8, other).groups for k in range(3))
    assert sorted(map(id, first)) == sorted(map(id, seen))
    assert sorted(id(g) for g in second if g.source == "squad") == sorted(map(id, other))
    made = [g for g in second if g.source == "contradicted"]
    assert len(made) == 4 and all("mill" in g.question and "wasn't" in g.question for g in made)
    assert third == second[8:]  # a later phase on the same half goes on where that one stopped


def test_a_phase_can_start_from_the_shipped_weights_over_the_bundled_embeddings():
    from safetensors.torch import load_file
    from transformers import AutoModel

    from bench.train_reader import Phase, new_network
    from qa.reader_model import MODEL_DIR, WEIGHTS, bundled_encoder_path

    shipped = load_file(str(MODEL_DIR / WEIGHTS))
    bundled = AutoModel.from_pretrained(bundled_encoder_path()).state_dict()
    state = new_network(Phase(10, frozen_layers=0), from_shipped=True).state_dict()
    trained = [name for name in shipped if name.startswith("encoder.encoder.layer.5.")]
    assert trained and all((state[name] == shipped[name].float()).all() for name in trained)
    assert (state["score.weight"] == shipped["score.weight"].float()).all()
    name = "embeddings.word_embeddings.weight"  # frozen, so not shipped: the bundled model's
    assert "encoder." + name not in shipped and (state["encoder." + name] == bundled[name]).all()
    fresh = new_network(Phase(10, frozen_layers=0)).state_dict()
    assert not (fresh["score.weight"] == state["score.weight"]).all()
