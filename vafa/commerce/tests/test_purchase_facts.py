"""The facts builder and the engine agree: every rule condition reads a fact of the engine's
context, and the builder of a purchase's facts fills every fact a condition reads."""

import dataclasses

from vafa.commerce import facts
from vafa.program import engine
from vafa.program.admin import CONDITION_KEYS


def test_every_condition_reads_a_fact_of_the_context():
    assert set(engine.CONDITION_FACTS) == set(CONDITION_KEYS)
    fields = {f.name for f in dataclasses.fields(engine.Context)}
    assert set(engine.CONDITION_FACTS.values()) <= fields
    assert fields >= facts.SUPPLIED


def test_the_builder_fills_every_fact_a_condition_reads():
    unsupplied = {c for c, fact in engine.CONDITION_FACTS.items()
                  if fact not in facts.SUPPLIED | engine.EVENT_ONLY_FACTS}
    assert unsupplied == set()
