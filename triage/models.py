"""Pydantic models of a case and of an assessment, and the answer domains of every case field.

The case fields are the contract of ``shared/case-format.md``: names and values are
stable. A yes/no field is ``True``, ``False`` or ``None`` (not asked / not known);
unknown is never "no".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field


class Urgency(StrEnum):
    """An urgency level. Members compare by urgency (``Urgency.SOON < Urgency.URGENT``), not as text.

    Iterating the class gives the levels from most to least urgent, as case-format.md lists
    them. A member equals its value (``Urgency.SOON == "soon"``), which is also how it is
    written in JSON.
    """

    EMERGENCY = "emergency"
    URGENT = "urgent"
    SOON = "soon"
    ROUTINE = "routine"
    SELF_CARE = "self_care"

    @property
    def rank(self) -> int:
        """0 for self-care up to 4 for emergency."""
        return _RANK[self]

    # Compared on every rule of every case: by rank, looked up directly (a member hashes as its value).
    def __lt__(self, other: object) -> bool:
        return _RANK[self] < _rank_of(other)

    def __le__(self, other: object) -> bool:
        return _RANK[self] <= _rank_of(other)

    def __gt__(self, other: object) -> bool:
        return _RANK[self] > _rank_of(other)

    def __ge__(self, other: object) -> bool:
        return _RANK[self] >= _rank_of(other)

    __hash__ = str.__hash__  # defining comparisons must not lose hashing (members are dict keys)


_RANK: dict[Urgency, int] = {level: rank for rank, level in enumerate(reversed(Urgency))}


def _rank_of(other: object) -> int:
    rank = _RANK.get(other) if isinstance(other, str) else None  # type: ignore[call-overload]
    return _RANK[Urgency(other)] if rank is None else rank  # type: ignore[arg-type]

YesNo = Optional[bool]


class Case(BaseModel):
    """One person's answers. Every answer is optional: a missing answer is unknown."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: Optional[str] = Field(None, description="case identifier")
    age: Optional[int] = Field(None, ge=0, le=120, description="age in years")
    sex: Optional[Literal["female", "male", "other"]] = Field(None, description="sex")
    region: Optional[Literal["lumbar", "cervical", "thoracic"]] = Field(
        None, description="where the main pain is: low back, neck or mid back"
    )
    duration_days: Optional[int] = Field(None, ge=0, description="how long this episode has lasted, in days")
    pain_score: Optional[int] = Field(None, ge=0, le=10, description="worst pain in the last 24 hours, 0 to 10")
    pain_trend: Optional[Literal["improving", "stable", "worsening"]] = Field(
        None, description="how the pain has changed over the last week"
    )
    night_pain: YesNo = Field(None, description="pain worse at night or when lying down, or it wakes you")
    pain_unrelieved_by_rest: YesNo = Field(None, description="rest does not ease the pain")
    otc_ineffective: YesNo = Field(None, description="over-the-counter painkillers do not ease it")
    pain_disrupts_sleep_and_life: YesNo = Field(None, description="the pain seriously disrupts sleep and daily life")
    leg_pain: Optional[Literal["none", "one_leg", "both_legs"]] = Field(
        None, description="pain spreading from the back or hips into the leg(s)"
    )
    arm_pain: Optional[Literal["none", "one_arm", "both_arms"]] = Field(
        None, description="pain spreading from the neck into the arm(s)"
    )
    symptoms_spreading: YesNo = Field(None, description="leg symptoms have spread from one leg to both")
    limb_numbness: YesNo = Field(None, description="numbness, tingling or altered feeling in arms, legs, feet or toes")
    weakness: Optional[Literal["none", "stable", "progressive"]] = Field(
        None, description="weakness of an arm or leg, and whether it is getting worse"
    )
    foot_drop: YesNo = Field(
        None, description="the foot slaps or catches when walking; cannot lift the front of the foot"
    )
    weakness_both_legs: YesNo = Field(None, description="weakness in both legs")
    saddle_numbness: YesNo = Field(
        None, description="numbness or altered feeling around the genitals, bottom (anus), buttocks or inner thighs"
    )
    bladder_change: YesNo = Field(
        None, description="new difficulty starting to pass urine, a weaker stream, or less feeling when passing urine"
    )
    urinary_retention: YesNo = Field(None, description="unable to pass urine, or not knowing when the bladder is full")
    urinary_incontinence: YesNo = Field(None, description="new leaking of urine or loss of bladder control")
    bowel_change: YesNo = Field(None, description="new loss of bowel control or of the feeling that the bowel is full")
    sexual_dysfunction: YesNo = Field(None, description="new loss of genital feeling or of erection/ejaculation")
    ces_symptoms_days: Optional[int] = Field(
        None, ge=0, description="days since the first bladder, bowel, saddle or sexual symptom began"
    )
    ces_symptoms_worsening: YesNo = Field(
        None, description="those bladder, bowel, saddle or sexual symptoms are getting worse"
    )
    hand_clumsiness: YesNo = Field(None, description="dropping things, difficulty with buttons or handwriting")
    gait_unsteady: YesNo = Field(None, description="unsteady or clumsy walking, or falls")
    gait_worsening: YesNo = Field(None, description="walking is getting worse over days to weeks")
    fever: YesNo = Field(None, description="temperature of 38 °C or more, chills or sweats with the pain")
    iv_drug_use: YesNo = Field(None, description="injects drugs, now or recently")
    immunosuppressed: YesNo = Field(
        None, description="immunosuppressive drugs, chemotherapy, HIV, a transplant or similar"
    )
    recent_infection: YesNo = Field(
        None, description="a bacterial infection in the last 3 months (urine, skin, blood, other)"
    )
    recent_spinal_procedure: YesNo = Field(
        None, description="spinal surgery, injection or epidural in the last 3 months"
    )
    cancer_history: YesNo = Field(None, description="cancer now or in the past")
    unexplained_weight_loss: YesNo = Field(None, description="weight loss without trying")
    significant_trauma: YesNo = Field(
        None, description="a fall from height, road accident or similar impact before the pain began"
    )
    minor_trauma: YesNo = Field(None, description="a minor fall or strain before the pain began")
    osteoporosis: YesNo = Field(None, description="known osteoporosis (thin bones)")
    long_term_steroids: YesNo = Field(None, description="steroid tablets (corticosteroids) for 3 months or more")
    dysphagia: YesNo = Field(None, description="difficulty swallowing")
    breathing_difficulty: YesNo = Field(None, description="shortness of breath or difficulty taking a deep breath")
    occipital_headache: YesNo = Field(None, description="headache at the back of the head")
    torticollis: YesNo = Field(None, description="neck held twisted or tilted, painful to straighten")
    claudication: YesNo = Field(None, description="leg pain after walking a distance, eased by rest or bending forward")
    exercise_flare: YesNo = Field(None, description="symptoms flare during or after exercise")
    conservative_care_weeks: Optional[int] = Field(
        None, ge=0,
        description="weeks of treatment without surgery for this episode (rest, physiotherapy, traction, medication)",
    )
    conservative_care_response: Optional[Literal["improved", "no_change", "worse"]] = Field(
        None, description="how the symptoms responded to that treatment"
    )
    known_disc_calcification: YesNo = Field(None, description="a scan has shown a calcified disc")
    prior_spine_surgery: YesNo = Field(None, description="previous spine surgery")
    metabolic_condition: YesNo = Field(
        None,
        description=(
            "hyperparathyroidism, chronic kidney disease, haemochromatosis, alkaptonuria, "
            "or another disorder of calcium or mineral metabolism"
        ),
    )
    # Fields added for batch evaluation and golden tests; no rule reads them.
    description: Optional[str] = Field(None, description="free-text note about the case (not read by any rule)")
    expected_urgency: Optional[Urgency] = Field(
        None, strict=False, description="expected urgency, for evaluation runs"
    )
    expected_surgical: Optional[bool] = Field(
        None, description="expected surgical-consultation flag, for evaluation runs"
    )
    expected_rules: Optional[list[str]] = Field(None, description="expected fired rule ids, for golden tests")
    expected_complete: Optional[bool] = Field(None, description="expected completeness flag, for golden tests")
    expected_unanswered: Optional[list[str]] = Field(
        None, description="expected unanswered questions that could change the level, in order, for golden tests"
    )

    def answers(self) -> dict[str, object]:
        """The known clinical answers as a plain dict (unknown answers and metadata left out)."""
        return {name: value for name in ANSWER_FIELDS if (value := getattr(self, name)) is not None}


