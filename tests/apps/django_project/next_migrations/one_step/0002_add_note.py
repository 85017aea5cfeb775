# One operation of ../0002_next.py (made by makemigrations), to apply it alone.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('shop', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='product',
            name='note',
            field=models.CharField(default='', max_length=100),
        ),
    ]
