import bs4,re,sys,os,glob
B='/tmp/redteam11/books'
for book in ['example','newperiod1','newperiod2','newperiod3']:
    out=f'/tmp/redteam11/work/E/txt/{book}'; os.makedirs(out,exist_ok=True)
    for f in sorted(glob.glob(f'{B}/{book}/chapters/*.html')+glob.glob(f'{B}/{book}/annexes/*.html')+[f'{B}/{book}/index.html']):
        s=bs4.BeautifulSoup(open(f).read(),'lxml')
        for nav in s.find_all(['nav','script','style']): nav.decompose()
        m=s.find('main') or s.body
        # tables as tsv
        for t in m.find_all('table'):
            rows=[]
            for tr in t.find_all('tr'):
                rows.append('\t'.join(c.get_text(' ',strip=True) for c in tr.find_all(['td','th'])))
            t.replace_with('\n[TABLE]\n'+'\n'.join(rows)+'\n[/TABLE]\n')
        txt=m.get_text('\n')
        txt=re.sub(r'[ \t]*\n\s*\n+','\n',txt)
        open(f'{out}/'+os.path.basename(f).replace('.html','.txt'),'w').write(txt)
