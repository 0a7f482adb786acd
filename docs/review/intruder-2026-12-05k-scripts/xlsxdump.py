# dump every xlsx cell (all sheets incl. hidden, comments, defined names, raw values) and compare with the CSV
import sys, glob, os, csv
sys.path.insert(0,'/tmp/redteam12/work/F/pylib')
import openpyxl
B='/tmp/redteam12/books'
for b in ['example','newperiod1','newperiod2','newperiod3']:
    for x in sorted(glob.glob(f'{B}/{b}/_generated/tables/*.xlsx')):
        wb=openpyxl.load_workbook(x)
        c=x[:-5]+'.csv'
        csvcells=set()
        if os.path.exists(c):
            for row in csv.reader(open(c,encoding='utf8')): csvcells.update(v.strip() for v in row)
        extra=[]
        for ws in wb.worksheets:
            if ws.sheet_state!='visible': extra.append(('HIDDEN SHEET',ws.title))
            for row in ws.iter_rows():
                for cell in row:
                    v=cell.value
                    if v is None: continue
                    if cell.comment: extra.append(('COMMENT',cell.coordinate,cell.comment.text))
                    s=str(v).strip()
                    if s not in csvcells: extra.append((ws.title,cell.coordinate,repr(v),cell.number_format))
            for k,d in ws.column_dimensions.items():
                if d.hidden: extra.append(('HIDDEN COL',ws.title,k))
            for k,d in ws.row_dimensions.items():
                if d.hidden: extra.append(('HIDDEN ROW',ws.title,k))
        if wb.defined_names: extra.append(('NAMES',list(wb.defined_names)))
        if extra:
            print('==',b,os.path.basename(x))
            for e in extra[:60]: print('  ',e)
