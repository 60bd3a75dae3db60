"""The shape of a protocol file (`protocols/<id>.yaml`), checked by pydantic on load.

Protocols are data so that an organization can add or edit one without touching Python;
the schema is therefore strict (unknown keys are errors) and every limit Slack would enforce
later is enforced here first, where the author can still see which file and field is wrong.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from bot.i18n import gettext
from bot.protocols.translations import ENGLISH, LANGUAGE, Translation, overlay

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
STEP_ID = r"^[a-z0-9][a-z0-9_]{0,62}$"
# Slack caps a plain_text_input at 3,000 characters; a step cannot allow more than Slack can take.
SLACK_INPUT_MAX = 3000
# Slack caps a modal title at 24 characters.
MODAL_TITLE_MAX = 24
# Slack caps checkbox and radio groups at 10 options, selects at 100.
CHECKBOX_OPTIONS_MAX = 10
SELECT_OPTIONS_MAX = 100


class InputType(StrEnum):
    """How a step is answered; each maps to one Block Kit element (see bot/blocks)."""

    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    CHECKLIST = "checklist"
    RATING = "rating"
    DATE = "date"
    TIME = "time"
    USER = "user"


CHOICE_TYPES = {InputType.SINGLE_CHOICE, InputType.MULTI_CHOICE, InputType.CHECKLIST}
TEXT_TYPES = {InputType.SHORT_TEXT, InputType.LONG_TEXT}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    """Who developed what a protocol paraphrases: credit is part of the data, not a comment."""

    credit: Annotated[str, Field(min_length=1, max_length=300)]
    work: Annotated[str, Field(min_length=1, max_length=300)]
    url: str | None = None


class CyclePhase(StrEnum):
    """The coaching cycle's phases, in the seed's order; loosely sequential and overlapping."""

    OBSERVE_ASSESS = "observe_assess"
    THEORY_OF_ACTION = "theory_of_action"
    RELATIONSHIPS = "relationships"
    ENROLLMENT = "enrollment"
    INTERVENTIONS = "interventions"
    REFLECTION = "reflection"

    @property
    def label(self) -> str:
        """Translated when read, so the label is in the language of whoever it is shown to."""
        return gettext(PHASE_LABELS[self])


def N_(message: str) -> str:
    """Marks an English label for Babel's extractor; `CyclePhase.label` translates it at access."""
    return message


PHASE_LABELS = {
    CyclePhase.OBSERVE_ASSESS: N_("Observe and assess"),
    CyclePhase.THEORY_OF_ACTION: N_("Theory of action and goals"),
    CyclePhase.RELATIONSHIPS: N_("Relationships"),
    CyclePhase.ENROLLMENT: N_("Enrollment"),
    CyclePhase.INTERVENTIONS: N_("Interventions"),
    CyclePhase.REFLECTION: N_("Reflection"),
}


class Option(Strict):
    value: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,74}$")]
    label: Annotated[str, Field(min_length=1, max_length=75)]
    # For an item's status: this option means the item needs no more work.
    settled: bool = False


class Step(Strict):
    id: Annotated[str, Field(pattern=STEP_ID)]
    prompt: Annotated[str, Field(min_length=1, max_length=2000)]
    help: Annotated[str | None, Field(max_length=2000)] = None
    input: InputType
    required: bool = True
    max_length: Annotated[int, Field(ge=1, le=SLACK_INPUT_MAX)] = SLACK_INPUT_MAX
    placeholder: Annotated[str | None, Field(max_length=150)] = None
    options: tuple[Option, ...] = ()
    # The step is a checklist item's status (e.g. one enrollment agreement); clients show progress.
    item_status: bool = False

    @model_validator(mode="after")
    def _options_fit_input(self) -> Step:
        if self.input in CHOICE_TYPES:
            if len(self.options) < 2:
                raise ValueError(f"a {self.input.value} step needs at least two options")
            limit = SELECT_OPTIONS_MAX if self.input is InputType.SINGLE_CHOICE else CHECKBOX_OPTIONS_MAX
            if len(self.options) > limit:
                raise ValueError(f"a {self.input.value} step takes at most {limit} options")
            values = [o.value for o in self.options]
            if len(set(values)) != len(values):
                raise ValueError("option values must be unique within a step")
        elif self.options:
            raise ValueError(f"a {self.input.value} step takes no options")
        if self.item_status and self.input is not InputType.SINGLE_CHOICE:
            raise ValueError("an item_status step must be a single_choice")
        return self

    def label_for(self, value: str) -> str:
        """The label an option value stands for (the value itself if the protocol changed)."""
        for option in self.options:
            if option.value == value:
                return option.label
        return value


