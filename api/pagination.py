"""Cursor pagination: stable pages over lists that change while a system walks them."""

from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def get_ordering(self, request, queryset, view):
        # Each view names its order (a unique or nearly unique column, indexed).
        ordering = getattr(view, "cursor_ordering", None)
        return (ordering,) if isinstance(ordering, str) else tuple(ordering) if ordering else (self.ordering,)
