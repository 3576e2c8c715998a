"""The bounds of every figure Vafa accepts, in one place: anything beyond them is a typo or an
attack, never a real purchase, reward or programme."""

MAX_RIAL = 10**15  # a quadrillion Rials
MAX_POINTS = 10**12  # one figure given in points: an adjustment, a reward's cost, a rule's fixed points
# What the rules may give for one purchase or event, and what a member may hold: far below what
# a 64-bit column holds (9.2 * 10^18), so no sum of them can overflow one.
MAX_AWARD_POINTS = 10**15
MAX_BALANCE = 10**16
MAX_COUNT = 2**31 - 1  # a stock, a usage limit: what a PositiveIntegerField holds on every database
MAX_ITEMS = 500  # lines of one purchase
MAX_QUANTITY = 10**6  # of one line
MAX_DAYS = 36_500  # a coupon's validity, a programme's horizon: a hundred years

# Rules and tiers (vafa.program.inputs)
MAX_POINTS_PER_AMOUNT = 10**9  # a points_per_amount effect's points
MAX_EARN_PERCENT = 100_000  # a multiplier's or a tier's percent: a thousand times the base points
MAX_FREE_QUANTITY = 1000  # of a free_item effect
MAX_PRIORITY = 10**6  # a rule's priority, either way
MAX_PENDING_DAYS = 3650  # a rule's pending days, a tier's grace days: ten years
MAX_EXPIRY_MONTHS = 1200
MAX_RANK = 32767  # a tier's rank: what a PositiveSmallIntegerField holds
MAX_DRY_RUN_DAYS = 3 * 366  # the period a dry run replays

# Membership plans (vafa.members.inputs)
MAX_PLAN_DAYS = 3660  # ten years: anything longer is a typo
MAX_PLAN_EARN_PERCENT = 1000

# Lists and texts
MAX_ID = 10**18  # an id inside a list (a reward's plans)
MAX_LIST = 100  # a reward's tiers, member kinds or plans
MAX_PARTNER_CODES = 10_000  # per upload
MAX_PACKAGING_CODES = 50_000  # per upload
MAX_PROPERTIES_JSON = 10_000  # an event's properties, as JSON characters
