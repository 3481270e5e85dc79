"""What every API view shares: roles, error mapping, filters, pagination, schema."""

from django.db import transaction
from rest_framework import mixins, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination

from api.exceptions import api_exception_handler
from api.filters import MAX_ID, QueryFilterBackend
from api.permissions import HasRole
from api.schema import ApiAutoSchema


class ApiPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class ApiViewMixin:
    """Maps service errors (400/409), checks the role (401/403), filters and paginates lists."""

    schema = ApiAutoSchema()
    permission_classes = [HasRole]
    filter_backends = [QueryFilterBackend]
    pagination_class = ApiPagination
    query_filters: list = []
    # Service error keys that differ from the API's field names (`employee` -> `user`).
    error_field_names: dict[str, str] = {}

    def get_exception_handler(self):
        return api_exception_handler

    def validated_input(self, serializer_class) -> dict:
        """The request body checked by an action's input serializer (400 when malformed)."""
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def get_object(self):
        # Any id that is not a positive integer the database can hold is simply not found.
        raw = str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))
        if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_ID:
            raise NotFound()
        return super().get_object()


class ApiReadOnlyViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ApiViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Create, PATCH and DELETE, each calling a service through `create_record` & co.

    PUT is not offered: integrations send only what changes.
    """

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def create_record(self, data: dict):
        raise NotImplementedError

    def update_record(self, instance, data: dict):
        raise NotImplementedError

    def delete_record(self, instance) -> None:
        raise NotImplementedError

    def reload(self, instance):
        """The record as the list shows it (annotations, prefetches), after a write."""
        return self.get_queryset().get(pk=instance.pk)

    def perform_create(self, serializer):
        with transaction.atomic():
            serializer.instance = self.reload(self.create_record(dict(serializer.validated_data)))

    def perform_update(self, serializer):
        with transaction.atomic():
            record = self.update_record(serializer.instance, dict(serializer.validated_data))
            serializer.instance = self.reload(record)

    def perform_destroy(self, instance):
        with transaction.atomic():
            self.delete_record(instance)


def save_record(instance, data: dict, *, many_to_many: tuple[str, ...] = ()):
    """Plain configuration rows with no service of their own: validate the model, then save.

    The model's `full_clean()` runs its `clean()` (e.g. a team with Timesheet on
    Ticket needs a project that allows timesheets), so no rule is repeated here.
    """
    related = {name: data.pop(name) for name in many_to_many if name in data}
    with transaction.atomic():
        for field, value in data.items():
            setattr(instance, field, value)
        instance.full_clean()
        instance.save()
        for name, values in related.items():
            getattr(instance, name).set(values)
    return instance
