from django.shortcuts import get_object_or_404, render

from guide.models import Guide


def guide_list(request):
    return render(request, "guide/list.html", {"guides": Guide.objects.latest_versions()})


def guide_detail(request, slug):
    guide = get_object_or_404(Guide.objects.latest_versions(), slug=slug)
    return render(request, "guide/detail.html", {"guide": guide})
