"""Structure in citations: a court paper's case name from its caption, the section heading each paragraph is under,
and the label a citation shows ("United States v. Weekes, II. Discussion, p. 4"). Excerpts are pasted from the
First Circuit opinions in ../shared/data/court, so these run without them."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.documents import parse_document
from qa.schema import Citation, source_label
from qa.structure import Heading, SectionPath, case_name, parse_heading
from tests.conftest import assert_sentence_offsets
from tests.test_layout import HEADINGS


def parse(text: str, suffix: str = ".txt"):
    doc = parse_document(text.encode(), "record" + suffix, suffix)
    assert_sentence_offsets(doc)
    return doc


def section_of(doc, start: str) -> str | None:
    s = next(s for s in doc.sentences if s.text.startswith(start))
    return doc.section_of(s.paragraph)


# United States v. Weekes, Nos. 07-2209, 08-2308 (1st Cir. 2010), lines 1-20: the caption.
WEEKES_CAPTION = (
    '          United States Court of Appeals\n'
    '                        For the First Circuit\n'
    '\n'
    '\n'
    'Nos. 07-2209, 08-2308\n'
    '\n'
    '                    UNITED STATES OF AMERICA,\n'
    '\n'
    '                              Appellee,\n'
    '\n'
    '                                 v.\n'
    '\n'
    '                           JEROME WEEKES,\n'
    '\n'
    '                        Defendant, Appellant.\n'
    '\n'
    '\n'
    '          APPEAL FROM THE UNITED STATES DISTRICT COURT\n'
    '                FOR THE DISTRICT OF MASSACHUSETTS\n'
)

# United States v. Portalla, No. 92-1512 (1st Cir. 1993), lines 1-22: the date above the court, "UNITED STATES,"
# and a defendant with an alias over two lines.
PORTALLA_CAPTION = (
    'February 8, 1993\n'
    '\n'
    '               UNITED STATES COURT OF APPEALS\n'
    '                   FOR THE FIRST CIRCUIT\n'
    '                                        \n'
    '\n'
    'No. 92-1512\n'
    '\n'
    '                       UNITED STATES,\n'
    '\n'
    '                         Appellee,\n'
    '\n'
    '                             v.\n'
    '\n'
    '                 VINCENT M. PORTALLA, a/k/a\n'
    '                      VINCENT MARINO,\n'
    '\n'
    '                   Defendant, Appellant.\n'
    '\n'
    '                                        \n'
    '\n'
    '        APPEAL FROM THE UNITED STATES DISTRICT COURT\n'
)

# United States v. Beauchamp, No. 92-1944 (1st Cir. 1993), lines 1-108: an errata sheet, then the caption of the
# opinion it amends and the opinion's first part, in one file. (Layout needs this much of the page to see the
# errata heading as a centred line of its own.)
BEAUCHAMP_ERRATA = (
    'February 24, 1993 UNITED STATES COURT OF APPEALS\n'
    '                    FOR THE FIRST CIRCUIT\n'
    '                                         \n'
    '\n'
    'No. 92-1944\n'
    '\n'
    '                  UNITED STATES OF AMERICA,\n'
    '\n'
    '                          Appellee,\n'
    '\n'
    '                              v.\n'
    '\n'
    '                    MICHAEL W. BEAUCHAMP,\n'
    '\n'
    '                    Defendant, Appellant.\n'
    '\n'
    '                                         \n'
    '\n'
    '                         ERRATA SHEET\n'
    '\n'
    '   The  opinion of this Court  issued on February  16, 1993, is\n'
    'amended as follows:\n'
    '\n'
    '   On  page 16, last line of footnote 4, replace "mislead" with\n'
    '"misled".\n'
    '\n'
    'February 16, 1993 UNITED STATES COURT OF APPEALS\n'
    '                    FOR THE FIRST CIRCUIT\n'
    '                                         \n'
    '\n'
    'No. 92-1944\n'
    '\n'
    '                  UNITED STATES OF AMERICA,\n'
    '\n'
    '                          Appellee,\n'
    '\n'
    '                              v.\n'
    '\n'
    '                    MICHAEL W. BEAUCHAMP,\n'
    '\n'
    '                    Defendant, Appellant.\n'
    '\n'
    '                                         \n'
    '\n'
    '         APPEAL FROM THE UNITED STATES DISTRICT COURT\n'
    '\n'
    '               FOR THE DISTRICT OF RHODE ISLAND\n'
    '\n'
    '         [Hon. Ernest C. Torres, U.S. District Judge]\n'
    '                                                    \n'
    '                                         \n'
    '\n'
    '                            Before\n'
    '\n'
    '                     Breyer, Chief Judge,\n'
    '                                        \n'
    '\n'
    '         Campbell and Bownes, Senior Circuit Judges. \n'
    '                                                   \n'
    '\n'
    '                                         \n'
    '\n'
    'David L. Martin, by Appointment of the Court, for appellant.\n'
    '               \n'
    'Lawrence D.  Gaynor, Assistant United  States Attorney, with  whom\n'
    '                   \n'
    'Lincoln C. Almond, United States Attorney, was on brief for the United\n'
    '             \n'
    'States.\n'
    '\n'
    '                                         \n'
    '\n'
    '                      February 16, 1993\n'
    '                                          \n'
    '\n'
    '          CAMPBELL,        Senior        Circuit       Judge.\n'
    '                                                            \n'
    '\n'
    'Defendant/appellant,  Michael W. Beauchamp,  appeals from his\n'
    '\n'
    'conviction  in  the  United  States District  Court  for  the\n'
    '\n'
    'District of Rhode Island for uttering and publishing a forged\n'
    '\n'
    'United  States Treasury  check  and for  aiding and  abetting\n'
    '\n'
    'others  in uttering and publishing the  check in violation of\n'
    '\n'
    '18  U.S.C.   510(a)(2) and 2.  Defendant raises two arguments\n'
    '\n'
    'on appeal:  (1)  the district court abused its  discretion by\n'
    '\n'
    'refusing  to allow defendant  to present testimony impeaching\n'
    '\n'
    'the  credibility  of a  witness; and  (2) the  district court\n'
    '\n'
    'clearly erred  in concluding  that the offense  involved more\n'
    '\n'
    'than  minimal  planning   under  U.S.S.G.     2F1.1(b)(2)(A).\n'
    '\n'
    'Finding no error, we affirm.\n'
    '\n'
    '                              I.\n'
    '\n'
    '          On  December  4, 1991,  defendant was  indicted and\n'
    '\n'
    'charged with uttering and  publishing a forged treasury check\n'
    '\n'
)


# ---------------------------------------------------------------------------------------------- case names

@pytest.mark.parametrize("caption, expected", [
    (WEEKES_CAPTION, "United States v. Weekes"),
    (PORTALLA_CAPTION, "United States v. Portalla"),
    (BEAUCHAMP_ERRATA, "United States v. Beauchamp"),
])
def test_an_opinion_is_titled_by_the_short_case_name_of_its_caption(caption, expected):
    assert case_name(caption) == expected
    assert parse(caption).title == expected


@pytest.mark.parametrize("caption, expected", [
    ("JOHN DOE,\nPlaintiff,\nv.\nACME WIDGET CO., INC.,\nDefendant.", "Doe v. Acme Widget Co."),
    ("EDDY ROA-MEDINA, JR.,\n\nPetitioner,\n\nvs.\n\nUNITED STATES OF AMERICA,\n\nRespondent.",
     "Roa-Medina v. United States"),
    ("Jane Smith-Jones,\nPlaintiff-Appellant,\nversus\nCity of Boston,\nDefendant-Appellee.",
     "Smith-Jones v. City of Boston"),
])
def test_case_name_names_people_by_surname_and_organisations_in_full(caption, expected):
    assert case_name(caption) == expected


def test_text_without_a_caption_keeps_its_first_line_as_title():
    assert case_name("Minutes of the meeting\n\nThe board met on Monday. It adjourned.") is None
    # a "v." deep in the body is a quotation, not a caption
    body = "\n".join(f"Line {i} of the record." for i in range(80)) + "\nSMITH,\nv.\nJONES,\n"
    assert case_name(body) is None
    assert parse("Minutes of the meeting\n\nThe board met on Monday. It adjourned.").title == "Minutes of the meeting"


# ---------------------------------------------------------------------------------------------- sections

def test_paragraphs_carry_the_numbered_headings_they_are_under():
    doc = parse(HEADINGS)
    assert section_of(doc, "restitution in the amount") is None  # before the first heading
    assert section_of(doc, "II. Discussion") == "II. Discussion"
    assert section_of(doc, "Matos first argues") == "Part II.A.1"  # a bare "1." under "A. ..." under "II."
    assert len(doc.sections) == len(doc.paragraphs)


def test_section_path_nests_by_numbering_and_pops_at_a_sibling():
    path = SectionPath()
    for text, label in [("I. Background", "I. Background"), ("A. Facts", "I.A. Facts"),
                        ("B. Procedural History", "I.B. Procedural History"), ("II. Discussion", "II. Discussion"),
                        ("A. Severance", "II.A. Severance"),
                        ("1. Confrontation Clause Claim", "II.A.1. Confrontation Clause Claim"),
                        ("B. Brady", "II.B. Brady"), ("III.", "Part III")]:
        path.enter(parse_heading(text))
        assert path.label == label
    path.close()
    assert path.label is None


def test_letter_i_after_h_is_a_sub_heading_not_roman_one():
    path = SectionPath()
    for text in ("II. Discussion", "H. Venue", "I. Jury Instructions"):
        path.enter(parse_heading(text))
    assert path.label == "II.I. Jury Instructions"


def test_a_numbered_sentence_is_not_a_heading_title():
    assert parse_heading("B. A sentence of imprisonment that does not exceed 120 months.") is None
    assert parse_heading("B. More Than Minimal Planning") == Heading(2, "B", "More Than Minimal Planning")
    assert parse_heading("## Hearing") == Heading(2, "", "Hearing")


def test_an_errata_sheet_is_a_section_until_the_next_caption():
    doc = parse(BEAUCHAMP_ERRATA)
    assert section_of(doc, "The opinion of this Court issued") == "Errata sheet"
    assert section_of(doc, "On page 16") == "Errata sheet"
    assert section_of(doc, "MICHAEL W. BEAUCHAMP") is None  # the first caption, before the errata
    assert section_of(doc, "CAMPBELL, Senior Circuit Judge") is None  # the opinion's caption closed the errata
    assert section_of(doc, "On December 4, 1991") == "Part I"


def test_markdown_headings_are_sections():
    doc = parse("# The Hearing\n\nThe judge ruled.\n\n## Sentencing\n\nHe got ten years.", ".md")
    assert section_of(doc, "The judge ruled") == "The Hearing"
    assert section_of(doc, "He got ten years") == "Sentencing"


# ---------------------------------------------------------------------------------------------- labels

def test_label_names_title_section_and_page_or_pages():
    assert source_label("United States v. Weekes", "II. Background", 4) == "United States v. Weekes, II. Background, p. 4"
    assert source_label("United States v. Weekes", "II. Background", 3, 4) == \
        "United States v. Weekes, II. Background, pp. 3-4"
    assert source_label("Article", None, None, None, 2) == "Article, para. 3"
    assert source_label("Docket", "Docket entry 187 (2005-09-13)", None, None, 9) == \
        "Docket, Docket entry 187 (2005-09-13)"


def test_citation_label_falls_back_to_doc_id_and_answer_dict_carries_section_and_label():
    from qa import Answer

    c = Citation(number=1, doc_id="a.txt", title="", start=0, end=3, quote="abc", paragraph=0, page=2,
                 section="I. Facts")
    assert c.label == "a.txt, I. Facts, p. 2"
    d = Answer(question="q", text="abc [1]", abstained=False, citations=[c]).to_dict()["citations"][0]
    assert d["section"] == "I. Facts" and d["label"] == "a.txt, I. Facts, p. 2"


def test_command_line_cites_document_section_and_page():
    from qa import Answer
    from qa.cli import format_answer

    c = Citation(number=1, doc_id="weekes.txt", title="United States v. Weekes", start=10, end=50, quote="q" * 40,
                 paragraph=3, page=3, page_end=4, section="II. Background")
    out = format_answer(Answer(question="q", text="Weekes was convicted [1].", abstained=False, citations=[c]))
    assert "  [1] United States v. Weekes, II. Background, pp. 3-4 (weekes.txt, chars 10-50)" in out.splitlines()


COURT = Path(__file__).resolve().parents[2] / "shared" / "data" / "court"


@pytest.mark.skipif(not COURT.is_dir(), reason=f"the court records are not at {COURT} (shared data absent)")
def test_the_court_records_are_titled_by_their_captions_and_cite_their_sections():
    from qa.documents import list_corpus_files, load_document

    docs = {p.name: load_document(p, COURT) for p in list_corpus_files(COURT)}
    titles = {name: doc.title for name, doc in docs.items()}
    assert titles["150362_united-states-v-weekes.txt"] == "United States v. Weekes"
    assert titles["147682_united-states-v-roa-medina.txt"] == "United States v. Roa-Medina"
    assert titles["173473_united-states-v-davis.txt"] == "United States v. Donath"  # the caption, not the file name
    assert titles["pacer-docket-us-v-warren.txt"].startswith("United States v. Warren")
    assert all(t.startswith("United States v. ") for t in titles.values())
    celestin = docs["150632_united-states-v-celestin.txt"]
    confrontation = next(s for s in celestin.sentences if s.text.startswith("Against this backdrop, Celestin"))
    assert celestin.section_of(confrontation.paragraph) == "II.A.1. Confrontation Clause Claim"
    beauchamp = docs["194550_united-states-v-beauchamp.txt"]
    assert "Errata sheet" in beauchamp.sections


# ---------------------------------------------------------------------------------------------- caption roles

def test_caption_lines_are_given_what_they_are_and_the_body_nothing_but_its_disposition():
    from qa.structure import AUTHOR, DISPOSITION, ISSUED, PANEL, TRIAL_JUDGE

    doc = parse(BEAUCHAMP_ERRATA)
    roles = {doc.sentences[i].text: role for i, role in doc.roles.items()}
    assert roles == {
        "APPEAL FROM THE UNITED STATES DISTRICT COURT FOR THE DISTRICT OF RHODE ISLAND "
        "[Hon. Ernest C. Torres, U.S. District Judge]": TRIAL_JUDGE,
        "Breyer, Chief Judge, Campbell and Bownes, Senior Circuit Judges.": PANEL,
        "David L. Martin, by Appointment of the Court, for appellant.":
            "Counsel, the lawyers who represented and argued for the appellant, Beauchamp:",
        "Lawrence D. Gaynor, Assistant United States Attorney, with whom Lincoln C. Almond, United States Attorney, "
        "was on brief for the United States.": "Counsel, the lawyers who represented and argued for the government:",
        "February 16, 1993": ISSUED,
        "CAMPBELL, Senior Circuit Judge.": AUTHOR,
        "Finding no error, we affirm.": DISPOSITION,
        "MICHAEL W. BEAUCHAMP, Defendant, Appellant.": "A party to the case, the defendant and appellant:",
    }


@pytest.mark.skipif(not COURT.is_dir(), reason=f"the court records are not at {COURT} (shared data absent)")
def test_the_court_and_the_court_appealed_from_have_roles(tmp_path):
    """"Which court decided this appeal?" is answered by the heading over the caption, "Which district court did it
    come from?" by the lines under it; a role printed over several lines is answered with all of them."""
    import shutil

    from qa import Engine
    from qa.reading import role_lines
    from qa.structure import COURT as COURT_ROLE
    from qa.structure import LOWER_COURT, PANEL

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(COURT / "150187_united-states-v-matos.txt", corpus / "matos.txt")
    index = Engine(corpus_dir=corpus, index_dir=tmp_path / "index").index
    doc = index.documents["matos.txt"]
    texts = [s.text for s in index.sentences]
    role = {t: doc.roles.get(s.index) for t, s in zip(texts, index.sentences)}
    assert role["United States Court of Appeals"] == role["For the First Circuit"] == COURT_ROLE
    assert role["APPEAL FROM THE UNITED STATES DISTRICT COURT"] == role["FOR THE DISTRICT OF MASSACHUSETTS"] == \
        LOWER_COURT
    panel = [texts.index("Torruella, Circuit Judge,"), texts.index("Souter, Associate Justice, and Stahl, Circuit Judge.")]
    assert role["Torruella, Circuit Judge,"] == PANEL
    assert role_lines(index, panel[1]) == panel
    assert role_lines(index, texts.index("July 7, 2010")) == [texts.index("July 7, 2010")]


