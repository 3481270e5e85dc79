"""The Administrator role group; roles come from groups alone from now on.

Users who had *Staff status* and no role group were the administrators: they join the
Administrator group. A user in a role group who also had Staff status keeps only that
role (the flag was what made a Helpdesk User an admin by accident). The migration
prints whom it moved.
"""

from django.db import migrations


def create_administrator_role(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("auth", "User")
    administrators, _ = Group.objects.get_or_create(name="Administrator")
    role_groups = ["Helpdesk User", "Manager", "Administrator"]
    promoted = User.objects.filter(is_staff=True, is_superuser=False).exclude(
        groups__name__in=role_groups
    )
    names = list(promoted.values_list("username", flat=True))
    for user in promoted:
        user.groups.add(administrators)
    if names:
        print(f"\n  Administrator role given to staff users with no role: {', '.join(names)}")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_roles_and_settings")]

    operations = [migrations.RunPython(create_administrator_role, migrations.RunPython.noop)]
