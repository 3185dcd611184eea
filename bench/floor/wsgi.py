import os

from django.core.wsgi import get_wsgi_application

# Set, not setdefault: the bench's environment must not point the floor at
# the site's settings.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.floor.settings"

application = get_wsgi_application()
