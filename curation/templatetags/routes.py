"""`{% route 'name' %}`: Django's `{% url 'name' %}` for a URL without arguments, reversed
once per process instead of on every render. The queue page and the base template link to
a dozen such URLs on every request, and each reversal walks the resolver again."""

import functools

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@functools.lru_cache(maxsize=128)
def _reversed(name, urlconf, prefix):
    return reverse(name, urlconf=urlconf)


@register.simple_tag
def route(name):
    # The URL conf and script prefix are part of the key: a request or a test may change them.
    return _reversed(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
