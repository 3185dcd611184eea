"""The site's public URL names, for tests that must visit every public page."""

from django.urls import URLResolver, get_resolver


def public_url_names() -> set[str]:
    """Every URL name outside the admin (and the mail provider's webhook, and
    the admin's language menu, which sets the staff member's language cookie:
    public pages take their language from their address alone)."""

    def walk(resolver, namespace: str | None) -> set[str]:
        names = set()
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name != "admin":
                    names |= walk(pattern, pattern.namespace or namespace)
            elif pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
        return names

    return walk(get_resolver(), None) - {"mailgun_tracking_webhook", "set_language"}
