"""The raw material of the demo club: Persian names, organisations, branches and a shop's catalogue.

Plain data only; `build.py` draws from it with a seeded random generator.
"""

MERCHANT_SLUG = "vafa-demo"
MERCHANT_NAME = "فروشگاه زنجیره‌ای وفا"

# (code, name, city, share of the members who call it their home branch)
BRANCHES = [
    ("THR-1", "شعبه تهران - ونک", "تهران", 45),
    ("ISF-1", "شعبه اصفهان - چهارباغ", "اصفهان", 20),
    ("SHZ-1", "شعبه شیراز - معالی‌آباد", "شیراز", 18),
    ("TBZ-1", "شعبه تبریز - ولیعصر", "تبریز", 17),
]

# Operator prefixes that Iran's numbering plan (and so `normalize_phone`) accepts as mobile:
# Hamrah-e Avval (091x, 0990-0991), Irancell (093x, 090x).
MOBILE_PREFIXES = [
    "0912",
    "0912",
    "0912",
    "0919",
    "0913",
    "0917",
    "0914",
    "0915",
    "0935",
    "0935",
    "0936",
    "0937",
    "0938",
    "0901",
    "0902",
    "0990",
    "0991",
]

# (Persian, Latin for the e-mail address)
MALE_FIRST_NAMES = [
    ("محمد", "mohammad"),
    ("علی", "ali"),
    ("حسین", "hossein"),
    ("رضا", "reza"),
    ("مهدی", "mahdi"),
    ("امیر", "amir"),
    ("حمید", "hamid"),
    ("سعید", "saeed"),
    ("مجید", "majid"),
    ("احمد", "ahmad"),
    ("محسن", "mohsen"),
    ("مصطفی", "mostafa"),
    ("جواد", "javad"),
    ("بهروز", "behrouz"),
    ("کاوه", "kaveh"),
    ("آرش", "arash"),
    ("بابک", "babak"),
    ("پویا", "pouya"),
    ("سینا", "sina"),
    ("کیان", "kian"),
    ("فرهاد", "farhad"),
    ("داریوش", "dariush"),
    ("نیما", "nima"),
    ("میلاد", "milad"),
    ("امید", "omid"),
    ("پژمان", "pejman"),
    ("هومن", "houman"),
    ("یاسر", "yaser"),
    ("ابوالفضل", "abolfazl"),
    ("سجاد", "sajjad"),
]
FEMALE_FIRST_NAMES = [
    ("فاطمه", "fatemeh"),
    ("زهرا", "zahra"),
    ("مریم", "maryam"),
    ("سارا", "sara"),
    ("نرگس", "narges"),
    ("لیلا", "leila"),
    ("مهسا", "mahsa"),
    ("نازنین", "nazanin"),
    ("الهام", "elham"),
    ("شیما", "shima"),
    ("پریسا", "parisa"),
    ("سمیرا", "samira"),
    ("آزاده", "azadeh"),
    ("نیلوفر", "niloofar"),
    ("ترانه", "taraneh"),
    ("شیرین", "shirin"),
    ("یاسمن", "yasaman"),
    ("هانیه", "haniyeh"),
    ("کوثر", "kowsar"),
    ("ریحانه", "reyhaneh"),
    ("مینا", "mina"),
    ("رویا", "roya"),
    ("طاهره", "tahereh"),
    ("فرشته", "fereshteh"),
    ("آیدا", "aida"),
    ("بهاره", "bahareh"),
    ("پرستو", "parastoo"),
    ("ستاره", "setareh"),
    ("غزل", "ghazal"),
    ("محبوبه", "mahboubeh"),
]
LAST_NAMES = [
    ("محمدی", "mohammadi"),
    ("حسینی", "hosseini"),
    ("احمدی", "ahmadi"),
    ("رضایی", "rezaei"),
    ("موسوی", "mousavi"),
    ("کریمی", "karimi"),
    ("جعفری", "jafari"),
    ("صادقی", "sadeghi"),
    ("رحیمی", "rahimi"),
    ("حیدری", "heydari"),
    ("قاسمی", "ghasemi"),
    ("نوری", "nouri"),
    ("کاظمی", "kazemi"),
    ("ابراهیمی", "ebrahimi"),
    ("مرادی", "moradi"),
    ("عباسی", "abbasi"),
    ("سلیمانی", "soleimani"),
    ("اکبری", "akbari"),
    ("طاهری", "taheri"),
    ("شریفی", "sharifi"),
    ("یزدانی", "yazdani"),
    ("تهرانی", "tehrani"),
    ("اصفهانی", "esfahani"),
    ("شیرازی", "shirazi"),
    ("تبریزی", "tabrizi"),
    ("فراهانی", "farahani"),
    ("نجفی", "najafi"),
    ("بهرامی", "bahrami"),
    ("زارعی", "zarei"),
    ("قربانی", "ghorbani"),
    ("مختاری", "mokhtari"),
    ("پورمحمد", "pourmohammad"),
    ("خسروی", "khosravi"),
    ("صفوی", "safavi"),
    ("امینی", "amini"),
    ("رستمی", "rostami"),
    ("فرهادی", "farhadi"),
    ("کامرانی", "kamrani"),
    ("نیک‌نام", "niknam"),
    ("شجاعی", "shojaei"),
]

