from django.contrib.admin.apps import AdminConfig


class CampaignAdminConfig(AdminConfig):
    """Django's admin on a site that requires a second factor, with the audit log."""

    default_site = "campaign.admin.CampaignAdminSite"

    def ready(self) -> None:
        super().ready()
        from campaign import audit  # noqa: F401  registers the audit log
