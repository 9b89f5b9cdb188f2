from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from .models import StoredFile
from .registry import can_download_file
from .viewmixins import deny_or_login


def download_file(request, pk):
    """Uploaded files leave only through here: permission-checked, as attachments, never sniffed."""
    stored = get_object_or_404(StoredFile, pk=pk)
    if not request.user.is_authenticated or not can_download_file(request.user, stored):
        return deny_or_login(request)
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=stored.original_name, content_type=stored.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
