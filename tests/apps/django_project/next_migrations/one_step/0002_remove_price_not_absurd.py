# One operation of ../0002_next.py (made by makemigrations), to apply it alone.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('shop', '0001_initial'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='product',
            name='price_not_absurd',
        ),
    ]
