"""Structure: what a citation names besides the page: the document's case name and the section a passage is in.

A court opinion opens with a caption (`UNITED STATES OF AMERICA, / Appellee, / v. / JEROME WEEKES, / Defendant,
Appellant.`); lawyers call it "United States v. Weekes", and that is the document's title here. Its sections are
numbered headings ("II. Discussion", "A. Severance", "1. Confrontation Clause Claim"), nested by their numbering:
`SectionPath` follows them in reading order and names the section of each paragraph ("II.A.1. Confrontation
Clause Claim"). A record file may hold more than one document (an errata sheet before the opinion it amends): a
line like "ERRATA SHEET" opens a part of its own, and a new caption's "No. 92-1944" closes whatever came before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The "v." between the parties of a caption, alone on its line.
_VERSUS = re.compile(r"v\.?|vs\.?|versus", re.I)
# A party's role under its name: "Appellee,", "Defendant, Appellant.", "Plaintiffs-Appellees,".
_ROLE = re.compile(r"(?:(?:cross-)?(?:plaintiffs?|defendants?|appellees?|appellants?|petitioners?|respondents?)"
                   r"[\s,;.\-]*(?:and\s+)?)+", re.I)
_CASE_NUMBER = re.compile(r"Nos?\.\s*\d[\d\-, ]*(?:and\s+\d[\d\-]*)?")
_UNITED_STATES = re.compile(r"(?:the\s+)?united\s+states(?:\s+of\s+america)?", re.I)
_ENTITY_WORDS = re.compile(r"\b(?:inc|corp|corporation|co|company|llc|ltd|lp|llp|bank|association|trust|"
                           r"county|city|state|commonwealth|department|board|commission|estate|partnership)\b\.?",
                           re.I)
_ALIAS = re.compile(r",|\ba/k/a\b|\baka\b|\bet\s+al\b|\bf/k/a\b|\bd/b/a\b", re.I)
_NAME_SUFFIXES = {"JR", "JR.", "SR", "SR.", "II", "III", "IV"}
# How far into a document its caption may be: a "v." line deep in the text is a quotation, not the caption.
_CAPTION_LINES = 60

# A numbered heading: "II.", "II. Discussion", "A. Severance", "1. Restitution", "a. The Statute".
_NUMBERED_HEADING = re.compile(r"(?P<num>[IVXLC]{1,7}|[A-Za-z]|\d{1,2})\.\s*(?P<title>.*)", re.S)
_MARKDOWN_HEADING = re.compile(r"(?P<hashes>#{1,6})\s+(?P<title>.*)", re.S)
# A heading that opens a separate part of the record held in the same file, in capitals on its own line.
_DOCUMENT_PART = re.compile(r"ERRATA(?: SHEET)?|DISSENT|CONCURRENCE|APPENDIX|ADDENDUM|"
                            r"(?:MEMORANDUM(?: AND)? )?(?:OPINION|ORDER)(?: AND ORDER)?|(?:ORDER OF )?JUDGMENT")


# ---------------------------------------------------------------------------------------------- case name

def case_name(text: str) -> str | None:
    """The short name of a case from the caption at the top of `text`: "United States v. Weekes" for
    `UNITED STATES OF AMERICA, ... v. ... JEROME WEEKES, Defendant, Appellant.`; None when there is no caption."""
    sides = caption_sides(text)
    return f"{_short_party(sides[0][0])} v. {_short_party(sides[1][0])}" if sides else None


def caption_sides(text: str) -> tuple[tuple[str, list[str]], tuple[str, list[str]]] | None:
    """The two sides of the caption at the top of `text`, each as (its first name line, its role words), for the
    first "v." line with a party on either side; None when there is none."""
    lines = [ln.strip() for ln in text.split("\n", _CAPTION_LINES)[:_CAPTION_LINES]]
    lines = [ln for ln in lines if ln]
    for i, ln in enumerate(lines):
        if _VERSUS.fullmatch(ln):
            above, below = _side_lines(lines, i, -1), _side_lines(lines, i, 1)
            if above and below:
                return tuple((next(lines[j] for j in side if not _ROLE.fullmatch(lines[j])),
                              [w for j in side for w in _role_words(lines[j])]) for side in (above, below))
    return None


def _short_party(name: str) -> str:
    """How a case name names a party: "United States"; an individual by surname ("EDDY ROA-MEDINA" ->
    "Roa-Medina", "VINCENT M. PORTALLA, a/k/a" -> "Portalla"); an organisation by its whole name."""
    name = _ALIAS.split(name, 1)[0].strip(" ,;")  # "CO." keeps its full stop
    if _UNITED_STATES.fullmatch(name):
        return "United States"
    if _ENTITY_WORDS.search(name):
        return _title_case(name)
    name = name.rstrip(".")
    words = [w for w in name.split() if w.upper().strip(",") not in _NAME_SUFFIXES]
    return _title_case(words[-1]) if words else _title_case(name)


def _title_case(s: str) -> str:
    """Capitalised words for a name printed in capitals; a name in mixed case is left as written."""
    if not s.isupper():
        return s
    return re.sub(r"[A-Z][A-Z']*", lambda m: m.group().capitalize(), s)


# ---------------------------------------------------------------------------------------------- sections

@dataclass(frozen=True)
class Heading:
    level: int  # 0 a part of the record (errata, dissent), 1 "I.", 2 "A.", 3 "1.", 4 "a."; Markdown: one per "#"
    number: str  # "II", "A", "1"; "" when unnumbered
    title: str  # "Discussion"; "" for a bare "II."


def parse_heading(reading_text: str) -> Heading | None:
    """The heading a heading block's reading text is, None when it is not one."""
    m = _MARKDOWN_HEADING.fullmatch(reading_text)
    if m:
        return Heading(len(m.group("hashes")), "", m.group("title").strip())
    m = _NUMBERED_HEADING.fullmatch(reading_text)
    if m:
        number, title = m.group("num"), m.group("title").strip()
        if title.endswith(".") and len(title.split()) > 8:
            return None  # a numbered sentence (a quoted guideline, a list item), not a heading's title
        return Heading(_numbering_level(number), number, title)
    return None


