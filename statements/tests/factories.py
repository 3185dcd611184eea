from datetime import timedelta
from itertools import count

from django.utils import timezone

from statements.models import Quote, Statement, Topic

_n = count(1)


def make_topic(**fields: object) -> Topic:
    n = next(_n)
    defaults = {"name": f"Topic {n}", "slug": f"topic-{n}", "kind": Topic.Kind.COUNTRY}
    return Topic.objects.create(**defaults | fields)


def make_statement(**fields: object) -> Statement:
    n = next(_n)
    defaults = {
        "title": f"Statement {n}",
        "slug": f"statement-{n}",
        "standfirst": "A head of government should cancel a visit.",
        "body": "The **visit** must not go ahead.",
        "background": "Some *context*.",
        "state": Statement.State.PUBLISHED,
        "publish_at": timezone.now() - timedelta(hours=1),
    }
    return Statement.objects.create(**defaults | fields)


def make_quote(statement: Statement, **fields: object) -> Quote:
    defaults = {"speaker": "A. Researcher", "role": "Director", "text": "Act now."}
    return Quote.objects.create(statement=statement, **defaults | fields)
