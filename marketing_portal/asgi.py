import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing_portal.settings.production")

application = get_asgi_application()

from marketing_portal.startup import refuse_to_start_on_fatal_checks  # noqa: E402 - needs the apps loaded

refuse_to_start_on_fatal_checks()
