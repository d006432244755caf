"""A study guide: the material a seminar walks through.

A guide is identified by its slug; each import with new content used by a session creates a
new version, so a running or past session never sees its guide change under it.
"""

from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse


class GuideQuerySet(models.QuerySet):
    def latest_versions(self):
        """One row per slug: the newest version of each guide."""
        newer = Guide.objects.filter(
            slug=models.OuterRef("slug"), version__gt=models.OuterRef("version")
        )
        return self.exclude(models.Exists(newer))

    def with_counts(self):
        """Annotate theme_count, quote_count, reference_count and question_count."""
        counts = {
            f"{name}_count": Coalesce(
                models.Subquery(
                    model.objects.filter(guide=models.OuterRef("pk"))
                    .order_by()
                    .values("guide")
                    .annotate(n=models.Count("pk"))
                    .values("n"),
                    output_field=models.IntegerField(),
                ),
                0,
            )
            for name, model in [
                ("theme", Theme),
                ("quote", Quote),
                ("reference", Reference),
                ("question", Question),
            ]
        }
        return self.annotate(**counts)


class Guide(models.Model):
    slug = models.SlugField(max_length=120)
    version = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=300)
    subtitle = models.CharField(max_length=300, blank=True, help_text="Speaker or subtitle.")
    overview = models.TextField(blank=True)
    source_label = models.CharField(max_length=300, blank=True, help_text="Where it came from.")
    content_hash = models.CharField(max_length=64, editable=False)
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GuideQuerySet.as_manager()

    class Meta:
        ordering = ["title", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="guide_unique_slug_version"),
        ]

    def __str__(self):
        return self.title if self.version == 1 else f"{self.title} (v{self.version})"

    def get_absolute_url(self):
        return reverse("guide:detail", args=[self.slug])


class Theme(models.Model):
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="themes")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)

    class Meta:
        ordering = ["guide", "number"]
        constraints = [
            models.UniqueConstraint(fields=["guide", "number"], name="theme_unique_number"),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


class Quote(models.Model):
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="quotes")
    position = models.PositiveIntegerField()
    text = models.TextField()
    attribution = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["guide", "position"]
        constraints = [
            models.UniqueConstraint(fields=["guide", "position"], name="quote_unique_position"),
        ]

    def __str__(self):
        return self.text[:60]


class Reference(models.Model):
    """A key person or reference, with what the guide says about them."""

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="references")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["guide", "position"]
        constraints = [
            models.UniqueConstraint(fields=["guide", "position"], name="reference_unique_position"),
        ]

    def __str__(self):
        return self.name


class Question(models.Model):
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="questions")
    number = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["guide", "number"]
        constraints = [
            models.UniqueConstraint(fields=["guide", "number"], name="question_unique_number"),
        ]

    def __str__(self):
        return f"Q{self.number}. {self.text[:60]}"
