"""Seeded generator of synthetic customer feedback for Volta, a fictional electronics shop.

``generate(out_dir)`` writes three source files and a manifest that records the truth about them:

- ``reviews.csv``           shop reviews (stars 1-5, Europe/London local time without offset);
- ``survey_comments.csv``   survey answers (NPS / CSAT / CES and an open comment, ISO-8601 with offset);
- ``social_mentions.jsonl`` informal social posts (UTC), with retweets and near-duplicates;
- ``manifest.json``         what was planted where: pain points, malformed lines, duplicates, PII.

Design
------
Every piece of feedback is built from *ideas*. An idea belongs to one customer-journey stage, has a
polarity (+1 praise / -1 complaint) and a pool of phrasings with slots ("on hold for {duration}").
The generation runs in fixed steps, all drawing from one ``random.Random(seed)`` in a fixed order,
so the same arguments always give byte-identical files:

1. skeletons: each record gets a local timestamp inside the period; records are sorted by time and
   numbered, so ids grow with time;
2. a few records per file are marked as malformed (they are not "good" records);
3. social posts get a platform and a handle, and some become retweets or near-duplicates of an
   earlier post of the same week (they inherit its ideas);
4. planted pain points are assigned week by week to exact target counts (spike, steady, growing,
   praise), drawn from all three sources; every record then gets background ideas, uniformly over
   time, never two ideas of the same group (so no record says "fast delivery" and "parcel late");
5. a few records get a PII sentence; then texts and scores are rendered: scores follow the
   sentiment of the ideas, the last idea weighing most (people remember how it ended);
6. exact duplicate lines are inserted after their originals and the files and manifest are written.

A few non-English records (French, German, Spanish, Italian, Portuguese, Dutch: about 0.6% of the
reviews, 0.5% of the survey answers, 1.5% of the social posts) are drawn from a second stream,
``random.Random(seed + NON_ENGLISH_SEED_OFFSET)``, and slotted into the files at their place in time,
so the English records are exactly what they are without them. They carry no ideas: the manifest
lists them under "non_english" (file, line, id, language, polarity); the pipeline must detect them
and keep them out of the English sentiment and theme figures.

The manifest is computed from the records actually written, so it is the truth by construction.
The work is linear in the number of records (300,000 reviews: about 12 s on two slow cores).
"""

from __future__ import annotations

import csv
import datetime
import functools
import itertools
import json
import pathlib
import random
import string
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

DEFAULT_SEED = 42
REPORTING_TIMEZONE = "Europe/London"
LONDON = ZoneInfo(REPORTING_TIMEZONE)
SHOP_HANDLE = "@VoltaShop"
STAGES = ("awareness", "consideration", "purchase", "onboarding", "usage", "support", "loyalty")

REVIEW_COLUMNS = ("review_id", "submitted_at", "product", "stars", "title", "text", "customer_id", "country")
SURVEY_COLUMNS = ("response_id", "responded_at", "survey", "touchpoint", "nps", "csat", "ces", "comment",
                  "respondent_email", "channel")

# Records per week in the default run; planted volumes scale with (records per week / this).
DEFAULT_WEEKLY_RECORDS = (1600 + 1400 + 1200) / 13


def _weighted(pairs) -> tuple[tuple, tuple[float, ...]]:
    """A weighted table for _pick: (values, cumulative weights) from (value, weight) pairs."""
    values, weights = zip(*pairs)
    return values, tuple(itertools.accumulate(weights))


def _pick(rng: random.Random, table: tuple[tuple, tuple[float, ...]]):
    return rng.choices(table[0], cum_weights=table[1])[0]


@dataclass(frozen=True)
class _Source:
    name: str
    file: str
    kind: str
    id_prefix: str
    defects: tuple[str, ...]  # expected reject reason of each malformed record, in order
    n_duplicates: int


SOURCES = (
    _Source("shop_reviews", "reviews.csv", "review", "R", ("field_count", "missing_text", "out_of_range"), 3),
    _Source("surveys", "survey_comments.csv", "survey", "S", ("out_of_range", "missing_text"), 2),
    _Source("social_listening", "social_mentions.jsonl", "social", "T", ("invalid_json",), 2),
)
SOURCES_BY_NAME = {source.name: source for source in SOURCES}

# --------------------------------------------------------------------------- catalogue and fillers


@dataclass(frozen=True)
class _Product:
    name: str
    short: str
    features: tuple[str, ...]


_AUDIO = ("sound", "bass", "noise cancelling", "microphone")
_SPEAKER = ("sound", "bass", "volume", "stereo pairing")
_SMART = ("video quality", "night vision", "motion detection", "two-way audio")
PRODUCTS = (
    _Product("Volta Aria ANC Headphones", "Aria ANC", _AUDIO),
    _Product("Volta Aria Mini Earbuds", "Aria Mini", _AUDIO),
    _Product("Volta Pulse Sport Earbuds", "Pulse Sport", _AUDIO),
    _Product("Volta Boom 2 Portable Speaker", "Boom 2 speaker", _SPEAKER),
    _Product("Volta Boom Max Party Speaker", "Boom Max", _SPEAKER),
    _Product("Volta Echoframe Soundbar", "Echoframe soundbar", _SPEAKER),
    _Product("Volta Sentry Video Doorbell", "Sentry doorbell", _SMART),
    _Product("Volta Sentry Outdoor Camera", "Sentry camera", _SMART),
    _Product("Volta Home Hub", "Home Hub", ("voice control", "automations", "sound", "display")),
)

SLOT_VALUES = {
    "duration": ("45 minutes", "an hour", "50 minutes", "over an hour", "90 minutes", "40 minutes", "two hours"),
    "days": ("3 days", "five days", "a week", "4 days", "six days", "over a week"),
    "weeks": ("two weeks", "3 weeks", "10 days", "a fortnight", "over a week", "nearly a month"),
    "hours": ("30 hours", "40 hours", "a full week", "two full days"),
    "agent": ("Priya", "Tom", "Aisha", "Marek", "Sophie", "Daniel", "Chloe", "Ravi", "Niamh", "Jonas"),
    "code": ("SUMMER10", "WELCOME15", "VOLTA20", "STUDENT10", "BACK2SCHOOL"),
    "price": ("£49.99", "£79", "£129.99", "£199", "£34.50", "£89.99"),
    "fee": ("£4.99", "£6.50", "£9.99", "£3.95"),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"),
    "carrier": ("SwiftPost", "ParcelGo", "Northway Couriers"),
    "count": ("three", "four", "five", "3", "4"),
}

COUNTRIES = _weighted((("GB", 55), ("IE", 8), ("DE", 10), ("FR", 8), ("US", 10), ("NL", 5), ("ES", 4)))
FIRST_NAMES = ("maria", "james", "olivia", "liam", "amelia", "noah", "isla", "oliver", "ava", "jack", "mia",
               "harry", "sofia", "leo", "grace", "arjun", "fatima", "lukas", "chloe", "mateo", "zara", "ethan",
               "aoife", "kofi", "hannah", "yusuf", "emma", "tomasz", "lena", "sam")
LAST_NAMES = ("smith", "jones", "patel", "murphy", "kowalski", "okafor", "schmidt", "dubois", "garcia", "khan",
              "brown", "walsh", "nguyen", "rossi", "evans", "taylor", "byrne", "fischer", "martin", "ali")
HANDLE_WORDS = ("techie", "audio", "dad", "runner", "gamer", "bookish", "coffee", "vinyl", "hifi", "mum")
PLATFORMS = _weighted((("x", 45), ("instagram", 20), ("facebook", 15), ("reddit", 20)))
CHANNELS = _weighted((("email", 45), ("web", 25), ("app", 20), ("sms", 10)))
# Local hours only, 07-23: never inside a daylight-saving change (01:00-02:00).
HOURS = _weighted(zip(range(7, 24), (2, 4, 5, 5, 5, 6, 6, 5, 5, 5, 6, 7, 8, 9, 9, 7, 4)))

# --------------------------------------------------------------------------- ideas, by stage


@dataclass(frozen=True)
class Idea:
    id: str
    stage: str
    polarity: int  # +1 praise, -1 complaint
    groups: tuple[str, ...]  # ideas sharing a group never meet in one record
    templates: tuple[str, ...]
    weight: float = 1.0  # relative frequency as a background idea


