from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from actions.suppressions.views import MailgunTrackingWebhook
from campaign import views
from statements import views as statements

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    # The admin's language menu (campaign.locale).
    path("i18n/", include("django.conf.urls.i18n")),
    # The public JSON API: one address for every language (the lang parameter).
    path("api/v1/", include("statements.api.urls")),
    # For crawlers, one each for the whole site.
    path("sitemap.xml", statements.sitemap, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("favicon.ico", views.favicon, name="favicon"),
]
# Public pages in each language: English at /statements/..., French at
# /fr/statements/..., and so on (settings.LANGUAGES). An unknown prefix is a 404.
urlpatterns += i18n_patterns(
    path("", include("actions.urls")),
    path("", include("statements.urls")),
    path("", include("statements.sharing.urls")),
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
