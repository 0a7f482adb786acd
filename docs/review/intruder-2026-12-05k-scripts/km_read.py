"""Calibrate the example KM SVG from gridlines; print each curve as (day, S, drop) lists."""
import re,sys,json
from lxml import etree
NS='{http://www.w3.org/2000/svg}'
f=sys.argv[1] if len(sys.argv)>1 else '/tmp/redteam12/books/example/_generated/figures/saturation-survie.svg'
t=etree.parse(f)
def pts(d): return [(float(a),float(b)) for a,b in re.findall(r'[ML]\s*(-?[\d.]+)\s+(-?[\d.]+)',d)]
def lab(g):
    for c in g.iter(etree.Comment): return c.text.strip()
res={}
for ax in t.iter(NS+'g'):
    if not (ax.get('id') or '').startswith('axes_'): continue
    X=[];Y=[]
    for g in ax.iter(NS+'g'):
        gid=g.get('id') or ''
        if gid.startswith('xtick_') or gid.startswith('ytick_'):
            p=pts(next(g.iter(NS+'path')).get('d'))
            L=lab(g)
            if gid.startswith('x'): X.append((p[0][0],float(L)))
            else: Y.append((p[0][1],L))
    # y labels may be missing on axes_2: assume same 0..100 by 20
    Y=[(py,20*i) for i,(py,_) in enumerate(sorted(Y,key=lambda a:-a[0]))]
    (x0,d0),(x1,d1)=X[0],X[-1]; (y0,v0),(y1,v1)=Y[0],Y[-1]
    fx=lambda x:(x-x0)/(x1-x0)*(d1-d0)+d0; fy=lambda y:(y-y0)/(y1-y0)*(v1-v0)+v0
    title=None
    for g in ax.iter(NS+'g'):
        gid=g.get('id') or ''
        if gid.startswith('text') and lab(g) and lab(g).startswith('Vague'): title=lab(g)
    curves=[]
    for g in ax.iter(NS+'g'):
        gid=g.get('id') or ''
        if gid.startswith('line2d') and not any(gid==h for h in []):
            for p in g.iter(NS+'path'):
                st=p.get('style','')
                if 'stroke-width: 1.5' in st and 'cccccc' not in st:
                    P=pts(p.get('d'))
                    col=re.search(r'stroke: (#\w+)',st).group(1)
                    curves.append((gid,col,[(round(fx(a),3),round(fy(b),4)) for a,b in P], st))
    res[ax.get('id')]=(title,curves)
    print('=====',ax.get('id'),title,'X',X,'Y',Y)
    for gid,col,P,st in curves:
        steps=[]
        for i in range(1,len(P)):
            if abs(P[i][0]-P[i-1][0])<1e-6 and P[i][1]!=P[i-1][1]: steps.append((P[i][0],P[i-1][1],P[i][1]))
        print(gid,col,'dash' if 'dasharray' in st else '', 'start',P[0],'end',P[-1])
        for s in steps: print('    day %.3f  %.4f -> %.4f   ratio %.5f'%(s[0],s[1],s[2],s[2]/s[1]))
json.dump({k:(v[0],[(c[0],c[1],c[2]) for c in v[1]]) for k,v in res.items()},open('/tmp/redteam12/work/F/out/km_curves.json','w'))
