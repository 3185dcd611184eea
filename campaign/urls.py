from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from actions.suppressions.views import MailgunTrackingWebhook
from campaign import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    # The admin's language menu (campaign.locale).
    path("i18n/", include("django.conf.urls.i18n")),
]
# Public pages in each language: English at /statements/..., French at
# /fr/statements/..., and so on (settings.LANGUAGES). An unknown prefix is a 404.
urlpatterns += i18n_patterns(
    path("", include("actions.urls")),
    path("", include("statements.urls")),
    path("", include("statements.pages.urls")),
    prefix_default_language=False,
)

# A database outage gets a 503 page asking to try again (campaign.views).
handler500 = "campaign.views.server_error"

# The mail provider's tracking webhook (bounces and complaints), only when one
# is configured: see ANYMAIL_PROVIDER in settings.
if settings.ANYMAIL_PROVIDER == "mailgun":
    urlpatterns.append(
        path(
            "anymail/mailgun/tracking/",
            MailgunTrackingWebhook.as_view(),
            name="mailgun_tracking_webhook",
        )
    )
