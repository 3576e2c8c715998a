"""Application errors: a stable `code`, an HTTP status and a translatable message.

Services raise these; the API maps them to one JSON shape and the pages show the message.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    code = "application_error"
    status = 400
    message = _("The request could not be completed.")

    def __init__(self, message: Any = None, *, details: dict[str, Any] | None = None):
        if message is not None:
            self.message = message
        self.details = details or {}
        super().__init__(str(self.message))


# 400
class MalformedJson(ApplicationError):
    code, status, message = "malformed_json", 400, _("The request body is not valid JSON.")


# 401 / 403
class Unauthorized(ApplicationError):
    code, status, message = "unauthorized", 401, _("A valid API key is required.")


class Forbidden(ApplicationError):
    code, status, message = "forbidden", 403, _("You are not allowed to do this.")


# 404
class NotFound(ApplicationError):
    code, status, message = "not_found", 404, _("Not found.")


class MemberNotFound(NotFound):
    code, message = "member_not_found", _("No member with this id or phone number exists.")


class SegmentNotFound(NotFound):
    code, message = "segment_not_found", _("No segment with this id exists.")


class CampaignNotFound(NotFound):
    code, message = "campaign_not_found", _("No campaign with this id exists.")


class AutomationNotFound(NotFound):
    code, message = "automation_not_found", _("No automation with this id exists.")


class MessageNotFound(NotFound):
    code, message = "message_not_found", _("No message with this id exists.")


class PurchaseNotFound(NotFound):
    code, message = "purchase_not_found", _("No purchase with this id exists.")


class WebhookNotFound(NotFound):
    code, message = "webhook_not_found", _("No webhook endpoint with this id exists.")


class WebhookMessageNotFound(NotFound):
    code, message = "webhook_message_not_found", _("This webhook endpoint has no message with this id.")


class RewardNotFound(NotFound):
    code, message = "reward_not_found", _("No reward with this id exists.")


class BranchNotFound(NotFound):
    code, message = "branch_not_found", _("This merchant has no branch with this code.")


class RuleNotFound(NotFound):
    code, message = "rule_not_found", _("No earning rule with this id exists.")


class TierNotFound(NotFound):
    code, message = "tier_not_found", _("No tier with this id or code exists.")


class CouponNotFound(NotFound):
    code, message = "coupon_not_found", _("No coupon with this code exists.")


class GiftCardNotFound(NotFound):
    code, message = "gift_card_not_found", _("No gift card with this code exists.")


class PackagingCodeNotFound(NotFound):
    code, message = "packaging_code_not_found", _("This code is not one of the club's packaging codes.")


class PlanNotFound(NotFound):
    code, message = "plan_not_found", _("No membership plan with this id exists.")


class ApplicationNotFound(NotFound):
    code, message = "application_not_found", _("This member has no application to join the club.")


class ShipmentNotFound(NotFound):
    code, message = "shipment_not_found", _("No shipment with this id exists.")


# 409
class Conflict(ApplicationError):
    code, status, message = "conflict", 409, _("The request conflicts with the current state.")


class MemberExists(Conflict):
    code, message = "member_exists", _("A member with this phone number already exists.")


class SegmentExists(Conflict):
    code, message = "segment_exists", _("A segment with this code already exists.")


class CampaignNotEditable(Conflict):
    code, message = "campaign_not_editable", _("The campaign has started or ended: it can no longer change.")


class UnknownPlaceholder(ApplicationError):
    code, status, message = "unknown_placeholder", 422, _("The text has placeholders Vafa does not know.")


class InsufficientPoints(Conflict):
    code, message = "insufficient_points", _("The member does not have enough available points.")


class IdempotencyConflict(Conflict):
    code, message = (
        "idempotency_conflict",
        _("This Idempotency-Key was already used with a different request."),
    )


class DuplicateExternalId(Conflict):
    code, message = (
        "duplicate_external_id",
        _("A different purchase with this external_id was already recorded."),
    )


class RefundExceedsPurchase(Conflict):
    code, message = (
        "refund_exceeds_purchase",
        _("The refund is larger than what remains of the purchase."),
    )


class MemberBlocked(Conflict):
    code, message = "member_blocked", _("This member is blocked.")


class MemberPending(Conflict):
    code, message = "member_pending", _("This member's application has not been approved yet.")


class CouponUsed(Conflict):
    code, message = "coupon_used", _("This coupon has already been used.")


class CouponExhausted(Conflict):
    code, message = "coupon_exhausted", _("This code has reached its usage limit.")


class CouponExpired(Conflict):
    code, message = "coupon_expired", _("This coupon is not valid at this time.")


class CouponMinPurchase(Conflict):
    code, message = "coupon_min_purchase", _("The purchase is below this coupon's minimum.")


class CouponNotValidHere(Conflict):
    code, message = "coupon_not_valid_here", _("This code is not valid at this shop.")


class GiftCardNotValidHere(Conflict):
    code, message = "gift_card_not_valid_here", _("This gift card is not valid at this shop.")


class CouponNotForMember(Conflict):
    code, message = "coupon_not_for_member", _("This coupon belongs to another member.")


class RewardUnavailable(Conflict):
    code, message = "reward_unavailable", _("This reward is not available to this member now.")


class RewardOutOfStock(Conflict):
    code, message = "reward_out_of_stock", _("This reward is out of stock.")


class RewardLimitReached(Conflict):
    code, message = "reward_limit_reached", _("The member has already redeemed this reward as often as allowed.")


class GiftCardEmpty(Conflict):
    code, message = "gift_card_insufficient", _("The gift card's balance is not enough, or it has expired.")


class ReferralRefused(Conflict):
    code, message = "referral_refused", _("This referral is not allowed.")


class PackagingCodeUsed(Conflict):
    code, message = "packaging_code_used", _("This packaging code has already been used.")


class EventDuplicate(Conflict):
    code, message = "duplicate_event", _("A different event with this key was already recorded.")


class CouponExists(Conflict):
    code, message = "coupon_exists", _("A coupon or promo code with this code already exists.")


class ApplicationDecided(Conflict):
    code, message = "application_decided", _("This application has already been decided.")


class PlanInactive(Conflict):
    code, message = "plan_inactive", _("This membership plan is not on sale.")


class DuplicatePayment(Conflict):
    code, message = (
        "duplicate_payment",
        _("A different membership payment with this reference was already recorded."),
    )


class ShipmentStepRefused(Conflict):
    code, message = "shipment_step_refused", _("This shipment cannot take this step from where it is now.")


# 422
class ValidationFailed(ApplicationError):
    code, status, message = "validation_error", 422, _("The request is not valid.")


class PointsOutOfBounds(ValidationFailed):
    """Points beyond vafa.core.limits (a validation_error; `details` says which bound)."""


class InvalidPhone(ValidationFailed):
    code, message = "invalid_phone", _("This is not a valid Iranian mobile number.")


class InvalidNationalId(ValidationFailed):
    code, message = "invalid_national_id", _("This national code or national ID is not valid.")


class InvalidReferralCode(ValidationFailed):
    code, message = "invalid_referral_code", _("No member has this referral code.")


class OtpInvalid(ValidationFailed):
    code, message = "otp_invalid", _("The code is wrong or has expired.")


class ShippingRequired(ValidationFailed):
    code, message = "shipping_required", _("This reward is sent to an address: give the delivery address.")


# 413
class RequestTooLarge(ApplicationError):
    code, status, message = "request_too_large", 413, _("The request is too large.")


# 429
class RateLimited(ApplicationError):
    code, status, message = "rate_limited", 429, _("Too many requests; try again later.")


class OtpLocked(RateLimited):
    code, message = "otp_locked", _("Too many wrong codes; ask for a new code later.")


# --- the pages (issue 5) ---------------------------------------------------------------------


class RedeemExceedsAmount(ValidationFailed):
    code, message = "redeem_exceeds_amount", _("More points than this amount allows to be spent.")


class DuplicateSubmission(Conflict):
    code, message = "duplicate_submission", _("This was already recorded.")


class CouponChanged(Conflict):
    code, message = "coupon_changed", _("The coupon changed while the purchase was being recorded; try again.")


class LastOwner(Conflict):
    code, message = "last_owner", _("The club must keep at least one active owner.")


class StaffNotFound(NotFound):
    code, message = "staff_not_found", _("No staff account with this id exists.")


# --- feedback: surveys and reviews ------------------------------------------------------------


class SurveyNotFound(NotFound):
    code, message = "survey_not_found", _("No survey with this id exists.")


class ReviewNotFound(NotFound):
    code, message = "review_not_found", _("No review with this id exists.")


class SurveyClosed(Conflict):
    code, message = "survey_closed", _("This survey is not taking answers.")


class ReviewExists(Conflict):
    code, message = "review_exists", _("This purchase has already been reviewed.")


# --- recognition: badges, challenges, contests ----------------------------------------------------


class BadgeNotFound(NotFound):
    code, message = "badge_not_found", _("No badge with this id exists.")


class ChallengeNotFound(NotFound):
    code, message = "challenge_not_found", _("No challenge with this id exists.")


class ContestNotFound(NotFound):
    code, message = "contest_not_found", _("No contest with this id exists.")


class ContestEntryNotFound(NotFound):
    code, message = "contest_entry_not_found", _("No contest entry with this id exists.")


class BadgeExists(Conflict):
    code, message = "badge_exists", _("A badge with this code already exists.")


class ContestClosed(Conflict):
    code, message = "contest_closed", _("This contest is not taking entries.")


class ContestEntryExists(Conflict):
    code, message = "contest_entry_exists", _("You have already sent an entry to this contest.")


class ContestDecided(Conflict):
    code, message = "contest_decided", _("This contest's winners are chosen: it can no longer change.")


class ContestRunning(Conflict):
    code, message = "contest_running", _("Winners are chosen once the contest stops taking entries.")


class EntryNotApproved(Conflict):
    code, message = "entry_not_approved", _("Only an approved entry can win; a winner stays a winner.")


class PhotoRefused(ValidationFailed):
    code, message = "invalid_photo", _("The photo must be a JPEG, PNG or WebP image of at most 5 MB.")
