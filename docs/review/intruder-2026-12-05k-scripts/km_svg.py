"""Read the example KM curves from the SVG: per axes, tick calibration, each Line2D path -> (day, S) vertices."""
import re,sys
from lxml import etree
NS='{http://www.w3.org/2000/svg}'
f=sys.argv[1] if len(sys.argv)>1 else '/tmp/redteam12/books/example/_generated/figures/saturation-survie.svg'
t=etree.parse(f)
def pts(d):
    return [(float(a),float(b)) for a,b in re.findall(r'[ML]\s*(-?[\d.]+)\s+(-?[\d.]+)',d)]
def texts(g):
    # tick label text is in comments <!-- 0 --> inside the text group
    out=[]
    for c in g.iter(etree.Comment):
        out.append(c.text.strip())
    return out
for ax in t.iter(NS+'g'):
    if not (ax.get('id') or '').startswith('axes_'): continue
    print('=====',ax.get('id'))
    xt=[];yt=[]
    for g in ax.iter(NS+'g'):
        gid=g.get('id') or ''
        if gid.startswith('xtick_') or gid.startswith('ytick_'):
            use=[u for u in g.iter(NS+'use')]
            pos=None
            for u in use:
                if u.get('x') is not None: pos=(float(u.get('x')),float(u.get('y'))); break
            lab=texts(g)
            (xt if gid.startswith('x') else yt).append((pos,lab))
    print('xticks',xt); print('yticks',yt)
    for g in ax.iter(NS+'g'):
        gid=g.get('id') or ''
        if gid.startswith('line2d') or gid.startswith('text'):
            for p in g.iter(NS+'path'):
                d=p.get('d')
                if d and gid.startswith('line2d') and not any(gid==x for x in []):
                    P=pts(d)
                    if len(P)>2: print(gid,p.get('style','')[:80],len(P)); print('   ',P)
            if gid.startswith('text'):
                c=texts(g)
                if c: print(gid,c)
