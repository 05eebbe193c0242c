"""Page-number pagination for every /api/v1/ list: ``?page=N&page_size=M`` (default PAGE_SIZE in settings).

A page beyond the last, or a malformed page number, is a JSON 404; ``page_size`` above the maximum is
clamped, so an integrator cannot pull a whole table in one response.
"""

from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500
