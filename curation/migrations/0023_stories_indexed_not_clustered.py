"""StoryFeatures.clustered: an article indexed by an import batch but not yet clustered
(the import was killed, or its clustering failed, between the two). Rows stored before
are taken as clustered: which of them were not cannot be told now (`cluster_stories
--rebuild` recomputes every story)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('curation', '0022_names_that_show_nothing'),
    ]

    operations = [
        migrations.AddField(
            model_name='storyfeatures',
            name='clustered',
            field=models.BooleanField(default=True),
        ),
        migrations.AddIndex(
            model_name='storyfeatures',
            index=models.Index(condition=models.Q(('clustered', False)), fields=['article'], name='storyfeatures_unclustered'),
        ),
    ]