def test_only_a_captioned_paper_has_caption_roles(seed_corpus):
    from qa.documents import list_corpus_files, load_document
    from qa.structure import PANEL, caption_roles

    article = load_document(list_corpus_files(seed_corpus)[0], seed_corpus)
    assert article.roles == {}
    # without a byline the caption ends at its date line; without either there is no caption
    assert caption_roles(["No. 09-1161", "UNITED STATES,", "v.", "JOHN DOE,", "Before", "Lynch, Chief Judge,",
                          "Jane Roe for appellant.", "Argued March 3, 2010.", "He appeals."]) == {
        0: "The docket numbers:", 5: PANEL,
        6: "Counsel, the lawyers who represented and argued for the appellant:",  # no role line: who is it?
        7: "The date of the oral argument:"}
    assert caption_roles(["He appeals.", "We affirm."]) == {}


def test_a_disposition_is_this_courts_decision_in_the_present_tense():
    """"We affirm." answers "What was the outcome of the appeal?" only when it is read as the outcome; "we affirmed"
    and "was affirmed" tell of earlier decisions, and a long sentence that mentions reversing is an argument."""
    from qa.structure import DISPOSITION, disposition_roles

    decided = ["Affirmed.", "AFFIRMED.", "Reversed and remanded.", "Finding no error, we affirm.",
               "For the foregoing reasons, we vacate and remand for resentencing on the term of supervised release.",
               "The judgment of the district court is affirmed.", "For these reasons, defendant's appeal is dismissed.",
               "The conviction is reversed and the case remanded for the entry of a judgment of acquittal."]
    told = ["In Almenas, we affirmed a sentence under the ACCA.", "His conviction was affirmed on direct appeal.",
            "We do not reverse a finding of fact unless it is clearly erroneous.",
            "He argues that we should reverse because " + "the district court erred in many ways " * 6 + "."]
    assert disposition_roles(decided + told) == {i: DISPOSITION for i in range(len(decided))}
    # only a court paper's: in a news article "is dismissed" is reported, not decided
    assert disposition_roles(["The case is dismissed, his lawyers said."])
    assert not parse("The case is dismissed, his lawyers said. Baldwin is cleared.\n").roles


