"""The tricky inputs whose transformers outputs become the tokenizer goldens (see make_tokenizer_fixtures.py)."""


def golden_texts():
    long_en = " ".join(["The quick brown fox jumps over the lazy dog."] * 12)
    long_zh = "北京是中华人民共和国的首都，有着悠久的历史。" * 6
    return [
        # Latin, accents precomposed and combining
        "Hello World!",
        "The quick brown fox jumps over the lazy dog.",
        "The café serves crème brûlée and naïve jalapeño piñatas.",
        "Cafe\u0301 cre\u0300me bru\u0302le\u0301e nai\u0308ve",
        "Ａ\u0301 Ｅ\u0301 ｅ\u0308",
        "Ä Å Ç Ñ Ø ß Æ Œ ŀ ĳ",
        "Zażółć gęślą jaźń",
        "Tiếng Việt có dấu: Phở, Hà Nội, nhẹn.",
        # CJK
        "敏捷的棕色狐狸跳过了懒狗。",
        "红色的圆形和蓝色的正方形在白色的背景上。",
        "臺灣的夜市有很多好吃的小吃。",
        "東京は日本の首都で、とても大きな都市です。",
        "ｶﾀｶﾅの半角文字：ﾃｽﾄ、ｺﾝﾋﾟｭｰﾀｰ、ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ",
        "ガギグゲゴ か\u3099き\u3099",
        "서울은 대한민국의 수도입니다.",
        "\u1109\u1165\u110b\u116e\u11af \u1112\u1161\u11ab\u1100\u116e\u11a8",
        # RTL and Indic / Thai
        "الثعلب البني السريع يقفز فوق الكلب الكسول.",
        "ﻻ ﷺ ﷽",
        "השועל החום המהיר קופץ מעל הכלב העצלן.",
        "नई दिल्ली भारत की राजधानी है। क्षमा कीजिए",
        "क़ ख़ ग़ ज़ ड़ ढ़ फ़",
        "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย",
        "Москва является столицей Российской Федерации. Ёлка, йод.",
        "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.",
        # emoji and ZWJ
        "I love 🍕 and ☕ in the morning 😀",
        "👨‍👩‍👧‍👦 family 👍🏽 thumbs 🏳️‍🌈 flag 🇫🇷 🇯🇵",
        "❤️ ❤ ☺️ 1️⃣ #️⃣",
        # compatibility forms
        "ＡＢＣ ｄｅｆ １２３ ！？（）［］",
        "ﬁnance ﬂow ﬀ ﬃ ﬄ ﬅ ﬆ",
        "①②③ ⑩ ⑴ ⒈ Ⅻ ⅷ ¹²³ ½ ¼ ㎏ ㎞ ℃ №",
        "𝐀𝐁𝐂 𝕏𝕐 𝒜 𝔄 𝟘𝟙𝟚 ℌ ℝ",
        "… ‥ ′ ″ ‘quotes’ “double” «guillemets» — – ‐",
        "™ © ® ℡ ㍻ ㈱ ㊤",
        # whitespace of every kind
        "tab\there\tand\t\ttwo",
        "line\nbreak\r\nwindows\rmac",
        "nbsp\u00a0here\u00a0\u00a0twice",
        "ideographic\u3000space\u3000全角",
        "next\u0085line \u2028sep\u2029para",
        "en\u2002em\u2003thin\u2009hair\u200anarrow\u202fmath\u205fogham\u1680end",
        "   leading and trailing   ",
        "multiple     spaces   between",
        " \t\n \u3000",
        "",
        " ",
        "\u00a0",
        # control and zero-width characters
        "bell\u0007 esc\u001b del\u007f nul\u0000 end",
        "unit\u001fsep\u001crecord\u001egroup\u001d",
        "zero\u200bwidth\u200cnon\u200djoiner\ufeffbom",
        "soft\u00adhyphen word\u2060joiner \u061c\u200e\u200fmarks",
        "replacement \ufffd char and private \ue000",
        # special tokens inside text and look-alikes
        "hello <mask> world",
        "hello<mask>world and <mask>",
        "a <s> b </s> c <pad> d <unk> e",
        "<s>already</s>",
        "</s></s>",
        "<S> </S> < s> <s > <mask > <MASK> ＜s＞ <<s>> <ｓ>",
        "\u3000<mask>\u3000text",
        # absent from the vocabulary
        "☃ ☃☃ snow☃man ☃x",
        "ሰላም ዓለም ᐊᐃᐅᐸ 𓀀𓀁 ꦗꦮ",
        "Ω≈ç√∫˜µ≤≥÷ ∀x∈ℝ: x²≥0",
        "a\u0301\u0302\u0303\u0304\u0305\u0306",
        "x\u20dd y\u20e3",
        "▁ ▁▁ a▁b ▁lead",
        # misc
        "https://example.com/path?q=1&lang=zh-CN#frag",
        "email: test@example.com, phone: +1 (555) 123-4567",
        "C'est l'été! ¿Qué tal? Wie geht's? Как дела? 你好吗？",
        "I'm sure you've heard that they're going; isn't it?",
        "1 2 3 3.14159 -42 1,000,000 50% $19.99 €5",
        "<html><body>Hello</body></html> & a < b > c",
        # longer than model_max_length
        long_en,
        long_zh,
    ]


