"""The shared test helpers themselves: "refused, and nothing changed" must fail when something
did change, or when the refusal is not the one expected."""

import pytest

from vafa.core.errors import InsufficientPoints, MemberNotFound, NotFound
from vafa.core.tests.fixtures import db_state, refused, unchanged
from vafa.members.models import Member

pytestmark = pytest.mark.django_db


def rename(member, name: str) -> None:
    Member.objects.filter(pk=member.pk).update(first_name=name)


def test_db_state_sees_a_change_in_any_column(member):
    before = db_state(Member)
    rename(member, "مریم")
    assert db_state(Member) != before


def test_refused_passes_when_the_error_is_raised_and_nothing_changed(member):
    with refused(InsufficientPoints, Member) as caught:
        raise InsufficientPoints(details={"requested": 1})
    assert caught.value.details == {"requested": 1}
    with refused("member_not_found", Member):
        raise MemberNotFound
    with refused(NotFound, Member):  # a class accepts its subclasses, as pytest.raises does
        raise MemberNotFound


def test_refused_fails_when_the_block_wrote_before_raising(member):
    with pytest.raises(AssertionError, match=r"changed: members\.Member"), refused(InsufficientPoints, Member):
        rename(member, "مریم")
        raise InsufficientPoints


def test_refused_in_its_own_transaction_rolls_the_write_back(member):
    with refused(InsufficientPoints, Member, atomic=True):
        rename(member, "مریم")
        raise InsufficientPoints
    assert Member.objects.get(pk=member.pk).first_name == member.first_name


def test_refused_fails_on_another_error_or_none(member):
    with pytest.raises(AssertionError), refused("insufficient_points", Member):
        raise MemberNotFound
    with pytest.raises(MemberNotFound), refused(InsufficientPoints, Member):
        raise MemberNotFound
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"), refused(InsufficientPoints, Member):
        pass


def test_unchanged_fails_on_a_change(member):
    with pytest.raises(AssertionError, match=r"changed: members\.Member"), unchanged(Member):
        rename(member, "مریم")
