"""Placeholder replaced by the usage page."""

from django.http import HttpResponse


def usage(request):
    return HttpResponse(status=501)
