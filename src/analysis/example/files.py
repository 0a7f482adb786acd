"""Byte-reproducible writers for the example's raw files.

- ``.xlsx`` / ``.xlsm``: xlsxwriter in ``constant_memory`` mode, with a fixed
  ``created`` document property; xlsxwriter stamps every zip member with a fixed
  date, so the same cells give the same bytes. An ``.xlsm`` is an ordinary
  workbook saved under that extension (no macro): the readers go by content.
- ``.ods``: the OpenDocument XML written directly, zipped with fixed member dates.
- ``.csv``: ``;``-separated text in a given encoding (Belgian Excel exports).
- Bad files: a workbook encrypted with a password (msoffcrypto-tool, its random
  salts and time stamp drawn from the example's seed), a truncated workbook, a
  CSV saved with a workbook extension, an Excel lock file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import numpy as np

#: Document date written into every workbook (the end of the example period).
CREATED = dt.datetime(2022, 5, 2, 9, 0, 0)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
DATE_FORMAT = "dd/mm/yyyy"
TIME_FORMAT = "hh:mm"


@dataclass
class SheetSpec:
    """One sheet to write: its name, rows of cells, hidden or not, column widths."""

    name: str
    rows: list[list]
    hidden: bool = False
    widths: list[float] = field(default_factory=list)


def write_xlsx(path: Path, sheets: list[SheetSpec], constant_memory: bool = True) -> Path:
    """Write a workbook with xlsxwriter (dates as date cells, times as time cells)."""
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": CREATED, "author": "prr example", "comments": "Données synthétiques"})
    date_fmt = wb.add_format({"num_format": DATE_FORMAT})
    time_fmt = wb.add_format({"num_format": TIME_FORMAT})
    bold = wb.add_format({"bold": True, "text_wrap": True})
    for spec in sheets:
        ws = wb.add_worksheet(spec.name)
        for j, width in enumerate(spec.widths):
            ws.set_column(j, j, width)
        if spec.hidden:
            ws.hide()
        header_done = False
        for i, row in enumerate(spec.rows):
            is_header = not header_done and sum(isinstance(c, str) for c in row) >= 2
            header_done = header_done or is_header
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    ws.write_string(i, j, value, bold if is_header else None)
                elif isinstance(value, bool):
                    ws.write_boolean(i, j, value)
                elif isinstance(value, (int, float, np.integer, np.floating)):
                    ws.write_number(i, j, float(value))
                elif isinstance(value, dt.datetime):
                    ws.write_datetime(i, j, value, date_fmt)
                elif isinstance(value, dt.date):
                    ws.write_datetime(i, j, dt.datetime(value.year, value.month, value.day), date_fmt)
                elif isinstance(value, dt.time):
                    ws.write_datetime(i, j, value, time_fmt)
                else:
                    ws.write_string(i, j, str(value))
    wb.close()
    return path


ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
_ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
           'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" office:version="1.2"')
_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    f'<manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="{ODS_MIMETYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
    '</manifest:manifest>'
)


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _ods_cell(value) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        number = float(value)
        text = str(int(number)) if number.is_integer() else repr(number)
        return f'<table:table-cell office:value-type="float" office:value="{text}"><text:p>{text}</text:p></table:table-cell>'
    if isinstance(value, dt.date):
        d = value.date() if isinstance(value, dt.datetime) else value
        return (f'<table:table-cell office:value-type="date" office:date-value="{d.isoformat()}">'
                f'<text:p>{d.strftime("%d/%m/%Y")}</text:p></table:table-cell>')
    text = value.strftime("%H:%M") if isinstance(value, dt.time) else str(value)
    paragraphs = "".join(f"<text:p>{_xml_text(line)}</text:p>" for line in text.split("\n"))
    return f'<table:table-cell office:value-type="string">{paragraphs}</table:table-cell>'


def write_ods(path: Path, sheets: list[SheetSpec]) -> Path:
    """Write a minimal OpenDocument spreadsheet (typed float, date and string cells).

    The XML is written directly (odfpy is two orders of magnitude slower for
    benchmark-size files); hidden sheets are not supported in this format.
    """
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n', f"<office:document-content {_ODS_NS}>",
             "<office:body><office:spreadsheet>"]
    for spec in sheets:
        if spec.hidden:
            raise ValueError("hidden sheets are not written to .ods")
        parts.append(f'<table:table table:name="{_xml_text(spec.name)}">')
        for row in spec.rows:
            parts.append("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>")
        parts.append("</table:table>")
    parts.append("</office:spreadsheet></office:body></office:document-content>")
    styles = f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles {_ODS_NS}/>'
    meta = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta {_ODS_NS}><office:meta>'
            f"<meta:generator>prr example</meta:generator>"
            f"<meta:creation-date>{CREATED.isoformat()}</meta:creation-date></office:meta></office:document-meta>")
    members = [("mimetype", ODS_MIMETYPE), ("META-INF/manifest.xml", _ODS_MANIFEST), ("content.xml", "".join(parts)),
               ("styles.xml", styles), ("meta.xml", meta)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, text.encode("utf-8"))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())
    return path


def csv_bytes(rows: list[list], encoding: str = "utf-8-sig", delimiter: str = ";") -> bytes:
    """Rows as delimited text (``None`` → empty field, CRLF line ends as Excel writes)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else str(v) for v in row])
    return buf.getvalue().encode(encoding)


def write_bytes(path: Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def encrypt_workbook(data: bytes, password: str, seed: int) -> bytes:
    """Encrypt an ``.xlsx`` (ECMA-376 agile, as Excel does) reproducibly.

    msoffcrypto-tool draws its salts with :mod:`secrets` and stamps the
    container with the current time; both are replaced by values drawn from
    ``seed`` and :data:`CREATED` so that the file's bytes do not change between
    runs. The password protects synthetic data only.
    """
    import msoffcrypto.method.container.ecma376_encrypted as container
    import msoffcrypto.method.ecma376_agile as agile
    from msoffcrypto.format.ooxml import OOXMLFile

    rng = np.random.default_rng(seed)

    class _FixedNow(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: D102
            return cls(CREATED.year, CREATED.month, CREATED.day, CREATED.hour)

    out = io.BytesIO()
    with mock.patch.object(agile, "_random_buffer", lambda n: rng.bytes(n)), \
            mock.patch.object(container, "datetime", _FixedNow):
        OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def truncate(data: bytes, keep: float = 0.45) -> bytes:
    """The first part of a file, as left by an interrupted upload or copy."""
    return data[: max(64, int(len(data) * keep))]


def excel_lock_file(owner: str) -> bytes:
    """An Excel owner (lock) file ``~$…``: the user's name padded in a 165-byte record."""
    name = owner.encode("latin-1")[:53]
    return bytes([len(name)]) + name + b"\x20" * (54 - len(name)) + b"\x00" * (165 - 55)