class Page(Strict):
    """One modal's worth of steps: a long protocol is split so that each page fits Slack."""

    id: Annotated[str, Field(pattern=STEP_ID)]
    title: Annotated[str, Field(min_length=1, max_length=150)]
    intro: Annotated[str | None, Field(max_length=3000)] = None
    steps: Annotated[tuple[Step, ...], Field(min_length=1, max_length=10)]


class GoalSteps(Strict):
    """Which steps of a protocol state a measurable goal; completing such a run stores the goal
    for the client it was about, ready for check-ins."""

    statement: str
    students: str | None = None
    measure: str | None = None
    baseline: str | None = None
    target: str | None = None
    due: str | None = None
    gap: str | None = None


class PresenterRole(StrEnum):
    """What the presenter does while a round's phase is open."""

    # The presenter answers (clarifying questions) or responds briefly.
    ANSWERS = "answers"
    # The presenter listens and takes notes; the bot reminds them, privately, to stay quiet.
    LISTENS = "listens"
    # The presenter speaks (reflects on what they heard); their replies are their reflection.
    SPEAKS = "speaks"


class Tag(Strict):
    """A kind of feedback a phase sorts replies into (warm / cool in a tuning round), chosen with
    a button or by starting the reply with the tag's word."""

    word: Annotated[str, Field(pattern=r"^[a-z][a-z-]{0,23}$")]
    label: Annotated[str, Field(min_length=1, max_length=40)]
    help: Annotated[str, Field(min_length=1, max_length=300)]


class PhaseSpec(Strict):
    """One stretch of a feedback round, run in the round's thread."""

    id: Annotated[str, Field(pattern=STEP_ID)]
    title: Annotated[str, Field(min_length=1, max_length=75)]
    # What belongs in this phase, announced in the thread when it opens.
    guide: Annotated[str, Field(min_length=1, max_length=1500)]
    # How long the phase lasts in a live round (minutes) and in an asynchronous one (hours).
    minutes: Annotated[int, Field(ge=1, le=120)]
    hours: Annotated[int, Field(ge=1, le=24 * 14)]
    presenter: PresenterRole = PresenterRole.ANSWERS
    tags: tuple[Tag, ...] = ()
    # The presenter restates the focus question at the end of this phase.
    restate_focus: bool = False
    # Replies here are feedback the presenter can pick to act on after the round.
    feedback: bool = False
    # Members who have not replied are reminded before the phase closes; off for a phase whose
    # work happens outside the thread (drafting feedback privately).
    remind: bool = True

    @model_validator(mode="after")
    def _tags_unique(self) -> PhaseSpec:
        words = [t.word for t in self.tags]
        if len(set(words)) != len(words):
            raise ValueError("tag words must be unique within a phase")
        if len(self.tags) == 1:
            raise ValueError("a phase takes no tags or at least two")
        return self


class RoundSpec(Strict):
    """How a collaborative feedback round runs: the framing page is the protocol's pages; the
    phases then run in a channel thread."""

    # The framing step that holds the focus question (shown first and asked to be restated).
    focus_step: str
    # An optional user step naming the presenter's client, so picks can become goals.
    client_step: str | None = None
    phases: Annotated[tuple[PhaseSpec, ...], Field(min_length=2, max_length=12)]

    @model_validator(mode="after")
    def _phase_ids_unique(self) -> RoundSpec:
        ids = [p.id for p in self.phases]
        if len(set(ids)) != len(ids):
            raise ValueError("phase ids must be unique")
        return self