def part_heading(reading_text: str) -> Heading | None:
    """A line such as "ERRATA SHEET" or "DISSENT" that opens a part of its own, else None."""
    if _DOCUMENT_PART.fullmatch(reading_text):
        return Heading(0, "", reading_text.capitalize())
    return None


def _numbering_level(number: str) -> int:
    if number.isdigit():
        return 3
    if number.islower():
        return 4
    if len(number) > 1 or number in "IVX":  # "I." is Roman; see SectionPath.enter for "I." after "H."
        return 1
    return 2


@dataclass
class SectionPath:
    """The headings the reader is under, outermost first, as they are met in reading order."""

    headings: list[Heading] = field(default_factory=list)

    def enter(self, heading: Heading) -> None:
        level = heading.level
        previous = next((h for h in reversed(self.headings) if h.level == 2), None)
        if level == 1 and len(heading.number) == 1 and previous is not None \
                and len(previous.number) == 1 and ord(heading.number) == ord(previous.number) + 1:
            level = 2  # "I." after "H." is the ninth letter, not Roman one
            heading = Heading(2, heading.number, heading.title)
        while self.headings and self.headings[-1].level >= level:
            self.headings.pop()
        self.headings.append(heading)

    def close(self) -> None:
        """A new caption: what follows is another document, under no heading yet."""
        self.headings.clear()

    @property
    def label(self) -> str | None:
        """"II.A. Severance"; "Part I" for a heading without a title; None outside every heading."""
        if not self.headings:
            return None
        numbers = ".".join(h.number for h in self.headings if h.number)
        title = self.headings[-1].title
        if not title:
            return f"Part {numbers}" if numbers else None
        return f"{numbers}. {title}" if self.headings[-1].number and numbers else title


def starts_caption(reading_text: str) -> bool:
    """A case number alone ("No. 92-1944", "Nos. 07-2209, 08-2308"): the caption of another document begins."""
    return bool(_CASE_NUMBER.fullmatch(reading_text))


# ---------------------------------------------------------------------------------------------- caption roles

# What each line of an opinion's caption is, in words a question would use. The reader reads a caption line with
# its role as context ("The author of the opinion, the judge who wrote it:" before "SOUTER, Associate Justice."),
# and the role's words find it: a bare "July 9, 2010" shares nothing with "When was the opinion issued?".
# Role words that every caption line would share ("appeal", "court") are left out: they would pull the whole
# caption into the reader's shortlist for "How did the appeals court rule?".
AUTHOR = "The author of the opinion, the judge who wrote it:"
ISSUED = "The date the opinion was issued:"
ARGUED = "The date of the oral argument:"
COUNSEL = "Counsel, the lawyers who represented and argued for {party}:"
PANEL = "The panel of appeals judges who heard and decided the appeal:"
TRIAL_JUDGE = "The district court judge who presided over the trial:"
DOCKET = "The docket numbers:"
COURT = "The court of appeals, the appellate court that issued this opinion:"
LOWER_COURT = "The lower court the appeal came from:"
# Each side's name and role lines ("JAMES LAURENT," / "Defendant, Appellant."): "Who was the defendant?" shares
# nothing with a name in capitals, and the role line alone says nothing of whom.
PARTY = "A party to the case, the {roles}:"

