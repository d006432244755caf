"""A change to any part of a guide marks the guide changed (`updated_at`), so every cache keyed
by it (the agenda, seminar/selectors.py) follows the change in every process."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from guide.models import Guide, Question, Quote, Reference, Theme


@receiver([post_save, post_delete], sender=Theme)
@receiver([post_save, post_delete], sender=Quote)
@receiver([post_save, post_delete], sender=Reference)
@receiver([post_save, post_delete], sender=Question)
def guide_part_changed(sender, instance, **kwargs):
    Guide.objects.filter(pk=instance.guide_id).update(updated_at=timezone.now())
