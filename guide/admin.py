from django.contrib import admin

from .models import Guide, Question, Quote, Reference, Theme


class ThemeInline(admin.StackedInline):
    model = Theme
    extra = 0


class QuoteInline(admin.TabularInline):
    model = Quote
    extra = 0


class ReferenceInline(admin.TabularInline):
    model = Reference
    extra = 0


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Guide)
class GuideAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "version", "imported_at"]
    search_fields = ["title", "slug"]
    # Set by the importer: re-importing the same file is recognised by this hash.
    readonly_fields = ["content_hash", "imported_at", "updated_at"]
    inlines = [ThemeInline, QuoteInline, ReferenceInline, QuestionInline]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["guide", "number", "title"]
    list_filter = ["guide"]


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ["guide", "position", "text", "attribution"]
    list_filter = ["guide"]


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["guide", "position", "name"]
    list_filter = ["guide"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["guide", "number", "text"]
    list_filter = ["guide"]
