# Work in progress: views not built yet answer 404.
from django.http import Http404


def room(request, *args, **kwargs):
    raise Http404


def room_state(request, *args, **kwargs):
    raise Http404


def answer_post(request, *args, **kwargs):
    raise Http404


def answer_edit(request, *args, **kwargs):
    raise Http404


def answer_delete(request, *args, **kwargs):
    raise Http404


def answer_vote(request, *args, **kwargs):
    raise Http404