# What the court decided, read and found by the words a question about the outcome uses: the disposition says
# "We affirm." or "Affirmed.", which shares nothing with "What was the outcome of the appeal?".
DISPOSITION = "The outcome of the appeal, what the court decided and how it ruled (affirm, reverse or vacate):"

# "SOUTER, Associate Justice.", "TORRUELLA, Circuit Judge.": the surname in capitals opens the opinion.
# An unsigned opinion opens with "Per Curiam." instead: the court as a whole wrote it.
_BYLINE = re.compile(r"[A-Z][A-Z'\-]+(?: [A-Z][A-Z'\-]+)*,(?: [A-Z][a-z]+\.?)* (?:Judge|Justice)\."
                     r"|(?:Per Curiam|PER CURIAM)\.")
_DATE_LINE = re.compile(r"(?P<what>(?:Argued|Heard|Submitted|Decided|Filed|Issued|Entered)(?: on)?:?\s+)?"
                        r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
                        r"\.? \d{1,2}, \d{4}\.?", re.I)
_COUNSEL = re.compile(r".*\bfor (?:the )?(?P<party>(?:cross-)?(?:appellants?|appellees?|defendants?|plaintiffs?|"
                      r"petitioners?|respondents?)|united states|government|amic(?:us|i)\b.*?)(?:[\s,-]+\w+)*\.?", re.I)
# "[Hon. Mark L. Wolf, U.S. District Judge]", alone or at the end of the "APPEAL FROM ..." lines it is printed under.
_TRIAL_JUDGE = re.compile(r"\[Hon(?:\.|orable) [^\]]*(?:Judge|Justice)\]")
# The heading above the caption ("United States Court of Appeals / For the First Circuit"), and the line under it
# naming the court appealed from ("APPEAL FROM THE UNITED STATES DISTRICT COURT / FOR THE DISTRICT OF MAINE").
_COURT_LINE = re.compile(r"(?:[a-z]+\.? \d{1,2}, \d{4} )?(?:(?:united states )?court of appeals"
                         r"(?: for the [\w.]+ circuit)?|(?:for )?the [\w.]+ circuit|"
                         r"supreme court(?: of the united states)?)", re.I)
_APPEAL_FROM = re.compile(r"(?:on )?appeals? from\b.*|for the (?:\w+ )*district of .*", re.I)


# "We affirm.", "For these reasons, we vacate and remand ...", "The judgment of the district court is affirmed.",
# "Affirmed.", "Reversed and remanded.": the present tense is this court's decision; "we affirmed" and "was
# affirmed" tell of earlier ones.
_DISPOSITION = re.compile(
    r"(?:.*\bwe\s+(?:(?:therefore|thus|accordingly|hereby|must|now|also|otherwise|respectfully)\s+)?"
    r"(?:affirm|reverse|vacate|remand|dismiss)\b"
    r"|.*\b(?:is|are)\s+(?:hereby\s+)?(?:affirmed|reversed|vacated|remanded|dismissed)\b"
    r"|(?:affirmed|reversed|vacated|remanded|dismissed)\b).*", re.I | re.S)
_DISPOSITION_MAX_WORDS = 45


def states_disposition(sentence: str) -> bool:
    """Whether the sentence states this court's decision: "We affirm.", "The judgment is vacated ..."."""
    return len(sentence.split()) <= _DISPOSITION_MAX_WORDS and bool(_DISPOSITION.fullmatch(sentence))


def disposition_roles(sentences: list[str]) -> dict[int, str]:
    """The sentences of an opinion that state its disposition, by index: `DISPOSITION` for each."""
    return {i: DISPOSITION for i, s in enumerate(sentences) if states_disposition(s)}


