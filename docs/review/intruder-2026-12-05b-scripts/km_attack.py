import re,sys
sys.path.insert(0,'.')
from svgdump import dump
def analyse(fn):
    L=dump(fn); ys={}; prev=None; panel_curves=[]
    for l in L:
        m=re.match(r'T (\d+)\s*%',l)
        if m and prev: 
            mm=re.match(r'P M [\d.]+ ([\d.]+) L',prev); 
            if mm: ys.setdefault(int(m.group(1)),[]).append(float(mm.group(1)))
        if l.startswith('P '): prev=l
    y0=ys[0][0]; y100=ys[100][0]
    print('axis',y0,y100, 'panels',len(ys[0]))
    for l in L:
        if l.startswith('P M') and 'stroke: #' in l and 'cccccc' not in l:
            pts=[(float(a),float(b)) for a,b in re.findall(r'([\d.]+) ([\d.]+)',l.split('|')[0])]
            if len(pts)<6: continue
            # choose axis: pick panel whose y0 >= max y
            y0=min([v for v in ys[0] if v>=max(p[1] for p in pts)-1e-6] or ys[0]); 
            k=ys[0].index(y0); y100=ys[100][k]
            S=[(y0-y)/(y0-y100) for x,y in pts]
            lev=[]
            for v in S:
                if not lev or abs(v-lev[-1])>1e-7: lev.append(v)
            rat=[lev[i]/lev[i-1] for i in range(1,len(lev))]
            print(' curve',l.split('|')[1].strip()[:25],'steps',len(rat),'first S levels',[round(v,5) for v in lev[:5]])
            for r in rat[:3]:
                c=[(d,n) for n in range(5,3001) for d in (1,2,3,4) if abs((1-d/n)-r)<3e-6]
                print('    ratio %.7f -> (d,n) candidates'%r, c[:5])
analyse(sys.argv[1])
