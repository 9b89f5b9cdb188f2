from django.conf import settings

from .models import Notification


def hezuo(request):
    unread = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {"HEZUO_BRAND": settings.HEZUO_BRAND, "unread_notifications": unread}