AWARENESS = (
    Idea("friend_recommendation", "awareness", +1, ("discovery",), (
        "A friend recommended Volta and I'm glad they did.",
        "My brother put me onto Volta after buying his own {product}.",
        "Heard about Volta from a colleague who swears by their stuff.",
        "Found Volta through a friend's recommendation, never heard of them before.",
        "My sister had the {product} and kept raving about it, so I had to try it.",
        "Word of mouth got me here: two friends said Volta was the place to go.",
        "A mate showed me his {product} and I ordered one the same night.",
    )),
    Idea("helpful_newsletter", "awareness", +1, ("marketing",), (
        "The Volta newsletter actually has useful deals, which is rare.",
        "I got a newsletter about the {product} at just the right time.",
        "Their emails are short and relevant, no spam.",
        "The launch email explained the new {product} really well.",
        "I like that the newsletter only shows products I might actually want.",
        "Signed up for the newsletter and got a genuinely good early-bird offer.",
        "The ad I saw was honest about the price and the features, refreshing.",
    )),
    Idea("spammy_marketing", "awareness", -1, ("marketing",), (
        "I get three marketing emails a day from Volta, it's too much.",
        "Unsubscribed twice and the newsletters keep coming.",
        "The emails are constant and nothing in them is relevant to me.",
        "Why am I getting texts about party speakers every other day?",
        "Your marketing emails are relentless, please stop.",
        "I bought one pair of headphones and now my inbox is full of Volta promos.",
        "The unsubscribe link in the newsletter doesn't even work.",
    )),
    Idea("misleading_ads", "awareness", -1, ("ads",), (
        "The ad showed a price of {price} but the site charged more.",
        "Your Instagram ads follow me everywhere, even after I bought the thing.",
        "The advert promised free next-day delivery, which turned out not to be true.",
        "Ads for the {product} keep popping up although I already own one.",
        "The banner said 50% off but that only applied to one colour nobody wants.",
        "The advert made the {product} look much bigger than it is.",
        "Irrelevant ads for baby monitors, I don't even have kids.",
    )),
)

CONSIDERATION = (
    Idea("clear_product_info", "consideration", +1, ("product_info",), (
        "The product page had every spec I needed.",
        "The comparison table made it easy to pick between models.",
        "Clear photos, clear specs, no guesswork.",
        "Loved the video showing the {product} in use.",
        "The site explained the differences between the models in plain English.",
        "All the technical details were there, including battery and charging times.",
        "The product description was accurate and detailed.",
        "Finding the right model was easy thanks to the filters on the website.",
    )),
    Idea("helpful_reviews", "consideration", +1, ("reviews",), (
        "The customer reviews on the site helped me decide.",
        "Reading the Q&A section answered all my questions before buying.",
        "I compared a few shops and Volta's reviews felt the most honest.",
        "The reviews mentioned the fit, which was exactly what I wanted to know.",
        "Honest reviews, including the negative ones, made me trust the shop.",
        "I read about twenty reviews of the {product} before ordering and they were spot on.",
    )),
    Idea("unclear_pricing", "consideration", -1, ("pricing",), (
        "It wasn't clear whether the price included the charging case.",
        "The price changed twice while I was deciding.",
        "I couldn't work out which bundle was actually cheaper.",
        "The price on the app and on the website were different.",
        "Confusing pricing, there are three versions of the {product} and no explanation of the difference.",
        "The price of the Volta Care plan is buried somewhere in the small print.",
        "Was the {price} with or without the subscription? No idea.",
    )),
    Idea("missing_product_info", "consideration", -1, ("product_info",), (
        "There was no information about which codecs the {product} supports.",
        "The site search is useless, I couldn't find the product I was looking for.",
        "I had to google the dimensions because the product page doesn't list them.",
        "No mention anywhere of whether it works with Android.",
        "The product page doesn't say how long the battery takes to charge.",
        "Searching for 'doorbell' showed me headphones, which didn't help.",
        "Asked a question on the product page a week ago and it's still unanswered.",
    )),
)

PURCHASE = (
    Idea("payment_failures", "purchase", -1, ("checkout",), (
        "My card was declined at checkout even though there was plenty of money on it.",
        "Payment failed three times at checkout before I gave up.",
        "I was charged {price} but the order was never placed.",
        "The payment page threw an error every time I tried to pay.",
        "Card declined, card declined, card declined, then the basket emptied itself.",
        "Tried two different cards and both were declined at the payment step.",
        "The money left my account but no order confirmation ever came.",
        "Checkout kept saying payment failed, yet my bank shows the charge.",
        "Got an error on the payment page right after entering my card details.",
        "I couldn't pay at all: the checkout just said transaction declined.",
        "Paid with PayPal, got an error, and now there are two pending payments and no order.",
        "The payment step crashed and I had no idea whether my order went through.",
    )),
    Idea("easy_checkout", "purchase", +1, ("checkout",), (
        "Checkout was quick and painless.",
        "Paying with Apple Pay took seconds.",
        "The checkout only asked for what it needed, very smooth.",
        "Ordering took me less than two minutes.",
        "Guest checkout worked perfectly, no account needed.",
        "Buying was simple and the confirmation email arrived straight away.",
        "Easy checkout, clear summary, no surprises.",
    )),
    Idea("discount_worked", "purchase", +1, ("discount",), (
        "My discount code {code} applied without any fuss.",
        "Got 15% off with the welcome code, nice touch.",
        "The student discount was easy to claim.",
        "Used {code} at checkout and saved a decent amount.",
        "Great deal during the sale, the {product} was only {price}.",
        "The loyalty voucher knocked a nice chunk off the price.",
    )),
    Idea("hidden_fees", "purchase", -1, ("fees",), (
        "A {fee} delivery charge only appeared at the very last step.",
        "Hidden fees at checkout, the total was higher than the basket said.",
        "They added a 'service fee' of {fee} without explaining it.",
        "The price jumped at checkout because of a handling fee nobody mentioned.",
        "Express delivery was ticked by default and cost me {fee}.",
        "I was charged import fees on delivery that the site never mentioned.",
        "The final price was {fee} more than advertised.",
    )),
    Idea("discount_failed", "purchase", -1, ("discount",), (
        "The discount code {code} was rejected even though it hadn't expired.",
        "My voucher code kept saying 'invalid'.",
        "The newsletter promised 10% off but the code didn't work at checkout.",
        "Tried {code} three times, no discount.",
        "The promo code removed itself when I changed the delivery option.",
        "Student discount wouldn't apply no matter what I tried.",
    )),
)

ONBOARDING = (
    Idea("delivery_delays", "onboarding", -1, ("delivery",), (
        "My parcel arrived {weeks} late.",
        "Still waiting for my {product} after {weeks}.",
        "The delivery date kept moving, first {weekday}, then next week, then nothing.",
        "Order {order} was meant to arrive in 2 days and took {weeks}.",
        "Tracking has said 'out for delivery' for {days} now.",
        "My parcel sat in a {carrier} depot for {days} and turned up late.",
        "Delivery was delayed again and again without any explanation.",
        "I took a day off to wait for the delivery and it never came.",
        "The estimated delivery date has been pushed back three times.",
        "It took {weeks} for my order to arrive, way longer than promised.",
        "My {product} finally showed up {weeks} after I ordered it.",
        "Parcel late again, this is the second time in a row.",
    )),
    Idea("fast_delivery", "onboarding", +1, ("delivery",), (
        "Delivery was super fast, it arrived the next day.",
        "Ordered in the evening and it was on my doorstep the next morning.",
        "The parcel came a day earlier than promised.",
        "{carrier} delivered on time and kept me updated by text.",
        "Fast delivery and accurate tracking.",
        "Arrived within 48 hours, well packed.",
        "Next-day delivery actually meant next day, impressive.",
    )),
    Idea("easy_setup", "onboarding", +1, ("setup",), (
        "Setup took about five minutes.",
        "Pairing with my phone was instant.",
        "The quick start guide was clear and I was up and running straight away.",
        "Unboxing and setting up the {product} was a pleasure.",
        "The app walked me through setup step by step.",
        "Connected to the wifi first time, no drama.",
        "Plug in, press one button, done.",
    )),
    Idea("damaged_packaging", "onboarding", -1, ("packaging",), (
        "The box arrived crushed and the {product} had a scratch.",
        "Packaging was damaged and the seal was already broken.",
        "It came in a torn bag with no padding at all.",
        "The parcel looked like it had been dropped from a height.",
        "The {product} was dented straight out of the box.",
        "Arrived with the outer box soaked through.",
        "Way too much plastic in the packaging for such a small item.",
    )),
    Idea("confusing_setup", "onboarding", -1, ("setup",), (
        "The instructions are useless, just pictures with no words.",
        "Pairing failed over and over until I found a video online.",
        "Setup in the app kept timing out.",
        "I had no idea which button to hold to reset the {product}.",
        "It took me an evening to get the {product} onto my wifi.",
        "The quick start guide skips the one step that actually matters.",
        "Setting up the {product} was a real learning curve.",
    )),
)

