from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from vafa.demo.build import demo_build, demo_counts


class Command(BaseCommand):
    help = (
        "Load the demo club (idempotent): a chain store with its program (tiers, earning rules, "
        "rewards, a paid plan, a promo code), members, referrals, a year of purchases, redemptions, "
        "coupons, refunds and expired points. Prints the demo API key and a staff login."
    )

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=300, help="how many members (default 300)")
        parser.add_argument("--purchases", type=int, default=5000, help="how many purchases (default 5000)")
        parser.add_argument("--host", default="http://127.0.0.1:8000", help="the base URL to print")
        parser.add_argument("--force", action="store_true",
                            help="load it in production mode too (it adds a staff login with a known password)")

    def handle(self, *args, members, purchases, host, force, **options):
        if not settings.DEV_MODE and not force:
            raise CommandError("this is a production installation (VAFA_DEV is not 1): the demo club adds made-up "
                               "members and a staff login with a known password; add --force to load it anyway")
        if members < 1 or purchases < 0:
            raise CommandError("--members must be at least 1 and --purchases at least 0.")
        verbose = options.get("verbosity", 1) >= 1
        if verbose:
            self.stdout.write("Loading the demo club...")
        result = demo_build(
            members=members, purchases=purchases, log=self.stdout.write if verbose else lambda _line: None
        )
        counts = demo_counts(result.merchant)
        base = host.rstrip("/")
        write = self.stdout.write
        if result.created_anything:
            made = [f"{n} {what.replace('_', ' ')}" for what, n in result.created.items() if n]
            made += ["a new API key"] * result.api_key_created + ["the staff user"] * result.admin_created
            write(self.style.SUCCESS(f"Demo club ready in {result.seconds:.1f}s (created: {', '.join(made)})."))
        else:
            write(self.style.SUCCESS("Demo club already loaded; nothing created."))
        write(f"  {result.merchant.name} (slug {result.merchant.slug})")
        write(f"  members:            {counts.members} ({counts.organizations} organisations)")
        write(f"  purchases:          {counts.purchases} ({counts.refunds} refunds)")
        write(f"  redemptions:        {counts.redemptions}")
        write(f"  points expired:     {counts.points_expired}")
        write(f"  points outstanding: {counts.points_outstanding}")
        tiers = ", ".join(f"{name or 'no tier'} {n} ({n * 100 // max(counts.members, 1)}%)" for name, n in counts.tiers)
        write(f"  tiers:              {tiers}")
        rules = ", ".join(f"{n} {status}" for status, n in sorted(counts.rules.items()))
        write(f"  earning rules:      {rules or 'none'}")
        taken = ", ".join(f"{n} {kind}" for kind, n in counts.reward_redemptions.items())
        write(f"  rewards:            {counts.rewards} in the catalogue; taken: {taken or 'none'}")
        write(f"  partner codes left: {counts.partner_codes_left}")
        coupons = f"{counts.coupons_issued} ({counts.coupons_used} used), {counts.gift_cards} gift cards"
        write(f"  coupons issued:     {coupons}")
        if counts.promo_code:
            write(f"  promo code:         {counts.promo_code} used {counts.promo_used} of {counts.promo_limit}")
        write(f"  paid plan members:  {counts.paid_plan_members}")
        write(f"  referrals:          {counts.referrals} ({counts.referrals_completed} completed)")
        write(f"  app installs:       {counts.app_installs}; birthday awards: {counts.birthday_awards}")
        write("")
        write(f"  Site:      {base}/")
        write(f"  Admin:     {base}/admin/")
        password_note = "" if result.admin_created else "  (as set when the demo first created it)"
        write(f"  Staff:     username {result.admin_username}  password {result.admin_password}{password_note}")
        write(f"  Back-office: {base}/manage/  as manager, cashier or marketer (same password; admin is the owner)")
        write(f"  Member portal: {base}/  with a member's phone, e.g. {counts.sample_member_phone or '-'};"
              f" the login code is printed and appended to {settings.SMS_OUTBOX}")
        write(f"  API key:   {result.api_key}")
        if counts.sample_member_id:
            write(
                f"  Try:       curl -H 'Authorization: Bearer {result.api_key}' "
                f"{base}/api/v1/members/{counts.sample_member_id}/points"
            )
