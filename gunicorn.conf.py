"""gunicorn's settings for the site; gunicorn reads ./gunicorn.conf.py by
default, and the Procfile names it so a checkout run from elsewhere fails
instead of logging secrets."""

# The access log without the tokens in links (campaign/accesslog.py).
logger_class = "campaign.accesslog.TokenMaskingLogger"
