"""The sign-in page: Django's LoginView, which signed-in users skip (they go where `next`
says, or to the queue)."""

from urllib.parse import urlsplit

from django.contrib.auth import views as auth_views
from django.urls import reverse


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_redirect_url(self):
        """`next`, unless it leads back to this page. Django raises ValueError (a server
        error) when a signed-in user's `next` is the login page itself, so anyone could send
        an editor `/accounts/login/?next=/accounts/login/` and have them land on a 500 right
        after signing in; and a `next` that is the login page with another query string
        bounces between the two. Such a target goes to the default page instead."""
        target = super().get_redirect_url()
        if target and urlsplit(target).path == reverse("login"):
            return ""
        return target
