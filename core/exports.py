"""CSV/XLSX exports that a spreadsheet cannot mistake for formulas."""

from django_tables2.export import TableExport
from tablib import Dataset

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def sanitize_cell(value):
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeTableExport(TableExport):
    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        dataset: Dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        safe = Dataset(title=dataset.title)
        safe.headers = [sanitize_cell(h) for h in dataset.headers or []]
        for row in dataset:
            safe.append([sanitize_cell(c) for c in row])
        return safe