@dataclass(frozen=True)
class FieldDomain:
    """What a case field can hold, as rules and the completeness test see it."""

    name: str
    kind: Literal["yes_no", "choice", "integer", "text"]
    choices: tuple[str, ...] = ()  # for "choice": least to most severe
    minimum: Optional[int] = None
    maximum: Optional[int] = None
    description: str = ""


#: Fields that are metadata about a case, not answers about the person.
METADATA_FIELDS = frozenset({
    "id", "description", "expected_urgency", "expected_surgical", "expected_rules", "expected_complete",
    "expected_unanswered",
})

#: Choice fields whose values are listed least to most severe (clinical-criteria.md, safety property 1).
SEVERITY_ORDER: dict[str, tuple[str, ...]] = {
    "weakness": ("none", "stable", "progressive"),
    "leg_pain": ("none", "one_leg", "both_legs"),
    "arm_pain": ("none", "one_arm", "both_arms"),
    "pain_trend": ("improving", "stable", "worsening"),
    "conservative_care_response": ("improved", "no_change", "worse"),
}


#: Number fields where a larger answer is more severe, with the value the worst-case completion
#: gives them when unanswered (their least severe answer is their minimum). ``age`` and
#: ``ces_symptoms_days`` are not ordered by severity (a child and someone of 70 are each at risk
#: of something else; a new and a long-standing cauda equina symptom lead to E1 and U5), so the
#: completeness test tries each of their answers that the rules tell apart instead.
SEVERE_INTEGER_FILL: dict[str, int] = {"pain_score": 10, "duration_days": 365, "conservative_care_weeks": 52}


