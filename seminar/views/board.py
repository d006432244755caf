# Work in progress: views not built yet answer 404.
from django.http import Http404


def board(request, *args, **kwargs):
    raise Http404
