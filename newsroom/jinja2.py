"""The Jinja2 environment for the few templates drawn many times on every queue page.

Django's own template language renders every page; the queue's rows (fifty to two hundred a
page, each with its buttons and reason menu) and its form controls are where its per-node
cost showed, so they are Jinja2 templates, compiled to Python once per process and escaped
by default like every template here (bench/README.md has the figures). The filters below are
the Django ones those templates use."""

from django.utils import dateformat
from django.utils.text import Truncator
from django.utils.timezone import template_localtime
from jinja2 import Environment

# The formats the row templates use, written directly: Django's general formatter cost a
# tenth of a story page's rows (a date per member shown). Slices of isoformat(), which
# writes the year in four digits as Y does, cost half of formatting each field.
FORMATS = {
    "Y-m-d H:i": lambda moment: moment.isoformat(" ", "minutes")[:16],
    "Y-m-d": lambda moment: moment.isoformat()[:10],
    "H:i": lambda moment: moment.isoformat(" ", "minutes")[11:16],
}


def date(value, format_string):
    """Django's |date: in the current time zone, Django's format characters."""
    if not value:
        return ""
    value = template_localtime(value)
    direct = FORMATS.get(format_string)
    return direct(value) if direct else dateformat.format(value, format_string)


def truncatechars(value, length):
    return Truncator(value).chars(length)


def pluralize(count, suffix="s"):
    return "" if count == 1 else suffix


def environment(**options):
    env = Environment(**options)
    env.filters.update(date=date, truncatechars=truncatechars, pluralize=pluralize)
    return env
