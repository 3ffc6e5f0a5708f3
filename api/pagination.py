"""Cursor pagination: stable pages over lists that change while a system walks them."""

from rest_framework.exceptions import NotFound
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

    def paginate_keyset(self, request, fetch):
        """paginate_queryset for a page read by hand, in ascending unique `id` order: `fetch`
        (after=, before=, size=) returns its rows (dicts with "id") and whether more lie
        beyond. The same cursors, links and page size as paginate_queryset gives."""
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = ("id",)
        self.cursor = self.decode_cursor(request)
        offset, reverse, position = self.cursor or (0, False, None)
        # Unique ids never make an offset cursor; one that has an offset, or no number, is forged.
        if offset or (position is not None and not str(position).isdigit()):
            raise NotFound(self.invalid_cursor_message)
        bound = int(position) if position is not None else None
        self.page, more = fetch(after=None if reverse else bound, before=bound if reverse else None,
                                size=self.page_size)
        # With unique positions the links are made from the page's own rows; these two count
        # only for an empty page (paginate_queryset's meaning).
        if reverse:
            self.has_next, self.has_previous = position is not None, more
            self.next_position, self.previous_position = position, None
        else:
            self.has_next, self.has_previous = more, position is not None
            self.next_position, self.previous_position = None, position
        self.display_page_controls = self.has_next or self.has_previous
        return self.page
