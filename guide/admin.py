"""Guides in the Django admin. A guide version that any session has used is read-only here, as
everywhere: past sessions keep the text they used (re-importing changed content makes a new
version instead, guide/services.py)."""

from django.contrib import admin

from .models import Guide, Question, Quote, Reference, Theme


def _used(guide) -> bool:
    return guide is not None and guide.sessions.exists()


class ReadOnlyOnceUsed:
    """No change, add or delete for a guide (or its parts) that a session has used."""

    def _guide_of(self, obj):
        return obj if isinstance(obj, Guide) or obj is None else obj.guide

    def has_change_permission(self, request, obj=None):
        return not _used(self._guide_of(obj)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _used(self._guide_of(obj)) and super().has_delete_permission(request, obj)


class UsedGuideInline(ReadOnlyOnceUsed):
    """An inline's `obj` is the parent guide."""

    def has_add_permission(self, request, obj=None):
        return not _used(obj) and super().has_add_permission(request, obj)


class ThemeInline(UsedGuideInline, admin.StackedInline):
    model = Theme
    extra = 0


class QuoteInline(UsedGuideInline, admin.TabularInline):
    model = Quote
    extra = 0


class ReferenceInline(UsedGuideInline, admin.TabularInline):
    model = Reference
    extra = 0


class QuestionInline(UsedGuideInline, admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Guide)
class GuideAdmin(ReadOnlyOnceUsed, admin.ModelAdmin):
    list_display = ["title", "slug", "version", "imported_at"]
    search_fields = ["title", "slug"]
    # Set by the importer: re-importing the same file is recognised by this hash.
    readonly_fields = ["content_hash", "imported_at", "updated_at"]
    inlines = [ThemeInline, QuoteInline, ReferenceInline, QuestionInline]


@admin.register(Theme)
class ThemeAdmin(ReadOnlyOnceUsed, admin.ModelAdmin):
    list_display = ["guide", "number", "title"]
    list_filter = ["guide"]


@admin.register(Quote)
class QuoteAdmin(ReadOnlyOnceUsed, admin.ModelAdmin):
    list_display = ["guide", "position", "text", "attribution"]
    list_filter = ["guide"]


@admin.register(Reference)
class ReferenceAdmin(ReadOnlyOnceUsed, admin.ModelAdmin):
    list_display = ["guide", "position", "name"]
    list_filter = ["guide"]


@admin.register(Question)
class QuestionAdmin(ReadOnlyOnceUsed, admin.ModelAdmin):
    list_display = ["guide", "number", "text"]
    list_filter = ["guide"]
