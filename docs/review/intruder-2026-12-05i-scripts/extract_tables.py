# every HTML table -> list of string rows (no numeric parsing); dump + list of suppressed cells
import glob, re, os, json
from bs4 import BeautifulSoup
B='/tmp/redteam11/books'; W='/tmp/redteam11/work/D/out'
def cells(tr): return [c.get_text(' ',strip=True) for c in tr.find_all(['th','td'])]
for b in ['example','newperiod1','newperiod2','newperiod3']:
    out={}; dump=open(f'{W}/tables_{b}.txt','w'); sup=[]
    for f in sorted(glob.glob(f'{B}/{b}/chapters/*.html')+glob.glob(f'{B}/{b}/annexes/*.html')):
        s=BeautifulSoup(open(f,encoding='utf8').read(),'lxml')
        name=os.path.basename(f).replace('.html','')
        for i,tab in enumerate(s.find_all('table')):
            rows=[cells(tr) for tr in tab.find_all('tr')]
            # caption: nearest preceding element with "Tableau"
            cap=''
            fig=tab.find_parent(['figure','div'])
            for el in tab.find_all_previous(string=re.compile(r'Tableau [A-Z0-9]+\.\d+')):
                par=el.find_parent(['figcaption','caption','div','p'])
                cap=par.get_text(' ',strip=True) if par else str(el); break
            key=f'{name}#{i}'; out[key]={'caption':cap,'rows':rows}
            dump.write(f'\n=== {key}: {cap[:200]}\n')
            for r in rows: dump.write(' | '.join(r)+'\n')
            for r in rows:
                for j,v in enumerate(r):
                    if re.search(r'<\s*5|n\.p\.',v): sup.append((key,r[0][:40],r[1][:40] if len(r)>1 else '',j,v[:40]))
    json.dump(out,open(f'{W}/tables_{b}.json','w'),ensure_ascii=False,indent=0)
    with open(f'{W}/suppressed_{b}.tsv','w') as g:
        for x in sup: g.write('\t'.join(map(str,x))+'\n')
    print(b,len(sup))
