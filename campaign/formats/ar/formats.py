"""Arabic formats: Django's, but counts are grouped by thousands (Django's
Arabic formats leave NUMBER_GROUPING unset, so 1234567 came out ungrouped)
and times have a format of their own rather than the English default."""

DATETIME_FORMAT = "j F، Y g:i A"
NUMBER_GROUPING = 3
