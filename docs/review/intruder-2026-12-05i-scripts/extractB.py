# every HTML table -> text dump + suppressed cell list; plain text of pages; pdftotext
import glob, re, os, json, subprocess
from bs4 import BeautifulSoup
B='/tmp/redteam11/books'; W='/tmp/redteam11/work/D/out'
def cells(tr): return [c.get_text(' ',strip=True) for c in tr.find_all(['th','td'])]
for b in ['example','newperiod1','newperiod2','newperiod3']:
    out={}; dump=open(f'{W}/tables_{b}.txt','w'); sup=[]; txt=open(f'{W}/text_{b}.txt','w')
    for f in sorted(glob.glob(f'{B}/{b}/chapters/*.html')+glob.glob(f'{B}/{b}/annexes/*.html')+[f'{B}/{b}/index.html']):
        s=BeautifulSoup(open(f,encoding='utf8').read(),'lxml')
        name=os.path.basename(f).replace('.html','')
        main=s.find('main') or s
        txt.write(f'\n\n######## {name}\n'+main.get_text('\n',strip=True))
        for i,tab in enumerate(main.find_all('table')):
            rows=[cells(tr) for tr in tab.find_all('tr')]
            cap=''
            c=tab.find('caption')
            if c: cap=c.get_text(' ',strip=True)
            else:
                for el in tab.find_all_previous(string=re.compile(r'Tableau [A-Z0-9]+\.\d+')):
                    par=el.find_parent(['figcaption','caption','div','p'])
                    cap=par.get_text(' ',strip=True) if par else str(el); break
            key=f'{name}#{i}'; out[key]={'caption':cap,'rows':rows}
            dump.write(f'\n=== {key}: {cap[:300]}\n')
            for r in rows: dump.write(' | '.join(r)+'\n')
            for r in rows:
                for j,v in enumerate(r):
                    if re.search(r'<\s*5|n\.\s?p\.',v): sup.append((key,r[0][:40],r[1][:40] if len(r)>1 else '',j,v[:40]))
    json.dump(out,open(f'{W}/tables_{b}.json','w'),ensure_ascii=False,indent=0)
    with open(f'{W}/suppressed_{b}.tsv','w') as g:
        for x in sup: g.write('\t'.join(map(str,x))+'\n')
    subprocess.run(['pdftotext','-layout',f'{B}/{b}/prr-rapport.pdf',f'{W}/pdf_{b}.txt'])
    print(b,len(sup))
