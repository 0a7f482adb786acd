"""Ingest: raw returns as services send them → clean tables and set-aside rows.

Readers (``readers``) turn any workbook format into sheets of cells; ``rawformat``
describes the tracking workbook; ``normalise`` parses each typed value; ``schema``
defines the clean tables; ``clean`` assembles them, accounting for every raw row;
``quality`` summarises what was kept and set aside; ``template`` writes the blank
workbook from the same schema. Nothing here imports the analyses or the report.
"""
