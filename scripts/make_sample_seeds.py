"""Write the sample seed files in fixtures/seeds/ (run once; the output is committed).

The stories are invented; the shapes are the real ones: front matter with a body, front
matter alone, a body alone, plus CRLF line endings and a UTF-8 BOM as files from the wild have.
"""

import hashlib
import random
import re
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"

PROVIDERS = [
    ("The Harbour Gazette", "harbourgazette.example"),
    ("Northern Ledger", "northernledger.example"),
    ("Metro Daily", "metrodaily.example"),
    ("Tech Wire", "techwire.example"),
    ("Science Today", "sciencetoday.example"),
    ("Valley Courier", "valleycourier.example"),
    ("Global Markets Review", "gmreview.example"),
    ("Le Quotidien", "lequotidien.example"),
]
TOPICS = ["AI", "Climate", "Elections", "Markets", "Health", "Space", "Transport", "Education", "Privacy", "Energy"]
SUBJECTS = [
    ("City council approves night bus network", ["Transport"]),
    ("Regulators question facial recognition start-up", ["AI", "Privacy"]),
    ("Heatwave pushes power demand to record", ["Climate", "Energy"]),
    ("Probe lands near lunar south pole", ["Space"]),
    ("Central bank holds rates, signals patience", ["Markets"]),
    ("Hospitals trial AI triage for emergency rooms", ["AI", "Health"]),
    ("Teachers' union backs four-day week pilot", ["Education"]),
    ("Offshore wind auction draws record bids", ["Energy", "Climate"]),
    ("Voters head to polls in tight regional race", ["Elections"]),
    ("Chipmaker shares slide after export curbs", ["Markets", "AI"]),
    ("Rail strike called off after late-night talks", ["Transport"]),
    ("New vaccine shows promise against RSV", ["Health"]),
    ("Satellite data reveals glacier retreat", ["Climate", "Space"]),
    ("Data breach exposes millions of patient records", ["Privacy", "Health"]),
    ("University opens quantum computing lab", ["Education"]),
    ("Electric bus fleet doubles in two years", ["Transport", "Energy"]),
    ("Election officials test new ballot scanners", ["Elections"]),
    ("Start-up raises funds for battery recycling", ["Energy", "Markets"]),
    ("Smart speakers recorded more than users knew", ["Privacy", "AI"]),
    ("Drought forces farmers to rethink crops", ["Climate"]),
    ("Space agency delays crewed mission", ["Space"]),
    ("Pension funds shift toward green bonds", ["Markets", "Climate"]),
    ("School meals programme expanded citywide", ["Education", "Health"]),
    ("Chatbot gives wrong answers on voting rules", ["AI", "Elections"]),
    ("Ferry operator orders hydrogen vessels", ["Transport", "Energy"]),
    ("Court limits police use of location data", ["Privacy"]),
    ("Asteroid sample return confirmed", ["Space"]),
    ("Housing market cools as mortgage rates rise", ["Markets"]),
    ("Clinics report surge in heat-related illness", ["Health", "Climate"]),
    ("Exam board drops handwritten essays", ["Education", "AI"]),
]
PARAGRAPHS = [
    "Officials said the decision followed months of consultation with residents and businesses.",
    "Critics argued the plan lacked detail on costs and on who would pay for it.",
    "“We have listened, and we are acting,” a spokesperson said in a statement on Tuesday.",
    "Analysts expect the change to take effect gradually over the coming year.",
    "The announcement comes amid growing public pressure for faster action.",
    "Independent experts cautioned that early results should be treated with care.",
]


def slug(text):
    return "-".join(text.lower().replace("'", "").replace(",", "").split())


