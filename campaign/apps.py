from django.contrib.admin.apps import AdminConfig

from campaign.celery import app as celery_app


class CampaignAdminConfig(AdminConfig):
    """Django's admin on a site that requires a second factor (staff.site)."""

    default_site = "staff.site.CampaignAdminSite"

    def ready(self) -> None:
        super().ready()
        # Every app's tasks registered in every process, web ones included:
        # services enqueue tasks by name (actions.core.enqueue).
        celery_app.autodiscover_tasks(force=True)
