"""Reads an .xlsx back with openpyxl (Debian's python3-openpyxl: run with /usr/bin/python3) and prints
what the export tests check, as JSON: per sheet its size, headers, frozen panes, autofilter, column
widths, each column's number format (of its first value), exact sums of numeric columns, and its
rows (all of them for small sheets, the last for big ones). Values are read as cached (data_only);
formulas are read too, so a test can see both; each listed row's cells' number formats too (rowFormats), for
columns whose format changes row by row (an amount in pounds or in minutes)."""
import json
import sys
import warnings
from decimal import Decimal

import openpyxl


def text(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return str(Decimal(repr(v)))
    return str(v)


def main(path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values = openpyxl.load_workbook(path, data_only=True)
        formulas = openpyxl.load_workbook(path, data_only=False)
    out = {"sheets": [], "warnings": [str(w.message) for w in caught]}
    for ws in values.worksheets:
        fs = formulas[ws.title]
        headers = [c.value for c in ws[1]]
        sheet = {
            "name": ws.title,
            "maxRow": ws.max_row,
            "maxColumn": ws.max_column,
            "headers": headers,
            "freeze": ws.freeze_panes,
            "autoFilter": ws.auto_filter.ref,
            "widths": {k: v.width for k, v in ws.column_dimensions.items()},
            "formats": {},
            "sums": {},
            "rows": [],
            "rowFormats": [],
            "formulas": [],
        }
        for i, h in enumerate(headers):
            for r in range(2, min(ws.max_row, 200) + 1):
                cell = ws.cell(row=r, column=i + 1)
                if cell.value is not None:
                    sheet["formats"][h] = cell.number_format
                    break
        sums = {}
        for r, cells in enumerate(ws.iter_rows(min_row=2), start=2):
            row = [c.value for c in cells]
            for i, v in enumerate(row):
                if isinstance(v, (int, float)) and not isinstance(v, bool) and i < len(headers):
                    sums[headers[i]] = sums.get(headers[i], Decimal(0)) + Decimal(repr(v))
            if ws.max_row <= 200 or r == ws.max_row:
                sheet["rows"].append([text(v) for v in row])
                sheet["rowFormats"].append([c.number_format for c in cells])
        sheet["sums"] = {k: str(v) for k, v in sums.items()}
        for row in fs.iter_rows(min_row=2, max_row=min(fs.max_row, 200)):
            # a formula cell, not a text cell whose text starts with "="
            sheet["formulas"].append([c.value if c.data_type == "f" else None for c in row])
        out["sheets"].append(sheet)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
