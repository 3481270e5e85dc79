"""API tokens stored as a SHA-256 hash.

Tokens issued before (DRF's authtoken table, keys in clear) are carried over as hashes,
so clients keep working, and the clear keys are then deleted from that table.
"""

import hashlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def hash_existing_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("api", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id FROM authtoken_token")
        rows = cursor.fetchall()
        for key, user_id in rows:
            ApiToken.objects.create(
                user_id=user_id,
                name="carried over",
                digest=hashlib.sha256(key.encode()).hexdigest(),
                prefix=key[:8],
            )
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    initial = True

    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(blank=True, max_length=100)),
                ("digest", models.CharField(editable=False, max_length=64, unique=True)),
                ("prefix", models.CharField(editable=False, max_length=8)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("last_used_on", models.DateField(blank=True, editable=False, null=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "API token", "ordering": ["-created_at"]},
        ),
        migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop),
    ]
