"""PLACEHOLDER being written by a helper right now."""
from django.http import Http404


def palace_statistics(request):
    raise Http404
