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


def date(value, format_string):
    """Django's |date: in the current time zone, Django's format characters."""
    return dateformat.format(template_localtime(value), format_string) if value else ""


def truncatechars(value, length):
    return Truncator(value).chars(length)


def pluralize(count, suffix="s"):
    return "" if count == 1 else suffix


def environment(**options):
    env = Environment(**options)
    env.filters.update(date=date, truncatechars=truncatechars, pluralize=pluralize)
    return env