# An organisation's name is built from a form, a core and a field: "شرکت" + "آوا" + "بازرگانی".
ORGANIZATION_FORMS = ["شرکت", "شرکت", "شرکت", "گروه صنعتی", "مؤسسه", "تعاونی"]
ORGANIZATION_CORES = [
    ("آوا", "ava"),
    ("پارس", "pars"),
    ("نگین", "negin"),
    ("آریا", "arya"),
    ("سپهر", "sepehr"),
    ("البرز", "alborz"),
    ("دماوند", "damavand"),
    ("زاگرس", "zagros"),
    ("کوثر", "kowsar"),
    ("مهر", "mehr"),
    ("نوین", "novin"),
    ("بهار", "bahar"),
    ("ستاره", "setareh"),
    ("پیشگامان", "pishgaman"),
    ("رایان", "rayan"),
]
ORGANIZATION_FIELDS = [
    "بازرگانی",
    "پخش مواد غذایی",
    "مهندسی",
    "خدمات پذیرایی",
    "فناوری اطلاعات",
    "حمل و نقل",
    "ساختمانی",
    "داروسازی",
    "کافه‌رستوران",
    "تجهیزات اداری",
]

INTERESTS = [
    "چای و دمنوش",
    "قهوه",
    "شیرینی و کیک",
    "لبنیات",
    "تنقلات",
    "خشکبار",
    "آشپزی",
    "غذای سالم",
    "ورزش",
    "سفر",
    "کتاب",
    "خانواده و کودک",
]

EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]

