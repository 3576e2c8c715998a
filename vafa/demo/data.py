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
