# From the tutorial's django/todoapi/models.py at tag v1.11
# (github.com/dnstanciu/drf-angular-docker-tutorial, MIT: LICENSE.original).
from django.conf import settings
from django.db import models

from datetime import date

# Create the Task class to describe the model.
class Task(models.Model):
    """Stores a task."""
    # v1.14 (LOCAL: ORIGINAL_VERSION=v1.14): the Auth0 user id ('sub') of its creator.
    if settings.ORIGINAL_VERSION == 'v1.14':
        created_by = models.CharField(max_length=200)

    title = models.CharField(max_length=50)
    content = models.CharField(max_length=50)

    created_on = models.DateField(default=date.today)

    due_date = models.DateField(default=date.today)

    class Meta:
        db_table = 'task'

        ordering = ['id']

    def __str__(self):
        return self.title