USAGE = (
    Idea("product_quality_praise", "usage", +1, ("quality",), (
        "The sound on my {product} is amazing.",
        "Battery lasts for days, I charge it maybe once a week.",
        "Build quality is excellent, it feels really solid.",
        "The {feature} is honestly better than I expected for the price.",
        "Crystal clear sound and deep bass, I love it.",
        "Really well made, nothing creaks or rattles.",
        "Battery life is incredible, easily {hours} on a single charge.",
        "The {product} feels premium and sounds fantastic.",
        "Top quality product, the {feature} is superb.",
        "Sound quality is brilliant, even at full volume.",
        "Solid build and a battery that just keeps going.",
        "Excellent quality all round, the {feature} is spot on.",
    )),
    Idea("app_works_well", "usage", +1, ("app",), (
        "The Volta app is simple and the EQ settings are great.",
        "Firmware updates install in the background without me noticing.",
        "The app connects instantly every time.",
        "I love being able to tweak the {feature} in the app.",
        "The latest update made the app noticeably faster.",
        "Works flawlessly with my phone and laptop.",
        "Switching between devices is seamless.",
    ), weight=1.3),
    Idea("great_value", "usage", +1, ("value",), (
        "Great value for money.",
        "Worth every penny.",
        "For {price} it beats products that cost twice as much.",
        "I've had it for months and it still works like new.",
        "Does everything I need and more for the price.",
        "Honestly the best purchase I've made this year.",
        "It's reliable, I use it every single day.",
    ), weight=1.3),
    Idea("app_bugs", "usage", -1, ("app",), (
        "The app keeps disconnecting from the {product}.",
        "Since the last firmware update the {product} crashes every few hours.",
        "Bluetooth drops out several times a day.",
        "The app freezes whenever I try to change the settings.",
        "Notifications from the app arrive minutes late or not at all.",
        "It randomly disconnects and I have to pair it again.",
        "The {feature} stopped working properly after the update.",
    ), weight=0.5),
    Idea("feature_limitations", "usage", -1, ("features",), (
        "There's no way to adjust the EQ, which is a shame.",
        "It doesn't support connecting to two devices at once.",
        "The {feature} is weaker than I expected.",
        "No Android widget, only iPhone users get the nice features.",
        "Can't use it without creating an account, which is annoying.",
        "The {product} is missing basic features the cheaper brands have.",
        "Voice control only understands a handful of commands.",
    ), weight=0.5),
)

SUPPORT = (
    Idea("support_wait_times", "support", -1, ("speed",), (
        "I was on hold for {duration} before anyone picked up.",
        "Nobody answers the live chat, I waited {duration} and gave up.",
        "Waited {days} for a reply to my email.",
        "Spent {duration} in the phone queue just to ask a simple question.",
        "It took {days} for support to even acknowledge my ticket.",
        "The chat said a wait of 2 minutes, it was more like {duration}.",
        "Called support three times and was on hold for {duration} every time.",
        "Still no answer to my email after {days}.",
        "Their support line keeps you on hold forever with the same song on loop.",
        "I waited {duration} on hold and then the call dropped.",
        "Why does it take {days} to answer one email?",
        "Customer service is impossible to reach, the queue never moves.",
    )),
    Idea("helpful_agent", "support", +1, ("agent",), (
        "{agent} on the support chat was brilliant.",
        "The agent, {agent}, was friendly and knew exactly what to do.",
        "Support staff were polite and genuinely helpful.",
        "{agent} went above and beyond to sort out my problem.",
        "Really kind person on the phone, patient with all my questions.",
        "The support team explained everything clearly.",
        "Shout out to {agent} from customer service, a real star.",
    )),
    Idea("quick_resolution", "support", +1, ("speed", "resolution"), (
        "My issue was sorted in a single call.",
        "Support sent a replacement the same day.",
        "Problem solved within ten minutes on live chat.",
        "They resolved my complaint quickly and without any fuss.",
        "I reported the fault in the morning and had a fix by lunchtime.",
        "One email and the problem was gone.",
    )),
    Idea("passed_around", "support", -1, ("handoff",), (
        "I was transferred {count} times and had to repeat my story every time.",
        "Passed from one department to another with nobody taking responsibility.",
        "Chat sent me to phone support, phone support sent me back to chat.",
        "Every agent told me something different.",
        "Got bounced between the returns team and tech support for a week.",
        "Each time I called I spoke to someone new who knew nothing about my case.",
        "I couldn't get through to a real person, just a bot going in circles.",
    )),
    Idea("unresolved_issue", "support", -1, ("resolution",), (
        "My ticket was closed without the problem being fixed.",
        "Support promised a call back that never happened.",
        "Weeks later and my issue is still not resolved.",
        "The agent was rude and hung up on me.",
        "They just told me to turn it off and on again.",
        "Nobody could actually solve the problem.",
        "The case was marked as resolved, but nothing had changed.",
    )),
)

LOYALTY = (
    Idea("easy_returns", "loyalty", +1, ("returns",), (
        "Returning the {product} was easy, the label was in the box.",
        "My refund arrived within three days of sending it back.",
        "The returns process was painless.",
        "Dropped the return at a locker and got an email the next day.",
        "No questions asked returns, very impressed.",
        "Exchanged the wrong colour without any hassle.",
    )),
    Idea("would_recommend", "loyalty", +1, ("advocacy",), (
        "I've already recommended Volta to my friends.",
        "Will definitely buy from Volta again.",
        "Just renewed my Volta Care plan, happy to stay.",
        "This is my third Volta product and it won't be my last.",
        "I'd recommend the {product} to anyone.",
        "Loyal customer for years and they keep getting it right.",
        "Told the whole family to shop here.",
    )),
    Idea("refund_delays", "loyalty", -1, ("returns",), (
        "My refund still hasn't arrived {days} after they received the return.",
        "Returned the {product} and heard nothing since.",
        "They lost my return and now refuse to refund me.",
        "The returns portal wouldn't accept my order reference.",
        "Refund took over a month to show up.",
        "I had to pay for return postage on a faulty item.",
        "Getting my money back has been a nightmare.",
    )),
    Idea("billing_errors", "loyalty", -1, ("billing",), (
        "I was charged twice for my Volta Care subscription.",
        "My invoice shows a plan I never signed up for.",
        "The monthly fee went up without any warning.",
        "Billed {price} for a renewal I had cancelled.",
        "There's a charge on my statement from Volta I can't explain.",
        "The invoice had the wrong address and the wrong VAT.",
    )),
    Idea("hard_cancellation", "loyalty", -1, ("cancel",), (
        "Cancelling the subscription online is impossible, you have to call.",
        "I tried to cancel my Volta Care plan three times.",
        "Closing my account took weeks of emails.",
        "There is no cancel button anywhere in the app.",
        "They kept offering discounts instead of just cancelling.",
        "It took five minutes to sign up and five weeks to cancel.",
    )),
)

IDEAS = {idea.id: idea for idea in AWARENESS + CONSIDERATION + PURCHASE + ONBOARDING + USAGE + SUPPORT + LOYALTY}

# --------------------------------------------------------------------------- planted pain points


@dataclass(frozen=True)
class PlantedPainPoint:
    id: str  # also the id of its idea
    theme: str
    shape: str  # spike | steady | growing | praise
    level: float  # records per week at the default density (spike: in its week; growing: last week)
    description: str
    level_start: float | None = None  # growing only: records in the first week


PLANTED = (
    PlantedPainPoint("payment_failures", "payment failures", "spike", 120,
                     "Card declined / payment failed / charged but no order, concentrated in one week."),
    PlantedPainPoint("support_wait_times", "long support wait times", "steady", 22,
                     "Long holds, unanswered chat, slow email replies; constant weekly volume."),
    PlantedPainPoint("delivery_delays", "delivery delays", "growing", 60,
                     "Late parcels and moving delivery dates; weekly volume rises through the period.",
                     level_start=5),
    PlantedPainPoint("product_quality_praise", "product quality praise", "praise", 32,
                     "Sound, battery life and build quality praised; steady and positive."),
)
PLANTED_IDS = tuple(p.id for p in PLANTED)
SPIKE_BACKGROUND_RATE = 0.4  # chance of one stray spike-idea record in any other week (at scale 1)
BACKGROUND_IDEAS = _weighted((i.id, i.weight) for i in IDEAS.values() if i.id not in PLANTED_IDS)
# (counts, weights) of background ideas per record: [kind][has a planted idea]
BACKGROUND_COUNTS = {
    "review": {True: _weighted(((0, 45), (1, 45), (2, 10))), False: _weighted(((1, 55), (2, 35), (3, 10)))},
    "survey": {True: _weighted(((0, 45), (1, 45), (2, 10))), False: _weighted(((1, 55), (2, 35), (3, 10)))},
    "social": {True: _weighted(((0, 80), (1, 20))), False: _weighted(((1, 85), (2, 15)))},
}

