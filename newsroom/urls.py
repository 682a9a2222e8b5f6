from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from newsroom.login import LoginView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("curate/", include("curation.urls")),
    path("", include("curation.public.urls")),
]

# Database trouble outside a view (the session, a template) is a 503 with a message too.
handler500 = "curation.middleware.server_error"
# A refusal is a page in the site's layout that says why (templates/errors/403.html).
handler403 = "curation.views.errors.permission_denied"
