# From the tutorial's django/todoproj/urls.py at tag v1.11 (MIT: LICENSE.original),
# without the admin (not installed here).
from django.urls import path

from todoapi import views as todoapi_views

urlpatterns = [
    path('api/task/', todoapi_views.TaskList.as_view(), name='task-list'),
    path('api/task/<int:task_id>/', todoapi_views.TaskDetail.as_view(), name='task-detail'),
]
