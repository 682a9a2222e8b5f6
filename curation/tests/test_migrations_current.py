"""The models and the migrations agree: a model change that forgot its migration fails here,
not on a server whose `migrate` then has nothing to apply."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    output = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=output, stderr=output)
    except SystemExit:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"a model change has no migration (run manage.py makemigrations):\n{output.getvalue()}")
