"""Burmese formats (Django ships none).

Dates are written with numbers, day first as Burmese does, because the month
names would otherwise come out in English. Digits are turned into Burmese
ones by campaign.numerals, not here: Django's formats have no digit setting.
"""

DATE_FORMAT = "j/n/Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j/n/Y H:i"
SHORT_DATE_FORMAT = "j/n/Y"
SHORT_DATETIME_FORMAT = "j/n/Y H:i"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
