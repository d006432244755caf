from django.urls import path

from guide import views

app_name = "guide"

urlpatterns = [
    path("", views.guide_list, name="list"),
    path("<slug:slug>/", views.guide_detail, name="detail"),
]