class Protocol(Strict):
    id: Annotated[str, Field(pattern=SLUG)]
    version: Annotated[int, Field(ge=1)]
    title: Annotated[str, Field(min_length=1, max_length=MODAL_TITLE_MAX)]
    purpose: Annotated[str, Field(min_length=1, max_length=1000)]
    audience: Annotated[tuple[str, ...], Field(min_length=1)]
    lenses: tuple[str, ...] = ()
    minutes: Annotated[int, Field(ge=1, le=600)]
    sources: Annotated[tuple[Source, ...], Field(min_length=1)]
    pages: Annotated[tuple[Page, ...], Field(min_length=1)]
    summary: Annotated[str, Field(min_length=1)]
    # Where in the coaching cycle this protocol belongs.
    phase: CyclePhase | None = None
    goal: GoalSteps | None = None
    # One run per client, continued over several conversations (a checklist such as enrollment).
    one_per_client: bool = False
    # A collaborative feedback round (audience collaborative): the phases run in a thread.
    round: RoundSpec | None = None
    # The same text in other languages, by language then by stable id (see translations.py).
    translations: dict[Annotated[str, Field(pattern=LANGUAGE)], Translation] = {}

    # Translated copies already built, by language: built once, read on every render.
    _spoken: dict[str, Protocol] = PrivateAttr(default_factory=dict)
    # The language this object's text is in (a translated copy says which).
    _language: str = PrivateAttr(default=ENGLISH)

    @field_validator("audience")
    @classmethod
    def _known_audience(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(value) - {"coach", "leader", "collaborative"}
        if unknown:
            raise ValueError(f"unknown audience {sorted(unknown)}; use coach, leader or collaborative")
        return value

    @field_validator("translations")
    @classmethod
    def _not_english(cls, value: dict[str, Translation]) -> dict[str, Translation]:
        if ENGLISH in value:
            raise ValueError("English is the protocol's own text; translations hold other languages")
        return value

    @model_validator(mode="after")
    def _ids_unique(self) -> Protocol:
        page_ids = [p.id for p in self.pages]
        step_ids = [s.id for p in self.pages for s in p.steps]
        for kind, ids in (("page", page_ids), ("step", step_ids)):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"{kind} ids must be unique: {', '.join(dupes)}")
        if self.goal is not None:
            named = {k: v for k, v in self.goal.model_dump().items() if v is not None}
            unknown = sorted(f"{k}: {v}" for k, v in named.items() if v not in step_ids)
            if unknown:
                raise ValueError(f"goal names steps that do not exist: {', '.join(unknown)}")
            due = self.goal.due and self.step(self.goal.due)
            if due and due.input is not InputType.DATE:
                raise ValueError("the goal's due step must be a date step")
        self._check_round()
        return self

    def _check_round(self) -> None:
        if ("collaborative" in self.audience) != (self.round is not None):
            raise ValueError(
                "a collaborative protocol needs a round, and a round needs audience collaborative"
            )
        if self.round is None:
            return
        if len(self.pages) != 1:
            raise ValueError("a round is framed on one page")
        focus = self.step(self.round.focus_step)
        if focus is None or focus.input not in TEXT_TYPES:
            raise ValueError(f"round focus_step {self.round.focus_step!r} must be a text step")
        if self.round.client_step is not None:
            client = self.step(self.round.client_step)
            if client is None or client.input is not InputType.USER or client.required:
                raise ValueError("round client_step must be an optional user step")

    @property
    def key(self) -> tuple[str, int]:
        return (self.id, self.version)

    def __hash__(self) -> int:
        # Hashable as before it had translations (a dict): equal protocols share id and version.
        return hash(self.key)

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(step for page in self.pages for step in page.steps)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def page_index(self, page_id: str) -> int | None:
        return next((i for i, p in enumerate(self.pages) if p.id == page_id), None)

    def translated(self, language: str) -> Protocol:
        """This protocol with `language`'s text in place of the English, validated by this same
        schema (so a Spanish title longer than a modal's 24 characters fails like an English
        one would); fields the language lacks stay English. Raises ValidationError."""
        text = self.translations[language].model_dump(exclude_none=True)
        copy = Protocol.model_validate(overlay(self.model_dump(), text))
        copy._language = language
        return copy

    @property
    def language(self) -> str:
        """The language this protocol's text is shown in: what a run started from it records."""
        return self._language

    def in_language(self, language: str | None) -> Protocol:
        """What a reader of `language` sees: the translated copy, or this protocol itself for
        English or a language it has no text in. The catalog checked every copy at load."""
        if language not in self.translations:
            return self
        if language not in self._spoken:
            self._spoken[language] = self.translated(language)
        return self._spoken[language]
