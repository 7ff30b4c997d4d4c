"""The plan: what the user asked for, in terms SAM3 and the agent can execute. One definition, used everywhere."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SelectKind = Literal["all", "leftmost", "rightmost", "topmost", "bottommost", "largest", "smallest", "center"]
RelationType = Literal["on", "in", "near", "holding", "wearing", "left_of", "right_of", "above", "below"]
Followup = Literal["new", "refine", "add", "remove"]


class Select(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: SelectKind = "all"
    count: int | None = Field(None, ge=1, le=1000, description="how many to keep; null = every match")
    ordinal: int | None = Field(None, ge=1, le=1000, description="start at the n-th in the order of `kind` "
                                "('the second car from the left': leftmost, count 1, ordinal 2); null = the first")


class Relation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: RelationType
    anchor: str = Field(min_length=1, max_length=80, description="noun phrase of the anchor object")


class ExemplarRef(BaseModel):
    """An instance of the previous result used as a visual example ('more like #2', '不要像3号那样的')."""

    model_config = ConfigDict(extra="forbid")
    instance: int = Field(ge=1, le=10_000, description="the instance id (#N) in the previous result")
    positive: bool = Field(True, description="true: find more like it; false: not like it")


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phrase: str = Field("", max_length=80, description="canonical English noun phrase; empty = the previous result "
                        "(or, with exemplars, whatever looks like them)")
    alternates: list[str] = Field(default_factory=list, max_length=3)
    select: Select = Field(default_factory=Select)
    exclude: list[str] = Field(default_factory=list, max_length=8)
    relation: Relation | None = None
    exemplars: list[ExemplarRef] = Field(default_factory=list, max_length=16)
    instances: list[int] = Field(default_factory=list, max_length=16,
                                 description="the instances (#N) of the previous result this target is, by number "
                                             "('only #2', 'drop #1 and #3'); with an empty phrase")

    @field_validator("instances", mode="after")
    @classmethod
    def _numbers(cls, value: list[int]) -> list[int]:
        if any(not 1 <= n <= 10_000 for n in value):
            raise ValueError("instance numbers are #1 to #10000")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _instances_alone(self) -> Target:
        # a target is either instances by number or a search (a phrase, exemplars): the two do not combine
        if self.instances and (self.phrase or self.exemplars):
            raise ValueError("a target with instances (#N) has an empty phrase and no exemplars")
        return self

    @field_validator("phrase", "alternates", "exclude", mode="after")
    @classmethod
    def _lower(cls, value):
        if isinstance(value, str):
            return " ".join(value.lower().split())
        return [" ".join(v.lower().split()) for v in value if v and v.strip()]


class RememberConcept(BaseModel):
    """'remember #2 as the blue widget': keep an instance of the previous result as a named concept."""

    model_config = ConfigDict(extra="forbid")
    instance: int = Field(ge=1, le=10_000)
    name: str = Field(min_length=1, max_length=60, description="the name to find it by later, as the user said it")


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    targets: list[Target] = Field(default_factory=list, max_length=8)
    followup: Followup = "new"
    reply_language: Literal["en", "zh"] = "en"
    clarify: str | None = Field(None, max_length=300, description="a question back when this is no segmentation request")
    remember: RememberConcept | None = None
    confidence: Literal["high", "low"] = Field("high", description="low: a guess the parser is unsure of (the "
                                               "explanation says so and that the LLM would read it better)")
    source: Literal["llm", "offline"] = "offline"

    def phrases(self) -> list[str]:
        """Every phrase SAM3 must search for this plan: targets, alternates, exclusions, anchors (deduplicated)."""
        seen: dict[str, None] = {}
        for target in self.targets:
            for phrase in [target.phrase, *target.alternates, *target.exclude,
                           target.relation.anchor if target.relation else ""]:
                if phrase:
                    seen.setdefault(phrase, None)
        return list(seen)


def llm_json_schema() -> dict:
    """The JSON schema the LLM must follow (the plan without `source`, which we set ourselves)."""
    schema = Plan.model_json_schema()
    schema["properties"].pop("source", None)
    return schema
