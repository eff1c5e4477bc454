"""FairytaleQA stories as records: each story is one document (title line, then its sections separated by blank
lines), with its explicit questions (the answer is stated in the text, often in other words than the question's).
The train split trains the reader; the test split measures it (`python -m bench fairytale`)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from .squad_data import SHARED

FAIRYTALE = SHARED / "data" / "fairytaleqa" / "data-by-train-split"


@dataclass
class StoryQuestion:
    text: str
    section: tuple[int, int]  # character span of the section that answers it
    answer: str


@dataclass
class Story:
    title: str
    text: str
    questions: list[StoryQuestion] = field(default_factory=list)


def load_stories(split: str) -> list[Story]:
    stories = []
    for path in sorted((FAIRYTALE / "questions" / split).glob("*-questions.csv")):
        name = path.name[: -len("-questions.csv")]
        story_path = FAIRYTALE / "section-stories" / split / f"{name}-story.csv"
        if not story_path.exists():
            continue
        with open(story_path, newline="", encoding="utf-8") as f:
            sections = list(csv.DictReader(f))
        title = name.replace("-", " ").strip().capitalize()
        parts, spans = [title], {}
        offset = len(title) + 2
        for row in sections:
            body = " ".join(row["text"].split())
            spans[row["section"].strip()] = (offset, offset + len(body))
            parts.append(body)
            offset += len(body) + 2
        story = Story(title, "\n\n".join(parts))
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                section = row["cor_section"].split(",")[0].strip()
                answer = row["answer1"].strip()
                if row.get("ex-or-im1", "").strip() == "explicit" and section in spans and answer:
                    story.questions.append(StoryQuestion(row["question"], spans[section], answer))
        if story.questions:
            stories.append(story)
    return stories


def answer_coverage(answer: str, sentence: str) -> float:
    """Share of the written answer's terms that the sentence contains: 0.6 or more counts as stating it."""
    from qa.text import terms

    answer_terms = set(terms(answer))
    return len(answer_terms & set(terms(sentence))) / len(answer_terms) if answer_terms else 0.0
