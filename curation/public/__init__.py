"""What readers see: pages, feeds and the JSON API over published items.

    http.py       conditional GET, cache headers, stored renders, links, JSON responses
    selectors.py  published items in one query each, keyset pages, the validators
    filters.py    the API's filters
    views.py      HTML pages          feeds.py  RSS, Atom, JSON Feed          api.py  JSON API
    urls.py       the `public` URL namespace

The views, the feeds and the API are siblings: each imports http and selectors, never
one another.
"""
