import datetime as dt
from collections.abc import Iterable, Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from vafa.core import sql
from vafa.core.codes import normalize_code, random_code
from vafa.core.errors import ApplicationError, InvalidReferralCode, MemberExists, ValidationFailed
from vafa.core.events import publish
from vafa.core.jalali import jalali_month_day
from vafa.core.national_id import validate_national_id
from vafa.core.phone import normalize_phone
from vafa.members.events import ConsentChanged, MemberJoined, MembersImported, MemberUpdated
from vafa.members.models import Consent, ConsentChange, Interest, Member, Occasion
from vafa.members.selectors import member_consents


def _new_referral_code() -> str:
    while True:
        code = random_code(7)
        if not Member.objects.filter(referral_code=code).exists():
            return code


def member_email_checked(email: str) -> str:
    """The e-mail as stored, or ValidationFailed (member_create's, member_update's and the
    admin's check)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationFailed(details={"email": "invalid"}) from None
    return email


def _joining_checked(*, phone, kind, status, national_id, email, organization_name, birth_date, consents,
                     external_ref) -> tuple[str, str, str, str | None]:
    """What a joining member's fields must be (member_create's and members_join_many's checks):
    answers the phone, national code, e-mail and external_ref as stored."""
    phone = normalize_phone(phone)
    if kind not in Member.Kind.values:
        raise ValidationFailed(details={"kind": f"one of {', '.join(Member.Kind.values)}"})
    if status not in Member.Status.values:
        raise ValidationFailed(details={"status": f"one of {', '.join(Member.Status.values)}"})
    national_id = validate_national_id(national_id, kind) if national_id else ""
    email = member_email_checked(email)
    if kind == Member.Kind.ORGANIZATION and not organization_name.strip():
        raise ValidationFailed(details={"organization_name": "required for an organization"})
    member_birth_date_checked(birth_date)
    bad_channels = set(consents or {}) - set(Consent.Channel.values)
    if bad_channels:
        raise ValidationFailed(details={"consents": f"unknown channels: {', '.join(sorted(bad_channels))}"})
    external_ref = (external_ref or "").strip() or None
    if external_ref is not None and len(external_ref) > 100:
        raise ValidationFailed(details={"external_ref": "at most 100 characters, not another member's"})
    return phone, national_id, email, external_ref


def member_create(
    *,
    phone: str,
    first_name: str = "",
    last_name: str = "",
    kind: str = Member.Kind.PERSON,
    organization_name: str = "",
    national_id: str = "",
    email: str = "",
    birth_date: dt.date | None = None,
    referral_code: str = "",
    status: str = Member.Status.ACTIVE,
    consents: Mapping[str, bool] | None = None,
    interests: Iterable[str] = (),
    occasions: Iterable[Mapping] = (),
    merchant_id: int | None = None,
    joined_at: dt.datetime | None = None,
    external_ref: str | None = None,
    earns: bool = True,
) -> Member:
    """Join a member: validate everything first, then create member, account and consents
    in one transaction. An unknown referral code creates nothing. `external_ref` is the member's
    id in the shop's own system (unique); `earns=False` joins them without the join awards (an
    import of existing customers)."""
    phone, national_id, email, external_ref = _joining_checked(
        phone=phone, kind=kind, status=status, national_id=national_id, email=email,
        organization_name=organization_name, birth_date=birth_date, consents=consents, external_ref=external_ref)
    occasion_rows = [_occasion(o) for o in occasions]
    referrer = None
    if referral_code:
        referrer = Member.objects.filter(referral_code=normalize_code(referral_code)).first()
        if referrer is None:
            raise InvalidReferralCode(details={"referral_code": referral_code})

    if external_ref is not None and Member.objects.filter(external_ref=external_ref).exists():
        raise ValidationFailed(details={"external_ref": "at most 100 characters, not another member's"})
    if Member.objects.filter(phone=phone).exists():
        raise MemberExists(details={"phone": phone})
    try:
        with transaction.atomic():
            member = Member.objects.create(
                phone=phone, kind=kind, first_name=first_name.strip(), last_name=last_name.strip(),
                organization_name=organization_name.strip(), national_id=national_id, email=email,
                birth_date=birth_date, birth_jalali=birth_jalali_of(birth_date), status=status,
                referral_code=_new_referral_code(),
                referred_by=referrer, merchant_id=merchant_id, external_ref=external_ref,
                **({"joined_at": joined_at} if joined_at else {}),
            )
            _set_consents(member, consents or {})
            _add_interests(member, interests)
            for occasion in occasion_rows:
                occasion.member = member
            Occasion.objects.bulk_create(occasion_rows)
            publish(MemberJoined(member_id=member.pk, phone=member.phone, kind=member.kind, status=member.status,
                                 national_id=member.national_id, referred_by_id=member.referred_by_id,
                                 merchant_id=member.merchant_id, joined_at=member.joined_at, earns=earns))
    except IntegrityError:
        # A concurrent join with the same phone won the race.
        if Member.objects.filter(phone=phone).exists():
            raise MemberExists(details={"phone": phone}) from None
        raise
    return member


def members_join_many(*, rows: list[Mapping], merchant_id: int | None = None) -> list[int | ApplicationError]:
    """Join many members at once (an import of a shop's customers): each row is checked as
    member_create checks it, and the good ones written in a few statements, with their consents,
    interests and accounts (MembersImported). No referral codes are taken and no join awards
    given: a caller whose program awards joining uses member_create. Answers, row by row, the new
    member's id or the error that refused the row (it changes nothing)."""
    now = timezone.now()
    results: list[int | ApplicationError] = []
    good: list[tuple[int, dict]] = []
    phones, refs = set(), set()
    for index, row in enumerate(rows):
        try:
            kind = row.get("kind") or Member.Kind.PERSON
            phone, national_id, email, external_ref = _joining_checked(
                phone=row["phone"], kind=kind, status=Member.Status.ACTIVE, national_id=row.get("national_id", ""),
                email=row.get("email", ""), organization_name=row.get("organization_name", ""),
                birth_date=row.get("birth_date"), consents=row.get("consents"), external_ref=row.get("external_ref"))
            if phone in phones:
                raise MemberExists(details={"phone": phone})
            if external_ref is not None and external_ref in refs:
                raise ValidationFailed(details={"external_ref": "at most 100 characters, not another member's"})
        except ApplicationError as error:
            results.append(error)
            continue
        phones.add(phone)
        refs.add(external_ref)
        results.append(0)
        good.append((index, {**row, "phone": phone, "kind": kind, "national_id": national_id, "email": email,
                             "external_ref": external_ref}))
    taken_phones = set(Member.objects.filter(phone__in=phones).values_list("phone", flat=True))
    taken_refs = set(Member.objects.filter(external_ref__in=refs - {None}).values_list("external_ref", flat=True))
    kept = []
    for index, row in good:
        if row["phone"] in taken_phones:
            results[index] = MemberExists(details={"phone": row["phone"]})
        elif row["external_ref"] in taken_refs:
            results[index] = ValidationFailed(details={"external_ref": "at most 100 characters, not another member's"})
        else:
            kept.append((index, row))
    if not kept:
        return results
    codes = _new_referral_codes(len(kept))
    fields = ["phone", "kind", "first_name", "last_name", "organization_name", "national_id", "email", "birth_date",
              "birth_jalali", "status", "referral_code", "referred_by_id", "joined_at", "erased_at", "merchant_id",
              "external_ref"]
    ids = sql.insert_many(Member, fields, [
        [row["phone"], row["kind"], row.get("first_name", "").strip(), row.get("last_name", "").strip(),
         row.get("organization_name", "").strip(), row["national_id"], row["email"], row.get("birth_date"),
         birth_jalali_of(row.get("birth_date")), Member.Status.ACTIVE, code, None, row.get("joined_at") or now, None,
         merchant_id, row["external_ref"]] for (_i, row), code in zip(kept, codes, strict=True)])
    consents = [(member_id, channel, bool(granted)) for member_id, (_i, row) in zip(ids, kept, strict=True)
                for channel, granted in (row.get("consents") or {}).items()]
    sql.insert_many(Consent, ["member_id", "channel", "granted", "changed_at"], [[*c, now] for c in consents])
    sql.insert_many(ConsentChange, ["member_id", "channel", "granted", "source", "at"],
                    [[*c, ConsentChange.Source.JOIN, now] for c in consents])
    _add_interests_many({member_id: row.get("interests", ()) for member_id, (_i, row) in zip(ids, kept, strict=True)})
    publish(MembersImported(member_ids=tuple(ids), merchant_id=merchant_id))
    for member_id, (index, _row) in zip(ids, kept, strict=True):
        results[index] = member_id
    return results


def _new_referral_codes(count: int) -> list[str]:
    codes: list[str] = []
    while len(codes) < count:
        fresh = {random_code(7) for _ in range(count - len(codes))} - set(codes)
        fresh -= set(Member.objects.filter(referral_code__in=fresh).values_list("referral_code", flat=True))
        codes += sorted(fresh)
    return codes


def _add_interests_many(names_of: Mapping[int, Iterable[str]]) -> None:
    wanted = {n.strip() for names in names_of.values() for n in names if n and n.strip()}
    if not wanted:
        return
    interest_of = {}
    for name in sorted(wanted):
        interest, _ = Interest.objects.get_or_create(
            slug=slugify(name, allow_unicode=True)[:60] or name[:60], defaults={"name": name[:100]})
        interest_of[name] = interest.pk
    through = Member.interests.through
    through.objects.bulk_create([through(member_id=member_id, interest_id=interest_id)
                                 for member_id, names in names_of.items()
                                 for interest_id in {interest_of[n.strip()] for n in names if n and n.strip()}])


EARLIEST_DATE = dt.date(1900, 1, 1)


def birth_jalali_of(birth_date: dt.date | None) -> int | None:
    if birth_date is None:
        return None
    month, day = jalali_month_day(birth_date)
    return month * 100 + day


def member_birth_date_checked(birth_date: dt.date | None) -> dt.date | None:
    """The birth date, or ValidationFailed when it is before 1900 or after today."""
    if birth_date and not EARLIEST_DATE <= birth_date <= dt.date.today():
        raise ValidationFailed(details={"birth_date": f"from {EARLIEST_DATE} to today"})
    return birth_date




@transaction.atomic
def member_external_ref_link(*, member_id: int, external_ref: str) -> None:
    """Give a member their id in the shop's own system; one that is another member's, or a member
    who already has a different one, is refused."""
    external_ref = (external_ref or "").strip()
    if not external_ref or len(external_ref) > 100:
        raise ValidationFailed(details={"external_ref": "required, at most 100 characters"})
    member = Member.objects.select_for_update().get(pk=member_id)
    if member.external_ref == external_ref:
        return
    if member.external_ref or Member.objects.filter(external_ref=external_ref).exists():
        raise ValidationFailed(details={"external_ref": "the member has another one, or it is another member's"})
    member.external_ref = external_ref
    member.save(update_fields=["external_ref"])
    publish(MemberUpdated(member_id=member.pk, fields=("external_ref",)))


@transaction.atomic
def member_phone_set(*, member_id: int, phone: str) -> Member:
    """Give a member another phone (normalised; unique)."""
    phone = normalize_phone(phone)
    member = Member.objects.select_for_update().get(pk=member_id)
    if Member.objects.filter(phone=phone).exclude(pk=member_id).exists():
        raise MemberExists(details={"phone": phone})
    member.phone = phone
    member.save(update_fields=["phone"])
    publish(MemberUpdated(member_id=member.pk, fields=("phone",)))
    return member


def _occasion(data: Mapping) -> Occasion:
    kind = data.get("kind")
    if kind not in Occasion.Kind.values or not isinstance(data.get("date"), dt.date) \
            or not EARLIEST_DATE <= data["date"] <= dt.date(2200, 1, 1):
        raise ValidationFailed(details={"occasions": "each needs a kind (wedding/other) and a date from 1900"})
    return Occasion(kind=kind, title=str(data.get("title", ""))[:100], date=data["date"])


def _consent_save(member: Member, channel: str, granted: bool, source: str) -> Consent:
    """Set one channel's consent; a change (or a first answer) is recorded with its source and
    announced."""
    consent, created = Consent.objects.get_or_create(member=member, channel=channel, defaults={"granted": granted})
    if not created and consent.granted != granted:
        consent.granted = granted
        consent.save(update_fields=["granted", "changed_at"])
    elif not created:
        return consent
    ConsentChange.objects.create(member=member, channel=channel, granted=granted, source=source)
    publish(ConsentChanged(member_id=member.pk, channel=channel, granted=granted))
    return consent


def _set_consents(member: Member, consents: Mapping[str, bool]) -> None:
    for channel, granted in consents.items():
        _consent_save(member, channel, bool(granted), ConsentChange.Source.JOIN)


def _add_interests(member: Member, names: Iterable[str]) -> None:
    for name in {n.strip() for n in names if n and n.strip()}:
        interest, _ = Interest.objects.get_or_create(
            slug=slugify(name, allow_unicode=True)[:60] or name[:60], defaults={"name": name[:100]}
        )
        member.interests.add(interest)


@transaction.atomic
def member_consent_set(*, member: Member, channel: str, granted: bool,
                       source: str = ConsentChange.Source.API) -> Consent:
    if channel not in Consent.Channel.values:
        raise ValidationFailed(details={"channel": channel})
    if source not in ConsentChange.Source.values:
        raise ValidationFailed(details={"source": source})
    return _consent_save(member, channel, bool(granted), source)




PROFILE_FIELDS = ("first_name", "last_name", "organization_name", "email", "birth_date", "national_id")


def member_update(*, member_id, changes: Mapping) -> Member:
    """Change a member's profile (only the fields given). Subscribers hear of it in the same
    transaction (completing the profile can earn points)."""
    from vafa.members.selectors import member_get

    unknown = sorted(set(changes) - set(PROFILE_FIELDS) - {"interests", "occasions"})
    if unknown:
        raise ValidationFailed(details={"fields": f"unknown: {', '.join(unknown)}"})
    member = member_get(member_id=member_id)
    values = dict(changes)
    for name in ("first_name", "last_name", "organization_name"):
        if name in values:
            limit = Member._meta.get_field(name).max_length
            if not isinstance(values[name], str) or len(values[name].strip()) > limit:
                raise ValidationFailed(details={name: f"a text of at most {limit} characters"})
            values[name] = values[name].strip()
    if "email" in values:
        values["email"] = member_email_checked(values["email"])
    if "national_id" in values:
        raw = values["national_id"]
        values["national_id"] = validate_national_id(raw, member.kind) if raw else ""
    member_birth_date_checked(values.get("birth_date"))
    if member.kind == Member.Kind.ORGANIZATION and "organization_name" in values and not values["organization_name"]:
        raise ValidationFailed(details={"organization_name": "required for an organization"})
    interests = values.pop("interests", None)
    occasions = values.pop("occasions", None)
    occasion_rows = [_occasion(o) for o in occasions] if occasions is not None else None
    if interests is not None and (not isinstance(interests, list | tuple)
                                  or not all(isinstance(i, str) and len(i) <= 100 for i in interests)):
        raise ValidationFailed(details={"interests": "a list of names"})
    with transaction.atomic():
        # NO KEY UPDATE: a purchase of this member (a row pointing here) must not wait on it.
        member = Member.objects.select_for_update(no_key=True).get(pk=member.pk)
        for name, value in values.items():
            setattr(member, name, value)
        if "birth_date" in values:
            member.birth_jalali = birth_jalali_of(values["birth_date"])
        if values:
            member.save(update_fields=[*values, *(["birth_jalali"] if "birth_date" in values else [])])
        if interests is not None:
            member.interests.clear()
            _add_interests(member, interests)
        if occasion_rows is not None:
            member.occasions.all().delete()
            for occasion in occasion_rows:
                occasion.member = member
            Occasion.objects.bulk_create(occasion_rows)
        touched = [*values, *(["interests"] if interests is not None else []),
                   *(["occasions"] if occasion_rows is not None else [])]
        publish(MemberUpdated(member_id=member.pk, fields=tuple(sorted(touched))))
    return member


# --- a member changing their own profile and consents (the portal) ------------------------------
KEEP = object()  # wedding_date not given: the occasions stay as they are


def member_profile_save(*, member_id: int, changes: Mapping, wedding_date: dt.date | object | None = KEEP) -> Member:
    """Save profile `changes` (member_update's fields, `interests` as names) and, when given,
    the wedding anniversary (None removes it); the member's other occasions are kept as they
    are. One transaction: a refusal changes nothing."""
    changes = dict(changes)
    with transaction.atomic():
        if wedding_date is not KEEP:
            others = [{"kind": o.kind, "title": o.title, "date": o.date}
                      for o in Occasion.objects.filter(member_id=member_id).exclude(kind=Occasion.Kind.WEDDING)
                      .order_by("id")]
            wedding = [{"kind": Occasion.Kind.WEDDING, "title": "", "date": wedding_date}] if wedding_date else []
            changes["occasions"] = wedding + others
        return member_update(member_id=member_id, changes=changes)


def member_consents_save(*, member_id: int, consents: Mapping[str, bool],
                         source: str = ConsentChange.Source.PORTAL) -> dict[str, bool]:
    """Set the member's marketing consent for each channel given; all or nothing."""
    unknown = sorted(set(consents) - set(Consent.Channel.values))
    if unknown:
        raise ValidationFailed(details={"consents": f"unknown channels: {', '.join(unknown)}"})
    with transaction.atomic():
        member = Member.objects.get(pk=member_id)
        current = member_consents(member_id=member_id)
        for channel, granted in consents.items():
            if current.get(channel) != bool(granted):
                member_consent_set(member=member, channel=channel, granted=bool(granted), source=source)
    return member_consents(member_id=member_id)


@transaction.atomic
def member_erase(*, member_id, actor=None) -> Member:
    """Anonymise a member on their request: name, phone, national code, e-mail, birth date,
    occasions, interests and one-time codes go; consents are withdrawn; the member is blocked
    (nothing earns or spends for them again). Their account, purchases and points stay, so the
    ledger stays balanced and every total stays intact. Erasing twice changes nothing more."""
    from vafa.core.audit import audit_record
    from vafa.members.models import CodeFailure, OneTimeCode, SpendCode
    from vafa.members.selectors import member_get

    member = Member.objects.select_for_update().get(pk=member_get(member_id=member_id).pk)
    if member.erased_at is not None:
        return member
    phone = member.phone
    OneTimeCode.objects.filter(phone=phone).delete()
    CodeFailure.objects.filter(phone=phone).delete()
    SpendCode.objects.filter(member=member).delete()
    member.occasions.all().delete()
    member.interests.clear()
    member.member_tags.all().delete()
    member.consents.update(granted=False, changed_at=timezone.now())
    member.phone = f"erased-{member.pk}"[:16]
    member.first_name = member.last_name = member.organization_name = ""
    member.national_id = member.email = ""
    member.birth_date = None
    member.birth_jalali = None
    member.status = Member.Status.BLOCKED
    member.erased_at = timezone.now()
    member.save()
    publish(MemberUpdated(member_id=member.pk, fields=("erased",)))
    # The audit log, the outbox and the admin's log named the member: now only by id.
    from vafa.core.erasure import person_forget

    person_forget(model=Member, member_id=member.pk, phone=phone)
    if actor is not None:
        audit_record(actor=actor, action="member.erase", target_type="members.member", target_id=str(member.pk),
                     target_label=f"#{member.pk}", after={"erased": True})
    return member


# --- what the app's other modules offer (other apps import only this module) -------------------
from vafa.members.applications import (  # noqa: E402
    application_approve,
    application_auto_approve,
    application_open,
    application_reject,
)
from vafa.members.memberships import membership_record, plan_create, plan_update  # noqa: E402
from vafa.members.moderation import member_block, member_status_set, member_unblock  # noqa: E402
from vafa.members.otp import otp_purge, otp_request, otp_verify  # noqa: E402
from vafa.members.spend_codes import spend_code_check, spend_code_issue, spend_code_use  # noqa: E402
from vafa.members.tags import member_tags_add, member_tags_remove, tag_code  # noqa: E402

__all__ = [
    "KEEP",
    "application_approve",
    "application_auto_approve",
    "application_open",
    "application_reject",
    "member_block",
    "member_consent_set",
    "member_consents_save",
    "member_create",
    "member_erase",
    "member_profile_save",
    "member_status_set",
    "member_tags_add",
    "member_tags_remove",
    "member_unblock",
    "member_update",
    "membership_record",
    "otp_purge",
    "otp_request",
    "otp_verify",
    "plan_create",
    "plan_update",
    "spend_code_check",
    "spend_code_issue",
    "spend_code_use",
    "tag_code",
]
