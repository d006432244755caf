# Work in progress: views not built yet answer 404.
from django.http import Http404


def session_list(request, *args, **kwargs):
    raise Http404


def session_new(request, *args, **kwargs):
    raise Http404


def console(request, *args, **kwargs):
    raise Http404


def step_go(request, *args, **kwargs):
    raise Http404


def question_open(request, *args, **kwargs):
    raise Http404


def question_close(request, *args, **kwargs):
    raise Http404


def answer_hide(request, *args, **kwargs):
    raise Http404


def answer_pin(request, *args, **kwargs):
    raise Http404


def session_settings(request, *args, **kwargs):
    raise Http404


def session_end(request, *args, **kwargs):
    raise Http404
