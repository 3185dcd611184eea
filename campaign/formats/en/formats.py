"""English formats, Django's but for times: they name their zone.

Staff may set TIME_ZONE to their office's zone; a time in the admin (list
columns, read-only fields, messages) then says which zone it is in, e.g.
"Dec. 4, 2026, 6:05 p.m. CET". Everything not set here is Django's.
"""

DATETIME_FORMAT = "N j, Y, P T"
