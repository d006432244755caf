"""Guide pages: the list, one guide, and importing a guide in the browser."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from guide.forms import GuideConfirmForm, GuideImportForm
from guide.importer import GuideFormatError
from guide.models import Guide
from guide.services import ImportResult, guide_import


def guide_list(request):
    guides = Guide.objects.latest_versions().with_counts()
    return render(request, "guide/list.html", {"guides": guides})


def guide_detail(request, slug):
    guide = get_object_or_404(Guide.objects.latest_versions(), slug=slug)
    context = {
        "guide": guide,
        "themes": guide.themes.all(),
        "quotes": guide.quotes.all(),
        "people": guide.references.all(),
        "questions": guide.questions.all(),
    }
    return render(request, "guide/detail.html", context)


@login_required
def guide_import_preview(request):
    """Upload or paste a guide; a valid one is shown as it will be imported, to confirm."""
    if request.method != "POST":
        return render(request, "guide/import.html", {"form": GuideImportForm()})
    form = GuideImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "guide/import.html", {"form": form}, status=400)
    data = form.cleaned_data
    confirm = GuideConfirmForm(initial={"text": data["text"], "filename": data["filename"]})
    # The same text again, editable, for "not quite right yet".
    edit = GuideImportForm(initial={"text": data["text"]})
    context = {"form": edit, "confirm_form": confirm, "preview": data["parsed"]}
    return render(request, "guide/import.html", context)


@require_POST
@login_required
def guide_import_confirm(request):
    """Import the previewed text, parsed again here: the preview is never trusted."""
    form = GuideConfirmForm(request.POST)
    problem = None
    if form.is_valid():
        try:
            result = guide_import(
                text=form.cleaned_data["text"], filename=form.cleaned_data["filename"]
            )
        except GuideFormatError as error:
            problem = str(error)
        else:
            messages.success(request, _outcome_message(result))
            return redirect(result.guide)
    # Show the problem on the import page, with the text in the box to fix it.
    retry = GuideImportForm(request.POST)
    if retry.is_valid() and problem:
        retry.add_error(None, problem)
    return render(request, "guide/import.html", {"form": retry}, status=400)


def _outcome_message(result: ImportResult) -> str:
    guide = result.guide
    return {
        "created": f'Imported "{guide.title}" as a new guide.',
        "updated": (f'Updated "{guide.title}" in place: no session had used it yet.'),
        "unchanged": f'"{guide.title}" was already imported with this content: nothing changed.',
        "new_version": (
            f'Imported "{guide.title}" as version {guide.version}. Sessions that used an '
            "earlier version keep it; new sessions get this one."
        ),
    }[result.outcome]
