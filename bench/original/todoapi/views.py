# From the tutorial's django/todoapi/views.py at tag v1.11, and with
# ORIGINAL_VERSION=v1.14 (LOCAL) what tags v1.13-v1.14 add (MIT: LICENSE.original).
from django.conf import settings
from rest_framework import generics

from .models import Task
from .serializers import TaskSerializer

V1_14 = settings.ORIGINAL_VERSION == 'v1.14'
if V1_14:
    from rest_framework.permissions import IsAuthenticated
    from rest_framework_jwt.utils import jwt_decode_handler
    from rest_framework import permissions

    def get_auth0_user_id_from_request(request):
        token = request.META.get('HTTP_AUTHORIZATION', '').split()[1]
        payload = jwt_decode_handler(token)
        return payload.get('sub')

    class IsCreator(permissions.BasePermission):
        """
        Object-level permission to only allow creators of an object to edit it.
        """
        message = 'You must be the creator of this object.'

        def has_object_permission(self, request, view, obj):
            return obj.created_by == get_auth0_user_id_from_request(request)

class TaskList(generics.ListCreateAPIView):
    """
    Lists and creates tasks.
    """
    queryset = Task.objects.all()
    serializer_class = TaskSerializer

    if V1_14:
        def perform_create(self, serializer):
            serializer.save(created_by=get_auth0_user_id_from_request(self.request))

        def get_queryset(self):
            return Task.objects.filter(created_by=get_auth0_user_id_from_request(self.request))

class TaskDetail(generics.RetrieveUpdateDestroyAPIView):
    """
    Returns a single Task and allows updates and deletion of a Task.
    """
    queryset = Task.objects.all()
    serializer_class = TaskSerializer
    lookup_url_kwarg = 'task_id'
    if V1_14:
        permission_classes = [IsAuthenticated, IsCreator]
