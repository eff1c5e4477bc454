"""Dockets: each entry (date, number, docket text) is one paragraph, one sentence and one chunk, read with its date
and number first, and cited as "Docket entry 187 (2005-09-13)". Excerpts are pasted from the PACER docket of
United States v. Warren (../shared/data/court/pacer-docket-us-v-warren.txt); the last test reads the whole file
when it is there."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.chunking import chunk_sentences
from qa.docket import find_docket_entries
from qa.documents import load_document, parse_document
from qa.index import build_bm25
from qa.retrieval import bm25_scores
from qa.text import terms
from tests.conftest import assert_sentence_offsets

COURT = Path(__file__).resolve().parents[2] / "shared" / "data" / "court"
DOCKET_FILE = COURT / "pacer-docket-us-v-warren.txt"

# pacer-docket-us-v-warren.txt, lines 1-4, 21-26 and 124-126: the case header, parties, the first entries (one of
# them unnumbered) and the judgment.
WARREN = (
    'United States v. Warren \u2014 court ncwd docket 1:03-cr-00076\n'
    'Date filed: 2003-10-08  Date terminated: 2005-09-07  Assigned to: Martin Reidinger\n'
    '\n'
    'Party: Theron Mullinax (Petitioner)\n'
    'Party: Robert Warren (Defendant)\n'
    'Party: USA (Plaintiff)\n'
    '\n'
    '[2003-10-08] #1: MOTION by USA as to Sld Dft 1:03cr76-1, Sld Dft 1:03cr76-2, Sld Dft 1:03cr76-3, Sld Dft '
    '1:03cr76-4, Sld Dft 1:03cr76-5, Sld Dft 1:03cr76-6, Sld Dft 1:03cr76-7 to Seal referred to: Magistrate Judge '
    'Max O. Cogburn Jr. (siw) (Entered: 10/14/2003)\n'
    '[2003-10-08] #2: ORDER as to Sld Dft 1:03cr76-1, Sld Dft 1:03cr76-2, Sld Dft 1:03cr76-3, Sld Dft 1:03cr76-4, '
    'Sld Dft 1:03cr76-5, Sld Dft 1:03cr76-6, Sld Dft 1:03cr76-7 granting [1-1] motion to Seal as to Sld Dft '
    '1:03cr76-1 (1), Sld Dft 1:03cr76-2 (2), Sld Dft 1:03cr76-3 (3), Sld Dft 1:03cr76-4 (4), Sld Dft 1:03cr76-5 (5), '
    'Sld Dft 1:03cr76-6 (6), Sld Dft 1:03cr76-7 (7) ( Signed by Magistrate Judge Max O. Cogburn Jr. ) (siw) '
    '(Entered: 10/14/2003)\n'
    '[2003-10-08] #None: Arrest WARRANT issued as to Sld Dft 1:03cr76-1, Sld Dft 1:03cr76-2, Sld Dft 1:03cr76-4, '
    'Sld Dft 1:03cr76-5, Sld Dft 1:03cr76-6, Sld Dft 1:03cr76-7 (siw) (Entered: 10/14/2003)\n'
    '[2005-09-12] #182: RESPONSE to Motion by USA as to Robert Warren, Viki Warren, R & V Warren Farms, Inc., '
    'George T. Kiser, Demetrio Jaimes, Harold Dean Cole, Thomas Jeffrey Marsh re 179 MOTION for Leave to File '
    '(Taylor, Paul) (Entered: 09/12/2005)\n'
    '[2005-09-13] #187: JUDGMENT as to Robert Warren (1), Count(s) 1, 60 Mos. imprisonment on Ct. 1; 76 Mos. on '
    'Ct. 34, both to run concurrently; 3 Yrs. supervised release each ct., to run concurrently; pay $200 assessment; '
    'pay $9,150,603.00 restitution; Count(s) 10-20, 2-4, 21, 22, 23, 24, 25-29, 35-48, 49, 5, 6-8, 9, Dismissed on '
    'motion of the US Atty.; Count(s) 34, 60 Mos. imprisonment on Ct. 1; 76 Mos. on Ct. 34, both to run '
    'concurrently; 3 Yrs. supervised release; $200 assessment; $9,150,603.00 restitution . Signed by Judge Lacy '
    'Thornburg on 9/12/05. (Wilson, Sharon) (Entered: 09/14/2005)\n'
    '[2005-10-07] #195: AMENDED JUDGMENT as to counts dismissed only. Cts. 35-48, 49 dismissed on motion of the US '
    'Atty. Signed by Judge Lacy Thornburg on 10/7/05. (Wilson, Sharon) Modified on 10/31/2005 (Wilson, Sharon). '
    '(Entered: 10/07/2005)\n'
)

# The same entries as a PACER docket report prints them: a table of date filed, number and docket text, long
# texts wrapped onto indented lines, a header row above.
PACER_TABLE = (
    'Date Filed    #     Docket Text\n'
    '10/08/2003     1    MOTION by USA as to Sld Dft 1:03cr76-1 to Seal referred to: Magistrate\n'
    '                    Judge Max O. Cogburn Jr. (siw) (Entered: 10/14/2003)\n'
    '10/08/2003     2    ORDER granting [1-1] motion to Seal. (siw) (Entered: 10/14/2003)\n'
    '10/08/2003          Arrest WARRANT issued as to Sld Dft 1:03cr76-1. (siw)\n'
    '                    (Entered: 10/14/2003)\n'
    '09/12/2005   182    RESPONSE to Motion by USA as to Robert Warren filed\n'
    '                    09/12/2005 (Taylor, Paul) (Entered: 09/12/2005)\n'
    '09/13/2005   187    JUDGMENT as to Robert Warren (1), Count(s) 1, 60 Mos. imprisonment on\n'
    '                    Ct. 1; 76 Mos. on Ct. 34, both to run concurrently. Signed by Judge Lacy\n'
    '                    Thornburg on 9/12/05. (Wilson, Sharon) (Entered: 09/14/2005)\n'
    '10/07/2005   195    AMENDED JUDGMENT as to counts dismissed only. Cts. 35-48, 49 dismissed\n'
    '                    on motion of the US Atty. (Entered: 10/07/2005)\n'
)


def parse(text: str):
    doc = parse_document(text.encode(), "docket.txt", ".txt")
    assert_sentence_offsets(doc)
    return doc


def entry_sentences(doc, section: str):
    return [s for s in doc.sentences if doc.section_of(s.paragraph) == section]


def test_entries_are_found_with_date_number_and_entered_date():
    entries = find_docket_entries(WARREN)
    assert [e.number for e in entries] == ["1", "2", None, "182", "187", "195"]
    judgment = entries[4]
    assert (judgment.date, judgment.entered) == ("2005-09-13", "09/14/2005")
    assert WARREN[judgment.start:judgment.end].startswith("[2005-09-13] #187: JUDGMENT")
    assert WARREN[judgment.start:judgment.end].endswith("(Entered: 09/14/2005)")
    assert judgment.label == "Docket entry 187 (2005-09-13)"
    assert entries[2].label == "Docket entry of 2003-10-08"


@pytest.mark.parametrize("text", [WARREN, PACER_TABLE])
def test_each_entry_is_one_paragraph_one_sentence_and_one_chunk(text):
    doc = parse(text)
    entries = find_docket_entries(text)
    assert len(entries) == 6
    for e in entries:
        sentences = entry_sentences(doc, e.label)
        # one sentence, although the docket text has several full stops ("Mos.", "Atty.", "9/12/05.")
        assert len(sentences) == 1, [s.text for s in sentences]
        s = sentences[0]
        assert (s.start, s.end) == (e.start, e.end)
        assert s.text.startswith(e.date) or s.text.startswith(f"[{e.date}]")  # the reader sees the date first
        assert e.number is None or e.number in s.text.split()[1]
    # the rest (a table's header row, the parties) is read apart from the entries, never again with them
    for s in doc.sentences:
        assert all(s.end <= e.start or s.start >= e.end or (s.start, s.end) == (e.start, e.end) for e in entries), s
    chunks = chunk_sentences(doc, 0, 0, max_words=20)  # smaller than any entry: an entry is still one chunk
    entry_chunks = [c for c in chunks if doc.section_of(doc.sentences[c.sentence_ids[0]].paragraph) or ""]
    assert len(entry_chunks) == 6
    assert all(len(c.sentence_ids) == 1 for c in entry_chunks)


def test_a_wrapped_entry_is_read_as_one_line_and_quoted_as_printed():
    doc = parse(PACER_TABLE)
    (s,) = entry_sentences(doc, "Docket entry 187 (09/13/2005)")
    assert s.text == ("09/13/2005 187 JUDGMENT as to Robert Warren (1), Count(s) 1, 60 Mos. imprisonment on Ct. 1; "
                      "76 Mos. on Ct. 34, both to run concurrently. Signed by Judge Lacy Thornburg on 9/12/05. "
                      "(Wilson, Sharon) (Entered: 09/14/2005)")
    assert "\n                    Ct. 1" in doc.text[s.start:s.end]
    (unnumbered,) = entry_sentences(doc, "Docket entry of 10/08/2003")
    assert unnumbered.text.endswith("(siw) (Entered: 10/14/2003)")  # its wrapped line stays with it
    (response,) = entry_sentences(doc, "Docket entry 182 (09/12/2005)")
    assert response.text.endswith("filed 09/12/2005 (Taylor, Paul) (Entered: 09/12/2005)")  # a wrapped date: no row


def test_a_page_footer_between_the_lines_of_an_entry_stays_out_of_it():
    lines = PACER_TABLE.split("\n")
    at = next(i for i, ln in enumerate(lines) if "Ct. 1; 76 Mos." in ln)
    text = "\n".join(lines[:at] + ["                              Page 2 of 5"] + lines[at:])
    doc = parse(text)
    (s,) = entry_sentences(doc, "Docket entry 187 (09/13/2005)")
    assert "Page 2" not in s.text and "Page 2 of 5" in doc.text[s.start:s.end]
    assert s.text.endswith("(Wilson, Sharon) (Entered: 09/14/2005)")


def test_the_header_and_parties_stay_ordinary_paragraphs():
    doc = parse(WARREN)
    assert doc.title == "United States v. Warren \u2014 court ncwd docket 1:03-cr-00076"
    party = next(s for s in doc.sentences if s.text.startswith("Party: Robert Warren"))
    assert doc.section_of(party.paragraph) is None


def test_questions_about_an_entry_find_it_by_its_words_and_date():
    """Lexical retrieval over the entries alone: the judgment (or its amendment, also a judgment entered) comes
    first for a question about the judgment, and a question that gives a date finds the entry filed that day."""
    doc = parse(WARREN)
    bm25 = build_bm25([s.text for s in doc.sentences])
    for question, expected, depth in [("When was the judgment entered?", "[2005-09-13] #187", 2),
                                      ("What was the sentence on Count 34?", "[2005-09-13] #187", 1),
                                      ("Which counts were dismissed on 2005-10-07?", "[2005-10-07] #195", 1)]:
        scores = bm25_scores(bm25, terms(question))
        top = [doc.sentences[int(i)].text for i in scores.argsort()[::-1][:depth]]
        assert any(t.startswith(expected) for t in top), (question, [t[:40] for t in top])


def test_prose_with_a_few_dated_lines_is_not_a_docket():
    letter = ("Dear counsel,\n"
              "10/14/2003 was the day the indictment was unsealed.\n"
              "10/27/2003  the arraignment was held.\n"
              "We will write again.\n")
    assert find_docket_entries(letter) == []
    # dated lines without entry numbers (a diary, minutes) are not a docket either
    minutes = "".join(f"2003-10-{d:02d}: the committee met and adjourned.\n" for d in range(1, 20))
    assert find_docket_entries(minutes) == []


@pytest.mark.skipif(not DOCKET_FILE.is_file(), reason=f"the docket is not at {DOCKET_FILE} (shared data absent)")
def test_the_warren_docket_has_one_paragraph_per_entry():
    doc = load_document(DOCKET_FILE, COURT)
    assert_sentence_offsets(doc)
    entries = find_docket_entries(doc.text)
    assert len(entries) == sum(1 for line in doc.text.splitlines() if line.startswith("["))
    sections = [doc.section_of(p) for p in range(len(doc.paragraphs))]
    assert sum(1 for x in sections if x and x.startswith("Docket entry")) == len(entries)
    for e in entries:
        (s,) = [s for s in doc.sentences if e.start <= s.start < e.end]
        assert (s.start, s.end) == (e.start, e.end) and s.text.startswith(f"[{e.date}]")
    judgment = next(s for s in doc.sentences if doc.section_of(s.paragraph) == "Docket entry 187 (2005-09-13)")
    assert "76 Mos. on Ct. 34" in judgment.text


def test_a_question_in_words_the_docket_abbreviates_is_asked_with_the_abbreviation_too():
    """"Bureau of Prisons" of a docket that says "BOP": the question also says "BOP" where the record does, and only
    there; an abbreviation the record writes out is written out in the question."""
    from qa.questions import expand_abbreviations

    docket = {t for line in ("MOTION for Extension of Time to Report to BOP by Robert Warren.",
                             "ORDER granting Motion guardian ad litem appointing Theron Mullinax.") for t in terms(line)}

    def has(text):
        return all(t in docket for t in terms(text))

    assert expand_abbreviations("Did he get more time to report to the Bureau of Prisons?", has) == \
        "Did he get more time to report to the Bureau of Prisons (BOP)?"
    assert expand_abbreviations("Who was appointed GAL?", has) == "Who was appointed GAL (guardian ad litem)?"
    # the record already uses the question's form, or neither form: unchanged
    assert expand_abbreviations("When did BOP receive him?", has) == "When did BOP receive him?"
    assert expand_abbreviations("Did the FBI interview him?", has) == "Did the FBI interview him?"
    assert expand_abbreviations("Was the presentence report disclosed?", has) == "Was the presentence report disclosed?"


def test_an_entry_s_kind_is_the_filing_named_in_capitals_at_the_head_of_its_text():
    """Excerpts of the Warren docket: the filing an entry records, as the clerk names it; an entry whose text opens
    in ordinary case (the marshal's "Judgment Returned Executed") records none, and prose is no entry."""
    from qa.docket import entry_kind

    assert [entry_kind(s.text) for s in parse(WARREN).sentences if s.text.startswith("[")] == \
        ["motion", "order", None, "response", "judgment", "amended judgment"]
    assert [entry_kind(s.text) for s in parse(PACER_TABLE).sentences if s.text[:1].isdigit()] == \
        ["motion", "order", None, "response", "judgment", "amended judgment"]
    assert entry_kind("[2003-10-08] #3: SEALED INDICTMENT as to Sld Dft 1:03cr76-1 (1) count(s) 1") == \
        "sealed indictment"
    assert entry_kind("[2005-12-13] #214: Judgment Returned Executed as to Robert Warren on 11/22/05.") is None
    assert entry_kind("JUDGMENT was entered against him.") is None


def test_a_question_names_the_filing_an_entry_records_by_its_noun_and_what_follows_it():
    from qa.docket import named_filing

    judgment = "[2005-09-13] #187: JUDGMENT as to Robert Warren (1), Count(s) 1, 60 Mos."
    indictment = "[2003-10-08] #3: SEALED INDICTMENT as to Sld Dft 1:03cr76-1 (1) count(s) 1"
    notice = "[2005-08-11] #157: NOTICE of Filing of Clarification of Lis Pendens by USA"
    motion = "[2005-09-08] #None: MOTION to Unseal Document by USA as to Robert Warren"
    assert named_filing("When was the judgment entered?", judgment) == (1, True)
    assert named_filing("When was the judgment against Warren entered?", judgment) == (1, True)
    assert named_filing("When was the indictment filed?", indictment) == (1, False)  # "sealed" may go unsaid
    assert named_filing("When was the sealed indictment filed?", indictment) == (2, True)
    assert named_filing("When was the motion to unseal filed?", motion) == (1, True)
    # the question's filing goes on differently from the entry's: another filing
    assert named_filing("When was the notice of appeal filed?", notice) is None
    assert named_filing("When was the motion to suppress filed?", motion) is None
    assert named_filing("When was the indictment filed?", judgment) is None


def test_filing_questions_are_recognised():
    from qa.questions import analyse_question, asks_about_filing

    for question in ("When was the judgment entered?", "On what date was the plea agreement filed?",
                     "Who signed the judgment?", "When did the court enter judgment?", "Who filed the motion?"):
        assert asks_about_filing(analyse_question(question)), question
    for question in ("Was the motion granted?", "When was Warren sentenced?", "What did the judgment say?"):
        assert not asks_about_filing(analyse_question(question)), question


# The judgment, the marshal's return of it and the amended judgment: the return shares "judgment" and a date with
# the question, and is written the way the question is.
JUDGMENT_DOCKET = (
    'United States v. Ortega \u2014 docket 2:19-cr-00311\n\n'
    '[2019-03-04] #1: INDICTMENT as to Luis Ortega (1) count(s) 1-3. (jk) (Entered: 03/05/2019)\n'
    '[2019-03-11] #6: Arrest Warrant Returned Executed on 3/8/2019 as to Luis Ortega. (jk) (Entered: 03/11/2019)\n'
    '[2019-09-20] #41: PLEA AGREEMENT as to Luis Ortega. (jk) (Entered: 09/20/2019)\n'
    '[2020-01-15] #58: JUDGMENT as to Luis Ortega (1), Count 1, 46 months imprisonment; 3 years supervised release. '
    'Signed by Judge Ana Ruiz on 1/14/2020. (jk) (Entered: 01/15/2020)\n'
    '[2020-03-02] #63: Judgment Returned Executed as to Luis Ortega on 2/20/2020. When the judgment was executed '
    'the defendant was entered into the custody of the Bureau of Prisons. (jk) (Entered: 03/02/2020)\n'
    '[2020-04-01] #66: ORDER granting motion to seal exhibits. Signed by Judge Ana Ruiz. (jk) (Entered: 04/01/2020)\n'
)


@pytest.mark.parametrize("question", ["When was the judgment entered?", "On what date was the judgment entered?",
                                      "Who signed the judgment?"])
def test_a_filing_question_is_answered_with_the_entry_that_records_the_filing(tmp_path, question):
    """With one candidate read, the shortlist picks the marshal's return, which shares the question's words; the
    entry recording the judgment is read and chosen anyway. Without the rule these cite entry #63."""
    from qa import Engine

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "docket.txt").write_text(JUDGMENT_DOCKET)
    answer = Engine(corpus_dir=corpus, index_dir=tmp_path / "index").ask(question, reader_candidates=1,
                                                                         reader_second_look=0.0)
    assert not answer.abstained and "#58: JUDGMENT" in answer.citations[0].quote, answer.text