# (sku, Persian name, category, unit price in Rials, how often it lands in a basket)
CATALOGUE = [
    ("TEA-AHM-500", "چای احمد ۵۰۰ گرمی", "tea", 2_850_000, 8),
    ("TEA-LAH-450", "چای سیاه لاهیجان ۴۵۰ گرمی", "tea", 1_900_000, 6),
    ("TEA-GRN-100", "چای سبز کیسه‌ای ۲۵ عددی", "tea", 650_000, 4),
    ("TEA-HRB-20", "دمنوش گل‌گاوزبان", "tea", 480_000, 3),
    ("COF-ESP-250", "قهوه اسپرسو ۲۵۰ گرمی", "coffee", 3_400_000, 4),
    ("COF-TRK-200", "قهوه ترک ۲۰۰ گرمی", "coffee", 2_200_000, 3),
    ("COF-INS-20", "کافی‌میکس ۲۰ عددی", "coffee", 1_150_000, 5),
    ("COF-BEAN-1K", "دانه قهوه عربیکا ۱ کیلویی", "coffee", 4_900_000, 1),
    ("PST-NAN-BRN", "نان برنجی کرمانشاه", "pastry", 950_000, 4),
    ("PST-GAZ-450", "گز اصفهان ۴۵۰ گرمی", "pastry", 2_600_000, 3),
    ("PST-SHL-KG", "شیرینی زبان ۱ کیلویی", "pastry", 1_800_000, 4),
    ("PST-CAKE", "کیک یزدی ۶ عددی", "pastry", 420_000, 6),
    ("PST-BAQ-500", "باقلوا ۵۰۰ گرمی", "pastry", 2_300_000, 2),
    ("DRY-MLK-1L", "شیر کم‌چرب ۱ لیتری", "dairy", 390_000, 14),
    ("DRY-YOG-2K", "ماست ۲ کیلویی", "dairy", 980_000, 10),
    ("DRY-CHS-400", "پنیر لیقوان ۴۰۰ گرمی", "dairy", 1_350_000, 7),
    ("DRY-BTR-100", "کره ۱۰۰ گرمی", "dairy", 560_000, 8),
    ("DRY-DGH-1L", "دوغ ۱ لیتری", "dairy", 210_000, 9),
    ("DRY-CRM-200", "خامه صبحانه", "dairy", 330_000, 6),
    ("SNK-CHP-60", "چیپس ساده", "snacks", 120_000, 12),
    ("SNK-PUF-40", "پفک", "snacks", 80_000, 12),
    ("SNK-BIS-200", "بیسکویت ساقه‌طلایی", "snacks", 150_000, 10),
    ("SNK-CHO-100", "شکلات تلخ ۷۰٪", "snacks", 640_000, 6),
    ("SNK-NUT-500", "آجیل مخلوط ۵۰۰ گرمی", "snacks", 4_600_000, 2),
    ("SNK-PST-250", "پسته اکبری ۲۵۰ گرمی", "snacks", 3_900_000, 2),
    ("SNK-DTS-600", "خرمای مضافتی بم", "snacks", 700_000, 5),
    ("SAF-1G", "زعفران نیم مثقال", "saffron", 1_650_000, 2),
    ("SAF-4G", "زعفران یک مثقال و نیم", "saffron", 4_950_000, 1),
]

PAYMENT_METHODS = ["card", "card", "card", "card", "cash", "online"]

# Weights of the hour of day (Tehran time, 9:00 to 22:59) at which shoppers come in.
OPENING_HOURS = {9: 2, 10: 4, 11: 5, 12: 5, 13: 4, 14: 3, 15: 3, 16: 4, 17: 6, 18: 8, 19: 9, 20: 9, 21: 7, 22: 4}

# Reasons for a staff correction (member_adjust).
ADJUST_REASONS = [
    "جبران تأخیر در ارسال سفارش اینترنتی",
    "امتیاز خرید ثبت‌نشده با ارائه فاکتور",
    "هدیه مدیر شعبه برای مشتری وفادار",
]

# --- the program (issue 4): tiers, earning rules, rewards, a paid plan, a promo code -----------

# Tiers by spend (Rials, net of refunds) over the last 365 days. The thresholds are set against
# the demo's own purchases so that about 40% of the members end up silver, 15% gold and 4-5%
# platinum (the rest has no tier yet).
TIERS = [
    {
        "code": "silver",
        "name": "نقره‌ای",
        "rank": 1,
        "color": "#9ea7b0",
        "qualify": {"by": "spend", "threshold": 25_000_000, "window": "rolling_365"},
        "earn_percent": 100,
        "grace_days": 0,
        "page_text": "با ۲٫۵ میلیون تومان خرید در یک سال گذشته عضو نقره‌ای باشگاه وفا می‌شوید: "
        "پیشنهادهای ویژه اعضا، هدیه تولد و خبر زودتر از جشنواره‌ها.",
    },
    {
        "code": "gold",
        "name": "طلایی",
        "rank": 2,
        "color": "#c9a227",
        "qualify": {"by": "spend", "threshold": 100_000_000, "window": "rolling_365"},
        "earn_percent": 150,
        "grace_days": 30,
        "page_text": "اعضای طلایی (۱۰ میلیون تومان خرید در یک سال) از هر خرید ۱٫۵ برابر امتیاز می‌گیرند، "
        "به حراج‌های فصلی زودتر از همه دسترسی دارند و تا ۳۰ روز پس از پایان دوره سطح خود را نگه می‌دارند.",
    },
    {
        "code": "platinum",
        "name": "پلاتینیوم",
        "rank": 3,
        "color": "#5f6b7a",
        "qualify": {"by": "spend", "threshold": 250_000_000, "window": "rolling_365"},
        "earn_percent": 200,
        "grace_days": 30,
        "page_text": "بالاترین سطح باشگاه وفا برای مشتریانی با ۲۵ میلیون تومان خرید در سال: امتیاز دو برابر، "
        "دسترسی زودهنگام به حراج‌ها، مشاور خرید اختصاصی و ۳۰ روز مهلت پیش از تغییر سطح.",
    },
]

