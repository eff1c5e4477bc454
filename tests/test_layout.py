"""Layout recovery (issue 11): paragraphs, pages and footnotes of printed records, and exact offsets under them.

The excerpts are pasted from First Circuit opinions as CourtListener serves them as plain text (hard-wrapped,
double-spaced, a form feed at each page, `-N-` page numbers, footnotes at the foot of the page); whitespace,
form feeds and blank lines are kept as in the files. A last test reads the whole files when `../shared` is there.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from qa.chunking import chunk_sentences
from qa.citing import cite
from qa.documents import parse_document, split_sentences
from qa.layout import clean_text, recover_layout
from tests.conftest import SEED, assert_sentence_offsets

COURT = Path(__file__).resolve().parents[2] / "shared" / "data" / "court"


def parse(text: str, suffix: str = ".txt"):
    doc = parse_document(text.encode(), "record" + suffix, suffix)
    assert_sentence_offsets(doc)
    return doc


def sentence(doc, start: str):
    return next(s for s in doc.sentences if s.text.startswith(start))


def quote(doc, s) -> str:
    return doc.text[s.start:s.end]


# United States v. Roa-Medina, No. 08-2490 (1st Cir. 2010), lines 21-47: the end of the caption, single-spaced
# counsel, the date, a form feed, and the opinion's first lines, double-spaced and justified with runs of spaces.
OPENING = (
    '      [Hon. Joseph A. DiClerico, Jr., U.S. District Judge]\n'
    '\n'
    '\n'
    '                             Before\n'
    '\n'
    '                      Lynch, Chief Judge,\n'
    '               Lipez and Howard, Circuit Judges.\n'
    '\n'
    '\n'
    '\n'
    '     Seth R. Aframe, Assistant United States Attorney, with whom\n'
    'John P. Kacavas, United States Attorney, Michael J. Gunnison,\n'
    'Acting United States Attorney, and Aixa Maldonado-Quiñones,\n'
    'Assistant United States Attorney, were on brief, for appellee.\n'
    '     Chauncy B. Wood, Wood & Nathanson LLP, for appellant.\n'
    '\n'
    '\n'
    '                          June 2, 2010\n'
    '\x0c          LIPEZ, Circuit Judge.          The Sentencing Reform Act of 1984\n'
    '\n'
    '("Reform Act") authorizes the district courts to modify a term of\n'
    '\n'
    'imprisonment    for    a   defendant    who    was    sentenced   "based     on    a\n'
    '\n'
    'sentencing    range    that   has     subsequently     been   lowered   by    the\n'
    '\n'
    'Sentencing Commission."        18 U.S.C. § 3582(c)(2).            In this case,\n'
)

# Roa-Medina, lines 83-142: a sentence running over page 2's marker and form feed; footnote 1 referenced as
# "time.1" and printed at the foot of page 3; "Roa-" / "Medina" hyphenated across a line break.
PAGE_BREAK = (
    'offense punishable by a statutory minimum term of 120 months\n'
    '\n'
    'imprisonment.    See 21 U.S.C. §§ 841(a)(1), 841(b)(1)(A)(iii).                   At\n'
    '\n'
    '\n'
    '                                       -2-\n'
    '\x0cthe sentencing hearing, the district court determined that Roa-\n'
    '\n'
    'Medina was responsible for 213.46 grams of crack, a quantity that\n'
    '\n'
    'yielded a base offense level of 34 under the version of the\n'
    '\n'
    'Sentencing Guidelines Manual in effect at the time.1                 See U.S.\n'
    '\n'
    'Sentencing Guidelines Manual § 2D1.1(c)(3) (Mar. 2006).          The court\n'
    '\n'
    "then reduced the base offense level to 31 to reflect Roa-Medina's\n"
    '\n'
    'acceptance of responsibility; determined that Roa-Medina had a\n'
    '\n'
    'criminal history category of I; and calculated an unrestricted\n'
    '\n'
    'guidelines range (i.e., one not taking into account the statutory\n'
    '\n'
    'limitations) of 108 to 135 months imprisonment based on those\n'
    '\n'
    'values.    After accounting for the statutory minimum sentence, the\n'
    '\n'
    'district   court   determined   that    Roa-Medina   was     subject    to   a\n'
    '\n'
    'restricted guidelines range of 120 to 135 months.             It sentenced\n'
    '\n'
    'Roa-Medina    to   the   statutory     minimum   term   of     120     months\n'
    '\n'
    'imprisonment.\n'
    '\n'
    '           Roa-Medina subsequently agreed to assist the government\n'
    '\n'
    'by testifying in a related criminal case. The government moved for\n'
    '\n'
    'a reduction of his sentence pursuant to Federal Rule of Criminal\n'
    '\n'
    'Procedure 35(b).     The government recommended that the district\n'
    '\n'
    'court calculate the extent of the reduction by lowering Roa-\n'
    '\n'
    'Medina\'s offense level "from 31 to 26, which would result in a\n'
    '\n'
    '\n'
    '     1\n'
    '          The district court also held Roa-Medina responsible for\n'
    '18.43 grams of heroin, which required it to convert both drugs to\n'
    'their marijuana equivalents and then combine the two quantities.\n'
    'Because the quantity of heroin does not affect our analysis, we\n'
    'will refer solely to the quantity of cocaine base.\n'
    '\n'
    '                                  -3-\n'
    '\x0csentence range of 63 to 78 months," and reducing his sentence "from\n'
    '\n'
    '120 months to 72 months, a 40% reduction."                The district court\n'
)

# Roa-Medina, lines 269-301: footnote 2 goes on at the foot of page 6 without its number, between a sentence's
# halves.
CONTINUED_NOTE = (
    'then selecting a sentence within the resulting guidelines range of\n'
    '\n'
    '63 to 78 months.      If the amendment had been in effect when the\n'
    '\n'
    'government filed its Rule 35(b) motion, Roa-Medina argues, the\n'
    '\n'
    '\n'
    'Although the key eligibility language in the policy statement\n'
    'varies slightly from the statutory language, compare 18 U.S.C.\n'
    '§ 3582(c)(2) (referring to cases in which the defendant has been\n'
    '"sentenced to a term of imprisonment based on a sentencing range\n'
    'that has subsequently been lowered"), with USSG § 1B1.10(a)(1)\n'
    '(referring to cases in which the defendant "is serving a term of\n'
    'imprisonment, and the guideline range applicable to that defendant\n'
    'has subsequently been lowered"), we agree with the Tenth Circuit\n'
    'that, for all purposes relevant to this appeal, the two provisions\n'
    'are "identical" and "convey[] the same meaning." United States v.\n'
    'Darton, 595 F.3d 1191, 1194 (10th Cir. 2010) (quoting United States\n'
    'v. Dryden, 563 F.3d 1168, 1170-71 (10th Cir. 2009)).\n'
    '\n'
    '\n'
    '                                      -6-\n'
    '\x0cdistrict court would have started with an amended base offense\n'
    '\n'
    "level of 32 instead of 34.         After accounting for Roa-Medina's\n"
    '\n'
    'acceptance of responsibility and substantial assistance, the final\n'
    '\n'
    'offense level would have been 24 instead of 26, and the resulting\n'
    '\n'
    'guidelines range would have been significantly lower: 51 to 63\n'
    '\n'
    'months.\n'
)

# United States v. Matos, No. 09-1178 (1st Cir. 2010), lines 209-224: a centred heading, a heading wrapped onto a
# second line, and a numbered sub-heading.
HEADINGS = (
    'restitution in the amount of $350,000 to Equicredit Corporation\n'
    '\n'
    '(now Bank of America), and $8,331 to Onell Agueda.\n'
    '\n'
    '                             II. Discussion\n'
    '\n'
    'A. Legality of Sentencing Above the Relevant Statutory Maximum for\n'
    'the Wire Fraud Counts\n'
    '\n'
    '1.\n'
    '\n'
    '           Matos first argues that his concurrent sentences of 84\n'
    '\n'
    "months' imprisonment and four years of supervised release on the\n"
    '\n'
    'wire   fraud   counts   should   be   vacated    because    the   superseding\n'
)

# United States v. Portalla, No. 92-1512 (1st Cir. 1993), lines 41-68: an older conversion, with "&amp;", lines of
# spaces where underlines were, a page number alone on a centred line.
OLD_STYLE = (
    'Marielise  Kelly with  whom Edward R. Gargiulo,  by Appointment of\n'
    '                                             \n'
    'the  Court, and  Gargiulo,  Rudnick  &amp;  Gargiulo  were  on  brief  for\n'
    '                                           \n'
    'appellant.\n'
    'Carole  S. Schwartz,  Special  Assistant United  States  Attorney,\n'
    '                  \n'
    'with whom A. John Pappalardo, United States Attorney, was on brief for\n'
    '                       \n'
    'appellee.\n'
    '                                        \n'
    '\n'
    '                      February 8, 1993\n'
    '                                        \n'
    '\n'
    '                             1\n'
    '\n'
    '          BREYER,  Chief Judge.   Vincent M.  Portalla, also\n'
    '                              \n'
    '\n'
    'known  as Vincent  Marino, appeals  from  a decision  of the\n'
    '\n'
    'federal  district court  revoking  his  term of  "supervised\n'
    '\n'
    'release," (related to a  previous conviction for illegal gun\n'
    '\n'
    'possession)  and ordering  him to  return to  prison for  an\n'
    '\n'
)

# United States v. Beauchamp, No. 92-1944 (1st Cir. 1993), lines 300-350: footnote 1 numbered "1.  " under a rule
# of spaces, and a sentence that goes on after the page marker.
RULED_NOTE = (
    'persuasive.\n'
    '\n'
    '          It is well established that a party may not present\n'
    '\n'
    'extrinsic evidence to impeach a witness by contradiction on a\n'
    '\n'
    'collateral matter.1  E.g., United  States v. Pisari, 636 F.2d\n'
    '                                                   \n'
    '\n'
    '                    \n'
    '\n'
    "1.  The government  argues  that Mrs.  Amaral's testimony  is\n"
    'barred by Rule 608(b) of the Federal Rules of Evidence, which\n'
    'expressly precludes  the use of extrinsic  evidence solely to\n'
    "impeach a witness's credibility.  The rule states in relevant\n"
    'part:  "Specific instances  of the conduct of a  witness, for\n'
    "the  purpose  of   attacking  or   supporting  the   witness'\n"
    'credibility, other  than conviction  of crime as  provided in\n'
    'rule 609, may not be proved by extrinsic evidence."  Like the\n'
    'general rule barring the use of extrinsic evidence to impeach\n'
    'a witness  on a collateral matter  through contradiction, the\n'
    "purpose of Rule 608(b)'s prohibition of extrinsic evidence is\n"
    'to  avoid  holding mini-trials  on  irrelevant or  collateral\n'
    'matters.  E.g.,  United States v.  Ciampaglia, 628 F.2d  632,\n'
    '                                             \n'
    '641-42 (1st Cir.), cert. denied, 449 U.S. 956  (1980); United\n'
    '                                                             \n'
    'States  v. Martz, 964 F.2d 787, 789 (8th Cir.), cert. denied,\n'
    '                                                            \n'
    '61 U.S.L.W. 3435 (1992).  In the present context, however, it\n'
    "is difficult to conceptualize the actual location of Massey's\n"
    'residence as  being a  "specific instance of  conduct" within\n'
    'the  meaning of Rule 608(b).  See United States v. Tarantino,\n'
    '                                                            \n'
    '846  F.2d  1384,  1409  (D.C. Cir.)  (Rule  608(b)  addresses\n'
    'conduct indicative  of untruthfulness, such as fraudulent and\n'
    'dishonest  behavior),  cert.  denied,  488  U.S. 867  (1988);\n'
    '                                    \n'
    'United  States v. Opager, 589  F.2d 799, 801  (5th Cir. 1979)\n'
    '                        \n'
    '(same).   Like the district court, we think guidance is to be\n'
    'found in the more general rule as to collateral matters.\n'
    '\n'
    '                             -7-\n'
    '\n'
    '855, 859  (1st Cir. 1981);  1 McCormack on Evidence    45, at\n'
    '                                                   \n'
    '\n'
    '169  (4th ed.  1992).   Thus, it  is often  said that  when a\n'
    '\n'
    'witness testifies to a  collateral matter, the examiner "must\n'
)

# ---------------------------------------------------------------------------------------------- paragraphs

def test_double_spaced_lines_join_into_sentences_and_caption_lines_stay_apart():
    doc = parse("".join(OPENING))
    texts = [s.text for s in doc.sentences]
    for line in ("[Hon. Joseph A. DiClerico, Jr., U.S. District Judge]", "Before", "June 2, 2010",
                 "Chauncy B. Wood, Wood & Nathanson LLP, for appellant."):
        assert line in texts  # a centred caption line is a paragraph of its own
    counsel = sentence(doc, "Seth R. Aframe")
    assert counsel.text.endswith("Assistant United States Attorney, were on brief, for appellee.")
    opening = sentence(doc, "The Sentencing Reform Act of 1984")
    # the printed lines and the runs of spaces of justified text are gone from what is read ...
    assert opening.text == ('The Sentencing Reform Act of 1984 ("Reform Act") authorizes the district courts to modify a '
                            'term of imprisonment for a defendant who was sentenced "based on a sentencing range that has '
                            'subsequently been lowered by the Sentencing Commission."')
    # ... and kept in what is quoted
    assert "imprisonment    for    a   defendant" in quote(doc, opening)
    assert "18 U.S.C. § 3582(c)(2)." in texts
    assert sentence(doc, "LIPEZ").paragraph == opening.paragraph != counsel.paragraph


def test_indented_first_line_starts_a_paragraph_and_hyphenated_break_is_joined():
    doc = parse("".join(PAGE_BREAK))
    hearing = sentence(doc, "At the sentencing hearing")
    assert "Roa-Medina was responsible for 213.46 grams" in hearing.text
    assert "Roa-\n\nMedina" in quote(doc, hearing)
    assert sentence(doc, "Roa-Medina subsequently agreed").paragraph == hearing.paragraph + 1
    assert sentence(doc, "After accounting for").text == (
        "After accounting for the statutory minimum sentence, the district court determined that Roa-Medina was "
        "subject to a restricted guidelines range of 120 to 135 months.")


def test_headings_are_paragraphs_of_their_own_and_a_wrapped_heading_is_one():
    doc = parse("".join(HEADINGS))
    texts = [s.text for s in doc.sentences]
    assert "II. Discussion" in texts and "1." in texts
    assert "A. Legality of Sentencing Above the Relevant Statutory Maximum for the Wire Fraud Counts" in texts
    layout = recover_layout(doc.text)
    assert [b.kind for b in layout.blocks][1:4] == ["heading", "heading", "heading"]
    assert sentence(doc, "Matos first argues").paragraph == 4


def test_list_items_are_paragraphs():
    text = ("          The evidence on which the court relied amounts to the following:\n\n"
            "          (1)  Detective Wilson testified that he recognized\n"
            "          Marino's voice.\n\n"
            "          (2) About ten days later Wilson again called the\n"
            "          same number.\n")
    layout = recover_layout(text)
    assert [b.kind for b in layout.blocks] == ["paragraph", "list_item", "list_item"]
    doc = parse(text)
    assert [s.text for s in doc.sentences][1:] == ["(1) Detective Wilson testified that he recognized Marino's voice.",
                                                   "(2) About ten days later Wilson again called the same number."]


def test_markdown_wrapped_lines_join_and_headings_and_items_stay_apart():
    text = "# Hearing notes\n\nThe judge ruled on\nMonday. The jury\nleft early.\n\n- first item\n- second item\n"
    doc = parse(text, ".md")
    assert [s.text for s in doc.sentences] == ["Hearing notes", "The judge ruled on Monday.", "The jury left early.",
                                               "first item", "second item"]
    assert doc.title == "Hearing notes"


# ---------------------------------------------------------------------------------------------- pages

def test_page_markers_and_form_feeds_give_each_sentence_its_printed_page():
    doc = parse("".join(PAGE_BREAK))
    assert not any("-2-" in s.text or "-3-" in s.text for s in doc.sentences)
    assert sentence(doc, "See 21 U.S.C.").page == 2
    hearing = sentence(doc, "At the sentencing hearing")
    assert (hearing.page, hearing.page_end, hearing.pages) == (2, 3, (2, 3))  # runs over page 2's foot
    assert "-2-" in quote(doc, hearing)
    assert sentence(doc, "See U.S. Sentencing Guidelines Manual").page == 3


def test_page_markers_alone_number_pages_without_form_feeds():
    doc = parse("".join(PAGE_BREAK).replace("\f", ""))
    assert sentence(doc, "See 21 U.S.C.").page == 2
    assert sentence(doc, "It sentenced Roa-Medina").page == 3
    recommended = sentence(doc, "The government recommended")
    assert (recommended.page, recommended.page_end) == (3, 4)


def test_page_n_of_m_headers_and_running_headers_stay_out_of_sentences():
    said = ["The first witness described the\nevent in detail and then\nshe left the courtroom.\n",
            "The second witness was the\nofficer who had made the\narrest that night.\n",
            "The jury returned its verdict\nafter two days of\ndeliberation.\n"]
    pages = [f"Case 1:03-cr-00076   Document 12   Filed 10/14/03   Page {n} of 3\n{body}"
             for n, body in enumerate(said, 1)]
    doc = parse("\f".join(pages))
    assert [s.text for s in doc.sentences] == [" ".join(body.split()) for body in said]
    assert [s.page for s in doc.sentences] == [1, 2, 3]
    plain = parse("Page 1 of 2\nThe motion was filed on\nMonday and it was granted on\nFriday.\n"
                  "Page 2 of 2\nThe appeal was\ndismissed in May by the\ncourt.\n")
    assert [(s.text, s.page) for s in plain.sentences] == [
        ("The motion was filed on Monday and it was granted on Friday.", 1),
        ("The appeal was dismissed in May by the court.", 2)]


# ---------------------------------------------------------------------------------------------- footnotes

def test_footnote_text_is_its_own_paragraph_and_its_marks_leave_the_prose():
    doc = parse("".join(PAGE_BREAK))
    hearing = sentence(doc, "At the sentencing hearing")
    assert hearing.text.endswith("in effect at the time.")  # "time.1": the reference is dropped from the reading
    note = sentence(doc, "The district court also held Roa-Medina responsible for 18.43 grams of heroin")
    assert note.paragraph != hearing.paragraph and note.page == 3
    assert recover_layout(doc.text).blocks[note.paragraph].kind == "footnote"
    # a sentence interrupted by a footnote and a page break is one sentence, one citation, on two pages
    recommended = sentence(doc, "The government recommended")
    assert recommended.text.endswith('"from 31 to 26, which would result in a sentence range of 63 to 78 months," and '
                                     'reducing his sentence "from 120 months to 72 months, a 40% reduction."')
    assert (recommended.page, recommended.page_end) == (3, 4)
    assert "18.43 grams" in quote(doc, recommended) and "18.43 grams" not in recommended.text
    assert not any(s.text in ("1", "-3-") for s in doc.sentences)


def test_a_footnote_continued_on_the_next_page_is_kept_out_of_the_sentence_it_interrupts():
    doc = parse("".join(CONTINUED_NOTE))
    argues = sentence(doc, "If the amendment had been in effect")
    assert argues.text == ("If the amendment had been in effect when the government filed its Rule 35(b) motion, "
                           "Roa-Medina argues, the district court would have started with an amended base offense "
                           "level of 32 instead of 34.")
    assert (argues.page, argues.page_end) == (6, 7)
    note = sentence(doc, "Although the key eligibility language")
    assert note.paragraph != argues.paragraph
    assert sentence(doc, "United States v. Darton").text.endswith("(10th Cir. 2009)).")


def test_a_footnote_numbered_under_a_rule_of_spaces():
    doc = parse("".join(RULED_NOTE))
    matter = sentence(doc, "It is well established")
    assert matter.text.endswith("by contradiction on a collateral matter.")  # "matter.1"
    pisari = sentence(doc, "E.g., United States v. Pisari")
    assert pisari.text.startswith("E.g., United States v. Pisari, 636 F.2d 855, 859 (1st Cir. 1981);")
    assert (pisari.page, pisari.page_end) == (7, 8)
    note = sentence(doc, "The government argues that Mrs. Amaral's testimony")
    assert note.paragraph != matter.paragraph
    assert any("cert. denied, 449 U.S. 956 (1980)" in s.text for s in doc.sentences)


# ---------------------------------------------------------------------------------------------- plain text quirks

def test_html_entities_are_decoded_for_reading_and_quoted_as_written():
    doc = parse("".join(OLD_STYLE))
    counsel = sentence(doc, "Marielise Kelly")
    assert "Gargiulo, Rudnick & Gargiulo were on brief for appellant." in counsel.text
    assert "&amp;" in quote(doc, counsel)
    amp = counsel.text.index("&")
    assert doc.text.__getitem__(slice(*counsel.document_span(amp, amp + 1, doc.text))) == "&amp;"
    after = counsel.text.index("Gargiulo were")
    start, end = counsel.document_span(after, after + len("Gargiulo"))
    assert doc.text[start:end] == "Gargiulo"


def test_lines_of_spaces_and_a_centred_page_number_do_not_break_paragraphs():
    doc = parse("".join(OLD_STYLE))
    assert "1" not in [s.text for s in doc.sentences]
    marino = sentence(doc, "Vincent M. Portalla")
    assert marino.text.startswith("Vincent M. Portalla, also known as Vincent Marino, appeals from a decision of the "
                                  "federal district court revoking his term of \"supervised release,\"")


# ---------------------------------------------------------------------------------------------- sentences

@pytest.mark.parametrize("text, expected", [
    ("He pleaded guilty to using a firearm, 18 U.S.C. § 924(c)(1)(A),\nand to the drug count. The court imposed the"
     " minimum.", ["He pleaded guilty to using a firearm, 18 U.S.C. § 924(c)(1)(A), and to the drug count.",
                   "The court imposed the minimum."]),
    ("The rule is settled. Id. at 313-14. We see no reason\nto depart from it.",
     ["The rule is settled.", "Id. at 313-14.", "We see no reason to depart from it."]),
    ("See United States v. Caraballo, 552 F.3d 6, 8 (1st Cir. 2008). The amendment\nwas retroactive.",
     ["See United States v. Caraballo, 552 F.3d 6, 8 (1st Cir. 2008).", "The amendment was retroactive."]),
    ("The appeal, No. 08-2056, was argued in May. It was\nsubmitted on the briefs.",
     ["The appeal, No. 08-2056, was argued in May.", "It was submitted on the briefs."]),
    ("The Hon. David H. Souter, Associate Justice (Ret.) of the Supreme Court of the\nUnited States, sat by "
     "designation. He wrote for the court.",
     ["The Hon. David H. Souter, Associate Justice (Ret.) of the Supreme Court of the United States, sat by "
      "designation.", "He wrote for the court."]),
    ("The court applied U.S.S.G. § 2A2.4(b)(1)(B) to the assault. It added\nthree levels.",
     ["The court applied U.S.S.G. § 2A2.4(b)(1)(B) to the assault.", "It added three levels."]),
    ("USSG § 1B1.10 cmt. n.1(A). The district court properly denied Roa-Medina's\n§ 3582(c)(2) motion.",
     ["USSG § 1B1.10 cmt. n.1(A).", "The district court properly denied Roa-Medina's § 3582(c)(2) motion."]),
    ("United States v. Tarantino, 846 F.2d 1384, 1409 (D.C. Cir.), cert. denied, 488 U.S. 867\n(1988). See Fed. R."
     " Evid. 608(b).", ["United States v. Tarantino, 846 F.2d 1384, 1409 (D.C. Cir.), cert. denied, 488 U.S. 867 "
                        "(1988).", "See Fed. R. Evid. 608(b)."]),
    ("See United States v. Donnell, No. 02-\n37, 2008 WL 564647, at *1 n.1 (D. Me. Feb. 29, 2008). We agree.",
     ["See United States v. Donnell, No. 02-37, 2008 WL 564647, at *1 n.1 (D. Me. Feb. 29, 2008).", "We agree."]),
    ("See USSG app. C, amend. 706, 713. Generally speaking, the amendment\nlowered the levels.",
     ["See USSG app. C, amend. 706, 713.", "Generally speaking, the amendment lowered the levels."]),
    ('(1st Cir. 2008) ("[T]he Commission is without power to determine statutory minimums.").'
     " The argument\nfails.", ['(1st Cir. 2008) ("[T]he Commission is without power to determine statutory '
                               'minimums.").', "The argument fails."]),
    # Laurent: a citation, then a quotation opening the next sentence; the label before a quoted heading stays.
    ('cert. denied, 543 U.S. 1074 (2005). "Police may search\na vehicle incident to a recent occupant\'s arrest."',
     ["cert. denied, 543 U.S. 1074 (2005).", '"Police may search a vehicle incident to a recent occupant\'s arrest."']),
    ('A. "Based on a Sentencing Range"\n\nRoa-Medina argues.', ['A. "Based on a Sentencing Range"', "Roa-Medina argues."]),
])
def test_legal_abbreviations_and_citations_do_not_end_sentences(text, expected):
    doc = parse(text + "\nAnd a last line that goes on\nwithout a stop\n")
    assert [s.text for s in doc.sentences][:len(expected)] == expected


def test_split_sentences_keeps_exact_offsets_into_the_text_it_is_given():
    text = "Id. at 313-14. See Bruton v. United States, 391 U.S. 123 (1968). Next,\nhe argues."
    spans = split_sentences(text, 0, len(text))
    assert [text[a:b] for a, b in spans] == ["Id. at 313-14.", "See Bruton v. United States, 391 U.S. 123 (1968).",
                                             "Next,\nhe argues."]


# ---------------------------------------------------------------------------------------------- offsets, citing

def test_clean_text_maps_every_character_back_to_the_original():
    text = "The  court\n\nheld,  at   &amp; page\n-4-\n Roa-\nMedina   was there.1"
    a, b = text.index("held"), text.index("-4-")
    pieces = ((0, 10), (a, b - 1), (text.index("Roa"), len(text)))
    clean, offsets = clean_text(text, pieces, frozenset({"1"}))
    assert clean == "The court held, at & page Roa-Medina was there."
    for i, ch in enumerate(clean):
        if ch != " ":
            assert text[offsets.to_original(i)] == ch
    assert offsets.span(0, len(clean)) == (0, len(text) - 1)  # the footnote reference is not quoted


def test_citations_show_the_reading_text_and_quote_the_exact_slice():
    doc = parse("".join(PAGE_BREAK))
    sid = doc.sentences.index(sentence(doc, "After accounting for"))
    index = SimpleNamespace(sentences=doc.sentences, documents={doc.doc_id: doc})
    s = doc.sentences[sid]
    months = s.text.index("120 to 135 months")
    text, citations, short = cite([sid], index, {sid: 0.9}, {sid: (months, months + len("120 to 135 months"))})
    c = citations[0]
    assert text == s.text[:-1] + " [1]." and c.text == s.text
    assert c.quote == doc.text[c.start:c.end] and "district   court   determined" in c.quote
    assert short == "120 to 135 months" and doc.text[c.span_start:c.span_end] == "120 to 135 months"
    spanning = doc.sentences.index(sentence(doc, "The government recommended"))
    _, (c2,), _ = cite([spanning], index, {}, {})
    assert (c2.page, c2.page_end) == (3, 4) and c2.quote == doc.text[c2.start:c2.end]


def test_chunks_read_the_sentences_and_span_the_original():
    doc = parse("".join(PAGE_BREAK))
    for chunk in chunk_sentences(doc, 0, 0, max_words=60):
        members = [doc.sentences[i] for i in chunk.sentence_ids]
        assert chunk.text == " ".join(s.text for s in members)
        assert (chunk.start, chunk.end) == (members[0].start, members[-1].end)
        assert "-3-" not in chunk.text and "  " not in chunk.text


# ---------------------------------------------------------------------------------------------- regression, scale

# The seed record's sentences before layout recovery (commit e2e7054): (start, end, paragraph), one paragraph per line.
SEED_SENTENCES = [
    (0, 82, 0), (83, 200, 1), (201, 366, 1), (367, 501, 2), (502, 682, 2), (683, 833, 3), (834, 1015, 3),
    (1016, 1106, 4), (1107, 1265, 4), (1266, 1334, 5), (1335, 1541, 5), (1542, 1702, 6), (1703, 1855, 7),
    (1856, 1935, 7), (1936, 2100, 8), (2101, 2240, 9), (2241, 2359, 9)]
SEED_PARAGRAPHS = [(0, 82), (83, 366), (367, 682), (683, 1015), (1016, 1265), (1266, 1541), (1542, 1702),
                   (1703, 1935), (1936, 2100), (2101, 2359)]


def test_the_seed_record_ingests_to_the_same_sentences_and_paragraphs_as_before():
    doc = parse_document(SEED.read_bytes(), SEED.name, ".txt")
    assert [(s.start, s.end, s.paragraph) for s in doc.sentences] == SEED_SENTENCES
    assert doc.paragraphs == SEED_PARAGRAPHS
    assert all(s.text == doc.text[s.start:s.end] and not s.anchors and s.page is None for s in doc.sentences)
    assert [c.text for c in chunk_sentences(doc, 0, 0)] == [doc.text[a:b] for a, b in SEED_PARAGRAPHS]


def test_a_megabyte_of_printed_opinion_ingests_in_linear_time():
    one = "".join(PAGE_BREAK + CONTINUED_NOTE + HEADINGS + OLD_STYLE + RULED_NOTE)

    def seconds(n_chars):
        text = (one * (n_chars // len(one) + 1))[:n_chars]
        started = time.perf_counter()
        doc = parse_document(text.encode(), "big.txt", ".txt")
        return time.perf_counter() - started, doc

    small, _ = seconds(250_000)
    big, doc = seconds(1_000_000)
    assert big < 60 and big < 8 * small + 1.0, f"{small:.2f}s for 250 kB, {big:.2f}s for 1 MB"
    assert doc.sentences
    one = "word  "  # one paragraph of a megabyte, with a jump in its offset map at every word
    small, _ = seconds(250_000)
    big, doc = seconds(1_000_000)
    assert big < 60 and big < 8 * small + 1.0, f"{small:.2f}s for 250 kB, {big:.2f}s for 1 MB"


@pytest.mark.skipif(not COURT.is_dir(), reason=f"the court records are not at {COURT} (shared data absent)")
def test_the_court_records_ingest_with_exact_offsets_and_no_page_numbers_in_sentences():
    for path in sorted(COURT.glob("*.txt")):
        doc = parse_document(path.read_bytes(), path.name, ".txt")
        assert_sentence_offsets(doc)
        assert not [s.text for s in doc.sentences if s.text.strip("-").isdigit()], path.name
        if "docket" not in path.name:
            assert max(s.page_end or s.page or 0 for s in doc.sentences) >= 9, path.name