def main():
    rng = random.Random(20200206)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*"):
        old.unlink()
    for index, (title, topics) in enumerate(SUBJECTS):
        name, domain = PROVIDERS[index % len(PROVIDERS)]
        url = f"https://www.{domain}/{2024 + index % 2}/{slug(title)}"
        day = 1 + index % 28
        # A lede of its own, then stock paragraphs: two reports of different events share
        # no lede, as in the news (the stories' features read the lede).
        shared = rng.sample(PARAGRAPHS, 3)
        body = "\n\n".join([f"{title}, {name} reported on {day} May."] + shared)
        related = []
        for other in rng.sample([p for p in PROVIDERS if p[0] != name], rng.randint(0, 3)):
            related.append(
                {
                    "title": f"{title} — {other[0]} reports",
                    "excerpt": rng.choice(PARAGRAPHS),
                    "publishedDateTime": f"2024-05-{day:02d}T{rng.randint(6, 20):02d}:00:00Z",
                    "webUrl": f"https://www.{other[1]}/news/{slug(title)}",
                    "type": "article",
                    "provider": {"name": other[0], "domain": other[1]},
                    "quality": rng.randint(5, 189),
                    "images": [{"url": f"https://img.{other[1]}/{index}.jpg", "width": 600, "height": 350}],
                }
            )
        companion = None
        if index % 6 == 5:
            # Another outlet's report of the same event, imported too and listed here as
            # related coverage: the importer links the two and puts them in one story.
            other_name, other_domain = PROVIDERS[(index + 3) % len(PROVIDERS)]
            companion = {
                "title": f"{title}, officials confirm",
                "webUrl": f"https://www.{other_domain}/{2024 + index % 2}/{slug(title)}-officials-confirm",
                "provider": {"name": other_name, "domain": other_domain},
            }
            related.append({**companion, "type": "article", "quality": 44})
        front = {
            "category": "news",
            "title": title,
            "excerpt": f"{title}. {rng.choice(PARAGRAPHS)}",
            "publishedDateTime": f"2024-05-{day:02d}T{rng.randint(6, 20):02d}:{rng.choice(['00', '15', '30', '45'])}:00Z",
            "webUrl": url,
            "type": "article",
            "quality": [0, 12, 37, 58, 87, 120, 189][index % 7] + (index % 3),
            "heat": -1 if index % 3 == 0 else rng.randint(0, 100),
            "published": False,
            "provider": {"name": name, "domain": domain},
            "topics": topics,
            "images": (
                [{"url": f"https://images.{domain}/{index}.jpg", "width": 1280, "height": 720, "title": title}]
                if index % 4 != 3
                else []
            ),
            "related": related,
            "secured": hashlib.sha256(url.encode()).hexdigest() + "==",
        }
        block = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=4096)
        # Real seeds write timestamps unquoted, so YAML reads them as timestamps.
        block = re.sub(r"'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)'", r"\1", block)
        text = f"---\n{block}---\n"
        if index % 5 != 4:  # every fifth file: front matter and no body
            text += f"\n{body}\n"
        if index % 7 == 6:  # files from the wild: CRLF and a BOM
            text = "\ufeff" + text.replace("\n", "\r\n")
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        (OUT / f"{index:03d}_{digest}.txt").write_text(text, encoding="utf-8", newline="")
        if companion is not None:
            twin = {
                **front,
                **companion,
                "excerpt": f"{companion['title']}. {rng.choice(PARAGRAPHS)}",
                "related": [],
                "images": [],
                "secured": hashlib.sha256(companion["webUrl"].encode()).hexdigest() + "==",
            }
            block = re.sub(r"'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)'", r"\1", yaml.safe_dump(twin, sort_keys=False, allow_unicode=True, width=4096))
            digest = hashlib.sha256(companion["webUrl"].encode()).hexdigest()[:16]
            twin_body = "\n\n".join([f"{companion['title']}, {companion['provider']['name']} reported."] + shared)
            (OUT / f"{200 + index:03d}_{digest}.txt").write_text(f"---\n{block}---\n\n{twin_body}\n", encoding="utf-8")
    # Body-only items: text without front matter, waiting for an editor.
    for n in range(4):
        body = f"By staff reporter {n + 1}\n\n" + "\n\n".join(rng.sample(PARAGRAPHS, 3)) + "\n"
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        (OUT / f"{100 + n:03d}_{digest}.md").write_text(body, encoding="utf-8")


if __name__ == "__main__":
    main()