# Earning rules in the program's JSON shape (DESIGN "The program as data"). Every state a rule
# can be in is shown: live ones, a draft being prepared and a paused one.
RULES = [
    {
        "name": "ساعت طلایی پنجشنبه و جمعه: امتیاز دو برابر",
        "status": "live",
        "trigger": "purchase",
        "conditions": {"weekdays": ["thu", "fri"], "hours": {"from": "10:00", "to": "12:00"}},
        "effect": {"type": "multiplier", "percent": 200},
        "priority": 30,
    },
    {
        "name": "هدیه خرید دوم و ششم",
        "status": "live",
        "trigger": "purchase",
        "conditions": {"nth_purchase": [2, 6]},
        "effect": {"type": "fixed_points", "points": 300},
        "priority": 20,
    },
    {
        "name": "امتیاز خرید عمده سازمان‌ها",
        "status": "live",
        "trigger": "purchase",
        "conditions": {"member_kinds": ["organization"], "amount_min": 10_000_000},
        "effect": {"type": "points_per_amount", "points": 1, "per_rial": 40_000},
        "caps": {"per_member_month": 2_000},
        "priority": 10,
    },
    {
        # Paid for by the tea supplier: the budget is what it agreed to fund.
        "name": "جشنواره چای با حمایت تأمین‌کننده",
        "status": "live",
        "trigger": "purchase",
        "conditions": {"categories": ["tea"], "min_quantity": 2},
        "effect": {"type": "fixed_points", "points": 100},
        "budget": {"points": 50_000},
        "priority": 5,
    },
    {
        "name": "خوش‌آمدگویی عضویت در باشگاه",
        "status": "live",
        "trigger": "join",
        "effect": {"type": "fixed_points", "points": 100},
    },
    {
        "name": "تکمیل پروفایل",
        "status": "live",
        "trigger": "profile_completed",
        "effect": {"type": "fixed_points", "points": 150},
    },
    {
        "name": "هدیه تولد",
        "status": "live",
        "trigger": "occasion",
        "occasion": "birthday",
        "effect": {"type": "fixed_points", "points": 500},
    },
    {
        "name": "معرفی دوستان: هدیه معرف",
        "status": "live",
        "trigger": "referral_completed",
        "effect": {"type": "fixed_points", "points": 500, "member": "referrer"},
    },
    {
        "name": "معرفی دوستان: هدیه عضو تازه",
        "status": "live",
        "trigger": "referral_completed",
        "effect": {"type": "fixed_points", "points": 250, "member": "referred"},
    },
    {
        "name": "نصب اپلیکیشن وفا",
        "status": "live",
        "trigger": "event",
        "event_type": "app_install",
        "effect": {"type": "fixed_points", "points": 200},
    },
    {
        "name": "شب یلدا: امتیاز سه برابر",
        "status": "draft",
        "trigger": "purchase",
        "conditions": {"starts_at": "2026-12-21T00:00:00+03:30", "ends_at": "2026-12-22T00:00:00+03:30"},
        "effect": {"type": "multiplier", "percent": 300},
        "priority": 40,
        "stacking": "exclusive",
    },
    {
        "name": "خرید اینترنتی: ۵۰٪ امتیاز بیشتر",
        "status": "paused",
        "trigger": "purchase",
        "conditions": {"channels": ["online"]},
        "effect": {"type": "multiplier", "percent": 150},
        "priority": 15,
    },
]

