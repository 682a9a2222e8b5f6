"""The Django admin as the back office: articles, providers, topics, the import ledger, the audit log.

    large_tables.py  capped counts and estimates for tables that grow without bound
    facts.py         the article sidebar's facts, one query per request
    filters.py       the sidebar filters
    articles.py      the article changelist and admin (writes through the editorial service)
    change_page.py   the article change page: its form and read-only inlines
    bulk.py          what the article's bulk actions tell the admin; the transition actions
    taxonomy.py      providers and topics
    merging.py       their "Merge into…" action (curation.services.taxonomy_merge)
    site_links.py    "View on site": where the article or topic can be seen (the model rule)
    records.py       import runs, the ledger, the audit log (read-only)
    stories.py       stories and their articles (read-only)
    rules.py         triage rules, their versions, the kill switch, flags
    accounts.py      users and groups, each group shown with what it allows
"""

from django.contrib import admin

from curation.admin import accounts, articles, records, rules, stories, taxonomy  # noqa: F401 - registers the admins

# The app list is one click away (Home); without the sidebar the changelist's columns and the
# article change page fit a 1280 px window.
admin.site.enable_nav_sidebar = False