def test_an_unsigned_opinion_is_by_the_court():
    from qa.structure import AUTHOR, ISSUED, caption_roles

    roles = caption_roles(["No. 07-1964", "UNITED STATES OF AMERICA,", "v.", "MICHAEL CROOKER,", "June 18, 2010",
                           "Per Curiam.", "Michael Crooker was indicted, tried and convicted."])
    assert roles[4] == ISSUED and roles[5] == AUTHOR and 6 not in roles


@pytest.mark.skipif(not COURT.is_dir(), reason=f"the court records are not at {COURT} (shared data absent)")
def test_counsel_is_named_by_the_side_the_caption_gives_each_party():
    """"Who represented Celestin?" and "Who argued for the government?" name parties, a counsel line names a role
    ("for appellant.", "for appellee."): the caption says who is which, including a name that runs on a line
    (`VINCENT M. PORTALLA, a/k/a / VINCENT MARINO,`)."""
    from qa.documents import load_document
    from qa.structure import caption_parties

    def counsel_roles(name):
        doc = load_document(COURT / name, COURT)
        return {" ".join(doc.sentences[i].text.split()): role for i, role in doc.roles.items()
                if role.startswith("Counsel")}

    portalla = counsel_roles("194528_united-states-v-portalla.txt")
    assert caption_parties((COURT / "194528_united-states-v-portalla.txt").read_text()) == {
        "appellee": "United States", "defendant": "Portalla", "appellant": "Portalla"}
    assert sorted(portalla.values()) == [
        "Counsel, the lawyers who represented and argued for the appellant, Portalla:",
        "Counsel, the lawyers who represented and argued for the government:"]
    celestin = counsel_roles("150632_united-states-v-celestin.txt")
    assert celestin["Sejal H. Patel, with whom Shannon Frison and Frison Law Firm, P.C., were on brief for "
                    "appellant."] == "Counsel, the lawyers who represented and argued for the appellant, Celestin:"
    # an appellee that is not the government keeps its name; no caption, no parties
    assert caption_parties("SMITH,\nPlaintiff, Appellee,\nv.\nACME CORP.,\nDefendant, Appellant.\n") == {
        "plaintiff": "Smith", "appellee": "Smith", "defendant": "Acme Corp.", "appellant": "Acme Corp."}
    assert caption_parties("JONES,\nPlaintiffs-Appellees,\nv.\nSMITH,\nDefendant, Cross-Appellant.\n") == {
        "plaintiff": "Jones", "appellee": "Jones", "defendant": "Smith", "appellant": "Smith"}
    assert caption_parties("He appeals.\nWe affirm.\n") == {}


