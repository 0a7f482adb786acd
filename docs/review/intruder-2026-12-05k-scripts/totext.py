import sys,os,glob,re
from bs4 import BeautifulSoup
B='/tmp/redteam12/books'; W='/tmp/redteam12/work/F/txt'
for book in ['example','newperiod1','newperiod2','newperiod3']:
    out=f'{W}/{book}'; os.makedirs(out,exist_ok=True)
    for f in sorted(glob.glob(f'{B}/{book}/chapters/*.html')+glob.glob(f'{B}/{book}/annexes/*.html')+[f'{B}/{book}/index.html']):
        s=BeautifulSoup(open(f,encoding='utf8').read(),'lxml')
        main=s.find('main') or s
        for t in main(['script','style']): t.decompose()
        for img in main.find_all('img'):
            img.replace_with(f"[IMG alt={img.get('alt')!r}]")
        txt=main.get_text('\n')
        txt=re.sub(r'\n\s*\n+','\n',txt)
        open(f'{out}/'+os.path.basename(f)+'.txt','w').write(txt)
