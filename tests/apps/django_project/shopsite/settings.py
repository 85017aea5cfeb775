"""Settings of a small but ordinary Django project (USE_TZ, contrib apps, one app).

The database is chosen by the environment, so the same project runs on SQLite and then on
PostgreSQL after the move: SHOP_DB_ENGINE=sqlite (SHOP_SQLITE_PATH) or postgresql
(SHOP_PG_NAME, SHOP_PG_HOST, SHOP_PG_PORT, SHOP_PG_USER, SHOP_PG_PASSWORD).
"""

import os

SECRET_KEY = "test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "shop",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "shopsite.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
# Instants are stored in UTC and shown in Paris time: a timestamp column that lost its time
# zone shows up as naive datetimes and as shifted __date filters.
USE_TZ = True
TIME_ZONE = "Europe/Paris"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The fill creates users; the default hasher's iterations would only slow the tests down.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if os.environ.get("SHOP_DB_ENGINE", "sqlite") == "postgresql":
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["SHOP_PG_NAME"],
        "HOST": os.environ.get("SHOP_PG_HOST", ""),
        "PORT": os.environ.get("SHOP_PG_PORT", ""),
        "USER": os.environ.get("SHOP_PG_USER", ""),
        "PASSWORD": os.environ.get("SHOP_PG_PASSWORD", ""),
    }}
else:
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SHOP_SQLITE_PATH", "shop.db"),
    }}