@pytest.mark.skipif(not COURT.is_dir(), reason=f"the court records are not at {COURT} (shared data absent)")
def test_each_party_is_named_with_its_role_lines(tmp_path):
    """"Who was the appellant?" shares nothing with "JAMES LAURENT,", and "Defendant, Appellant." says nothing of
    whom: both lines are read after the side's roles and answered together; before, the appellant's lawyer was
    cited. A name may run onto a second line after "a/k/a"; a date or docket number is never a party's name."""
    import shutil

    from qa import Engine
    from qa.documents import load_document
    from qa.structure import party_roles

    portalla = load_document(COURT / "194528_united-states-v-portalla.txt", COURT)
    parties = {portalla.sentences[i].text: role for i, role in portalla.roles.items() if role.startswith("A party")}
    assert parties == {"UNITED STATES,": "A party to the case, the appellee:",
                       "Appellee,": "A party to the case, the appellee:",
                       "VINCENT M. PORTALLA, a/k/a": "A party to the case, the defendant and appellant:",
                       "VINCENT MARINO,": "A party to the case, the defendant and appellant:",
                       "Defendant, Appellant.": "A party to the case, the defendant and appellant:"}
    assert party_roles(["No. 92-1944 UNITED STATES,", "Appellee,", "v.", "SMITH,", "Plaintiff."]) == {
        3: "A party to the case, the plaintiff:", 4: "A party to the case, the plaintiff:"}
    assert party_roles(["He appealed.", "We affirm."]) == {}

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(COURT / "148834_united-states-v-laurent.txt", corpus / "laurent.txt")
    answer = Engine(corpus_dir=corpus, index_dir=tmp_path / "index").ask("Who was the appellant?")
    assert [" ".join(c.quote.split()) for c in answer.citations] == ["JAMES LAURENT,", "Defendant, Appellant."]


