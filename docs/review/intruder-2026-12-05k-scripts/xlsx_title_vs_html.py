import glob,zipfile,re,html,json
def norm(s): return re.sub(r'[\s\u00a0\u202f]+',' ',html.unescape(s)).replace('’',"'").strip()
for b in ['example','newperiod1','newperiod2','newperiod3']:
    H=''
    for f in glob.glob(f'/tmp/redteam12/books/{b}/**/*.html',recursive=True):
        t=open(f,encoding='utf8').read(); t=re.sub(r'<[^>]+>','',t); H+=norm(t)
    miss=0
    for f in sorted(glob.glob(f'/tmp/redteam12/books/{b}/_generated/**/*.xlsx',recursive=True)):
        t=zipfile.ZipFile(f).read('docProps/core.xml').decode()
        m=re.search(r'<dc:title>(.*?)</dc:title>',t,re.S)
        if not m: continue
        ti=norm(m.group(1))
        # compare numbers in title to html
        nums=set(re.findall(r'\d[\d ]*(?:,\d+)?',ti))
        bad=[n for n in nums if n.strip() not in H]
        if ti[:60] not in H or bad: miss+=1; print(b,f.split('/')[-1],'NOT FOUND' if ti[:60] not in H else '', bad, ti[:100])
    print(b,'titles checked; mismatches',miss)
