# From the tutorial's django/todoapi/serializers.py at tag v1.11 (MIT: LICENSE.original).
from rest_framework import serializers
from .models import Task

class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ('id', 'title', 'content', 'created_on',  'due_date')
