"""Task 1: list every printed interval '(a à b)' / '[a ; b]' in all reader-facing sources of the 4 books, with context."""
import re,glob,os,json,collections,sys
sys.path.insert(0,'/tmp/pyspy/lib')
B='/tmp/redteam12/books'; W='/tmp/redteam12/work/F'
pat=re.compile(r'\(\s*[−\-]?\d[\d\s\u00a0\u202f]*(?:,\d+)?\s*(?:%|pt|ans)?\s*à\s*[−\-]?\d[\d\s\u00a0\u202f]*(?:,\d+)?\s*(?:%|pt|ans)?\s*\)|\[\s*[−\-]?\d+(?:,\d+)?\s*;\s*[−\-]?\d+(?:,\d+)?\s*\]')
def norm(s): return re.sub(r'[\s\u00a0\u202f]+',' ',s)
for book in ['example','newperiod1','newperiod2','newperiod3']:
    files=glob.glob(f'{B}/{book}/**/*',recursive=True)
    res=collections.defaultdict(set)
    for f in files:
        if os.path.isdir(f): continue
        ext=f.rsplit('.',1)[-1]
        try:
            if ext in ('html','js','json','csv','svg','txt','ipynb','md'):
                t=open(f,encoding='utf8',errors='ignore').read()
            elif ext=='pdf':
                t=os.popen(f'pdftotext -layout "{f}" -').read()
            elif ext=='xlsx':
                import openpyxl
                wb=openpyxl.load_workbook(f,data_only=True); t='\n'.join(' | '.join(str(c) for c in r if c is not None) for ws in wb for r in ws.iter_rows(values_only=True))
            else: continue
        except Exception as e: print('ERR',f,e); continue
        if 'site_libs' in f: continue
        t=norm(t)
        for m in pat.finditer(t):
            ctx=t[max(0,m.start()-110):m.end()+5]
            ctx=re.sub(r'<[^>]*>',' ',ctx)
            res[os.path.relpath(f,f'{B}/{book}')].add(ctx)
    print('=====',book)
    for k in sorted(res):
        print('--',k,len(res[k]))
        for c in sorted(res[k]): print('   ',c[-170:])