def test_a_caption_line_is_read_and_found_by_its_role(tmp_path):
    """A bare byline or date line shares no word with the question about it: the reader reads it after its role,
    and retrieval finds it by the role's words."""
    from qa import Engine
    from qa.reading import sentence_context

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "beauchamp.txt").write_text(BEAUCHAMP_ERRATA, encoding="utf-8")
    engine = Engine(corpus_dir=corpus, index_dir=tmp_path / "index")
    doc = engine.index.documents["beauchamp.txt"]
    byline = next(s for s in doc.sentences if s.text == "CAMPBELL, Senior Circuit Judge.")
    assert sentence_context(doc, byline.index) == "The author of the opinion, the judge who wrote it:"
    author = engine.ask("Which judge wrote the opinion?")
    assert not author.abstained and "CAMPBELL, Senior Circuit Judge." in [" ".join(c.quote.split()) for c in author.citations]
    issued = engine.ask("On what date was the opinion issued?")
    assert not issued.abstained and "February 16, 1993" in [" ".join(c.quote.split()) for c in issued.citations]


@pytest.mark.parametrize("sentence,citation", [
    ("See Maryland v. Dyson, 527 U.S. 465, 467 (1999) (per curiam).", True),
    ("Id. at 407.", True),
    ("18 U.S.C. § 3582(c)(2).", True),
    ("United States v. Maldonado, No. 09-1626, 2010 WL 2898250, at *1 n.1 (1st Cir. July 26, 2010) (citing 18 U.S.C. "
     "§ 3553(f)(2)-(5)).", True),
    ("See Fed. R. Evid. 803(2).", True),
    # prose that cites, prose that names a case, prose without a citation
    ("But we rejected this argument in United States v. Moore, 286 F.3d 47, 49 (1st Cir. 2002), and see nothing in "
     "the Supreme Court's intervening decision.", False),
    ("The jury found Smith v. Jones persuasive in every respect here.", False),
    ("We affirm.", False),
    ("B. Procedural History", False),
])
def test_a_sentence_that_is_only_a_citation_is_recognised(sentence, citation):
    from qa.structure import is_citation

    assert is_citation(sentence) is citation
