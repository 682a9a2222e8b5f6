"""Create (or reset) the demo accounts and publish a few imported items so the public side has
something to show. For local demos only: the passwords are printed.
"""

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

from curation.management.base import CurationCommand
from curation.models import Article
from curation.services import editorial

DEMO_ACCOUNTS = [
    # username, password, groups, staff/superuser
    ("editor", "editor-demo-pass", ("Editors", "Embargo editors"), False),
    ("viewer", "viewer-demo-pass", ("Viewers",), False),
    ("admin", "admin-demo-pass", (), True),
]
# In a real newsroom an admin grants these to the few who write triage rules; in the demo the
# editor shows everything an editor can be given, rules included.
DEMO_EDITOR_PERMISSIONS = ("change_rule",)


class Command(CurationCommand):
    help = __doc__
    stopped_leaves = "the demo accounts are set in one transaction, the items published one by one; run it again"

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000", help="port shown in the printed URLs")
        parser.add_argument("--publish", type=int, default=8, help="how many items to publish if none are")

    def handle(self, *args, **options):
        with transaction.atomic():
            for username, password, groups, is_admin in DEMO_ACCOUNTS:
                user, _ = User.objects.get_or_create(username=username)
                user.is_staff = user.is_superuser = is_admin
                user.set_password(password)
                user.save()
                user.groups.set(Group.objects.filter(name__in=groups))
            editor = User.objects.get(username="editor")
            editor.user_permissions.set(
                Permission.objects.filter(content_type__app_label="curation", codename__in=DEMO_EDITOR_PERMISSIONS)
            )
        if not Article.objects.published().exists():
            candidates = Article.objects.in_queue().filter(needs_metadata=False).order_by("-quality")[: options["publish"]]
            for article in candidates:
                editorial.publish_article(article=article, user=editor, via="command")
        base = f"http://127.0.0.1:{options['port']}"
        self.stdout.write(self.style.SUCCESS("Demo ready."))
        self.stdout.write(f"  Curator queue: {base}/curate/   log in as  editor / editor-demo-pass (triage rules too)")
        self.stdout.write(f"  Read-only:     {base}/curate/   log in as  viewer / viewer-demo-pass")
        self.stdout.write(f"  Admin:         {base}/admin/    log in as  admin / admin-demo-pass")
        self.stdout.write(f"  Public site:   {base}/")