def batch_cases():
    texts = ["a photo of a cat", "一张猫的照片", "", "Une photo d'un chat assis sur un canapé rouge près de la fenêtre."]
    long_text = " ".join(["The quick brown fox jumps over the lazy dog."] * 12)
    return [
        {"texts": texts, "padding": "longest", "truncation": None, "max_length": None},
        {"texts": texts, "padding": "max_length", "truncation": None, "max_length": 20},
        {"texts": texts, "padding": "max_length", "truncation": True, "max_length": 8},
        {"texts": texts, "padding": None, "truncation": True, "max_length": 5},
        {"texts": texts, "padding": None, "truncation": None, "max_length": 6},
        {"texts": [long_text, "short"], "padding": "longest", "truncation": True, "max_length": None},
        {"texts": [long_text, "short"], "padding": "max_length", "truncation": True, "max_length": None},
        {"texts": [long_text, "short"], "padding": "longest", "truncation": None, "max_length": None},
        {"texts": ["x"], "padding": "longest", "truncation": True, "max_length": 2},
        {"texts": ["hello world"], "padding": "max_length", "truncation": True, "max_length": 3},
    ]


def pair_cases():
    return [
        {"texts": ["What is this?"], "pairs": ["A photo of a cat."], "padding": None, "truncation": None,
         "max_length": None},
        {"texts": ["first", "second text is longer"], "pairs": ["", "b"], "padding": "longest", "truncation": None,
         "max_length": None},
        {"texts": ["The quick brown fox jumps over the lazy dog.", "short"],
         "pairs": ["short", "Une photo d'un chat assis sur un canapé rouge près de la fenêtre."],
         "padding": "longest", "truncation": True, "max_length": 12},
        {"texts": ["The quick brown fox jumps over the lazy dog."],
         "pairs": ["Une photo d'un chat assis sur un canapé rouge près de la fenêtre."],
         "padding": None, "truncation": True, "max_length": 15},
        {"texts": ["The quick brown fox jumps over the lazy dog."],
         "pairs": ["Une photo d'un chat assis sur un canapé rouge près de la fenêtre."],
         "padding": "max_length", "truncation": True, "max_length": 16},
        {"texts": ["abc def ghi"], "pairs": ["一张猫的照片"], "padding": None, "truncation": True, "max_length": 7},
    ]


def decode_cases(mask_id, vocab_size):
    return [
        [0, 2],
        [0, 1, 1, 2],
        [0, 3, 2],
        [0, mask_id, 2],
        [5, 5, 5],
        [2, 0, 1, 3, mask_id],
        [0, 100, 200, 300, 2, 2, 400, 500, 2, 1, 1],
        [],
        [7, 8, 9, 10, 11, 12, 13, 14],
        list(range(vocab_size - 20, vocab_size)),
    ]
