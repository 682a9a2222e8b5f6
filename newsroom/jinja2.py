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
# tenth of a story page's rows (a date per member shown).
FORMATS = {
    "Y-m-d H:i": "{0.year:04d}-{0.month:02d}-{0.day:02d} {0.hour:02d}:{0.minute:02d}",
    "Y-m-d": "{0.year:04d}-{0.month:02d}-{0.day:02d}",
    "H:i": "{0.hour:02d}:{0.minute:02d}",
}


def date(value, format_string):
    """Django's |date: in the current time zone, Django's format characters."""
    if not value:
        return ""
    value = template_localtime(value)
    direct = FORMATS.get(format_string)
    return direct.format(value) if direct else dateformat.format(value, format_string)


def truncatechars(value, length):
    return Truncator(value).chars(length)


def pluralize(count, suffix="s"):
    return "" if count == 1 else suffix


def environment(**options):
    env = Environment(**options)
    env.filters.update(date=date, truncatechars=truncatechars, pluralize=pluralize)
    return env
