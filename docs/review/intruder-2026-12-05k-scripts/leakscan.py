"""Compare number tokens in search.json / PDF / CSV+XLSX downloads against the HTML text (incl. alt texts)."""
import json,re,glob,sys,html
import pandas as pd
def norm(s): return s.replace('\u202f',' ').replace('\xa0',' ')
def toks(s):
    s=norm(s)
    out=set()
    for m in re.finditer(r'(?<![\w,.])(\d{1,3}(?: \d{3})+|\d+)(?:,(\d+))?',s):
        out.add(m.group(0).replace(' ',''))
    return out
for b in ['example','newperiod','newperiod2']:
    H=''
    for f in glob.glob(f'../{b}_book/chapters/*.html')+glob.glob(f'../{b}_book/annexes/*.html')+[f'../{b}_book/index.html',f'../{b}_book/references.html']:
        H+=html.unescape(open(f,encoding='utf8').read())
    Ht=toks(re.sub(r'<[^>]+>',' ',H))|toks(' '.join(re.findall(r'alt="([^"]*)"',H)))|toks(' '.join(re.findall(r"alt='([^']*)'",H)))
    S=json.load(open(f'../{b}_book/search.json'))
    St=toks(' '.join(d.get('text','')+' '+d.get('title','') for d in S))
    P=toks(open(f'pdf_{b}.txt').read())
    C=set()
    for f in glob.glob(f'../{b}_book/_generated/tables/*.csv'):
        C|=toks(open(f,encoding='utf8').read())
    X=set()
    for f in glob.glob(f'../{b}_book/_generated/tables/*.xlsx'):
        import zipfile
        z=zipfile.ZipFile(f); txt=[]
        for n in z.namelist():
            if n.endswith('.xml') and ('sheet' in n or 'sharedStrings' in n):
                x=z.read(n).decode('utf8'); txt+=re.findall(r'<(?:v|t)[^>]*>([^<]*)<',x)
        for v in txt:
            try:
                fv=float(v)
                if fv==int(fv): v=str(int(fv))
                else: v=('%.10g'%fv).replace('.',',')
            except ValueError: pass
            X|=toks(html.unescape(v))
    print(f'== {b}: html {len(Ht)} search {len(St)} pdf {len(P)} csv {len(C)} xlsx {len(X)}')
    print('  search-only:',sorted(St-Ht)[:80])
    print('  csv-only   :',sorted(C-Ht)[:80])
    print('  xlsx-only  :',sorted(X-Ht-C)[:80])
    print('  pdf-only   :',sorted(P-Ht,key=lambda x:(len(x),x))[:200])
