"""Numbers (tokens) in the notebook annex F text that appear nowhere else in the book's chapters/annexes text or CSVs; print context."""
import re,glob,os
T='/tmp/redteam12/work/F/txt'
num=re.compile(r'(?<![\w,])\d{1,3}(?:[ \u00a0\u202f]\d{3})*(?:,\d+)?(?![\w])')
def toks(s): return set(re.sub(r'[\u00a0\u202f]',' ',m) for m in num.findall(s))
for b in ['example','newperiod1','newperiod2','newperiod3']:
    nb=open(f'{T}/{b}/a6-notebooks.html.txt').read()
    other=''
    for f in glob.glob(f'{T}/{b}/*.txt'):
        if 'a6-notebooks' not in f: other+=open(f).read()
    for f in glob.glob(f'/tmp/redteam12/books/{b}/_generated/tables/*.csv'): other+=open(f).read()
    ot=toks(other)
    miss=sorted(toks(nb)-ot, key=lambda x: float(x.replace(' ','').replace(',','.')))
    print('=====',b,'notebook-only numbers:',len(miss))
    nbn=re.sub(r'[\u00a0\u202f]',' ',nb)
    for m in miss:
        for mm in list(re.finditer(r'(?<![\w,])'+re.escape(m)+r'(?![\w])',nbn))[:2]:
            print(f'  {m:>10} | '+nbn[max(0,mm.start()-90):mm.end()+40].replace('\n',' ¶ '))
