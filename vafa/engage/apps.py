from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngageConfig(AppConfig):
    name = "vafa.engage"
    label = "engage"
    verbose_name = _("Engagement")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from vafa.commerce.events import PurchaseRecorded
        from vafa.core import events
        from vafa.core.jobs import tick_register
        from vafa.core.segment_port import segment_port_register
        from vafa.engage import messages  # noqa: F401  (registers the outbox handler)
        from vafa.engage.automations import automations_run
        from vafa.engage.campaigns import campaigns_run
        from vafa.engage.delivery import deliveries_check
        from vafa.engage.recognition import on_purchase_recorded, on_referral_completed, recognition_run
        from vafa.engage.segments import segments_known, segments_test
        from vafa.referrals.events import ReferralCompleted

        segment_port_register(test=segments_test, known=segments_known)
        tick_register("campaigns", campaigns_run)
        tick_register("automations", automations_run)
        # Badges and challenges: a sweep every few minutes, and each buyer or referrer looked at
        # promptly after the commit (vafa/engage/recognition.py).
        tick_register("recognition", recognition_run)
        events.subscribe(PurchaseRecorded, on_purchase_recorded, order=50)
        events.subscribe(ReferralCompleted, on_referral_completed, order=50)
        tick_register("deliveries", deliveries_check)
