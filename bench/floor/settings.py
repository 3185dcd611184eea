"""Settings of the floor: what `django-admin startproject` gives, minus a database.

The middleware is startproject's default list, unchanged, so the floor costs
what any Django site pays before its own code runs. INSTALLED_APPS holds only
the contrib apps that middleware belongs to (its auth import needs auth and
contenttypes installed); the view reads neither session nor user, so no
request touches a database.
"""

import os

# The bench passes the site's random key; the constant only lets the module
# import on its own. This project serves nothing but the benchmark.
SECRET_KEY = os.environ.get("SECRET_KEY", "bench-floor-only-not-a-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bench.floor.urls"
WSGI_APPLICATION = "bench.floor.wsgi.application"

DATABASES: dict[str, dict] = {}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
