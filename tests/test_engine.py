import json

import pytest

from qa import Engine, QAError
from qa.conversation import resolve_followup
from qa.errors import EmptyQuestionError, QuestionTooLongError
from qa.settings import Settings


def test_answer_citations_resolve_to_exact_sentences(engine):
    a = engine.ask("Why were the charges against Baldwin dismissed?")
    assert not a.abstained and a.citations
    for c in a.citations:
        assert engine.document_text(c.doc_id)[c.start:c.end] == c.quote
        assert f"[{c.number}]" in a.text
    assert set(a.timings) >= {"embed", "retrieve", "read", "cite", "total"}
    json.dumps(a.to_dict())


def test_short_answer_span_is_inside_the_cited_sentence(engine):
    a = engine.ask("Who are Baldwin's attorneys?")
    c = a.citations[0]
    assert c.start <= c.span_start < c.span_end <= c.end
    assert engine.document_text(c.doc_id)[c.span_start:c.span_end] == c.span_text == a.short_answer


def test_abstention_makes_no_claims_but_keeps_related_reading(engine):
    a = engine.ask("What is the capital of France?")
    assert a.abstained and not a.citations and a.text.startswith("The record does not say")
    assert a.passages


def test_threshold_override_changes_abstention(engine):
    assert engine.ask("What is the capital of France?", abstain_threshold=0.0).citations
    assert engine.ask("Who are Baldwin's attorneys?", abstain_threshold=1.01).abstained


@pytest.mark.parametrize("question, error", [("", EmptyQuestionError), ("  \n\t ", EmptyQuestionError),
                                             ("why " * 2000, QuestionTooLongError), (None, EmptyQuestionError)])
def test_bad_questions_raise_specific_errors(engine, question, error):
    with pytest.raises(error) as info:
        engine.ask(question)
    assert str(info.value)


def test_unknown_override_is_a_clear_error(engine):
    with pytest.raises(QAError, match="Per-question settings"):
        engine.ask("Who?", chunk_words=10)


def test_a_second_document_is_picked_up_and_cited(seed_corpus, tmp_path):
    engine = Engine(corpus_dir=seed_corpus, index_dir=tmp_path / "index")
    engine.ask("Who are Baldwin's attorneys?")
    (seed_corpus / "safety-report.txt").write_text(
        "Set Safety Report\n\nThe safety coordinator on the Rust set was Marcus Delaney. "
        "He resigned two weeks before the shooting, citing unpaid overtime.\n")
    engine._checked_at = 0  # skip the once-a-second throttle instead of sleeping
    a = engine.ask("Who was the safety coordinator on the Rust set?")
    assert not a.abstained
    assert a.citations[0].doc_id == "safety-report.txt" and "Marcus Delaney" in a.text


def test_add_and_remove_document_through_the_engine(engine):
    doc_id = engine.add_document("memo.md", b"# Memo\n\nThe unit production manager was Gabrielle Pickle.")
    assert doc_id in {d["doc_id"] for d in engine.documents()}
    with pytest.raises(QAError, match="already"):
        engine.add_document("memo.md", b"# Other")
    engine.remove_document(doc_id)
    assert doc_id not in {d["doc_id"] for d in engine.documents()}


@pytest.mark.parametrize("name", ["../../x.txt", "a/b.txt", ".env.txt", "x.exe", ""])
def test_upload_names_with_path_parts_or_bad_types_are_refused(engine, name):
    with pytest.raises(QAError):
        engine.add_document(name, b"Some text.")
    assert [d["doc_id"] for d in engine.documents()] == ["rust-case-baldwin-cleared.txt"]


def test_unreadable_upload_is_refused_and_nothing_is_written(engine, seed_corpus):
    with pytest.raises(QAError, match="binary"):
        engine.add_document("junk.txt", b"\x00\x01\x02")
    assert not (seed_corpus / "junk.txt").exists()