# --------------------------------------------------------------------------- framing of texts

CONTEXT_SENTENCES = (
    "Bought the {product} as a birthday present.",
    "Ordered on a {weekday} evening.",
    "This was my second order from Volta.",
    "Long-time customer here.",
    "Writing this a couple of weeks after my purchase.",
    "I use it mostly for work calls and the gym.",
    "Quick update on my order.",
    "Not my first Volta product.",
)
CONTRAST_RATE = 0.6
CONTRAST_JOINS = {  # polarity of the second idea -> joins that lower-case it
    -1: (", but ", ", but sadly ", ". Sadly, ", ", although "),
    +1: (", but ", ", although ", ". On the plus side, ", ". That said, "),
}
TITLES = {
    "positive": ("Love it", "Brilliant", "Great {product}", "Really happy", "Excellent", "Five stars",
                 "Does exactly what it says", "Very pleased", "Superb", "Happy with my {product}"),
    "mixed": ("Good but not perfect", "Mixed feelings", "Almost great", "Decent, with a catch",
              "Could be better", "OK overall", "Great product, shame about the rest", "Ups and downs"),
    "negative": ("Disappointed", "Avoid", "Not happy", "Terrible experience", "Never again", "Very poor",
                 "Frustrating", "Waste of time", "Not good enough", "Let down"),
}
SURVEY_LEADS = ("Main reason for my score: ", "Honestly? ", "Short version: ")
TYPO_RATE = 0.1

SURVEY_BY_STAGE = {
    "awareness": _weighted((("relationship_nps", 75), ("post_purchase", 25))),
    "consideration": _weighted((("relationship_nps", 60), ("post_purchase", 40))),
    "purchase": _weighted((("post_purchase", 80), ("relationship_nps", 20))),
    "onboarding": _weighted((("post_delivery", 80), ("relationship_nps", 20))),
    "usage": _weighted((("relationship_nps", 60), ("post_delivery", 40))),
    "support": _weighted((("post_support", 85), ("relationship_nps", 15))),
    "loyalty": _weighted((("relationship_nps", 80), ("post_support", 20))),
}
TOUCHPOINTS = {"post_purchase": "checkout", "post_delivery": "delivery", "post_support": "support_contact"}
NPS_ON_POST_SURVEYS = 0.6

# social style
POSITIVE_EMOJI = ("😍", "👍", "🔥", "🙌", "❤️", "🎧", "✨")
NEGATIVE_EMOJI = ("😡", "🙄", "😤", "👎", "😩", "🤦")
POSITIVE_TAGS = ("#love", "#happycustomer", "#recommend", "#volta")
NEGATIVE_TAGS = ("#fail", "#notimpressed", "#customerservice", "#disappointed")
IDEA_SOCIAL_EXTRAS = {  # idea -> (hashtags, emoji)
    "payment_failures": (("#paymentfail", "#checkout", "#fail"), ("💳", "😡")),
    "support_wait_times": (("#customerservice", "#onhold", "#stillwaiting"), ("⏳", "☎️", "🙄")),
    "delivery_delays": (("#latedelivery", "#wheresmyparcel", "#stillwaiting"), ("📦", "⏳", "😤")),
    "product_quality_praise": (("#love", "#audiophile", "#qualitymatters"), ("😍", "🎧", "🔥")),
}
SARCASM = ("Oh great. {text} Just what I needed 🙃", "Wow, thanks {shop}. {text} 👏",
           "10/10 experience. {text} #not", "Love that for me. {text}")
SOCIAL_URLS = ("https://example.com/volta/order-status", "https://example.com/volta/support",
               "https://example.com/volta/p/aria-anc")
NEAR_DUPLICATE_SWAPS = {"and": "&", "you": "u", "really": "seriously", "late": "delayed", "still": "STILL",
                        "amazing": "incredible", "parcel": "package", "never": "NEVER", "minutes": "mins",
                        "great": "brilliant", "the": "tha", "my": "MY"}
RETWEET_RATE = 0.15  # of posts on x
NEAR_DUPLICATE_RATE = 0.04

# --------------------------------------------------------------------------- PII plants

PII_PLANTS = (  # (kind, value or None for a generated order number, source, sentence)
    ("email", "jane.doe@example.com", "surveys", "Please email me at {value} about this."),
    ("email", "m.okafor@example.com", "shop_reviews", "Contact me on {value} if you need the details."),
    ("phone", "+44 20 7946 0958", "surveys", "You can call me back on {value}."),
    ("phone", "+1 (555) 010-4477", "social_listening", "call me at {value} {shop}"),
    ("phone", "0049 30 1234567", "shop_reviews", "My number is {value} if anyone from Volta wants to talk."),
    ("card_number", "4111 1111 1111 1111", "surveys", "I even read out my card number {value} on the phone."),
    ("card_number", "5555-5555-5555-4444", "shop_reviews", "The card I used was {value}, check it yourselves."),
    ("order_number", None, "shop_reviews", "For reference, this was order {value}."),
    ("order_number", None, "surveys", "My order {value} is the one I mean."),
    ("order_number", None, "social_listening", "order {value} {shop} pls check"),
)


# --------------------------------------------------------------------------- records


@dataclass(slots=True)
class _Record:
    source: str
    record_id: str
    week: int
    when: datetime.datetime  # aware, Europe/London
    defect: str | None = None
    ideas: list[str] = field(default_factory=list)
    platform: str = ""
    handle: str = ""
    followers: int = 0
    copy_of: _Record | None = None
    copy_kind: str = ""  # "retweet" | "near_duplicate"
    pii: tuple[str, str, str] | None = None  # (kind, value, sentence)
    text: str = ""