def caption_roles(sentences: list[str], parties: dict[str, str] | None = None) -> dict[int, str]:
    """The role of each caption line of an opinion, by sentence index: the lines before its byline ("SOUTER,
    Associate Justice.", which is the author's), or, without a byline, up to its date line. Nothing for a text
    without either near its top. A counsel line names its side by `parties` (`caption_parties`) where it can."""
    head = sentences[:_CAPTION_LINES * 2]
    end = next((i for i, s in enumerate(head) if _BYLINE.fullmatch(s)), None)
    roles: dict[int, str] = {}
    if end is not None:
        roles[end] = AUTHOR
    else:
        end = next((i + 1 for i, s in enumerate(head) if _DATE_LINE.fullmatch(s)), None)
        if end is None:
            return {}
    in_panel = False
    roles.update(party_roles(sentences[:end]))
    for i, s in enumerate(sentences[:end]):
        if i in roles:
            continue
        date = _DATE_LINE.fullmatch(s)
        if date:
            what = (date.group("what") or "").lower()
            roles[i] = ARGUED if what.startswith(("argued", "heard", "submitted")) else ISSUED
            in_panel = False
        elif counsel := _COUNSEL.fullmatch(s):
            roles[i] = COUNSEL.format(party=_party_represented(counsel.group("party"), parties or {}))
            in_panel = False
        elif s == "Before" or s.startswith("Before "):
            in_panel = True
            if s != "Before":
                roles[i] = PANEL
        elif in_panel:
            roles[i] = PANEL
        elif _TRIAL_JUDGE.search(s):
            roles[i] = TRIAL_JUDGE
        elif _CASE_NUMBER.fullmatch(s):
            roles[i] = DOCKET
        elif _APPEAL_FROM.fullmatch(s):
            roles[i] = LOWER_COURT
        elif _COURT_LINE.fullmatch(s):
            roles[i] = COURT
    return roles


def party_roles(caption: list[str]) -> dict[int, str]:
    """`PARTY` for the name and role lines on either side of the caption's first "v." line, by index, with the
    side's role words: "A party to the case, the defendant and appellant:". A side without role words gets none."""
    versus = next((i for i, s in enumerate(caption) if _VERSUS.fullmatch(s)), None)
    if versus is None:
        return {}
    roles: dict[int, str] = {}
    for side in (_side_lines(caption, versus, -1), _side_lines(caption, versus, 1)):
        words = [w for i in side for w in _role_words(caption[i])]
        if words:
            roles.update({i: PARTY.format(roles=" and ".join(words)) for i in side})
    return roles


# A party's name and roles printed on one line: "MICHAEL W. BEAUCHAMP, Defendant, Appellant."
_TRAILING_ROLE = re.compile(r",\s*(?P<roles>" + _ROLE.pattern + r")$", re.I)
# A name that runs onto the next line: "VINCENT M. PORTALLA, a/k/a" / "VINCENT MARINO,".
_RUNS_ON = re.compile(r"(?:\ba/k/a|\baka|\bf/k/a|\bd/b/a|\band|&)[\s,]*$", re.I)


def _role_words(line: str) -> list[str]:
    """["defendant", "appellant"] for "Defendant, Appellant." or "MICHAEL W. BEAUCHAMP, Defendant, Appellant."."""
    whole = _ROLE.fullmatch(line)
    trailing = None if whole else _TRAILING_ROLE.search(line)
    text = whole.group() if whole else trailing.group("roles") if trailing else ""
    return [w for w in re.findall(r"(?:cross-)?[a-z]+", text.lower()) if w != "and"]


def _side_lines(caption: list[str], versus: int, step: int) -> list[int]:
    """The lines of one side of a caption, read away from its "v." line: above it the role lines, then one name
    line; below it the name (onto a second line after "a/k/a"), then the role lines. A name is a line of words
    without digits: a date, a case number or a heading run into one line is not one."""
    def is_name(line: str) -> bool:
        return not _ROLE.fullmatch(line) and not re.search(r"\d", line) and len(line.split()) <= 12

    lines: list[int] = []
    i = versus + step
    if step < 0:
        while i >= 0 and _ROLE.fullmatch(caption[i]):
            lines.append(i)
            i -= 1
        return sorted(lines + [i]) if i >= 0 and is_name(caption[i]) else []
    if i >= len(caption) or not is_name(caption[i]):
        return []
    lines.append(i)
    if _RUNS_ON.search(caption[i]) and i + 1 < len(caption) and is_name(caption[i + 1]):
        i += 1
        lines.append(i)
    i += 1
    while i < len(caption) and _ROLE.fullmatch(caption[i]):
        lines.append(i)
        i += 1
    return lines


