"""Following querysets out of Python loops: into templates (through views), DRF serializers and the admin.

``frames`` extends the flow evaluator with what Django itself does between a view and the code that reads the rows
(context dicts, pagination, render calls; their values are in ``render_values``), and ``view_frame`` runs
class-based views; ``template_files`` finds templates and ``templates`` reads them into a form the flow can run;
``views``, ``drf`` and ``admin`` find where Django will iterate a queryset and which code reads each row.
"""