# The reward catalogue; `key` names a reward inside the demo only (the plan refers to it), the
# other fields are `reward_create`'s. A point is worth 100 Rials, so costs follow the value.
REWARDS = [
    {
        "key": "coupon_50k",
        "name": "کوپن تخفیف ۵۰ هزار تومانی",
        "description": "برای خریدهای بالای ۲۰۰ هزار تومان، تا ۶۰ روز.",
        "kind": "coupon_amount",
        "cost_points": 5_000,
        "amount_rial": 500_000,
        "min_purchase_rial": 2_000_000,
        "valid_days": 60,
        "per_member_limit": 3,
    },
    {
        "key": "coupon_10pct",
        "name": "کوپن ۱۰٪ تخفیف (تا سقف ۱۰۰ هزار تومان)",
        "description": "ده درصد تخفیف روی کل سبد خرید، حداکثر ۱۰۰ هزار تومان، تا ۳۰ روز.",
        "kind": "coupon_percent",
        "cost_points": 3_000,
        "percent": 10,
        "cap_rial": 1_000_000,
        "valid_days": 30,
    },
    {
        "key": "free_cake",
        "name": "یک بسته کیک یزدی رایگان",
        "description": "کیک یزدی ۶ عددی، هدیه باشگاه؛ در هر شعبه تحویل می‌شود.",
        "kind": "free_product",
        "cost_points": 4_000,
        "sku": "PST-CAKE",
        "amount_rial": 420_000,
        "valid_days": 30,
        "stock": 40,
    },
    {
        "key": "gift_card",
        "name": "کارت هدیه ۱۰۰ هزار تومانی",
        "description": "اعتبار خرید در همه شعبه‌ها و فروشگاه اینترنتی، قابل استفاده در چند نوبت، تا یک سال.",
        "kind": "gift_card",
        "cost_points": 10_000,
        "amount_rial": 1_000_000,
        "valid_days": 365,
        "stock": 12,
        "per_member_limit": 1,
    },
    {
        "key": "partner_code",
        "name": "اشتراک یک‌ماهه فیلم و سریال «تماشاخانه»",
        "description": "کد اشتراک همکار تجاری؛ تا پایان کدهای موجود.",
        "kind": "partner_code",
        "cost_points": 2_500,
        "per_member_limit": 1,
    },
    {
        "key": "charity",
        "name": "اهدای امتیاز به مؤسسه خیریه محک",
        "description": "ارزش ریالی امتیاز شما به نام خودتان به محک (حمایت از کودکان مبتلا به سرطان) پرداخت می‌شود.",
        "kind": "charity",
        "cost_points": 1_000,
        "charity_name": "مؤسسه خیریه محک",
    },
    {
        "key": "early_access",
        "name": "دسترسی زودهنگام به حراج فصلی",
        "description": "ویژه اعضای طلایی و پلاتینیوم: یک روز پیش از همه به حراج فصلی دعوت می‌شوید.",
        "kind": "non_material",
        "cost_points": 300,
        "tiers": ["gold", "platinum"],
        "stock": 30,
        "per_member_limit": 1,
    },
]

# Partner codes are uploaded as the partner sends them: prefix, then random groups.
PARTNER_CODE_PREFIX = "TMSH"
PARTNER_CODES = 20

PAID_PLAN = {
    "name": "باشگاه ویژه",
    "fee_rial": 2_000_000,
    "duration_days": 365,
    "earn_percent": 125,
    "description": "عضویت سالانه ۲۰۰ هزار تومانی: ۲۵٪ امتیاز بیشتر از هر خرید در تمام سال.",
}

PROMO_CODE = {
    "code": "YALDA1405",
    "kind": "amount",
    "amount_rial": 1_500_000,
    "min_purchase_rial": 10_000_000,
    "usage_limit": 100,
    "per_member_limit": 1,
}
PROMO_DAYS = (-10, 30)  # valid from 10 days before the demo was loaded to 30 days after

APP_INSTALL_EVENT = "app_install"
APP_PLATFORMS = ["android", "android", "ios"]
