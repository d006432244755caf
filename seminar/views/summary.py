# Work in progress: views not built yet answer 404.
from django.http import Http404


def note_save(request, *args, **kwargs):
    raise Http404


def summary(request, *args, **kwargs):
    raise Http404


def export_participants(request, *args, **kwargs):
    raise Http404


def export(request, *args, **kwargs):
    raise Http404


def session_delete(request, *args, **kwargs):
    raise Http404
