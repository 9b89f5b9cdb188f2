# Replaced by the document store work (verification page and downloads).
from django.http import Http404


def verify_upload(request):
    raise Http404


def verify_document(request, sha256):
    raise Http404


def download_document(request, pk):
    raise Http404
