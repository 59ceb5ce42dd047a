"""Following querysets out of Python loops: into templates (through views), DRF serializers and the admin.

``frames`` extends the flow evaluator with what Django itself does between a view and the code that reads the rows
(context dicts, pagination, render calls); ``templates`` reads templates into a form the flow can run; ``views``,
``drf`` and ``admin`` find where Django will iterate a queryset and which code reads each row.
"""
