# numbers present in side channels (search.json, search-index.js, PDF text, HTML attributes/hidden, notebooks) but absent from the visible HTML text
import glob, re, json, os, collections
from bs4 import BeautifulSoup, Comment
B='/tmp/redteam10/books'; W='/tmp/redteam10/work/C/out'
NUM=re.compile(r'(?<![\w.,])\d{1,3}(?:[\u202f\u00a0 ]\d{3})*(?:,\d+)?(?![\w])')
def nums(s): return set(re.sub(r'[\u202f\u00a0 ]','',m) for m in NUM.findall(s))
for b in ['example','newperiod1','newperiod2','newperiod3']:
    vis=set(); attrs=[]; hidden=[]
    for f in glob.glob(f'{B}/{b}/**/*.html',recursive=True):
        if 'site_libs' in f: continue
        s=BeautifulSoup(open(f,encoding='utf8').read(),'lxml')
        for c in s.find_all(string=lambda t:isinstance(t,Comment)): hidden.append((f,'COMMENT',c[:200]))
        for el in s.find_all(True):
            for k,v in el.attrs.items():
                if k in ('class','id','href','src','rel','type','charset','name','content','style','lang','role','scope','colspan','rowspan','data-bs-toggle','data-bs-target','tabindex','xmlns','viewbox','d','width','height','transform'): continue
                v=' '.join(v) if isinstance(v,list) else str(v)
                attrs.append((os.path.relpath(f,B),el.name,k,v[:300]))
            st=el.get('style','') or ''
            if 'display:none' in st.replace(' ','') or el.has_attr('hidden') or 'visually-hidden' in ' '.join(el.get('class',[])) or 'sr-only' in ' '.join(el.get('class',[])):
                hidden.append((os.path.relpath(f,B),el.name,el.get_text(' ',strip=True)[:300]))
        for t in s(['script','style']): t.decompose()
        vis|=nums(s.get_text(' '))
    out=open(f'{W}/leak_{b}.txt','w')
    out.write('## attributes\n'); [out.write(repr(a)+'\n') for a in attrs]
    out.write('## hidden\n'); [out.write(repr(h)+'\n') for h in hidden]
    sj=json.load(open(f'{B}/{b}/search.json'))
    st=' '.join(x['text']+' '+x['title'] for x in sj)
    js=open(f'{B}/{b}/search-index.js',encoding='utf8').read()
    pdf=open(f'{W}/pdf_{b}.txt',encoding='utf8').read()
    for name,txt in [('search.json',st),('search-index.js',js),('pdf',pdf)]:
        extra=sorted(nums(txt)-vis, key=lambda x:(len(x),x))
        out.write(f'## {name} numbers not in visible HTML ({len(extra)})\n'+' '.join(extra)+'\n')
    print(b,len(attrs),len(hidden))
