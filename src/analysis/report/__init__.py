"""Report: published run outputs + chapters → the book (HTML and PDF).

``inputs`` gathers the published values, tables and figures into ``report/``;
the renderer is split by job (book model and includes, pandoc AST helpers,
cross-references and citations, HTML site, typst PDF) behind ``render``.
"""
