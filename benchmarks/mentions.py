"""Real-shaped benchmark mentions: tweets, Reddit threads and long reviews of the demo brands."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from monitor.models import Author, Mention

# Written for the benchmarks (fictional brands of rules/); shapes follow what each source returns.
BRANDS = {
    "parcelly": ("Parcelly", "@parcelly", "parcel", "driver", "tracking", "delivery"),
    "lumo": ("Lumo Bank", "@lumobank", "card", "app", "transfer", "account"),
    "brewbird": ("Brewbird", "@brewbird", "coffee", "subscription", "roast", "order"),
}
OPENERS = {
    "complaint": [
        "{handle} my {a} is three days late and {c} hasn't moved since Monday",
        "honestly done with {name}. {b} cancelled on me again 🙄",
        "why is my {a} STILL not here?? {name} you had one job",
        "{name} charged me twice for the same {d} and nobody answers the chat 😡",
        "third time this month the {name} {c} is broken. not impressed",
        "{handle} the {b} left it in the rain AGAIN, everything soaked",
    ],
    "question": [
        "does {name} do {d} on sundays? can't find it on the site",
        "{handle} can I change the address on my {a} after ordering?",
        "anyone know if {name} ships to Ireland yet?",
        "how do I export my {c} history from {name}?",
        "is the {name} {d} worth it for someone who travels a lot?",
        "{handle} what time does support open on bank holidays?",
    ],
    "praise": [
        "shoutout to {name}, the {b} was lovely and early too 🙌",
        "{name} support sorted my {a} in five minutes. thank you!",
        "10/10 {name}, best {d} I've had all year ❤️",
        "had a problem with my {c} but {handle} fixed it same day, brilliant",
        "finally an app that just works. {name} nailed it",
        "been with {name} two years now and zero complaints",
    ],
    "other": [
        "{name} is hiring a logistics analyst in Leeds https://jobs.example.com/123",
        "{name} vs the rest, which stock are you buying this quarter?",
        "saw a {name} van parked outside the stadium lol",
        "{name} just announced a partnership with a football club",
        "giveaway! win a year of {name} {d}, retweet to enter",
        "my cousin works at {name}, says the office has a slide",
    ],
}
DETAILS = {
    "complaint": [
        "I've called four times and every time I'm put on hold for forty minutes before the line "
        "drops.",
        "The {c} page says delivered but there is nothing at my door and my neighbours have seen "
        "nothing either.",
        "Since the last update the app logs me out every few minutes and I have to reset my "
        "password each time.",
        "I was promised a refund within five working days and it has now been three weeks.",
        "The chat bot keeps sending me the same useless article instead of a person.",
        "My {a} arrived damaged, the box was crushed and half of it was missing.",
        "I asked for a callback twice and nobody ever called.",
        "Honestly I would not recommend {name} to anyone right now.",
    ],
    "question": [
        "I'm moving house next month and want to make sure nothing gets lost on the way.",
        "I looked through the FAQ but couldn't find anything about it.",
        "Is there a way to do it from the app, or do I need to call?",
        "Also, do you know whether there is a fee for it?",
        "My partner has a separate {d} and we'd like to merge them if that's possible.",
        "Would be great to know before I place the next {a}.",
    ],
    "praise": [
        "The {b} even texted me a photo so I knew exactly where it was.",
        "Everything was clearly explained and the app is really easy to use.",
        "I've tried three other companies and none of them come close.",
        "The person I spoke to was patient, friendly and actually solved the problem.",
        "Prices are fair and I've never had a single {a} go missing.",
        "Keep doing what you're doing, it genuinely makes my week easier.",
    ],
    "other": [
        "Their quarterly results come out next week according to the news.",
        "No idea what they do to be honest, just noticed the logo.",
        "Apparently they're opening a new office in Manchester too.",
        "Anyway, back to the match.",
    ],
}
TITLES = {
    "complaint": "Worst experience with {name} so far",
    "question": "Question about {name} {d}",
    "praise": "Genuinely impressed by {name}",
    "other": "{name} in the news",
}
RATING = {"complaint": (1, 2), "question": (3, 4), "praise": (5, 5), "other": (3, 4)}


def _fill(template: str, brand: str) -> str:
    name, handle, a, b, c, d = BRANDS[brand]
    return template.format(name=name, handle=handle, a=a, b=b, c=c, d=d)


def _body(rng: random.Random, label: str, brand: str, sentences: int) -> str:
    pool = DETAILS[label] + DETAILS["complaint" if label == "praise" and rng.random() < 0.3
                                    else label]
    return " ".join(_fill(rng.choice(pool), brand) for _ in range(sentences))


def make(n: int, *, seed: int = 7, start: datetime | None = None) -> list[Mention]:
    """`n` mentions across x, reddit, appstore, googleplay and trustpilot; about a third are long
    (60-250 word) reviews or threads, every one names a brand so the rules match it."""
    rng = random.Random(seed)
    start = start or datetime(2026, 11, 1, tzinfo=UTC)
    sources = ["x", "x", "reddit", "appstore", "googleplay", "trustpilot"]
    out: list[Mention] = []
    for i in range(n):
        source = sources[i % len(sources)]
        brand = rng.choice(list(BRANDS))
        if source == "trustpilot" and brand == "lumo":
            brand = "parcelly"  # lumo has no Trustpilot listing in its rules
        if source in ("appstore", "googleplay") and brand == "brewbird":
            brand = "lumo"
        label = rng.choice(list(OPENERS))
        text = _fill(rng.choice(OPENERS[label]), brand)
        title = None
        rating = None
        if source == "reddit":
            title = _fill(TITLES[label], brand)
            text += "\n\n" + _body(rng, label, brand, rng.randint(2, 9))
        elif source in ("appstore", "trustpilot"):
            title = _fill(TITLES[label], brand)
            text += " " + _body(rng, label, brand, rng.randint(3, 12))
            rating = rng.randint(*RATING[label])
        elif source == "googleplay":
            text = (text + " " + _body(rng, label, brand, rng.randint(0, 3)))[:500]
            rating = rng.randint(*RATING[label])
        out.append(Mention(
            source=source, external_id=f"{seed}-{i}", text=text.strip(), title=title,
            created_at=start + timedelta(seconds=i), rating=rating,
            brand=brand if source in ("appstore", "googleplay", "trustpilot") else None,
            kind="review" if rating is not None else "post",
            author=Author(handle=f"user{rng.randrange(5000)}", name=f"Sam {i % 97}",
                          followers=rng.randrange(10 ** 5)),
            url=f"https://example.com/{source}/{i}",
        ))
    return out
