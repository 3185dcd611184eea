import os
import sys

from django.contrib.admin.apps import AdminConfig
from django.core import checks

from campaign import clientip, devbeat
from campaign.celery import app as celery_app


class CampaignAdminConfig(AdminConfig):
    """Django's admin on a site that requires a second factor (staff.site)."""

    default_site = "staff.site.CampaignAdminSite"

    def ready(self) -> None:
        super().ready()
        checks.register(clientip.check_trusted_proxies, checks.Tags.security)
        # Every app's tasks registered in every process, web ones included:
        # services enqueue tasks by name (actions.core.enqueue).
        celery_app.autodiscover_tasks(force=True)
        # `make run`: the periodic jobs run in the development server too.
        if devbeat.is_wanted(sys.argv, os.environ):
            devbeat.start(celery_app)
