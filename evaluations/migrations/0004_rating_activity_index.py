# The one-per-device index (activity, device) already serves lookups by activity.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0004_renewal_and_exit'),
        ('evaluations', '0003_final_evaluation_cancelled'),
    ]

    operations = [
        migrations.AlterField(
            model_name='rating',
            name='activity',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='ratings', to='contracts.activity'),
        ),
    ]
