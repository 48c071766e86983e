"""Analyst marts (schema ``mart``): their creation and refresh, data dictionary, charts and report.

- ``refresh``: ``create_marts``, ``refresh_marts``, ``mart_counts`` over ``sql/marts/*.sql``
- ``dictionary``: the data dictionary, generated from the database's comments
- ``charts``: SVG charts as strings, shared by the report and the web UI
- ``report``: the yearly self-contained HTML report
"""
