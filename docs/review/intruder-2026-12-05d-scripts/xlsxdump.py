import openpyxl,glob,sys,os
B='/tmp/redteam4/books'
for b in sys.argv[1:]:
    for f in sorted(glob.glob(f'{B}/{b}/_generated/tables/*.xlsx')):
        wb=openpyxl.load_workbook(f)
        for ws in wb.worksheets:
            print(f'### {b} {os.path.basename(f)} [{ws.title}] dims={ws.dimensions}')
            for row in ws.iter_rows(values_only=True):
                if any(v is not None for v in row): print('  ',row)