def caption_parties(text: str) -> dict[str, str]:
    """Each side of the caption at the top of `text` by its role words, named as the case name names the party:
    {"appellant": "Celestin", "defendant": "Celestin", "appellee": "United States"} for `UNITED STATES OF AMERICA,
    / Appellee, / v. / JUDE CELESTIN, / Defendant, Appellant.`; empty without a caption."""
    parties: dict[str, str] = {}
    for name, roles in caption_sides(text) or ():
        for role in roles:
            parties.setdefault(_role_key(role), _short_party(name))
    return parties


def _role_key(role: str) -> str:
    """"appellant" for "Appellants", "cross-appellant" and "cross-appellants": one key per side's role."""
    return role.lower().removeprefix("cross-").rstrip("s")


def _party_represented(party: str, parties: dict[str, str]) -> str:
    """"the government" for "United States", "the appellant, Celestin" for "appellants" when the caption names
    him: how a question names the side ("Who represented Celestin?")."""
    party = party.lower()
    if party in ("united states", "government"):
        return "the government"
    if party.startswith("amic"):
        return "an amicus curiae"
    name = parties.get(_role_key(party))
    if name == "United States":
        return "the government"
    return f"the {party.rstrip('s')}, {name}" if name else f"the {party.rstrip('s')}"


# ------------------------------------------------------------------------------------------- citations

# A reporter citation ("527 U.S. 465, 467", "286 F.3d 47", "129 S. Ct. 1710", "2010 WL 2898250"), a parenthetical
# ("(1st Cir. 2004)", "(per curiam)", "(quoting ...)"), a case name ("Maryland v. Dyson,"), a signal ("See", "Cf.",
# "Id.", "cert. denied"), a docket or section number: what a citation sentence is made of.
_REPORTER = (r"(?:U\.\s?S\.|F\.\s?(?:2d|3d|4th)?|F\.\s?Supp\.(?:\s?2d|\s?3d)?|F\.\s?App(?:'|’)x|S\.\s?Ct\.|"
             r"L\.\s?Ed\.(?:\s?2d)?|N\.E\.(?:2d|3d)?|A\.(?:2d|3d)|P\.(?:2d|3d)|So\.(?:\s?2d|\s?3d)?|S\.W\.(?:2d|3d)?|"
             r"N\.W\.(?:2d)?|Mass\.(?:\s?App\.\s?Ct\.)?|WL|B\.R\.|M\.J\.)")
_CITATION_PART = re.compile(
    r"\b\d{1,4}\s" + _REPORTER + r"\s(?:at\s)?\d{1,6}(?:[-–]\d+)?(?:,\s?\d{1,6}(?:[-–]\d+)?)*|"
    r"\([^()]{0,60}\d{4}\)|"
    r"\((?:per curiam|en banc|internal [^()]{0,60}|citations? omitted|emphasis [^()]{0,30}|quoting [^()]{0,120}|"
    r"citing [^()]{0,120}|alteration[^()]{0,40})\)|"
    r"(?-i:(?:[A-Z][\w.'’&-]*\s){0,6}v\.\s(?:[A-Z][\w.'’&-]*[\s,]){1,6})|"  # capitalised words only
    r"\b(?:see also|see|cf\.|e\.g\.|accord|id\.|ibid\.|cert\.\s(?:denied|granted)|aff'd|rev'd|supra|infra|at)\b|"
    r"\bNo\.\s?[\d-]+|§+\s?[\w.()-]+|\b\d+\b|[;,.:()\[\]*]", re.I)
# One of these makes it a citation: a reporter, "Id.", a section sign, a case name, the guidelines, a federal rule.
_CITATION_ANCHOR = re.compile(r"\b\d{1,4}\s" + _REPORTER + r"\s\d|\bId\.|§|\sv\.\s|\bU\.S\.S\.G\.|\bFed\. ?R\.", re.I)


def is_citation(sentence: str) -> bool:
    """Whether the sentence is a citation and nothing more ("See Maryland v. Dyson, 527 U.S. 465, 467 (1999) (per
    curiam).", "Id. at 407.", "18 U.S.C. § 3582(c)(2)."): at most three words besides its citations. An opinion
    backs each point with one; they are 8.6% of the sentences of the court files, and they answer no question but
    which authority or statute."""
    if not _CITATION_ANCHOR.search(" " + sentence):
        return False
    return len(re.findall(r"[A-Za-z]{2,}", _CITATION_PART.sub(" ", sentence))) <= 3
