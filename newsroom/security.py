"""Who is asking: the client address that login throttling counts failures against."""

from django.conf import settings


def client_ip_address(request):
    """The client's IP address.

    Directly behind gunicorn it is REMOTE_ADDR. Behind DJANGO_TRUSTED_PROXY_COUNT proxies
    it is the entry that the outermost trusted proxy appended to X-Forwarded-For, counted
    from the right: entries further left were sent by the client and can be forged, so a
    client cannot escape throttling by inventing a new address for each attempt.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "")
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote_addr
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote_addr
    return forwarded[-count]
