"""The bounds of every figure Vafa accepts, in one place: anything beyond them is a typo or an
attack, never a real purchase, reward or programme."""

MAX_RIAL = 10**15  # a quadrillion Rials
MAX_POINTS = 10**12
MAX_COUNT = 2**31 - 1  # a stock, a usage limit: what a PositiveIntegerField holds on every database
MAX_ITEMS = 500  # lines of one purchase
MAX_QUANTITY = 10**6  # of one line
MAX_DAYS = 36_500  # a coupon's validity, a programme's horizon: a hundred years
