from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    name = "vafa.insight"
    label = "insight"
    verbose_name = _("reports")

    def ready(self):
        from datetime import time

        from vafa.core.jobs import PeriodicJob, jobs_register

        # Every member's lifetime value and RFM, on the purchases up to yesterday (Tehran).
        jobs_register(PeriodicJob("score-members", "vafa.insight.tasks.score_members", at=time(3, 30)))
        # "Bought X, then Y" from the purchases as they stand, for the members' suggestions.
        jobs_register(PeriodicJob("product-pairs", "vafa.insight.tasks.product_pairs", at=time(3, 45)))
        # What each rule, reward and campaign cost and what followed, after the scores it matches by.
        jobs_register(PeriodicJob("programme-effect", "vafa.insight.tasks.programme_effect", at=time(4, 0)))

        # The owner's figures: what is new read into the rollups on every tick of the worker.
        from vafa.core.jobs import tick_register
        from vafa.insight.rollups import rollups_tick

        tick_register("insight-rollups", rollups_tick)

        # Each member's suggested product, for the messages' {suggestion} (engage asks from below).
        from vafa.core.suggestion_port import suggestion_port_register
        from vafa.insight.selectors import suggestions_for

        suggestion_port_register(suggest=suggestions_for)
