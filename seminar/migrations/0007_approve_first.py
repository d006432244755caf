from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("seminar", "0006_spotlight"),
    ]

    operations = [
        migrations.AddField(
            model_name="session",
            name="approve_first",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "New answers wait for the facilitator's approval before anyone else sees them."
                ),
            ),
        ),
        migrations.AddField(
            model_name="answer",
            name="pending",
            field=models.BooleanField(default=False),
        ),
    ]
