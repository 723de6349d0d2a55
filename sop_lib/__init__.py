"""sop_lib: the shared library behind the S&OP workbook notebooks.

One module per concern, in the order of the monthly cycle:
``data`` (step 1) -> ``demand`` (2) -> ``supply`` (3) -> ``finance`` (4) ->
``scenarios`` (4-5), with ``reporting`` for the HTML reports, ``pipeline`` for the
papermill batch, ``params`` for validated configuration and ``demo`` for the
embedded demo company.
"""

__version__ = "0.1.0"
