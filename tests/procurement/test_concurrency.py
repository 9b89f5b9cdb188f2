"""Concurrent writers on a recruitment: the row locks the services take must hold on PostgreSQL."""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from core.errors import DomainError
from core.models import StoredFile
from procurement.models import Application, ApplicationDocument

from ..threads import run_together
from .applying_support import apply, published_recruitment

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_the_same_provider_submitting_twice_at_once_leaves_one_consistent_application(roles, wenshang):
    recruitment = published_recruitment(roles["admin"], wenshang)
    user = roles["provider_a"]
    results = run_together(
        lambda: apply(user, recruitment, price="81000", proposal="第一份"),
        lambda: apply(user, recruitment, price="82000", proposal="第二份"),
    )
    assert not [r for r in results if not isinstance(r, Application | DomainError)], results
    accepted = [r for r in results if isinstance(r, Application)]
    assert accepted

    application = Application.objects.get()
    assert application.version == len(accepted)
    last = max(accepted, key=lambda a: a.version)
    assert (application.price, application.proposal) == (last.price, last.proposal)
    # One current document per required document, and every stored file belongs to a document row.
    current = ApplicationDocument.objects.filter(application=application, version=application.version)
    assert sorted(current.values_list("required_id", flat=True)) == sorted(
        recruitment.required_documents.values_list("pk", flat=True)
    )
    assert set(ApplicationDocument.objects.values_list("application_id", flat=True)) == {application.pk}
    stored = set(StoredFile.objects.filter(purpose="application_document").values_list("pk", flat=True))
    assert stored == set(ApplicationDocument.objects.values_list("file_id", flat=True))
    on_disk = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert len(on_disk) == len(stored)
