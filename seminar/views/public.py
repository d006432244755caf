from django.http import Http404
from django.shortcuts import render


def home(request):
    return render(request, "seminar/home.html")


def join_link(request, *args, **kwargs):
    raise Http404


def join(request, *args, **kwargs):
    raise Http404
