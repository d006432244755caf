from django.urls import path

from guide import views

app_name = "guide"

urlpatterns = [
    path("", views.guide_list, name="list"),
    # Before "<slug>/": a guide's slug is never "import" (see guide.services.RESERVED_SLUGS).
    path("import/", views.guide_import_preview, name="import"),
    path("import/confirm/", views.guide_import_confirm, name="import_confirm"),
    path("<slug:slug>/", views.guide_detail, name="detail"),
]