@dataclass(frozen=True)
class _Period:
    start: datetime.date
    weeks: int

    def week_start(self, week: int) -> datetime.date:
        return self.start + datetime.timedelta(weeks=week)

    def iso_label(self, week: int) -> str:
        year, number, _ = self.week_start(week).isocalendar()
        return f"{year}-W{number:02d}"

    @property
    def spike_week(self) -> int:
        return min(6, self.weeks // 2)


def generate(out_dir: pathlib.Path, *, seed: int = DEFAULT_SEED, n_reviews: int = 1600, n_surveys: int = 1400,
             n_social: int = 1200, start: datetime.date = datetime.date(2026, 7, 6), weeks: int = 13,
             non_english: bool = True) -> dict:
    """Write reviews.csv, survey_comments.csv, social_mentions.jsonl and manifest.json into out_dir;
    return the manifest dict.

    Same arguments give byte-identical files. ``start`` must be a Monday; the period is ``weeks``
    ISO weeks from it, in Europe/London time. The English good records of each file number exactly
    n_reviews / n_surveys / n_social; with ``non_english`` (about 0.6% of reviews, 0.5% of surveys
    and 1.5% of social posts in French, German, Spanish, Italian, Portuguese and Dutch), malformed
    records and exact duplicates come on top. Without ``non_english`` the files are the same minus
    those lines (and their line numbers).
    """
    counts = {"shop_reviews": n_reviews, "surveys": n_surveys, "social_listening": n_social}
    if start.weekday() != 0:
        raise ValueError(f"start must be a Monday, got {start.isoformat()} ({start:%A})")
    if weeks < 1 or min(counts.values()) < 0:
        raise ValueError("weeks must be >= 1 and record counts >= 0")
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    period = _Period(start, weeks)

    records = {}
    for source in SOURCES:
        records[source.name] = _skeletons(rng, source, counts[source.name] + len(source.defects), period)
        _mark_defects(rng, records[source.name], source.defects)
    _link_social(rng, records["social_listening"], period)
    primaries = [r for s in SOURCES for r in records[s.name] if r.defect is None and r.copy_of is None]
    _plant(rng, primaries, period, scale=sum(counts.values()) / weeks / DEFAULT_WEEKLY_RECORDS)
    for source in SOURCES:  # malformed records get ideas too: their text must look real
        for record in records[source.name]:
            if record.copy_of is None:
                _add_background(rng, record, source.kind)
    for record in records["social_listening"]:
        if record.copy_of is not None:
            record.ideas = record.copy_of.ideas
    pii = _assign_pii(rng, records)

    foreign = _non_english(seed, counts, period) if non_english else {}
    layouts = {}
    for source in SOURCES:
        payloads = [RENDERERS[source.kind](rng, record) for record in records[source.name]]
        layouts[source.name] = _layout(rng, source, records[source.name], payloads, foreign.get(source.name, ()))
        _write(out_dir / source.file, source, layouts[source.name]["payloads"])

    manifest = _manifest(seed, counts, period, records, layouts, pii)
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (out_dir / "manifest.json").write_text(text, encoding="utf-8", newline="")
    return manifest


# --------------------------------------------------------------------------- steps


def _skeletons(rng: random.Random, source: _Source, count: int, period: _Period) -> list[_Record]:
    """Records with a local timestamp inside the period, sorted by time and numbered in that order."""
    keys = sorted(
        (rng.randrange(period.weeks), rng.randrange(7), _pick(rng, HOURS),
         rng.randrange(60), 0 if source.kind == "review" else rng.randrange(60))
        for _ in range(count))
    records = []
    for index, (week, day, hour, minute, second) in enumerate(keys):
        date = period.start + datetime.timedelta(days=7 * week + day)
        when = datetime.datetime(date.year, date.month, date.day, hour, minute, second, tzinfo=LONDON)
        records.append(_Record(source.name, f"{source.id_prefix}{index + 1:06d}", week, when))
    return records


def _mark_defects(rng: random.Random, records: list[_Record], defects: tuple[str, ...]) -> None:
    for index, defect in zip(rng.sample(range(len(records)), len(defects)), defects):
        records[index].defect = defect


def _link_social(rng: random.Random, posts: list[_Record], period: _Period) -> None:
    """Give posts a platform and handle; turn some into retweets or near-duplicates of an earlier post."""
    handles = _handles(rng, max(50, len(posts) // 2))
    seen: list[list[_Record]] = [[] for _ in range(period.weeks)]  # earlier usable originals per week
    for post in posts:
        post.platform = _pick(rng, PLATFORMS)
        post.handle, post.followers = rng.choice(handles)
        if post.defect is not None:
            continue
        roll = rng.random()
        if post.platform == "x" and roll < RETWEET_RATE:
            kind, pool = "retweet", [p for p in seen[post.week][-50:] if p.platform == "x"]
        elif roll > 1 - NEAR_DUPLICATE_RATE:
            kind, pool = "near_duplicate", seen[post.week][-50:]
        else:
            kind, pool = "", []
        original = rng.choice(pool) if pool else None
        if original is not None and original.when < post.when:
            post.copy_of, post.copy_kind = original, kind
            if post.handle == original.handle:
                post.handle += "_2"
        else:
            seen[post.week].append(post)


def _handles(rng: random.Random, count: int) -> list[tuple[str, int]]:
    """(handle, followers) pairs; follower counts are heavy-tailed like real ones."""
    handles = []
    for _ in range(count):
        name, style = rng.choice(FIRST_NAMES), rng.randrange(4)
        if style == 0:
            handle = f"{name}_{rng.choice(string.ascii_lowercase)}{rng.randrange(10, 100)}"
        elif style == 1:
            handle = f"{name}{rng.randrange(1970, 2007)}"
        elif style == 2:
            handle = f"{rng.choice(HANDLE_WORDS)}_{name}"
        else:
            handle = f"{name}_{rng.choice(LAST_NAMES)}"
        handles.append(("@" + handle, int(rng.lognormvariate(5.5, 1.6))))
    return handles


def _weekly_targets(rng: random.Random, spec: PlantedPainPoint, period: _Period, scale: float) -> list[int]:
    targets = []
    for week in range(period.weeks):
        if spec.shape == "spike":
            stray = rng.random() < SPIKE_BACKGROUND_RATE * min(1.0, scale)
            level = spec.level * scale if week == period.spike_week else float(stray)
        elif spec.shape == "growing":
            progress = week / (period.weeks - 1) if period.weeks > 1 else 1.0
            level = (spec.level_start + (spec.level - spec.level_start) * progress) * scale * rng.uniform(0.9, 1.1)
        else:
            level = spec.level * scale * rng.uniform(0.9, 1.1)
        targets.append(round(level))
    return targets


def _plant(rng: random.Random, primaries: list[_Record], period: _Period, *, scale: float) -> None:
    """Give each planted idea its exact weekly count of records, drawn from all sources."""
    pools: list[list[_Record]] = [[] for _ in range(period.weeks)]
    for record in primaries:
        pools[record.week].append(record)
    for pool in pools:
        rng.shuffle(pool)
    for spec in PLANTED:
        for week, target in enumerate(_weekly_targets(rng, spec, period, scale)):
            for _ in range(min(target, len(pools[week]))):
                pools[week].pop().ideas.append(spec.id)


def _add_background(rng: random.Random, record: _Record, kind: str) -> None:
    """Add background ideas (uniform over time) around the planted one, never two of one group."""
    planted = record.ideas
    wanted = _pick(rng, BACKGROUND_COUNTS[kind][bool(planted)])
    groups = {group for idea in planted for group in IDEAS[idea].groups}
    ideas: list[str] = []
    for _ in range(4 * wanted):
        if len(ideas) == wanted:
            break
        idea = IDEAS[_pick(rng, BACKGROUND_IDEAS)]
        if groups.isdisjoint(idea.groups):
            ideas.append(idea.id)
            groups.update(idea.groups)
    for idea in planted:
        ideas.insert(rng.randrange(len(ideas) + 1), idea)
    record.ideas = ideas


def _assign_pii(rng: random.Random, records: dict[str, list[_Record]]) -> list[tuple[_Record, str, str]]:
    """Pick one fresh record per PII plant; retweeted / copied posts are skipped so values stay unique."""
    copied = {id(r.copy_of) for r in records["social_listening"] if r.copy_of is not None}
    planted = []
    for kind, value, source, sentence in PII_PLANTS:
        pool = [r for r in records[source] if r.defect is None and r.copy_of is None and r.pii is None
                and id(r) not in copied]
        if not pool:
            continue
        record = rng.choice(pool)
        value = value or _order_number(rng)
        record.pii = (kind, value, sentence.format(value=value, shop=SHOP_HANDLE))
        planted.append((record, kind, value))
    return planted


def _order_number(rng: random.Random) -> str:
    """A 16-digit order number that fails the Luhn check, so card redaction must leave it alone."""
    digits = str(rng.randrange(10 ** 15, 10 ** 16))
    if _luhn_ok(digits):
        digits = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    return digits


def _luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()][::-1]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


# --------------------------------------------------------------------------- text


@functools.cache
def _slots(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _fill(rng: random.Random, template: str, product: _Product) -> str:
    values = {}
    for name in _slots(template):
        if name == "product":
            values[name] = product.short
        elif name == "feature":
            values[name] = rng.choice(product.features)
        elif name == "order":
            values[name] = f"#VS{rng.randrange(100000, 1000000)}"
        else:
            values[name] = rng.choice(SLOT_VALUES[name])
    return template.format_map(values)


def _compose(rng: random.Random, ideas: list[str], product: _Product, *, context_rate: float) -> str:
    """One to four sentences; neighbouring ideas of opposite polarity are often joined by a contrast."""
    sentences: list[str] = []
    joined = True  # the last sentence cannot take another contrast
    for position, idea_id in enumerate(ideas):
        idea = IDEAS[idea_id]
        template = rng.choice(idea.templates)
        sentence = _fill(rng, template, product)
        previous = IDEAS[ideas[position - 1]] if position else None
        lowerable = not template.startswith(("{", "I ", "I'", "Volta", "Bluetooth"))
        if (previous and previous.polarity != idea.polarity and not joined and lowerable
                and rng.random() < CONTRAST_RATE):
            join = rng.choice(CONTRAST_JOINS[idea.polarity])
            sentences[-1] = sentences[-1].rstrip(".!?") + join + sentence[0].lower() + sentence[1:]
            joined = True
        else:
            sentences.append(sentence)
            joined = False
    if len(sentences) < 4 and rng.random() < context_rate:
        sentences.insert(0, _fill(rng, rng.choice(CONTEXT_SENTENCES), product))
    return " ".join(sentences)


def _typo(rng: random.Random, text: str) -> str:
    """One human slip: all lower case, a dropped full stop, two swapped letters or a missing letter."""
    kind = rng.randrange(4)
    words = text.split(" ")
    candidates = [i for i, word in enumerate(words) if len(word) >= 5 and word.isalpha()]
    if kind == 0 or not candidates:
        return text.lower()
    if kind == 1:
        return text.rstrip(".")
    i = rng.choice(candidates)
    word, j = words[i], rng.randrange(1, len(words[i]) - 2)
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2:] if kind == 2 else word[:j] + word[j + 1:]
    return " ".join(words)


def _sentiment(ideas: list[str]) -> float:
    """Weighted mean polarity in [-1, 1]; the last idea counts 1.5 times (peak-end rule)."""
    weights = [1.0] * (len(ideas) - 1) + [1.5]
    return sum(IDEAS[i].polarity * w for i, w in zip(ideas, weights)) / sum(weights)


def _score(rng: random.Random, sentiment: float, low: int, high: int) -> int:
    value = low + (sentiment + 1) / 2 * (high - low) + rng.gauss(0, 0.15 * (high - low))
    return min(high, max(low, round(value)))


def _feedback_text(rng: random.Random, record: _Record, product: _Product, *, context_rate: float) -> str:
    text = _compose(rng, record.ideas, product, context_rate=context_rate)
    if rng.random() < TYPO_RATE:
        text = _typo(rng, text)
    return text


def _with_pii(record: _Record, text: str) -> str:
    return f"{text} {record.pii[2]}" if record.pii else text


def _primary_idea(record: _Record) -> Idea:
    return IDEAS[next((i for i in record.ideas if i in PLANTED_IDS), record.ideas[0])]


# --------------------------------------------------------------------------- rendering per source


def _review_row(rng: random.Random, record: _Record) -> list[str]:
    product = rng.choice(PRODUCTS)
    record.text = _with_pii(record, _feedback_text(rng, record, product, context_rate=0.2))
    stars = _score(rng, _sentiment(record.ideas), 1, 5)
    mood = "positive" if stars >= 4 else "negative" if stars <= 2 else "mixed"
    row = [record.record_id, record.when.strftime("%Y-%m-%d %H:%M"), product.name,
           str(7 if record.defect == "out_of_range" else stars),
           _fill(rng, rng.choice(TITLES[mood]), product),
           "" if record.defect == "missing_text" else record.text,
           f"C{rng.randrange(1, 100000):05d}", _pick(rng, COUNTRIES)]
    return row[:5] if record.defect == "field_count" else row


def _survey_row(rng: random.Random, record: _Record) -> list[str]:
    product = rng.choice(PRODUCTS)
    stage = _primary_idea(record).stage
    survey = _pick(rng, SURVEY_BY_STAGE[stage])
    touchpoint = TOUCHPOINTS.get(survey, "account" if stage == "loyalty" else "general")
    sentiment = _sentiment(record.ideas)
    asks_nps = survey == "relationship_nps" or rng.random() < NPS_ON_POST_SURVEYS
    nps = _score(rng, sentiment, 0, 10) if asks_nps else ""
    csat = _score(rng, sentiment, 1, 5) if survey != "relationship_nps" else ""
    ces = _score(rng, sentiment, 1, 7) if survey == "post_support" else ""
    text = _feedback_text(rng, record, product, context_rate=0.1)
    if rng.random() < 0.12:
        text = rng.choice(SURVEY_LEADS) + text
    record.text = _with_pii(record, text)
    email = (f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}{rng.randrange(1, 100)}"
             f"@{rng.choice(('example.com', 'example.org'))}")
    return [record.record_id, record.when.isoformat(timespec="seconds"), survey, touchpoint,
            str(11 if record.defect == "out_of_range" else nps), str(csat), str(ces),
            "   " if record.defect == "missing_text" else record.text, email,
            _pick(rng, CHANNELS)]


def _social_line(rng: random.Random, record: _Record) -> str:
    if record.copy_kind == "retweet":
        record.text = f"RT {record.copy_of.handle}: {record.copy_of.text}"
    elif record.copy_kind == "near_duplicate":
        record.text = _near_duplicate(rng, record.copy_of.text, record.ideas)
    else:
        text = _feedback_text(rng, record, rng.choice(PRODUCTS), context_rate=0.0)
        record.text = _with_pii(record, _socialize(rng, text, record.ideas))
    created = record.when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    post = {"id": record.record_id, "platform": record.platform, "created_at": created, "text": record.text,
            "lang": "en", "retweet_of": record.copy_of.record_id if record.copy_kind == "retweet" else None,
            "user": {"handle": record.handle, "followers": record.followers}}
    line = json.dumps(post, ensure_ascii=False, sort_keys=True)
    return line[: len(line) * 2 // 3] if record.defect == "invalid_json" else line


def _social_extras(ideas: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Hashtags and emoji fitting the post: the planted idea's own, else by overall polarity."""
    for idea in ideas:
        if idea in IDEA_SOCIAL_EXTRAS:
            return IDEA_SOCIAL_EXTRAS[idea]
    if _sentiment(ideas) >= 0:
        return POSITIVE_TAGS, POSITIVE_EMOJI
    return NEGATIVE_TAGS, NEGATIVE_EMOJI


def _socialize(rng: random.Random, text: str, ideas: list[str]) -> str:
    """Make a sentence sound like a post: mention, sarcasm, caps, !!!, emoji, hashtags, lol, a link."""
    negative = _sentiment(ideas) < 0
    tags, emoji = _social_extras(ideas)
    if negative and rng.random() < 0.1:
        text = rng.choice(SARCASM).format(text=text, shop=SHOP_HANDLE)
    elif negative and rng.random() < 0.07:
        text = text.upper()
    if text.endswith(".") and rng.random() < 0.3:
        text = text[:-1] + "!!!"
    roll = rng.random()
    if roll < 0.45:
        text = f"{SHOP_HANDLE} {text}"
    parts = [text]
    if roll > 0.85:
        parts.append(SHOP_HANDLE)
    if rng.random() < 0.6:
        parts.append("".join(rng.choice(emoji) for _ in range(rng.randint(1, 3))))
    if rng.random() < 0.55:
        parts.extend(rng.sample(tags, rng.randint(1, 2)))
    if rng.random() < 0.05:
        parts.append("lol")
    if rng.random() < 0.15:
        parts.append(rng.choice(SOCIAL_URLS) if rng.random() < 0.4 else
                     "https://t.co/" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(10)))
    return " ".join(parts)


def _near_duplicate(rng: random.Random, text: str, ideas: list[str]) -> str:
    """The same complaint reposted with a small change: an extra emoji or hashtag, or one word swapped."""
    tags, emoji = _social_extras(ideas)
    kind = rng.randrange(3)
    if kind == 2:
        words = text.split(" ")
        for i, word in enumerate(words):
            if word in NEAR_DUPLICATE_SWAPS:
                words[i] = NEAR_DUPLICATE_SWAPS[word]
                return " ".join(words)
    return f"{text} {rng.choice(tags) if kind == 1 else rng.choice(emoji)}"


RENDERERS = {"review": _review_row, "survey": _survey_row, "social": _social_line}

# --------------------------------------------------------------------------- non-English feedback
#
# A few customers write in their own language. These records are extra good records on top of the
# English ones, drawn from their own random stream (seed + NON_ENGLISH_SEED_OFFSET) after the
# English records are rendered, so every English record, id, text and planted count stays what it
# was. They carry no ideas: they are not part of the planted truth, only of manifest["non_english"].
# Their ids continue each file's series after the English ones; in the file they sit at their
# place in time.

NON_ENGLISH_SEED_OFFSET = 7919
NON_ENGLISH_RATES = {"review": 0.006, "survey": 0.005, "social": 0.015}  # of the file's good records
NON_ENGLISH_NEGATIVE_RATE = 0.6
# {model}: the product without its English noun ("Boom 2 speaker" -> "Boom 2"); {n}: a number of days.
MODELS = ("Aria ANC", "Aria Mini", "Pulse Sport", "Boom 2", "Boom Max", "Echoframe", "Sentry", "Sentry", "Home Hub")


@dataclass(frozen=True)
class _Language:
    code: str
    country: str
    negative: tuple[str, ...]
    positive: tuple[str, ...]
    titles: dict[str, tuple[str, ...]]


LANGUAGES = (
    _Language("fr", "FR", (
        "Commande passée il y a {n} jours et toujours pas de livraison, le suivi ne bouge plus.",
        "Le {model} s'est arrêté de fonctionner au bout de deux semaines, très déçu.",
        "Impossible de joindre le service client, j'ai attendu plus d'une heure au téléphone.",
        "Ma carte a été refusée trois fois au moment du paiement, mais le montant a bien été débité.",
        "Le colis est arrivé abîmé et il manquait le câble de charge.",
        "J'attends toujours mon remboursement après le retour du {model}.",
        "L'application plante à chaque mise à jour, c'est vraiment pénible.",
        "Livraison en retard et aucune réponse à mes mails.",
    ), (
        "Très satisfait du {model}, le son est excellent et la batterie tient longtemps.",
        "Livraison rapide et produit conforme à la description.",
        "Le service client a réglé mon problème en dix minutes, merci beaucoup.",
        "Super rapport qualité-prix, je recommande Volta à tous mes amis.",
        "Installation facile, le {model} fonctionne parfaitement depuis un mois.",
        "Emballage soigné et produit de très bonne qualité.",
    ), {"negative": ("Très déçu", "À éviter", "Pas satisfait"),
        "positive": ("Excellent produit", "Très satisfait", "Je recommande")}),
    _Language("de", "DE", (
        "Seit {n} Tagen warte ich auf mein Paket, die Sendungsverfolgung zeigt nichts an.",
        "Der {model} ist nach zwei Wochen kaputtgegangen, sehr enttäuschend.",
        "Beim Kundenservice hängt man ewig in der Warteschleife, niemand geht ran.",
        "Meine Karte wurde beim Bezahlen abgelehnt, aber das Geld wurde trotzdem abgebucht.",
        "Das Paket kam beschädigt an und das Ladekabel fehlte.",
        "Auf meine Rückerstattung warte ich immer noch, obwohl die Rücksendung längst angekommen ist.",
        "Die App stürzt ständig ab und die Verbindung bricht immer wieder ab.",
        "Lieferung verspätet und keine Antwort auf meine E-Mails.",
    ), (
        "Sehr zufrieden mit dem {model}, der Klang ist super und der Akku hält lange.",
        "Schnelle Lieferung und alles wie beschrieben.",
        "Der Kundenservice war sehr freundlich und hat mein Problem sofort gelöst.",
        "Tolles Preis-Leistungs-Verhältnis, ich kann Volta nur empfehlen.",
        "Die Einrichtung war kinderleicht, der {model} funktioniert einwandfrei.",
        "Gut verpackt und die Qualität ist wirklich hervorragend.",
    ), {"negative": ("Sehr enttäuscht", "Nicht zu empfehlen", "Ärgerlich"),
        "positive": ("Sehr zufrieden", "Top Produkt", "Klare Empfehlung")}),
    _Language("es", "ES", (
        "Hice el pedido hace {n} días y todavía no ha llegado nada.",
        "El {model} dejó de funcionar a las dos semanas, qué decepción.",
        "Imposible hablar con atención al cliente, estuve más de una hora esperando al teléfono.",
        "Me rechazaron la tarjeta al pagar, pero el cargo sí aparece en mi cuenta.",
        "El paquete llegó dañado y faltaba el cable de carga.",
        "Sigo esperando el reembolso de la devolución y nadie me contesta.",
        "La aplicación se cierra sola cada vez que intento configurarlo.",
        "Entrega con retraso y ninguna respuesta a mis correos.",
    ), (
        "Muy contento con el {model}, el sonido es increíble y la batería dura muchísimo.",
        "Envío rápido y el producto es tal como se describe.",
        "El servicio de atención al cliente me resolvió el problema enseguida, muchas gracias.",
        "Muy buena relación calidad-precio, recomiendo Volta a todo el mundo.",
        "La instalación fue muy sencilla y el {model} funciona perfectamente.",
        "Bien embalado y de muy buena calidad.",
    ), {"negative": ("Muy decepcionado", "No lo recomiendo", "Mala experiencia"),
        "positive": ("Muy contento", "Excelente", "Lo recomiendo")}),
    _Language("it", "IT", (
        "Ho ordinato {n} giorni fa e il pacco non è ancora arrivato.",
        "Il {model} ha smesso di funzionare dopo due settimane, molto deluso.",
        "Impossibile parlare con il servizio clienti, sono rimasto in attesa per più di un'ora.",
        "La mia carta è stata rifiutata al pagamento, ma l'importo è stato addebitato lo stesso.",
        "Il pacco è arrivato danneggiato e mancava il cavo di ricarica.",
        "Sto ancora aspettando il rimborso del reso e nessuno mi risponde.",
        "L'app si blocca continuamente e la connessione salta sempre.",
        "Consegna in ritardo e nessuna risposta alle mie email.",
    ), (
        "Molto soddisfatto del {model}, il suono è ottimo e la batteria dura tantissimo.",
        "Spedizione veloce e prodotto esattamente come descritto.",
        "Il servizio clienti è stato gentilissimo e ha risolto subito il mio problema.",
        "Ottimo rapporto qualità-prezzo, consiglio Volta a tutti.",
        "Installazione semplicissima, il {model} funziona alla perfezione.",
        "Imballaggio curato e qualità davvero eccellente.",
    ), {"negative": ("Molto deluso", "Da evitare", "Pessima esperienza"),
        "positive": ("Ottimo acquisto", "Molto soddisfatto", "Consigliato")}),
    _Language("pt", "PT", (
        "Fiz a encomenda há {n} dias e ainda não recebi nada.",
        "O {model} deixou de funcionar ao fim de duas semanas, que desilusão.",
        "Impossível falar com o apoio ao cliente, fiquei mais de uma hora à espera.",
        "O meu cartão foi recusado no pagamento, mas o valor foi cobrado na mesma.",
        "A encomenda chegou danificada e faltava o cabo de carregamento.",
        "Continuo à espera do reembolso da devolução e ninguém me responde.",
        "A aplicação está sempre a bloquear e perde a ligação.",
        "Entrega atrasada e nenhuma resposta aos meus emails.",
    ), (
        "Muito satisfeito com o {model}, o som é excelente e a bateria dura imenso.",
        "Entrega rápida e o produto é exatamente como descrito.",
        "O apoio ao cliente foi muito simpático e resolveu o meu problema logo.",
        "Ótima relação qualidade-preço, recomendo a Volta a toda a gente.",
        "A instalação foi muito fácil e o {model} funciona na perfeição.",
        "Bem embalado e com muito boa qualidade.",
    ), {"negative": ("Muito desiludido", "Não recomendo", "Má experiência"),
        "positive": ("Excelente compra", "Muito satisfeito", "Recomendo")}),
    _Language("nl", "NL", (
        "Ik heb {n} dagen geleden besteld en nog steeds niets ontvangen.",
        "De {model} deed het na twee weken al niet meer, erg teleurgesteld.",
        "De klantenservice is onbereikbaar, ik heb meer dan een uur in de wacht gestaan.",
        "Mijn betaling werd geweigerd, maar het geld is wel van mijn rekening afgeschreven.",
        "Het pakket kwam beschadigd aan en de oplaadkabel ontbrak.",
        "Ik wacht nog steeds op mijn terugbetaling en niemand reageert op mijn berichten.",
        "De app loopt steeds vast en de verbinding valt telkens weg.",
        "Levering te laat en geen antwoord op mijn e-mails.",
    ), (
        "Heel tevreden over de {model}, het geluid is geweldig en de batterij gaat lang mee.",
        "Snelle levering en het product is precies zoals beschreven.",
        "De klantenservice was erg vriendelijk en heeft mijn probleem meteen opgelost.",
        "Prima prijs-kwaliteitverhouding, ik raad Volta iedereen aan.",
        "De installatie was heel eenvoudig en de {model} werkt perfect.",
        "Goed verpakt en echt van uitstekende kwaliteit.",
    ), {"negative": ("Erg teleurgesteld", "Niet aan te raden", "Slechte ervaring"),
        "positive": ("Zeer tevreden", "Top product", "Aanrader")}),
)
LANGUAGES_BY_CODE = {language.code: language for language in LANGUAGES}


@dataclass
class _Foreign:
    """A non-English record: its language and polarity instead of ideas."""

    source: str
    record_id: str
    when: datetime.datetime
    language: str
    polarity: int
    text: str = ""


def _non_english(seed: int, counts: dict, period: _Period) -> dict[str, list[tuple[_Foreign, object]]]:
    """(record, payload) of each source's non-English records, in time order, from their own stream."""
    rng = random.Random(seed + NON_ENGLISH_SEED_OFFSET)
    sizes = {s.name: round(counts[s.name] * NON_ENGLISH_RATES[s.kind]) for s in SOURCES}
    codes = [LANGUAGES[i % len(LANGUAGES)].code for i in range(sum(sizes.values()))]
    rng.shuffle(codes)  # every language appears (from 6 records on), in no fixed order
    handles = _handles(rng, 20)
    seen: set[str] = set()
    out = {}
    for source in SOURCES:
        keys = sorted((rng.randrange(period.weeks), rng.randrange(7), _pick(rng, HOURS), rng.randrange(60),
                       0 if source.kind == "review" else rng.randrange(60)) for _ in range(sizes[source.name]))
        first_number = counts[source.name] + len(source.defects) + 1  # after the English series
        rows = []
        for index, (week, day, hour, minute, second) in enumerate(keys):
            date = period.start + datetime.timedelta(days=7 * week + day)
            record = _Foreign(source.name, f"{source.id_prefix}{first_number + index:06d}",
                              datetime.datetime(date.year, date.month, date.day, hour, minute, second, tzinfo=LONDON),
                              codes.pop(), -1 if rng.random() < NON_ENGLISH_NEGATIVE_RATE else +1)
            rows.append((record, _FOREIGN_RENDERERS[source.kind](rng, record, seen, handles)))
        out[source.name] = rows
    return out


def _foreign_text(rng: random.Random, record: _Foreign, seen: set[str]) -> str:
    """One or two sentences of the record's language and polarity, a text not used before."""
    language = LANGUAGES_BY_CODE[record.language]
    pool = language.negative if record.polarity < 0 else language.positive
    for _ in range(50):
        sentences = rng.sample(pool, 1 if rng.random() < 0.5 else 2)
        model = rng.choice(MODELS)
        text = " ".join(s.format(model=model, n=rng.randint(3, 15)) for s in sentences)
        if text not in seen:
            break
    seen.add(text)
    return text


def _foreign_review(rng: random.Random, record: _Foreign, seen: set[str], handles) -> list[str]:
    record.text = _foreign_text(rng, record, seen)
    language = LANGUAGES_BY_CODE[record.language]
    stars = rng.choice((1, 1, 2) if record.polarity < 0 else (4, 5, 5))
    mood = "negative" if record.polarity < 0 else "positive"
    return [record.record_id, record.when.strftime("%Y-%m-%d %H:%M"), rng.choice(PRODUCTS).name, str(stars),
            rng.choice(language.titles[mood]), record.text, f"C{rng.randrange(1, 100000):05d}", language.country]


def _foreign_survey(rng: random.Random, record: _Foreign, seen: set[str], handles) -> list[str]:
    record.text = _foreign_text(rng, record, seen)
    survey = rng.choice(("relationship_nps", "post_purchase", "post_delivery", "post_support"))
    sentiment = 0.8 * record.polarity
    nps = _score(rng, sentiment, 0, 10) if survey == "relationship_nps" or rng.random() < NPS_ON_POST_SURVEYS else ""
    csat = _score(rng, sentiment, 1, 5) if survey != "relationship_nps" else ""
    ces = _score(rng, sentiment, 1, 7) if survey == "post_support" else ""
    email = (f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}{rng.randrange(1, 100)}"
             f"@{rng.choice(('example.com', 'example.org'))}")
    return [record.record_id, record.when.isoformat(timespec="seconds"), survey, TOUCHPOINTS.get(survey, "general"),
            str(nps), str(csat), str(ces), record.text, email, _pick(rng, CHANNELS)]


def _foreign_social(rng: random.Random, record: _Foreign, seen: set[str], handles) -> str:
    text = _foreign_text(rng, record, seen)
    if rng.random() < 0.5:
        text = f"{SHOP_HANDLE} {text}"
    if rng.random() < 0.6:
        emoji = NEGATIVE_EMOJI if record.polarity < 0 else POSITIVE_EMOJI
        text += " " + "".join(rng.choice(emoji) for _ in range(rng.randint(1, 2)))
    record.text = text
    handle, followers = rng.choice(handles)
    post = {"id": record.record_id, "platform": _pick(rng, PLATFORMS),
            "created_at": record.when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "text": text, "lang": record.language, "retweet_of": None,
            "user": {"handle": handle, "followers": followers}}
    return json.dumps(post, ensure_ascii=False, sort_keys=True)


_FOREIGN_RENDERERS = {"review": _foreign_review, "survey": _foreign_survey, "social": _foreign_social}


# --------------------------------------------------------------------------- files and manifest


def _layout(rng: random.Random, source: _Source, records: list[_Record], payloads: list,
            foreign: list[tuple[_Foreign, object]] = ()) -> dict:
    """Insert exact duplicates after their originals and the non-English records at their place in
    time (no draw from rng); locate malformed, duplicate and non-English lines."""
    entries = [(record, payload, False) for record, payload in zip(records, payloads)]
    good = [i for i, record in enumerate(records) if record.defect is None]
    for index in sorted(rng.sample(good, min(source.n_duplicates, len(good))), reverse=True):
        position = min(len(entries), index + rng.randint(1, 40))
        entries.insert(position, (records[index], payloads[index], True))
    pending = list(foreign)
    merged = []
    for entry in entries:
        while pending and not entry[2] and pending[0][0].when < entry[0].when:
            merged.append((*pending.pop(0), False))
        merged.append(entry)
    entries = merged + [(record, payload, False) for record, payload in pending]
    first_line = 2 if source.kind in ("review", "survey") else 1  # CSV line 1 is the header
    line_of: dict[str, int] = {}
    malformed, duplicates, non_english = [], [], []
    for offset, (record, _, is_copy) in enumerate(entries):
        line = first_line + offset
        if is_copy:
            duplicates.append({"file": source.file, "line": line, "record_id": record.record_id,
                               "duplicate_of_line": line_of[record.record_id]})
            continue
        line_of[record.record_id] = line
        if isinstance(record, _Foreign):
            non_english.append({"file": source.file, "line": line, "record_id": record.record_id,
                                "language": record.language,
                                "polarity": "negative" if record.polarity < 0 else "positive"})
        elif record.defect:
            malformed.append({"file": source.file, "line": line, "record_id": record.record_id,
                              "expected_reason": record.defect})
    return {"payloads": [payload for _, payload, _ in entries], "line_of": line_of,
            "malformed": malformed, "duplicates": duplicates, "non_english": non_english}


def _write(path: pathlib.Path, source: _Source, payloads: list) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        if source.kind == "social":
            handle.writelines(line + "\n" for line in payloads)
        else:
            writer = csv.writer(handle)
            writer.writerow(REVIEW_COLUMNS if source.kind == "review" else SURVEY_COLUMNS)
            writer.writerows(payloads)


def _manifest(seed: int, counts: dict, period: _Period, records: dict, layouts: dict, pii: list) -> dict:
    week_starts = [period.week_start(w).isoformat() for w in range(period.weeks)]
    stages = {stage: {"positive": 0, "negative": 0} for stage in STAGES}
    mentions = dict.fromkeys(IDEAS, 0)
    planted_ids = {p.id: {s.name: [] for s in SOURCES} for p in PLANTED}
    weekly = {p.id: dict.fromkeys(week_starts, 0) for p in PLANTED}
    for source in SOURCES:
        for record in records[source.name]:
            if record.defect:
                continue
            for idea_id in record.ideas:
                idea = IDEAS[idea_id]
                mentions[idea_id] += 1
                stages[idea.stage]["positive" if idea.polarity > 0 else "negative"] += 1
                if idea_id in planted_ids:
                    planted_ids[idea_id][source.name].append(record.record_id)
                    weekly[idea_id][week_starts[record.week]] += 1

    planted = []
    for spec in PLANTED:
        live = [period.spike_week] if spec.shape == "spike" else range(period.weeks)
        planted.append({
            "id": spec.id, "stage": IDEAS[spec.id].stage, "theme": spec.theme, "shape": spec.shape,
            "weeks": [period.iso_label(w) for w in live], "week_starts": [week_starts[w] for w in live],
            "expected_sentiment": "positive" if IDEAS[spec.id].polarity > 0 else "negative",
            "description": spec.description, "records": planted_ids[spec.id], "weekly_counts": weekly[spec.id],
            "total": sum(weekly[spec.id].values())})

    files = {}
    for source in SOURCES:
        layout = layouts[source.name]
        files[source.file] = {
            "source": source.name, "kind": source.kind, "records": len(layout["payloads"]),
            "good": counts[source.name] + len(layout["non_english"]), "malformed": len(layout["malformed"]),
            "duplicates": len(layout["duplicates"]), "non_english": len(layout["non_english"])}
    social = records["social_listening"]
    files["social_mentions.jsonl"]["retweets"] = sum(r.copy_kind == "retweet" for r in social)
    return {
        "generator": {"seed": seed, "start": period.start.isoformat(), "weeks": period.weeks,
                      "n_reviews": counts["shop_reviews"], "n_surveys": counts["surveys"],
                      "n_social": counts["social_listening"], "reporting_timezone": REPORTING_TIMEZONE},
        "period": {"first_day": period.start.isoformat(),
                   "last_day": (period.week_start(period.weeks) - datetime.timedelta(days=1)).isoformat(),
                   "week_starts": week_starts, "iso_weeks": [period.iso_label(w) for w in range(period.weeks)]},
        "files": files,
        "planted": planted,
        "stages": stages,
        "ideas": {i: {"stage": idea.stage, "polarity": "positive" if idea.polarity > 0 else "negative",
                      "planted": i in planted_ids, "mentions": mentions[i]} for i, idea in IDEAS.items()},
        "malformed": [m for s in SOURCES for m in layouts[s.name]["malformed"]],
        "duplicates": [d for s in SOURCES for d in layouts[s.name]["duplicates"]],
        "non_english": [e for s in SOURCES for e in layouts[s.name]["non_english"]],
        "near_duplicates": [{"file": "social_mentions.jsonl", "record_id": r.record_id,
                             "near_duplicate_of": r.copy_of.record_id}
                            for r in social if r.copy_kind == "near_duplicate"],
        "pii": [{"file": SOURCES_BY_NAME[r.source].file, "record_id": r.record_id,
                 "line": layouts[r.source]["line_of"][r.record_id], "kind": kind, "value": value,
                 "must_survive": kind == "order_number"} for r, kind, value in pii],
    }