def most_severe(name: str) -> Any:
    """The most severe answer to a case field, or None when its answers are not ordered by severity."""
    domain = DOMAINS[name]
    if domain.kind == "yes_no":
        return True
    if name in SEVERITY_ORDER:
        return SEVERITY_ORDER[name][-1]
    return SEVERE_INTEGER_FILL.get(name)


def least_severe(name: str) -> Any:
    """The least severe answer to a case field, or None when its answers are not ordered by severity."""
    domain = DOMAINS[name]
    if domain.kind == "yes_no":
        return False
    if name in SEVERITY_ORDER:
        return SEVERITY_ORDER[name][0]
    return (domain.minimum or 0) if name in SEVERE_INTEGER_FILL else None


def _domain(name: str) -> FieldDomain:
    info = Case.model_fields[name]
    annotation = info.annotation
    description = info.description or ""
    minimum = next((m.ge for m in info.metadata if hasattr(m, "ge")), None)
    maximum = next((m.le for m in info.metadata if hasattr(m, "le")), None)
    args = getattr(annotation, "__args__", ())
    inner = next((a for a in args if a is not type(None)), annotation)
    if inner is bool:
        return FieldDomain(name, "yes_no", description=description)
    if inner is int:
        return FieldDomain(name, "integer", minimum=minimum, maximum=maximum, description=description)
    if getattr(inner, "__origin__", None) is Literal:
        choices = SEVERITY_ORDER.get(name, tuple(getattr(inner, "__args__", ())))
        return FieldDomain(name, "choice", choices=choices, description=description)
    return FieldDomain(name, "text", description=description)


#: Every clinical answer field, in the order of case-format.md.
ANSWER_FIELDS: tuple[str, ...] = tuple(n for n in Case.model_fields if n not in METADATA_FIELDS)
DOMAINS: dict[str, FieldDomain] = {name: _domain(name) for name in ANSWER_FIELDS}


class Reason(BaseModel):
    """One fired criterion, with the answers that triggered it and its source."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    criterion: str
    title: str
    urgency: Urgency
    surgical: bool = False
    because: dict[str, object]
    source: str
    #: Unanswered questions this reason holds on, with the answer it assumes for each (the least
    #: severe one, or the reading its criterion gives an unknown answer).
    assumed: dict[str, object] = Field(default_factory=dict)


class OpenQuestion(BaseModel):
    """An unanswered question that could change the assessment, and the highest level its answer could lead to."""

    model_config = ConfigDict(extra="forbid")

    field: str
    could_reach: Urgency


class Assessment(BaseModel):
    """The result of assessing one case: the JSON of case-format.md, plus a few added fields."""

    model_config = ConfigDict(extra="forbid")

    case_id: Optional[str]
    urgency: Urgency
    urgency_meaning: str
    surgical_consultation: bool
    complete: bool
    findings: list[str]
    reasons: list[Reason]
    advice: list[str]
    safety_netting: list[str]
    unanswered: list[str]  # the fields of open_questions, in its order
    rules_version: str
    rules_hash: str
    fired_rules: list[str]
    #: The level every way of answering the unanswered questions reaches, and the highest some way reaches.
    certain: Urgency
    possible: Urgency
    open_questions: list[OpenQuestion]  # most serious first
