from django.urls import path

from . import views_documents, views_files

urlpatterns = [
    path("verify/", views_documents.verify_upload, name="verify_upload"),
    path("verify/<str:sha256>/", views_documents.verify_document, name="verify_document"),
    path("documents/<uuid:pk>/download/", views_documents.download_document, name="document_download"),
    path("files/<uuid:pk>/download/", views_files.download_file, name="file_download"),
]