def test_followup_pronoun_becomes_the_person_named_before():
    history = [("Who was the film's armorer?",
                "While Baldwin’s charges have been dropped, Hannah Gutierrez Reed, the film’s armorer, was convicted.")]
    assert resolve_followup("What was she convicted of?", history) == "What was Hannah Gutierrez Reed convicted of?"
    assert resolve_followup("How long is her sentence?", history) == "How long is Hannah Gutierrez Reed's sentence?"
    assert resolve_followup("Who prosecuted Baldwin?", history) == "Who prosecuted Baldwin?"
    assert resolve_followup("And the judge?", [("Who was the armorer?", "x")]) == "Who was the judge?"


def test_followup_pronoun_becomes_one_person_when_the_answer_named_several():
    """The reader's short answer to "Who was appointed guardian ad litem?" was "Robert Warren (1), Viki Warren (2),
    appointing Theron Mullinax": "he" is the one named next to the question's word, not all three."""
    from qa.schema import Answer

    first = Answer(question="Who was appointed guardian ad litem?", abstained=False, citations=[],
                   text="ORDER granting 134 Motion guardian ad litem "
                   "as to Robert Warren (1), Viki Warren (2), appointing Theron Mullinax. [1]",
                   short_answer="Robert Warren (1), Viki Warren (2), appointing Theron Mullinax")
    assert resolve_followup("For whom was he appointed?", [first]) == "For whom was Theron Mullinax appointed?"
    one = Answer(question="Who was the film's armorer?", text="x", abstained=False, citations=[],
                 short_answer="Hannah Gutierrez Reed")
    assert resolve_followup("What was she convicted of?", [one]) == "What was Hannah Gutierrez Reed convicted of?"


def test_followup_pronoun_reaches_back_while_the_conversation_stays_on_the_person():
    who = ("Who is the special prosecutor in the case?", "The special prosecutor, Kari Morrissey, withdrew the appeal.")
    still_her = ("What did she withdraw?", "She withdrew the appeal.")
    moved_on = ("When was the trial?", "The trial was in July.")
    assert resolve_followup("What did she say?", [who, still_her]) == "What did Kari Morrissey say?"
    # Once a turn is about something else, "she" no longer means the earlier answer.
    assert "Kari Morrissey" not in resolve_followup("What did she say?", [who, moved_on])


def test_followup_naming_what_the_answer_spoke_of_keeps_the_previous_question_in_view():
    opposed = ("Who opposed the decision to drop the appeal?",
               "Hutchins’ family in Ukraine opposed the decision and is continuing a civil lawsuit.")
    assert resolve_followup("What is the family continuing?", [opposed]) == \
        "What is the family continuing? (Who opposed the decision to drop the appeal)"
    # a question about something the answer did not speak of stands alone
    assert resolve_followup("What is the capital of France?", [opposed]) == "What is the capital of France?"
    assert resolve_followup("Who was the armorer?", [opposed]) == "Who was the armorer?"


def test_followup_through_ask_uses_history(engine):
    first = engine.ask("Who was the film's armorer?")
    second = engine.ask("What was she convicted of?", history=[first])
    assert second.resolved_question and "Gutierrez Reed" in second.resolved_question
    assert "involuntary manslaughter" in second.text


def test_settings_come_from_environment_with_types():
    s = Settings.from_env({"QA_TOP_K": "9", "QA_ABSTAIN_THRESHOLD": "0.2", "QA_CORPUS_DIR": "/tmp/x"})
    assert s.top_k == 9 and s.abstain_threshold == 0.2 and str(s.corpus_dir) == "/tmp/x"
    with pytest.raises(QAError, match="Unknown setting"):
        Settings().replace(colour="blue")


def test_the_cli_prints_a_cited_answer_and_no_library_debug_lines(seed_corpus, tmp_path):
    """As a user runs it, in its own process, on a record it indexes first: bm25s sets its logger to DEBUG, and its
    "Building index from tokens" went out through the CLI's log handler on every build."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "qa", "ask", "--corpus-dir", str(seed_corpus), "--index-dir",
                           str(tmp_path / "index"), "Who was the film's armorer?"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Gutierrez Reed" in done.stdout and "[1]" in done.stdout
    assert "DEBUG" not in done.stderr + done.stdout, done.stderr
