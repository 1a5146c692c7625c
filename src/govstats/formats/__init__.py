"""The formats: each report format declared as data (``schemas/*.yaml``).

This stage only reads declarations: the indicators and their tables, the rules
between them, the roster's groups and what the report prints. Every later stage
(read, check, aggregate, publish, audit) takes a :class:`Format` and writes nothing
about any format in code.
"""

from govstats.formats.model import (
    PREV,
    AuditSpec,
    Block,
    Chart,
    Column,
    Compared,
    Format,
    Group,
    Indicator,
    InfoField,
    ProseFigure,
    Rate,
    ReportSpec,
    ReportTable,
    RosterSpec,
    Row,
    Rule,
    Subtotal,
    Table,
    format_for_year,
    list_formats,
    load_format,
    schemas_dir,
)

__all__ = [
    "PREV",
    "AuditSpec",
    "Block",
    "Chart",
    "Column",
    "Compared",
    "Format",
    "Group",
    "Indicator",
    "InfoField",
    "ProseFigure",
    "Rate",
    "ReportSpec",
    "ReportTable",
    "RosterSpec",
    "Row",
    "Rule",
    "Subtotal",
    "Table",
    "format_for_year",
    "list_formats",
    "load_format",
    "schemas_dir",
]
