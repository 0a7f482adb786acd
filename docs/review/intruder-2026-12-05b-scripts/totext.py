import sys,os,glob
from bs4 import BeautifulSoup
for book in ['example_book','newperiod_book','newperiod2_book']:
    out=f'work/txt_{book}'; os.makedirs(out,exist_ok=True)
    for f in sorted(glob.glob(f'{book}/chapters/*.html')+glob.glob(f'{book}/annexes/*.html')+[f'{book}/index.html']):
        s=BeautifulSoup(open(f,encoding='utf8').read(),'lxml')
        main=s.find('main') or s
        for t in main(['script','style']): t.decompose()
        # include alt text
        for img in main.find_all('img'):
            img.replace_with(f"[IMG alt={img.get('alt')!r} src={img.get('src')}]")
        txt=main.get_text('\n')
        import re
        txt=re.sub(r'\n\s*\n+','\n',txt)
        open(f'{out}/'+os.path.basename(f)+'.txt','w').write(txt)
